/**
 * The Kafka protocol codec (lib/kafka/protocol): round trips of every message at every
 * version, byte fixtures for the flexible forms kafkajs does not speak, kafkajs's own request
 * encoders and response decoders against ours, and hostile input.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeBatch, encodeBatch } from '../../lib/core/codec/record-batch.ts';
import { decode, encode, ZERO_UUID } from '../../lib/kafka/protocol/codec.ts';
import { kafkaErrorByCode, KafkaErrors } from '../../lib/kafka/protocol/error-codes.ts';
import { ProtocolError } from '../../lib/kafka/protocol/errors.ts';
import {
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  RequestHeader,
  requestHeaderVersion,
  ResponseHeader,
  responseHeaderVersion,
} from '../../lib/kafka/protocol/header.ts';
import {
  APIS,
  ApiVersions,
  ConsumerProtocolAssignment,
  ConsumerProtocolSubscription,
  CreatePartitions,
  CreateTopics,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  Fetch,
  FindCoordinator,
  InitProducerId,
  ListOffsets,
  Metadata,
  Produce,
} from '../../lib/kafka/protocol/messages/index.ts';
import { inVersions, parseVersions, type FieldSpec, type MessageSpec } from '../../lib/kafka/protocol/schema.ts';
import { mutate, mutationArb } from '../support/corrupt.ts';

const require = createRequire(import.meta.url);

// ---- helpers ----

function versionsOf(message: MessageSpec): number[] {
  const { min, max } = parseVersions(message.validVersions);
  return Array.from({ length: max - min + 1 }, (_, i) => min + i);
}

/** Hex digits (spaces ignored) and quoted ASCII: bytes`0007 "rdkafka"`. */
function bytes(text: string): Buffer {
  const parts = text.match(/"[^"]*"|[0-9a-fA-F\s]+/g) ?? [];
  return Buffer.concat(
    parts.map((p) => (p.startsWith('"') ? Buffer.from(p.slice(1, -1), 'latin1') : Buffer.from(p.replace(/\s/g, ''), 'hex'))),
  );
}

/** `fn` throws ProtocolError (and nothing else), with a message matching `message` if given. */
function expectProtocolError(fn: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  if (message) expect((thrown as Error).message).toMatch(message);
}

/** decode, or undefined when it refused with ProtocolError; any other error escapes. */
function decodeOrRefuse(message: MessageSpec, version: number, buf: Buffer): unknown {
  try {
    return decode(message, version, buf).value;
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
}

// A message with every field type and option, beside Kafka's: the primitives no API here uses
// (uint16, float64), tagged fields of each kind, and a field that is never compact.
const Everything = {
  name: 'Everything',
  type: 'request',
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'flag', type: 'bool', versions: '0+' },
    { name: 'i8', type: 'int8', versions: '0+' },
    { name: 'i16', type: 'int16', versions: '0+' },
    { name: 'i32', type: 'int32', versions: '0+' },
    { name: 'i64', type: 'int64', versions: '0+', default: -1 },
    { name: 'u16', type: 'uint16', versions: '1+' },
    { name: 'f64', type: 'float64', versions: '1+' },
    { name: 'id', type: 'uuid', versions: '0+' },
    { name: 'text', type: 'string', versions: '0+', nullableVersions: '1+' },
    { name: 'blob', type: 'bytes', versions: '0+', nullableVersions: '0+' },
    { name: 'plainBlob', type: 'bytes', versions: '0+' },
    { name: 'batches', type: 'records', versions: '0+', nullableVersions: '0+' },
    { name: 'ids', type: '[]uuid', versions: '0+' },
    { name: 'names', type: '[]string', versions: '0+', nullableVersions: '3+' },
    { name: 'longs', type: '[]int64', versions: '0-2', ignorable: true },
    {
      name: 'point', type: 'Point', versions: '0+', fields: [
        { name: 'x', type: 'int32', versions: '0+' },
        { name: 'y', type: 'int32', versions: '1+', default: -5 },
      ],
    },
    {
      name: 'items', type: '[]Item', versions: '0+', fields: [
        { name: 'key', type: 'string', versions: '0+' },
        { name: 'inner', type: '[]Inner', versions: '0+', fields: [{ name: 'v', type: 'int16', versions: '0+' }] },
        { name: 'note', type: 'string', versions: '2+', nullableVersions: '2+', default: null, tag: 0, taggedVersions: '2+' },
      ],
    },
    { name: 'taggedInt', type: 'int32', versions: '2+', default: 7, tag: 0, taggedVersions: '2+' },
    { name: 'taggedBlob', type: 'bytes', versions: '2+', tag: 2, taggedVersions: '2+' },
    {
      name: 'taggedStruct', type: 'Extra', versions: '3+', tag: 5, taggedVersions: '3+', fields: [
        { name: 'a', type: 'int64', versions: '3+' },
        { name: 'b', type: 'string', versions: '3+' },
      ],
    },
    { name: 'legacy', type: 'string', versions: '0+', flexibleVersions: 'none' },
  ],
} as const satisfies MessageSpec;

const MESSAGES: readonly MessageSpec[] = [
  ...APIS.flatMap((api) => [api.request, api.response]),
  ConsumerProtocolSubscription,
  ConsumerProtocolAssignment,
  RequestHeader,
  ResponseHeader,
  Everything,
];

// ---- values generated from a definition, with what decoding must give back ----

interface Pair {
  readonly input: unknown;
  readonly expected: unknown;
}

