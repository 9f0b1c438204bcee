/**
 * Bad input against the real API on DynamoDB Local and the S3 emulator: every malformed
 * request is a 4xx with its code and a message (never a 5xx), and none of them changes
 * anything: the topic list, each partition's bounds and records, and the raw items stored.
 */
import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produceLimits } from '../../lib/api/records.ts';
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

const manyHeaders = Object.fromEntries(
  Array.from({ length: produceLimits.maxHeadersPerRecord + 1 }, (_, i) => [`h${i}`, 'v']),
);

const cases: Case[] = [
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
  { name: 'fetch: partition negative', method: 'GET', path: fetchPath('-1'), query: { offset: '0' }, status: 400, code: 'INVALID_REQUEST' },

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
  const serverLog: string[] = [];
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
    const log = (line: string) => serverLog.push(line);
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
      highWatermarks.map((highWatermark, partition) => ({ partition, logStartOffset: 0, highWatermark })),
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
  });

  it('after all of them the log is unchanged and the server logged no fault', async () => {
    expect(await snapshot()).toEqual(before);
    expect(serverLog).toEqual([]);
  });
});
