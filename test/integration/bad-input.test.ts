/**
 * Bad input against the real API on DynamoDB Local and the S3 emulator: every malformed
 * request is a 4xx with its code and a message (never a 5xx), and none of them changes
 * anything: the topic list, each partition's bounds and records, and the raw items stored.
 */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceLimits } from '../../lib/api/records.ts';
import type { ServerFailure } from '../../lib/api/respond.ts';
import type { Api } from '../../lib/api/types.ts';
import { defaultApiConfig } from '../../lib/core/config.ts';
import type { Storage } from '../../lib/storage/index.ts';
import { call, createApi, randomName, testStorage } from '../support/stack.ts';

const topic = randomName('bad-input');
const missing = randomName('missing');
const PARTITIONS = 3;
const MAX_MESSAGE_BYTES = 2048;
const SMALL_REQUEST_BYTES = 1024;

const records = `/v1/topics/${topic}/records`;
const fetchPath = (partition: string | number = 0, name = topic) => `/v1/topics/${name}/partitions/${partition}/records`;
const offsetsPath = (partition: string | number = 0, name = topic) => `/v1/topics/${name}/partitions/${partition}/offsets`;

/** Records produced in beforeAll, per partition: what every fetch must still answer at the end. */
const known = [
  { key: 'k0', value: 'zero', partition: 0, timestamp: 1_000, headers: { trace: 't0' } },
  { key: null, value: 'one', partition: 0, timestamp: 2_000 },
  { key: 'k2', value: null, partition: 0, timestamp: 3_000 },
  { key: 'k3', value: 'three', partition: 1, timestamp: 4_000, headers: { a: '1', b: '2' } },
  { key: 'k4', value: 'four', partition: 1, timestamp: 5_000 },
] as const;
/** Partition 0 holds three records, partition 1 two, partition 2 none. */
const highWatermarks = [3, 2, 0];

const good = (value = 'fine') => ({ value, partition: 2 });

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly rawBody?: string | Buffer;
  readonly status: number;
  readonly code: string;
  /** Extra fields the error object must carry (offset bounds, limits). */
  readonly error?: Record<string, unknown>;
  /** Sent to an API whose maxRequestBytes is small. */
  readonly smallApi?: true;
  /** What the message must say (a real range, the limit it names). */
  readonly message?: RegExp;
}

const produce = (name: string, body: unknown, status = 400, code = 'INVALID_REQUEST', extra: Partial<Case> = {}): Case => ({
  name: `produce: ${name}`,
  method: 'POST',
  path: records,
  body,
  status,
  code,
  ...extra,
});
const produceRaw = (name: string, rawBody: string): Case => ({
  name: `produce: ${name}`,
  method: 'POST',
  path: records,
  rawBody,
  status: 400,
  code: 'INVALID_REQUEST',
});
const create = (name: string, body: unknown, status = 400, code = 'INVALID_REQUEST'): Case => ({
  name: `create: ${name}`,
  method: 'POST',
  path: '/v1/topics',
  body,
  status,
  code,
});
const fetchCase = (name: string, query: Record<string, string>, status = 400, code = 'INVALID_REQUEST', extra: Partial<Case> = {}): Case => ({
  name: `fetch: ${name}`,
  method: 'GET',
  path: fetchPath(),
  query,
  status,
  code,
  ...extra,
});

const group = randomName('bad-group');
const groupCase = (name: string, method: string, path: string, body: unknown, message?: RegExp): Case => ({
  name: `groups: ${name}`,
  method,
  path: `/v1/groups/${group}${path}`,
  body,
  status: 400,
  code: 'INVALID_REQUEST',
  ...(message ? { message } : {}),
});
const commit = (offsets: unknown[]) => ({ memberId: 'm-1', offsets });
const offsetEntry = (extra: Record<string, unknown> = {}) => ({ topic, partition: 0, offset: 0, leaseEpoch: 1, ...extra });
const nested = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);

const manyHeaders = Object.fromEntries(
  Array.from({ length: produceLimits.maxHeadersPerRecord + 1 }, (_, i) => [`h${i}`, 'v']),
);