/** Kafka's defaults, written out again here rather than taken from the codec. */
function defaultOf(f: FieldSpec): unknown {
  if (f.type.startsWith('[]')) return [];
  if (f.fields) return Object.fromEntries(f.fields.map((g) => [g.name, defaultOf(g)]));
  if (f.default !== undefined) return f.type === 'int64' && f.default !== null ? BigInt(f.default) : f.default;
  const implicit: Record<string, unknown> = { bool: false, int64: 0n, uuid: ZERO_UUID, string: '', bytes: Buffer.alloc(0), records: null };
  return f.type in implicit ? implicit[f.type] : 0;
}

const same = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<Pair> => arb.map((x) => ({ input: x, expected: x }));
const bufferArb = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));

function primitiveArb(type: string): fc.Arbitrary<Pair> {
  switch (type) {
    case 'bool':
      return same(fc.boolean());
    case 'int8':
      return same(fc.integer({ min: -128, max: 127 }));
    case 'int16':
      return same(fc.integer({ min: -32768, max: 32767 }));
    case 'int32':
      return same(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
    case 'uint16':
      return same(fc.integer({ min: 0, max: 65535 }));
    case 'int64':
      // encode also takes a safe-integer number; decode always gives a bigint.
      return fc.oneof(
        same(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n)),
        fc.maxSafeInteger().map((n) => ({ input: n, expected: BigInt(n) })),
      );
    case 'float64':
      return same(fc.double({ noNaN: true }));
    case 'uuid':
      return same(fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString('hex')));
    case 'string':
      return same(fc.string({ unit: 'binary', maxLength: 12 }));
    case 'bytes':
    case 'records':
      return same(bufferArb(24));
    default:
      throw new Error(`no arbitrary for ${type}`);
  }
}

function fieldArb(f: FieldSpec, version: number): fc.Arbitrary<Pair> {
  const array = f.type.startsWith('[]');
  const one = f.fields ? structArb(f.fields, version) : primitiveArb(array ? f.type.slice(2) : f.type);
  const arb = array
    ? fc.array(one, { maxLength: 3 }).map((xs) => ({ input: xs.map((x) => x.input), expected: xs.map((x) => x.expected) }))
    : one;
  if (!inVersions(f.nullableVersions, version)) return arb;
  return fc.option(arb, { nil: null, freq: 4 }).map((x) => x ?? { input: null, expected: null });
}

/** Fields of the version get values; the others are left out of the input and expected at their default. */
function structArb(fields: readonly FieldSpec[], version: number): fc.Arbitrary<Pair> {
  const present = fields.filter((f) => inVersions(f.versions, version));
  const parts = Object.fromEntries(present.map((f) => [f.name, fieldArb(f, version)]));
  return fc.record(parts).map((r) => {
    const input: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const f of fields) {
      const pair = r[f.name];
      if (pair) input[f.name] = pair.input;
      expected[f.name] = pair ? pair.expected : defaultOf(f);
    }
    return { input, expected };
  });
}

const messageArb = (message: MessageSpec, version: number) => structArb(message.fields, version);

// ---- round trips ----

describe('round trips: every message, every version', () => {
  for (const message of MESSAGES) {
    describe(message.name, () => {
      for (const version of versionsOf(message)) {
        it(`v${version}`, () => {
          fc.assert(
            fc.property(messageArb(message, version), ({ input, expected }) => {
              const buf = encode(message, version, input as never);
              const { value, bytesRead } = decode(message, version, buf);
              expect(value).toEqual(expected);
              expect(bytesRead).toBe(buf.length);
              // The decoded value, absent fields included at their default, encodes the same bytes.
              expect(encode(message, version, value as never).equals(buf)).toBe(true);
            }),
            { numRuns: 25, seed: 20_14 + version },
          );
        });
      }
    });
  }

  it('decodes at an offset and reports the bytes it read', () => {
    const body = encode(Metadata.request, 4, { topics: [{ name: 'a' }], allowAutoTopicCreation: false });
    const buf = Buffer.concat([Buffer.from([9, 9, 9]), body, Buffer.from([7])]);
    const { value, bytesRead } = decode(Metadata.request, 4, buf, 3);
    expect(value).toEqual({
      topics: [{ name: 'a', topicId: ZERO_UUID }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(bytesRead).toBe(body.length);
  });

  it('a large records blob goes out by reference and comes back as a view', () => {
    const records = Buffer.alloc(100_000, 7);
    const buf = encode(Produce.request, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] });
    const { value } = decode(Produce.request, 9, buf);
    const got = value.topicData[0]!.partitionData[0]!.records!;
    expect(got.equals(records)).toBe(true);
    expect(got.buffer).toBe(buf.buffer);
  });

  it('encodes a topic id given as a canonical UUID (Sluice keeps them with dashes) as its 16 bytes', () => {
    const id = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
    const { value } = decode(Metadata.response, 12, encode(Metadata.response, 12, { topics: [{ name: 't', topicId: id }] }));
    expect(value.topics[0]!.topicId).toBe(id.replaceAll('-', ''));
  });

  it('leaves defaulted fields out: an empty input encodes every field at its default', () => {
    const { value } = decode(Metadata.response, 12, encode(Metadata.response, 12, {}));
    expect(value).toEqual({
      throttleTimeMs: 0,
      brokers: [],
      clusterId: null,
      controllerId: -1,
      topics: [],
      clusterAuthorizedOperations: -2147483648,
    });
  });
});

// ---- byte fixtures for the flexible forms (kafkajs 2.2 speaks none of them) ----

describe('byte fixtures', () => {
  // ApiVersions v3 as librdkafka opens a connection: request header v2 (client id with an
  // int16 length, then tagged fields), compact strings in the body.
  const apiVersionsV3Request = bytes('0012 0003 00000001 0007 "rdkafka" 00   0b "librdkafka" 06 "2.0.2" 00');

  it('reads the ApiVersions v3 request librdkafka sends', () => {
    const head = decodeRequestHeader(apiVersionsV3Request);
    expect(head.header).toEqual({ requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'rdkafka' });
    expect(head.api).toBe(ApiVersions);
    expect(head.headerVersion).toBe(2);
    const { value, bytesRead } = decode(ApiVersions.request, 3, apiVersionsV3Request, head.bodyOffset);
    expect(value).toEqual({ clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' });
    expect(head.bodyOffset + bytesRead).toBe(apiVersionsV3Request.length);
  });

  it('writes the same bytes for it', () => {
    const frame = encodeRequest(ApiVersions, 3, { correlationId: 1, clientId: 'rdkafka' }, {
      clientSoftwareName: 'librdkafka',
      clientSoftwareVersion: '2.0.2',
    });
    expect(frame.toString('hex')).toBe(apiVersionsV3Request.toString('hex'));
  });

  // Response header v0 (ApiVersions never has v1), compact array, element tagged fields,
  // then the top-level tagged section holding FinalizedFeaturesEpoch (tag 1, 8 bytes).
  const apiVersionsV3Response = bytes('00000001   0000 02 0012 0000 0003 00 00000000 01 01 08 0000000000000005');

  it('writes an ApiVersions v3 response with a tagged field, under a v0 header', () => {
    const frame = encodeResponse(ApiVersions, 3, 1, {
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      finalizedFeaturesEpoch: 5n,
    });
    expect(frame.toString('hex')).toBe(apiVersionsV3Response.toString('hex'));
    expect(decodeResponse(ApiVersions, 3, frame).body.finalizedFeaturesEpoch).toBe(5n);
  });

  it('skips tagged fields it does not know', () => {
    // The same frame with an unknown tag 9 (3 bytes) after tag 1.
    const withUnknown = bytes('00000001   0000 02 0012 0000 0003 00 00000000 02 01 08 0000000000000005 09 03 aabbcc');
    expect(decodeResponse(ApiVersions, 3, withUnknown).body).toEqual(decodeResponse(ApiVersions, 3, apiVersionsV3Response).body);
  });

  it('writes a flexible response header (v1) with its tagged section, and compact nulls', () => {
    expect(encodeResponse(Metadata, 9, 7, {}).toString('hex')).toBe(
      bytes('00000007 00   00000000 01 00 ffffffff 01 80000000 00').toString('hex'),
    );
    // v8 is not flexible: header v0, int32 counts, int16 null string.
    expect(encodeResponse(Metadata, 8, 7, {}).toString('hex')).toBe(
      bytes('00000007   00000000 00000000 ffff ffffffff 00000000 80000000').toString('hex'),
    );
  });

  it('writes tagged fields in tag order, whatever their place in the definition', () => {
    const body = encode(CreateTopics.response, 5, {
      topics: [{ name: 't', errorCode: 0, errorMessage: null, topicConfigErrorCode: 40, numPartitions: 3, replicationFactor: 1, configs: null }],
    });
    // throttle, 1 topic: name, error code, null message, partitions, replication, null configs,
    // then tag 0 (2 bytes): 40; then the top-level tagged section.
    expect(body.toString('hex')).toBe(bytes('00000000 02 02 "t" 0000 00 00000003 0001 00 01 00 02 0028 00').toString('hex'));
  });
});

// ---- header versions ----

describe('headers', () => {
  it("follows Kafka's rule: flexible versions take request header v2 and response header v1", () => {
    for (const api of APIS) {
      for (const version of versionsOf(api.request)) {
        const flexible = inVersions(api.request.flexibleVersions, version);
        expect(requestHeaderVersion(api, version)).toBe(flexible ? 2 : 1);
        expect(responseHeaderVersion(api, version)).toBe(flexible && api !== ApiVersions ? 1 : 0);
      }
    }
    expect([requestHeaderVersion(Metadata, 8), responseHeaderVersion(Metadata, 8)]).toEqual([1, 0]);
    expect([requestHeaderVersion(Metadata, 9), responseHeaderVersion(Metadata, 9)]).toEqual([2, 1]);
    expect([requestHeaderVersion(ApiVersions, 3), responseHeaderVersion(ApiVersions, 3)]).toEqual([2, 0]);
    expect([requestHeaderVersion(DescribeCluster, 0), responseHeaderVersion(DescribeCluster, 0)]).toEqual([2, 1]);
  });

  it('reads the header of an ApiVersions version it does not know (for UNSUPPORTED_VERSION)', () => {
    const frame = bytes('0012 0063 0000002a 0004 "java" 00   ffff');
    const head = decodeRequestHeader(frame);
    expect(head.header).toEqual({ requestApiKey: 18, requestApiVersion: 99, correlationId: 42, clientId: 'java' });
    expect(head.headerVersion).toBe(2);
    expectProtocolError(() => decode(ApiVersions.request, 99, frame, head.bodyOffset), /ApiVersionsRequest has no version 99/);
  });

  it('reads an unknown API key as header v1, and a null client id', () => {
    const head = decodeRequestHeader(bytes('03e7 0000 00000005 ffff'));
    expect(head).toEqual({
      header: { requestApiKey: 999, requestApiVersion: 0, correlationId: 5, clientId: null },
      api: undefined,
      headerVersion: 1,
      bodyOffset: 10,
    });
  });

  it('refuses a frame too short for a header', () => {
    expectProtocolError(() => decodeRequestHeader(bytes('0012')), /too short/);
    expectProtocolError(() => decodeRequestHeader(bytes('0012 0003 0000')), /truncated/);
  });
});

// ---- kafkajs: its request encoders against our decoder, our encoder against its response decoders ----

type KafkajsApi = {
  protocol(options: { version: number }): (args: object) => {
    request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
    response: { decode(raw: Buffer): Promise<Record<string, unknown>> };
  };
};
const kafkajsRequests = require('kafkajs/src/protocol/requests/index.js') as { requests: Record<string, KafkajsApi> };
const kafkajsFrame = require('kafkajs/src/protocol/request.js') as (args: {
  correlationId: number;
  clientId: string;
  request: object;
}) => Promise<{ buffer: Buffer }>;

function kafkajs(api: string, version: number, args: object = {}) {
  return kafkajsRequests.requests[api]!.protocol({ version })(args);
}

/** kafkajs's whole request frame, size prefix stripped (checked), through our header and body decoders. */
async function throughOurDecoder(api: string, version: number, args: object) {
  const { request } = kafkajs(api, version, args);
  const { buffer } = await kafkajsFrame({ correlationId: 77, clientId: 'kafkajs', request });
  expect(buffer.readInt32BE(0)).toBe(buffer.length - 4);
  const frame = buffer.subarray(4);
  const head = decodeRequestHeader(frame);
  expect(head.header).toEqual({ requestApiKey: request.apiKey, requestApiVersion: version, correlationId: 77, clientId: 'kafkajs' });
  const { value, bytesRead } = decode(head.api!.request, version, frame, head.bodyOffset);
  expect(head.bodyOffset + bytesRead).toBe(frame.length);
  return value as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Our response frame; kafkajs's connection reads the correlation id (header v0) and hands the rest to the decoder. */
async function throughKafkajsDecoder(api: string, frame: Buffer, version: number) {
  expect(frame.readInt32BE(0)).toBe(123);
  return (await kafkajs(api, version).response.decode(frame.subarray(4))) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const timestamp = 1_700_000_000_000;

describe('kafkajs request encoders, our decoder', () => {
  it('Metadata v0-6', async () => {
    for (let v = 0; v <= 6; v++) {
      const value = await throughOurDecoder('Metadata', v, { topics: ['a', 'b'], allowAutoTopicCreation: false });
      expect(value.topics).toEqual([
        { name: 'a', topicId: ZERO_UUID },
        { name: 'b', topicId: ZERO_UUID },
      ]);
      expect(value.allowAutoTopicCreation).toBe(v < 4); // not on the wire before v4: Kafka's default, true
    }
  });

  it('ApiVersions v0-2', async () => {
    for (let v = 0; v <= 2; v++) expect(await throughOurDecoder('ApiVersions', v, {})).toEqual({ clientSoftwareName: '', clientSoftwareVersion: '' });
  });

  it('Produce v0-7, whose records are a batch the core codec reads (v3+)', async () => {
    for (let v = 0; v <= 7; v++) {
      const value = await throughOurDecoder('Produce', v, {
        acks: -1,
        timeout: 3000,
        transactionalId: null,
        topicData: [{ topic: 't', partitions: [{ partition: 2, messages: [{ key: 'k1', value: 'v1', timestamp }, { key: null, value: 'v2', timestamp }] }] }],
      });
      expect(value.acks).toBe(-1);
      expect(value.timeoutMs).toBe(3000);
      expect(value.transactionalId).toBeNull();
      expect(value.topicData).toHaveLength(1);
      expect(value.topicData[0].name).toBe('t');
      const partition = value.topicData[0].partitionData[0];
      expect(partition.index).toBe(2);
      if (v < 3) {
        expect(partition.records.length).toBeGreaterThan(0); // a legacy message set
        continue;
      }
      const batch = decodeBatch(partition.records);
      expect(batch.records.map((r) => [r.key?.toString() ?? null, r.value?.toString(), r.timestamp])).toEqual([
        ['k1', 'v1', timestamp],
        [null, 'v2', timestamp],
      ]);
    }
  });

  it('Fetch v0-11', async () => {
    for (let v = 0; v <= 11; v++) {
      const value = await throughOurDecoder('Fetch', v, {
        replicaId: -1,
        maxWaitTime: 500,
        minBytes: 1,
        maxBytes: 10_485_760,
        isolationLevel: 0,
        rackId: 'rack-1',
        topics: [{ topic: 't', partitions: [{ partition: 3, fetchOffset: '42', maxBytes: 1_048_576 }] }],
      });
      expect(value).toMatchObject({ replicaId: -1, maxWaitMs: 500, minBytes: 1 });
      expect(value.maxBytes).toBe(v >= 3 ? 10_485_760 : 0x7fffffff);
      expect(value.isolationLevel).toBe(0);
      expect(value.rackId).toBe(v >= 11 ? 'rack-1' : '');
      expect(value.forgottenTopicsData).toEqual([]);
      expect(value.topics).toEqual([
        {
          topic: 't',
          topicId: ZERO_UUID,
          partitions: [
            {
              partition: 3,
              currentLeaderEpoch: -1,
              fetchOffset: 42n,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1_048_576,
              replicaDirectoryId: ZERO_UUID,
            },
          ],
        },
      ]);
    }
  });

  it('ListOffsets v0-3', async () => {
    for (let v = 0; v <= 3; v++) {
      const value = await throughOurDecoder('ListOffsets', v, {
        replicaId: -1,
        isolationLevel: 1,
        topics: [{ topic: 't', partitions: [{ partition: 0, timestamp: -2 }] }],
      });
      expect(value.replicaId).toBe(-1);
      expect(value.isolationLevel).toBe(v >= 2 ? 1 : 0);
      expect(value.topics).toEqual([
        { name: 't', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n, maxNumOffsets: 1 }] },
      ]);
    }
  });

  it('CreateTopics v0-3', async () => {
    for (let v = 0; v <= 3; v++) {
      const value = await throughOurDecoder('CreateTopics', v, {
        topics: [
          {
            topic: 'orders',
            numPartitions: 3,
            replicationFactor: 1,
            replicaAssignment: [{ partition: 0, replicas: [1] }],
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
        validateOnly: true,
        timeout: 5000,
      });
      expect(value).toEqual({
        topics: [
          {
            name: 'orders',
            numPartitions: 3,
            replicationFactor: 1,
            assignments: [{ partitionIndex: 0, brokerIds: [1] }],
            configs: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
        timeoutMs: 5000,
        validateOnly: v >= 1,
      });
    }
  });

  it('InitProducerId v0-1', async () => {
    for (let v = 0; v <= 1; v++) {
      expect(await throughOurDecoder('InitProducerId', v, { transactionalId: null, transactionTimeout: 5000 })).toEqual({
        transactionalId: null,
        transactionTimeoutMs: 5000,
        producerId: -1n,
        producerEpoch: -1,
      });
    }
  });

  it('DeleteTopics v0-1, CreatePartitions v0-1, DescribeConfigs v0-2, FindCoordinator v0-2', async () => {
    for (let v = 0; v <= 1; v++) {
      expect((await throughOurDecoder('DeleteTopics', v, { topics: ['a', 'b'], timeout: 5000 })).topicNames).toEqual(['a', 'b']);
      const partitions = await throughOurDecoder('CreatePartitions', v, {
        topicPartitions: [{ topic: 't', count: 6, assignments: [[1], [1]] }],
        timeout: 5000,
        validateOnly: false,
      });
      expect(partitions.topics).toEqual([{ name: 't', count: 6, assignments: [{ brokerIds: [1] }, { brokerIds: [1] }] }]);
    }
    for (let v = 0; v <= 2; v++) {
      const configs = await throughOurDecoder('DescribeConfigs', v, {
        resources: [{ type: 2, name: 't', configNames: ['retention.ms'] }],
        includeSynonyms: true,
      });
      expect(configs.resources).toEqual([{ resourceType: 2, resourceName: 't', configurationKeys: ['retention.ms'] }]);
      expect(configs.includeSynonyms).toBe(v >= 1);
      const coordinator = await throughOurDecoder('GroupCoordinator', v, { groupId: 'g', coordinatorType: 0 });
      expect(coordinator).toMatchObject({ key: 'g', keyType: 0, coordinatorKeys: [] });
    }
  });
});

describe('our response encoder, kafkajs response decoders', () => {
  it('Metadata v0-6', async () => {
    for (let v = 0; v <= 6; v++) {
      const frame = encodeResponse(Metadata, v, 123, {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
        clusterId: 'sluice-cluster',
        controllerId: 1,
        topics: [
          {
            errorCode: 0,
            name: 'orders',
            isInternal: false,
            partitions: [0, 1].map((p) => ({ errorCode: 0, partitionIndex: p, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] })),
          },
        ],
      });
      const got = await throughKafkajsDecoder('Metadata', frame, v);
      expect(got.brokers).toEqual([{ nodeId: 1, host: 'localhost', port: 9092, ...(v >= 1 ? { rack: null } : {}) }]);
      if (v >= 1) expect(got.controllerId).toBe(1);
      if (v >= 2) expect(got.clusterId).toBe('sluice-cluster');
      expect(got.topicMetadata).toHaveLength(1);
      expect(got.topicMetadata[0]).toMatchObject({ topicErrorCode: 0, topic: 'orders' });
      expect(got.topicMetadata[0].partitionMetadata).toEqual(
        [0, 1].map((p) => ({ partitionErrorCode: 0, partitionId: p, leader: 1, replicas: [1], isr: [1], ...(v >= 5 ? { offlineReplicas: [] } : {}) })),
      );
    }
  });

  it('ApiVersions v0-2', async () => {
    const apiKeys = APIS.map((api) => ({ apiKey: api.apiKey, minVersion: 0, maxVersion: parseVersions(api.request.validVersions).max }));
    for (let v = 0; v <= 2; v++) {
      const got = await throughKafkajsDecoder('ApiVersions', encodeResponse(ApiVersions, v, 123, { errorCode: 0, apiKeys, throttleTimeMs: 0 }), v);
      expect(got.errorCode).toBe(0);
      expect(got.apiVersions).toEqual(apiKeys);
    }
  });

  it('Produce v0-7', async () => {
    for (let v = 0; v <= 7; v++) {
      const frame = encodeResponse(Produce, v, 123, {
        responses: [{ name: 't', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 42n, logAppendTimeMs: -1n, logStartOffset: 0n }] }],
        throttleTimeMs: 0,
      });
      const got = await throughKafkajsDecoder('Produce', frame, v);
      expect(got.topics[0].topicName).toBe('t');
      // kafkajs's names: offset (and timestamp) up to v2, baseOffset and logAppendTime from v3.
      const fields = v < 3 ? { offset: '42', ...(v === 2 ? { timestamp: '-1' } : {}) } : { baseOffset: '42', logAppendTime: '-1' };
      expect(got.topics[0].partitions[0]).toEqual({ partition: 2, errorCode: 0, ...fields, ...(v >= 5 ? { logStartOffset: '0' } : {}) });
    }
  });

  it('Fetch v4-11: kafkajs reads the records of a stored batch; v0-3 an empty record set', async () => {
    const batch = encodeBatch({
      baseOffset: 40,
      records: [
        { key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [], timestamp },
        { key: null, value: Buffer.from('v1'), headers: [{ key: 'h', value: Buffer.from('x') }], timestamp: timestamp + 1 },
      ],
    });
    for (let v = 0; v <= 11; v++) {
      const frame = encodeResponse(Fetch, v, 123, {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses: [
          {
            topic: 't',
            partitions: [
              {
                partitionIndex: 0,
                errorCode: 0,
                highWatermark: 42n,
                lastStableOffset: 42n,
                logStartOffset: 0n,
                abortedTransactions: null,
                records: v >= 4 ? batch : Buffer.alloc(0),
              },
            ],
          },
        ],
      });
      const got = await throughKafkajsDecoder('Fetch', frame, v);
      expect(got.responses[0].topicName).toBe('t');
      const partition = got.responses[0].partitions[0];
      expect(partition).toMatchObject({ partition: 0, errorCode: 0, highWatermark: '42' });
      if (v >= 4) expect(partition.lastStableOffset).toBe('42');
      if (v >= 11) expect(partition.preferredReadReplica).toBe(-1);
      const messages = partition.messages.map((m: { offset: string; key: Buffer | null; value: Buffer; headers: object }) => [
        m.offset,
        m.key?.toString() ?? null,
        m.value.toString(),
        m.headers,
      ]);
      expect(messages).toEqual(v >= 4 ? [['40', 'k0', 'v0', {}], ['41', null, 'v1', { h: Buffer.from('x') }]] : []);
    }
  });

  it('ListOffsets v0-3', async () => {
    for (let v = 0; v <= 3; v++) {
      const frame = encodeResponse(ListOffsets, v, 123, {
        // v0 answers with an array of offsets, v1+ with one: setting the other is refused.
        topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, ...(v === 0 ? { oldStyleOffsets: [17n] } : { timestamp: -1n, offset: 17n }) }] }],
      });
      const got = await throughKafkajsDecoder('ListOffsets', frame, v);
      expect(got.responses[0].topic).toBe('t');
      expect(got.responses[0].partitions[0]).toEqual(
        v === 0 ? { partition: 0, errorCode: 0, offsets: ['17'] } : { partition: 0, errorCode: 0, timestamp: '-1', offset: '17' },
      );
    }
  });

  it('CreateTopics v0-3', async () => {
    for (let v = 0; v <= 3; v++) {
      const frame = encodeResponse(CreateTopics, v, 123, {
        topics: [
          { name: 'b', errorCode: KafkaErrors.TOPIC_ALREADY_EXISTS.code, errorMessage: 'exists' },
          { name: 'a', errorCode: 0, errorMessage: null },
        ],
      });
      const got = await throughKafkajsDecoder('CreateTopics', frame, v);
      expect(got.topicErrors).toEqual([
        { topic: 'a', errorCode: 0, ...(v >= 1 ? { errorMessage: null } : {}) },
        { topic: 'b', errorCode: 36, ...(v >= 1 ? { errorMessage: 'exists' } : {}) },
      ]);
    }
  });

  it('InitProducerId v0-1', async () => {
    for (let v = 0; v <= 1; v++) {
      const frame = encodeResponse(InitProducerId, v, 123, { throttleTimeMs: 0, errorCode: 0, producerId: 9_007_199_254_740_993n, producerEpoch: 3 });
      expect(await throughKafkajsDecoder('InitProducerId', frame, v)).toMatchObject({
        errorCode: 0,
        producerId: '9007199254740993',
        producerEpoch: 3,
      });
    }
  });

  it('FindCoordinator v0-2, DescribeConfigs v0-2', async () => {
    for (let v = 0; v <= 2; v++) {
      const coordinator = await throughKafkajsDecoder(
        'GroupCoordinator',
        encodeResponse(FindCoordinator, v, 123, { errorCode: 0, errorMessage: null, nodeId: 1, host: 'localhost', port: 9092 }),
        v,
      );
      expect(coordinator.coordinator).toEqual({ nodeId: 1, host: 'localhost', port: 9092 });
      const configs = await throughKafkajsDecoder(
        'DescribeConfigs',
        encodeResponse(DescribeConfigs, v, 123, {
          results: [
            {
              errorCode: 0,
              errorMessage: null,
              resourceType: 2,
              resourceName: 't',
              // IsDefault is v0's, ConfigSource v1+'s: neither is ignorable, so each only where it exists.
              configs: [{ name: 'retention.ms', value: '604800000', readOnly: false, isSensitive: false, ...(v === 0 ? { isDefault: true } : { configSource: 5 }) }],
            },
          ],
        }),
        v,
      );
      expect(configs.resources[0]).toMatchObject({ errorCode: 0, resourceType: 2, resourceName: 't' });
      expect(configs.resources[0].configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '604800000', readOnly: false, isSensitive: false });
    }
  });
});