const cases: Case[] = [
  // This API was made without a jobs runner, as the produce, fetch and groups functions are.
  { name: 'jobs run where the jobs are not served', method: 'POST', path: '/v1/jobs/run', body: {}, status: 404, code: 'NOT_FOUND', message: /not served here/ },
  // Bodies that are not a JSON object.
  produceRaw('broken JSON', '{"records": [{"value": "a"}'),
  produceRaw('JSON followed by garbage', '{"records": [{"value": "a"}]} trailing'),
  produceRaw('single-quoted JSON', "{'records': [{'value': 'a'}]}"),
  produceRaw('a JSON array', '[{"value": "a"}]'),
  produceRaw('a JSON string', '"records"'),
  produceRaw('a JSON number', '42'),
  produceRaw('JSON null', 'null'),
  produceRaw('an empty body', ''),
  { name: 'produce: no body at all', method: 'POST', path: records, status: 400, code: 'INVALID_REQUEST' },

  // The records array.
  produce('records missing', { encoding: 'utf8' }),
  produce('records not an array', { records: { value: 'a' } }),
  produce('records empty', { records: [] }),
  produce('too many records', { records: Array.from({ length: produceLimits.maxRecordsPerRequest + 1 }, () => good('x')) }),
  produce('a record that is a string', { records: ['a'] }),
  produce('a record that is null', { records: [null] }),
  produce('a record that is an array', { records: [['value', 'a']] }),

  // Record fields of the wrong type.
  produce('value missing', { records: [{ key: 'k', partition: 0 }] }),
  produce('value a number', { records: [{ value: 42, partition: 0 }] }),
  produce('value an object', { records: [{ value: { text: 'a' }, partition: 0 }] }),
  produce('value a boolean', { records: [{ value: true, partition: 0 }] }),
  produce('key a number', { records: [{ key: 7, value: 'a', partition: 0 }] }),
  produce('key an object', { records: [{ key: { id: 1 }, value: 'a', partition: 0 }] }),
  produce('key a boolean', { records: [{ key: false, value: 'a', partition: 0 }] }),

  // Headers.
  produce('headers a string', { records: [{ value: 'a', headers: 'trace=1', partition: 0 }] }),
  produce('headers an array', { records: [{ value: 'a', headers: [['trace', '1']], partition: 0 }] }),
  produce('a header value that is a number', { records: [{ value: 'a', headers: { retries: 3 }, partition: 0 }] }),
  produce('a header value that is an object', { records: [{ value: 'a', headers: { trace: { id: 1 } }, partition: 0 }] }),
  produce('too many headers', { records: [{ value: 'a', headers: manyHeaders, partition: 0 }] }),
  produce('a header name that is too long', {
    records: [{ value: 'a', headers: { ['h'.repeat(produceLimits.maxHeaderKeyBytes + 1)]: 'v' }, partition: 0 }],
  }),
  produce('an empty header name', { records: [{ value: 'a', headers: { '': 'v' }, partition: 0 }] }),
  produce('a huge header value', { records: [{ value: 'a', headers: { big: 'h'.repeat(3000) }, partition: 0 }] }, 413, 'RECORD_TOO_LARGE', {
    error: { maxMessageBytes: MAX_MESSAGE_BYTES },
  }),

  // Encoding.
  produce('unknown encoding', { encoding: 'hex', records: [{ value: '00ff', partition: 0 }] }),
  produce('encoding of the wrong case', { encoding: 'BASE64', records: [{ value: 'AAEC', partition: 0 }] }),
  produce('invalid base64 value', { encoding: 'base64', records: [{ value: 'not base64!', partition: 0 }] }),
  produce('base64 value without its padding', { encoding: 'base64', records: [{ value: 'YWJj' + 'YQ', partition: 0 }] }),
  produce('invalid base64 key', { encoding: 'base64', records: [{ key: 'k*y', value: 'AAEC', partition: 0 }] }),
  produce('a null header value (headers are strings)', { records: [{ value: 'v', headers: { h: null }, partition: 0 }] }),
  {
    name: 'produce: a body that is not valid UTF-8',
    method: 'POST',
    path: records,
    rawBody: Buffer.concat([Buffer.from('{"records":[{"value":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","partition":0}]}')]),
    status: 400,
    code: 'INVALID_REQUEST',
  },
  produce('invalid base64 header value', { encoding: 'base64', records: [{ value: 'AAEC', headers: { h: '%%%%' }, partition: 0 }] }),

  // Unknown fields: a typo must not be silently dropped.
  produce('unknown top-level field', { records: [{ value: 'a' }], partition: 0 }),
  produce('unknown per-record field', { records: [{ value: 'a', partition: 0, offset: 5 }] }),
  produce('misspelt per-record field', { records: [{ value: 'a', partition: 0, header: { h: 'v' } }] }),

  // Partition.
  produce('partition negative', { records: [{ value: 'a', partition: -1 }] }),
  produce('partition not an integer', { records: [{ value: 'a', partition: 1.5 }] }),
  produce('partition a string', { records: [{ value: 'a', partition: '0' }] }),
  produce('partition out of range', { records: [{ value: 'a', partition: PARTITIONS }] }),
  produce('partition huge', { records: [{ value: 'a', partition: 1e20 }] }),

  // Real ranges in messages: the topic's, not the largest safe integer.
  produce('partition beyond the topic, with its range', { records: [{ value: 'a', partition: 7 }] }, 400, 'INVALID_REQUEST', {
    message: /^records\[0\]\.partition: must be an integer from 0 to 2 \(the topic has 3 partitions\)$/,
  }),
  produce('partition negative, with the topic range', { records: [{ value: 'a', partition: -1 }] }, 400, 'INVALID_REQUEST', {
    message: /from 0 to 2 \(the topic has 3 partitions\)/,
  }),
  produce('producerId negative', { records: [{ value: 'a', partition: 0 }], producerId: -1, producerEpoch: 0, sequences: { 0: 0 } }, 400, 'INVALID_REQUEST', {
    message: /^producerId: must be a non-negative integer/,
  }),

  // Idempotent fields: sequences is bounded by the records before it is read.
  produce('sequences naming more partitions than records', { records: [{ value: 'a', partition: 0 }], producerId: 1, producerEpoch: 0, sequences: { 0: 0, 1: 0 } }, 400, 'INVALID_REQUEST', {
    message: /^sequences: at most 1 partitions/,
  }),
  produce('sequences keyed beyond the largest partition count', { records: [{ value: 'a', partition: 0 }], producerId: 1, producerEpoch: 0, sequences: { 1000: 0 } }, 400, 'INVALID_REQUEST', {
    message: /from 0 to 999/,
  }),
  produce('sequences not an object', { records: [{ value: 'a', partition: 0 }], producerId: 1, producerEpoch: 0, sequences: [0] }),
  produce('a sequence negative', { records: [{ value: 'a', partition: 0 }], producerId: 1, producerEpoch: 0, sequences: { 0: -1 } }, 400, 'INVALID_REQUEST', {
    message: /^sequences\.0: must be an integer from 0 to 2147483647$/,
  }),

  // Shapes bounded on every route, before anything walks them.
  produceRaw('a body nested deeper than the limit', `{"records": [{"value": "a", "headers": ${nested(40, '{}')}}]}`),
  produceRaw('a body of a million open brackets', '['.repeat(1_000_000)),
  create('a name that is a deeply nested array', { name: JSON.parse(nested(30)), partitions: 1 }),
  { name: 'create: a name of a million characters (quoted short)', method: 'POST', path: '/v1/topics', body: { name: 'n'.repeat(1_000_000) }, status: 400, code: 'INVALID_REQUEST', message: /^name: must be a topic name: 1 to 249/ },
  produce('an unknown field with a huge name (quoted short)', { records: [{ value: 'a', partition: 0 }], ['x'.repeat(100_000)]: 1 }, 400, 'INVALID_REQUEST', {
    message: /^body: unknown field "x{40}"…; allowed: records, encoding, compression, producerId, producerEpoch, sequences$/,
  }),
  { name: 'path: longer than the limit', method: 'GET', path: `/v1/topics/${topic}/${'x'.repeat(3000)}`, status: 400, code: 'INVALID_REQUEST', message: /^path: must be at most 2048 characters$/ },
  fetchCase('too many query parameters', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, '1'])), 400, 'INVALID_REQUEST', {
    message: /at most 16 query parameters/,
  }),
  fetchCase('a query value longer than the limit', { offset: '0', encoding: 'b'.repeat(300) }, 400, 'INVALID_REQUEST', { message: /at most 256 characters/ }),
  { name: 'list: too many query parameters on a route that reads none', method: 'GET', path: '/v1/topics', query: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, '1'])), status: 400, code: 'INVALID_REQUEST' },
  fetchCase('offset negative, with the range', { offset: '-1' }, 400, 'INVALID_REQUEST', { message: /^offset: must be a non-negative integer$/ }),
  fetchCase('maxRecords too large, with the range', { offset: '0', maxRecords: '10001' }, 400, 'INVALID_REQUEST', { message: /^maxRecords: must be an integer from 1 to 10000$/ }),
  fetchCase('waitMs negative, with the range', { offset: '0', waitMs: '-5' }, 400, 'INVALID_REQUEST', { message: /^waitMs: must be a non-negative integer/ }),

  // Topic config objects: counted, and each key a known one, before storage reads them.
  create('config with more keys than there are', { name: randomName(), partitions: 1, config: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 1])) }),
  create("config key 'constructor' (a plain object's own)", { name: randomName(), partitions: 1, config: { constructor: 1 } }),
  create("config key 'toString'", { name: randomName(), partitions: 1, config: { toString: 1 } }),
  { name: "alter: config key '__proto__'", method: 'PATCH', path: `/v1/topics/${topic}`, rawBody: '{"config": {"__proto__": {"retentionMs": 1}}}', status: 400, code: 'INVALID_REQUEST' },
  { name: 'alter: partitions equal to the current count', method: 'PATCH', path: `/v1/topics/${topic}`, body: { partitions: PARTITIONS }, status: 400, code: 'INVALID_REQUEST', message: /already has 3 partitions/, error: { partitions: PARTITIONS } },

  // Producers.
  { name: 'producers: transactionalId over 256 bytes', method: 'POST', path: '/v1/producers', body: { transactionalId: 't'.repeat(257) }, status: 400, code: 'INVALID_REQUEST', message: /1 to 256 bytes/ },
  { name: 'producers: transactionalId of a million characters', method: 'POST', path: '/v1/producers', body: { transactionalId: 't'.repeat(1_000_000) }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'producers: transactionalId not a string', method: 'POST', path: '/v1/producers', body: { transactionalId: ['a'] }, status: 400, code: 'INVALID_REQUEST' },

  // Group bodies and paths.
  groupCase('join with too many topics', 'POST', '/members', { topics: Array.from({ length: 101 }, (_, i) => `t${i}`) }, /1 to 100 topic names/),
  groupCase('join with a topic name of a million characters', 'POST', '/members', { topics: ['t'.repeat(1_000_000)] }, /^topics\[0\]: must be a topic name/),
  groupCase('join with sessionTimeoutMs out of range', 'POST', '/members', { topics: [topic], sessionTimeoutMs: 10 }, /from 1000 to 300000/),
  groupCase('join with an instanceId too long', 'POST', '/members', { topics: [topic], instanceId: 'i'.repeat(300) }),
  groupCase('commit with too many offsets', 'POST', '/offsets', commit(Array.from({ length: 10_001 }, () => offsetEntry())), /1 to 10000 offsets/),
  groupCase('commit with metadata too long', 'POST', '/offsets', commit([offsetEntry({ metadata: 'm'.repeat(4097) })]), /at most 4096 characters/),
  groupCase('commit with a partition past any topic', 'POST', '/offsets', commit([offsetEntry({ partition: 1000 })]), /from 0 to 999/),
  groupCase('commit with a negative offset', 'POST', '/offsets', commit([offsetEntry({ offset: -1 })]), /^offsets\[0\]\.offset: must be a non-negative integer$/),
  groupCase('commit with leaseEpoch 0', 'POST', '/offsets', commit([offsetEntry({ leaseEpoch: 0 })]), /must be a positive integer/),
  groupCase('commit with a memberId too long', 'POST', '/offsets', { memberId: 'm'.repeat(257), offsets: [offsetEntry()] }, /1 to 256 characters/),
  groupCase('reset with dryRun not a boolean', 'POST', '/offsets/reset', { topic, to: 'earliest', dryRun: 'true' }, /^dryRun: must be true or false$/),
  groupCase('reset with the old execute field', 'POST', '/offsets/reset', { topic, to: 'earliest', execute: true }, /unknown field "execute"/),
  groupCase('reset to a negative offset', 'POST', '/offsets/reset', { topic, to: { offset: -1 } }, /^to\.offset: must be a non-negative integer$/),
  groupCase('reset to two targets at once', 'POST', '/offsets/reset', { topic, to: { offset: 1, shiftBy: 1 } }),
  {
    name: 'groups: a member id in the path too long',
    method: 'POST',
    path: `/v1/groups/${group}/members/${'m'.repeat(300)}/heartbeat`,
    status: 400,
    code: 'INVALID_REQUEST',
  },
  { name: 'groups: a group id in the path too long', method: 'GET', path: `/v1/groups/${'g'.repeat(300)}`, status: 400, code: 'INVALID_REQUEST' },

  // Timestamp.
  produce('timestamp negative', { records: [{ value: 'a', partition: 0, timestamp: -1 }] }),
  produce('timestamp a string', { records: [{ value: 'a', partition: 0, timestamp: '2024-01-01T00:00:00Z' }] }),
  produce('timestamp fractional', { records: [{ value: 'a', partition: 0, timestamp: 1_700_000_000_000.5 }] }),
  produce('timestamp past the largest date', { records: [{ value: 'a', partition: 0, timestamp: produceLimits.maxTimestamp + 1 }] }),

  // Size.
  produce('a record over maxMessageBytes', { records: [{ value: 'x'.repeat(3000), partition: 0 }] }, 413, 'RECORD_TOO_LARGE', {
    error: { maxMessageBytes: MAX_MESSAGE_BYTES, field: 'records[0]' },
  }),
  produce('a key over maxMessageBytes', { records: [{ key: 'k'.repeat(3000), value: 'a', partition: 0 }] }, 413, 'RECORD_TOO_LARGE'),
  produce(
    'a body over maxRequestBytes (otherwise valid)',
    { records: [{ value: 'x'.repeat(SMALL_REQUEST_BYTES + 100), partition: 2 }] },
    413,
    'REQUEST_TOO_LARGE',
    { smallApi: true },
  ),

  // Validated whole: one bad record and nothing of the request lands.
  produce('one wrongly typed record after good ones', { records: [good('a'), good('b'), { value: 5, partition: 2 }] }),
  produce('one oversize record after good ones', { records: [good('a'), { value: 'x'.repeat(3000), partition: 2 }, good('c')] }, 413, 'RECORD_TOO_LARGE', {
    error: { field: 'records[1]' },
  }),
  produce('one record out of range after good ones', { records: [good('a'), good('b'), { value: 'c', partition: PARTITIONS + 5 }] }),
  produce('good records to different partitions, then invalid base64', {
    encoding: 'base64',
    records: [{ value: 'AAEC', partition: 0 }, { value: 'AAEC', partition: 1 }, { value: 'A', partition: 2 }],
  }),

  // Unknown topic on every topic route.
  { name: 'produce: unknown topic', method: 'POST', path: `/v1/topics/${missing}/records`, body: { records: [{ value: 'a' }] }, status: 404, code: 'TOPIC_NOT_FOUND' },
  { name: 'fetch: unknown topic', method: 'GET', path: fetchPath(0, missing), query: { offset: '0' }, status: 404, code: 'TOPIC_NOT_FOUND' },
  { name: 'offsets: unknown topic', method: 'GET', path: offsetsPath(0, missing), query: { at: 'latest' }, status: 404, code: 'TOPIC_NOT_FOUND' },
  { name: 'describe: unknown topic', method: 'GET', path: `/v1/topics/${missing}`, status: 404, code: 'TOPIC_NOT_FOUND' },
  { name: 'alter: unknown topic', method: 'PATCH', path: `/v1/topics/${missing}`, body: { partitions: 5 }, status: 404, code: 'TOPIC_NOT_FOUND' },
  { name: 'delete: unknown topic', method: 'DELETE', path: `/v1/topics/${missing}`, status: 404, code: 'TOPIC_NOT_FOUND' },

  // Topic names on create.
  create('name too long (250 chars)', { name: 'a'.repeat(250), partitions: 1 }),
  create('name with a slash', { name: 'a/b', partitions: 1 }),
  create('name with a space', { name: 'a b', partitions: 1 }),
  create('name ".."', { name: '..', partitions: 1 }),
  create('name "."', { name: '.', partitions: 1 }),
  create('name empty', { name: '', partitions: 1 }),
  create('name a number', { name: 42, partitions: 1 }),
  create('name missing', { partitions: 1 }),

  // Partition counts on create.
  create('partitions 0', { name: randomName(), partitions: 0 }),
  create('partitions negative', { name: randomName(), partitions: -3 }),
  create('partitions huge', { name: randomName(), partitions: 1_000_000 }),
  create('partitions a string', { name: randomName(), partitions: '3' }),
  create('partitions fractional', { name: randomName(), partitions: 2.5 }),

  // Config on create.
  create('unknown config key (Kafka spelling)', { name: randomName(), partitions: 1, config: { 'retention.ms': 1000 } }),
  create('config maxMessageBytes below its minimum', { name: randomName(), partitions: 1, config: { maxMessageBytes: 10 } }),
  create('config maxMessageBytes above its maximum', { name: randomName(), partitions: 1, config: { maxMessageBytes: 100 * 1024 * 1024 } }),
  create('config retentionMs a string', { name: randomName(), partitions: 1, config: { retentionMs: '1000' } }),
  create('config retentionMs zero', { name: randomName(), partitions: 1, config: { retentionMs: 0 } }),
  create('config cleanupPolicy invalid', { name: randomName(), partitions: 1, config: { cleanupPolicy: 'compress' } }),
  create('config not an object', { name: randomName(), partitions: 1, config: 'retentionMs=1000' }),
  create('unknown top-level field (replicationFactor)', { name: randomName(), partitions: 1, replicationFactor: 3 }),
  { name: 'create: broken JSON', method: 'POST', path: '/v1/topics', rawBody: '{"name": "x", ', status: 400, code: 'INVALID_REQUEST' },
  create('a topic that exists', { name: topic, partitions: PARTITIONS }, 409, 'TOPIC_EXISTS'),
  create('a topic that exists, with another shape', { name: topic, partitions: 7, config: { maxMessageBytes: 4096 } }, 409, 'TOPIC_EXISTS'),
  {
    name: 'create: a body over maxRequestBytes (otherwise valid)',
    method: 'POST',
    path: '/v1/topics',
    rawBody: JSON.stringify({ name: randomName(), partitions: 1 }) + ' '.repeat(SMALL_REQUEST_BYTES),
    status: 413,
    code: 'REQUEST_TOO_LARGE',
    smallApi: true,
  },

  // Alter.
  { name: 'alter: shrinking partitions', method: 'PATCH', path: `/v1/topics/${topic}`, body: { partitions: PARTITIONS - 1 }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'alter: an empty object', method: 'PATCH', path: `/v1/topics/${topic}`, body: {}, status: 400, code: 'INVALID_REQUEST' },
  { name: 'alter: partitions a string', method: 'PATCH', path: `/v1/topics/${topic}`, body: { partitions: '5' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'alter: config out of range', method: 'PATCH', path: `/v1/topics/${topic}`, body: { config: { segmentMs: 1 } }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'alter: unknown config key', method: 'PATCH', path: `/v1/topics/${topic}`, body: { config: { maxMessageByte: 4096 } }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'alter: unknown field (name)', method: 'PATCH', path: `/v1/topics/${topic}`, body: { name: 'renamed' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'alter: a JSON array', method: 'PATCH', path: `/v1/topics/${topic}`, rawBody: '[{"partitions": 5}]', status: 400, code: 'INVALID_REQUEST' },

  // Topic names in paths.
  { name: 'path: topic name too long', method: 'GET', path: `/v1/topics/${'a'.repeat(250)}`, status: 400, code: 'INVALID_REQUEST' },
  { name: 'path: topic name with an encoded slash', method: 'GET', path: '/v1/topics/a%2Fb', status: 400, code: 'INVALID_REQUEST' },
  { name: 'path: topic name ".."', method: 'DELETE', path: '/v1/topics/..', status: 400, code: 'INVALID_REQUEST' },
  { name: 'path: topic name "%2E%2E"', method: 'GET', path: '/v1/topics/%2E%2E/partitions/0/records', query: { offset: '0' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'path: empty topic name', method: 'GET', path: '/v1/topics//partitions/0/records', query: { offset: '0' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'path: malformed percent-escape', method: 'GET', path: '/v1/topics/abc%ZZ', status: 400, code: 'INVALID_REQUEST' },
  { name: 'path: truncated UTF-8 percent-escape', method: 'DELETE', path: '/v1/topics/%E0%A4%A', status: 400, code: 'INVALID_REQUEST' },

  // Fetch offsets and limits.
  fetchCase('offset missing', {}),
  fetchCase('offset empty', { offset: '' }),
  fetchCase('offset negative', { offset: '-1' }),
  fetchCase('offset not a number', { offset: 'abc' }),
  fetchCase('offset in exponent form', { offset: '1e3' }),
  fetchCase('offset with a fraction', { offset: '1.0' }),
  fetchCase('offset with a plus sign', { offset: '+1' }),
  fetchCase('offset above MAX_SAFE_INTEGER (16 digits)', { offset: '9007199254740993' }),
  fetchCase('offset huge (20 digits)', { offset: '99999999999999999999' }),
  fetchCase('offset beyond the high watermark', { offset: '4' }, 416, 'OFFSET_OUT_OF_RANGE', {
    error: { offset: 4, logStartOffset: 0, highWatermark: highWatermarks[0] },
  }),
  fetchCase('offset far beyond the high watermark', { offset: String(Number.MAX_SAFE_INTEGER) }, 416, 'OFFSET_OUT_OF_RANGE', {
    error: { offset: Number.MAX_SAFE_INTEGER, logStartOffset: 0, highWatermark: highWatermarks[0] },
  }),
  {
    name: 'fetch: offset 1 on an empty partition',
    method: 'GET',
    path: fetchPath(2),
    query: { offset: '1' },
    status: 416,
    code: 'OFFSET_OUT_OF_RANGE',
    error: { offset: 1, logStartOffset: 0, highWatermark: 0 },
  },
  fetchCase('maxRecords 0', { offset: '0', maxRecords: '0' }),
  fetchCase('maxRecords too large', { offset: '0', maxRecords: '10001' }),
  fetchCase('maxBytes 0', { offset: '0', maxBytes: '0' }),
  fetchCase('waitMs negative', { offset: '0', waitMs: '-1' }),
  fetchCase('unknown encoding', { offset: '0', encoding: 'hex' }),
  fetchCase('unknown query parameter', { offset: '0', limit: '10' }),
  { name: 'fetch: partition out of range', method: 'GET', path: fetchPath(PARTITIONS), query: { offset: '0' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'fetch: partition far out of range', method: 'GET', path: fetchPath(999_999_999), query: { offset: '0' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'fetch: partition not a number', method: 'GET', path: fetchPath('first'), query: { offset: '0' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'fetch: partition negative', method: 'GET', path: fetchPath('-1'), query: { offset: '0' }, status: 400, code: 'INVALID_REQUEST', message: /^partition: must be an integer from 0 to 2 \(the topic has 3 partitions\), got "-1"$/ },
  { name: 'fetch: partition beyond the topic, with its range', method: 'GET', path: fetchPath(PARTITIONS), query: { offset: '0' }, status: 400, code: 'INVALID_REQUEST', message: /^partition: must be an integer from 0 to 2 \(the topic has 3 partitions\), got "3"$/ },
  { name: 'offsets: at a timestamp too large', method: 'GET', path: offsetsPath(), query: { at: '99999999999999999' }, status: 400, code: 'INVALID_REQUEST', message: /"earliest", "latest" or a timestamp/ },

  // Offsets by time.
  { name: 'offsets: at is garbage', method: 'GET', path: offsetsPath(), query: { at: 'yesterday' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'offsets: at negative', method: 'GET', path: offsetsPath(), query: { at: '-5' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'offsets: at in exponent form', method: 'GET', path: offsetsPath(), query: { at: '1e12' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'offsets: unknown query parameter', method: 'GET', path: offsetsPath(), query: { at: 'latest', timestamp: '5' }, status: 400, code: 'INVALID_REQUEST' },
  { name: 'offsets: partition out of range', method: 'GET', path: offsetsPath(PARTITIONS), query: { at: 'earliest' }, status: 400, code: 'INVALID_REQUEST' },

  // Routes and methods.
  { name: 'route: unknown path', method: 'GET', path: '/v1/nope', status: 404, code: 'NOT_FOUND' },
  { name: 'route: unknown version', method: 'GET', path: '/v2/topics', status: 404, code: 'NOT_FOUND' },
  { name: 'route: too deep', method: 'GET', path: `/v1/topics/${topic}/partitions/0/records/0`, status: 404, code: 'NOT_FOUND' },
  { name: 'route: PUT on topics', method: 'PUT', path: '/v1/topics', body: { name: randomName(), partitions: 1 }, status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'route: DELETE on records', method: 'DELETE', path: records, status: 405, code: 'METHOD_NOT_ALLOWED' },
  { name: 'route: POST to a partition', method: 'POST', path: fetchPath(0), body: { records: [{ value: 'a' }] }, status: 405, code: 'METHOD_NOT_ALLOWED' },
];

interface Snapshot {
  list: unknown;
  describe: unknown;
  partitions: unknown[];
  items: { topics: number; log: number; objects: number };
}

describe('bad input', () => {
  let storage: Storage;
  let api: Api;
  let smallApi: Api;
  const serverLog: ServerFailure[] = [];
  let before: Snapshot;

  async function countItems(table: string): Promise<number> {
    let count = 0;
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await storage.clients.dynamodb.send(
        new ScanCommand({ TableName: table, Select: 'COUNT', ConsistentRead: true, ExclusiveStartKey: start }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  }

  async function snapshot(): Promise<Snapshot> {
    const list = await call(api, 'GET', '/v1/topics');
    const described = await call(api, 'GET', `/v1/topics/${topic}`);
    expect(list.status).toBe(200);
    expect(described.status).toBe(200);
    const partitions = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const read = await call(api, 'GET', fetchPath(p), { query: { offset: '0', maxRecords: '10000', encoding: 'base64' } });
      expect(read.status).toBe(200);
      partitions.push(read.body);
    }
    const objects = await storage.clients.s3.send(new ListObjectsV2Command({ Bucket: storage.config.bucket }));
    return {
      list: list.body,
      describe: described.body,
      partitions,
      items: {
        topics: await countItems(storage.config.tables.topics),
        log: await countItems(storage.config.tables.log),
        objects: objects.KeyCount ?? 0,
      },
    };
  }

  beforeAll(async () => {
    storage = await testStorage();
    const log = (failure: ServerFailure) => serverLog.push(failure);
    api = createApi({ storage, log });
    smallApi = createApi({ storage, log, config: { ...defaultApiConfig, maxRequestBytes: SMALL_REQUEST_BYTES } });
    const created = await call(api, 'POST', '/v1/topics', {
      body: { name: topic, partitions: PARTITIONS, config: { maxMessageBytes: MAX_MESSAGE_BYTES } },
    });
    expect(created.status).toBe(201);
    const produced = await call(api, 'POST', records, { body: { records: known } });
    expect(produced.status).toBe(200);
    before = await snapshot();
  });
  afterAll(() => storage?.destroy());

  it('the snapshot holds the known records', () => {
    expect(before.list).toEqual({ topics: [{ name: topic, partitions: PARTITIONS }] });
    expect((before.describe as { partitions: unknown }).partitions).toEqual(
      highWatermarks.map((highWatermark, partition) => ({ partition, logStartOffset: 0, highWatermark, sealedOffset: 0 })),
    );
    const counts = before.partitions.map((p) => (p as { records: unknown[] }).records.length);
    expect(counts).toEqual(highWatermarks);
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$name: $status $code', async (c) => {
    const options = {
      ...(c.query ? { query: c.query } : {}),
      ...(c.rawBody !== undefined ? { rawBody: c.rawBody } : c.body !== undefined ? { body: c.body } : {}),
    };
    const res = await call(c.smallApi ? smallApi : api, c.method, c.path, options);
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: c.status, code: c.code });
    expect(typeof res.body.error.message).toBe('string');
    expect(res.body.error.message.length).toBeGreaterThan(0);
    if (c.error) expect(res.body.error).toMatchObject(c.error);
    if (c.message) expect(res.body.error.message).toMatch(c.message);
    // A message never echoes a large input back.
    expect(res.body.error.message.length).toBeLessThan(600);
  });

  it('after all of them the log is unchanged and the server logged no fault', async () => {
    expect(await snapshot()).toEqual(before);
    expect(serverLog).toEqual([]);
  });
});