// ---- bad input ----

describe('bad input', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const batch = encodeBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from('v'), headers: [], timestamp }] });
  const samples: [MessageSpec, number, Buffer][] = [
    [ApiVersions.response, 3, encode(ApiVersions.response, 3, { apiKeys: [{ apiKey: 3, maxVersion: 12 }], finalizedFeaturesEpoch: 1n, zkMigrationReady: true })],
    [
      Metadata.response,
      12,
      encode(Metadata.response, 12, {
        brokers: [{ nodeId: 1, host: 'h', port: 9092 }],
        clusterId: 'c',
        topics: [{ name: null, topicId: 'ab'.repeat(16), partitions: [{ partitionIndex: 0, replicaNodes: [1], isrNodes: [1] }] }],
      }),
    ],
    [Metadata.response, 1, encode(Metadata.response, 1, { brokers: [{ nodeId: 1, host: 'h', port: 1 }], topics: [{ name: 't', partitions: [{ replicaNodes: [1] }] }] })],
    [Produce.request, 9, encode(Produce.request, 9, { acks: 1, topicData: [{ name: 't', partitionData: [{ index: 0, records: batch }] }] })],
    [
      Fetch.response,
      12,
      encode(Fetch.response, 12, {
        responses: [{ topic: 't', partitions: [{ highWatermark: 1n, divergingEpoch: { epoch: 1, endOffset: 2n }, abortedTransactions: [], records: batch }] }],
      }),
    ],
    [Fetch.request, 15, encode(Fetch.request, 15, { replicaState: { replicaId: 1 }, topics: [{ topicId: 'cd'.repeat(16), partitions: [{ fetchOffset: 5n }] }] })],
    [CreateTopics.response, 5, encode(CreateTopics.response, 5, { topics: [{ name: 't', topicConfigErrorCode: 1, configs: [{ name: 'a', value: null }] }] })],
    [ListOffsets.response, 0, encode(ListOffsets.response, 0, { topics: [{ name: 't', partitions: [{ oldStyleOffsets: [1n, 2n] }] }] })],
    [DeleteTopics.request, 6, encode(DeleteTopics.request, 6, { topics: [{ name: null, topicId: 'ef'.repeat(16) }] })],
    [CreatePartitions.request, 3, encode(CreatePartitions.request, 3, { topics: [{ name: 't', count: 2, assignments: null }] })],
  ];

  it('a buffer cut at any point is a ProtocolError', () => {
    for (const [message, version, full] of samples) {
      expect(decode(message, version, full).bytesRead).toBe(full.length);
      for (let cut = 0; cut < full.length; cut++) {
        expectProtocolError(() => decode(message, version, full.subarray(0, cut)), /truncated|declared with/);
      }
    }
  });

  it('a hostile length fails before anything of that size is allocated', () => {
    const allocations: number[] = [];
    for (const method of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[method].bind(Buffer) as (size: number) => Buffer;
      vi.spyOn(Buffer, method).mockImplementation(((size: number, ...rest: unknown[]) => {
        allocations.push(size);
        return (original as (...args: unknown[]) => Buffer)(size, ...rest);
      }) as never);
    }
    const hostile: [MessageSpec, number, Buffer, RegExp][] = [
      // int32 array count 2^31-1 with nothing after it
      [Metadata.request, 1, bytes('7fffffff'), /2147483647 elements declared with 0 bytes left/],
      // compact count: uvarint 2^32-1, so 2^32-2 elements
      [Metadata.request, 9, bytes('ffffffff0f'), /4294967294 elements declared/],
      // a string of 32767 bytes with 1 there
      [Metadata.request, 1, bytes('00000001 7fff 61'), /truncated.*needs 32767 bytes, 1 left/],
      // a compact string longer than Kafka allows
      [ApiVersions.request, 3, bytes('ffff03'), /string of 65534 bytes/],
      // records of 2^31-1 bytes
      [Produce.request, 3, bytes('ffff 0001 00000000 00000001 0001 "t" 00000001 00000000 7fffffff 00'), /needs 2147483647 bytes/],
      // 2^32-1 tagged fields, and one tagged field of 2^32-1 bytes
      [ApiVersions.response, 3, bytes('0000 01 00000000 ffffffff0f'), /tagged fields declared/],
      [ApiVersions.response, 3, bytes('0000 01 00000000 01 01 ffffffff0f 00'), /needs 4294967295 bytes/],
    ];
    for (const [message, version, buf, problem] of hostile) {
      const start = performance.now();
      expectProtocolError(() => decode(message, version, buf), problem);
      expect(performance.now() - start).toBeLessThan(50);
    }
    expect(allocations.filter((size) => size > 1 << 16)).toEqual([]);
  });

  it('a negative length other than -1, and a null where none is allowed, are refused', () => {
    expectProtocolError(() => decode(Metadata.request, 1, bytes('fffffffe')), /negative length -2/);
    expectProtocolError(() => decode(Metadata.request, 0, bytes('ffffffff')), /null in a non-nullable field/);
    expectProtocolError(() => decode(Metadata.request, 1, bytes('00000001 ffff')), /null in a non-nullable field/);
    expectProtocolError(() => decode(Metadata.request, 9, bytes('ffffffffff')), /longer than 32 bits/);
    expectProtocolError(() => decode(Metadata.request, 0, Buffer.alloc(4), 5), /offset 5 is outside/);
  });

  it('random bytes decode or throw ProtocolError, for every message and version', () => {
    const targets = MESSAGES.flatMap((m) => versionsOf(m).map((v) => [m, v] as const));
    fc.assert(
      fc.property(fc.constantFrom(...targets), fc.uint8Array({ maxLength: 96 }), ([message, version], raw) => {
        decodeOrRefuse(message, version, Buffer.from(raw));
      }),
      { numRuns: 5000, seed: 14 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
        try {
          decodeRequestHeader(Buffer.from(raw));
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 2000, seed: 15 },
    );
  });

  it('valid encodings with bytes flipped, cut, inserted or deleted decode or throw ProtocolError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), ([message, version, full], edits) => {
        decodeOrRefuse(message, version, mutate(full, edits));
      }),
      { numRuns: 3000, seed: 16 },
    );
  });
});

describe('encoding refuses what the version cannot carry', () => {
  it("a non-default field the version lacks, unless it is ignorable (Kafka's rule)", () => {
    expectProtocolError(
      () => encode(Metadata.request, 3, { topics: [], allowAutoTopicCreation: false }),
      /MetadataRequest v3: allowAutoTopicCreation: not in this version, and not ignorable/,
    );
    // At its default it may be there: a decoded value of any version re-encodes.
    expect(encode(Metadata.request, 3, { topics: [], allowAutoTopicCreation: true })).toEqual(encode(Metadata.request, 3, { topics: [] }));
    // Ignorable: dropped.
    expect(encode(Metadata.response, 0, { throttleTimeMs: 100, clusterId: 'x' })).toEqual(encode(Metadata.response, 0, {}));
  });

  it('values out of range or of the wrong type, with the path to them', () => {
    expectProtocolError(
      () => encode(Metadata.response, 1, { topics: [{ name: 't', partitions: [{}, { errorCode: 40_000 }] }] }),
      /MetadataResponse v1: topics\[0\]\.partitions\[1\]\.errorCode: expected an int16, got 40000/,
    );
    expectProtocolError(() => encode(Metadata.request, 0, { topics: null }), /topics: null in a non-nullable field/);
    expectProtocolError(() => encode(Produce.response, 0, { responses: [{ partitionResponses: [{ baseOffset: 2n ** 63n }] }] }), /expected an int64/);
    expectProtocolError(() => encode(Produce.response, 0, { responses: [{ partitionResponses: [{ baseOffset: 0.5 }] }] }), /expected an int64/);
    expectProtocolError(() => encode(Metadata.response, 12, { topics: [{ topicId: 'not-a-uuid' }] }), /expected a UUID/);
    expectProtocolError(() => encode(Metadata.request, 1, { topics: [{ name: 'x'.repeat(40_000) }] }), /string of 40000 bytes/);
    expectProtocolError(() => encode(Metadata.request, 1, { topics: 'a' as never }), /expected an array/);
    expectProtocolError(() => encode(Produce.request, 3, { topicData: [{ partitionData: [{ records: 'x' as never }] }] }), /expected a Buffer/);
    expectProtocolError(() => encode(Metadata.request, 13, {}), /MetadataRequest has no version 13/);
    expectProtocolError(() => decode(Metadata.request, 1.5, Buffer.alloc(4)), /has no version 1.5/);
  });

  it('a tagged field at its default stays off the wire', () => {
    const plain = encode(ApiVersions.response, 3, {});
    expect(encode(ApiVersions.response, 3, { finalizedFeaturesEpoch: -1n, zkMigrationReady: false, supportedFeatures: [] })).toEqual(plain);
    expect(encode(Fetch.response, 12, { responses: [{ partitions: [{ currentLeader: { leaderId: -1 } }] }] })).toEqual(
      encode(Fetch.response, 12, { responses: [{ partitions: [{}] }] }),
    );
  });
});

// ---- error codes ----

describe("Kafka's error codes", () => {
  const kafkajsErrors = (require('kafkajs/src/protocol/error.js') as { errorCodes: { code: number; retriable: boolean }[] }).errorCodes;

  it('has one entry per name and code, found by code', () => {
    const all = Object.values(KafkaErrors);
    expect(new Set(all.map((e) => e.code)).size).toBe(all.length);
    expect(kafkaErrorByCode(3)).toEqual({ name: 'UNKNOWN_TOPIC_OR_PARTITION', code: 3, retriable: true });
    expect(kafkaErrorByCode(35)).toBe(KafkaErrors.UNSUPPORTED_VERSION);
    expect(kafkaErrorByCode(9999)).toBeUndefined();
  });

  it("agrees with kafkajs's table on retriable, for every code both have", () => {
    const shared = Object.values(KafkaErrors).flatMap((e) => {
      const theirs = kafkajsErrors.find((k) => k.code === e.code);
      return theirs ? [[e.code, e.retriable, theirs.retriable]] : [];
    });
    expect(shared.length).toBeGreaterThan(45);
    for (const [code, ours, theirs] of shared) expect([code, ours]).toEqual([code, theirs]);
  });
});
