/**
 * The event a trigger hands a function (lib/trigger/event.ts): Lambda's self-managed Kafka
 * event, read unchanged by a handler typed with `aws-lambda`'s types and by Powertools'
 * Kafka utility, and eventBytes as an upper estimate of what each record adds to it.
 */
import { Buffer } from 'node:buffer';
import { kafkaConsumer } from '@aws-lambda-powertools/kafka';
import type { Context, SelfManagedKafkaEvent, SelfManagedKafkaRecord, SelfManagedKafkaRecordHeader } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventBytes, kafkaEvent, type KafkaEvent, type TriggerRecord } from '../../lib/trigger/event.ts';

const T0 = 1_700_000_000_000;

function record(overrides: Partial<TriggerRecord> = {}): TriggerRecord {
  return { topic: 'orders', partition: 0, offset: 0, timestamp: T0, key: null, value: null, headers: {}, ...overrides };
}

/** What a function receives: Lambda hands it the event as JSON, not the object the dispatcher built. */
function asDelivered(event: KafkaEvent): unknown {
  return JSON.parse(JSON.stringify(event)) as unknown;
}

const context = { functionName: 'f', awsRequestId: 'r', getRemainingTimeInMillis: () => 3_000 } as unknown as Context;

/** Runs a handler wrapped by Powertools' kafkaConsumer on the event and answers the records it saw. */
async function throughPowertools(event: KafkaEvent, config?: Parameters<typeof kafkaConsumer>[1]) {
  let seen: Array<{ key: unknown; value: unknown; headers?: unknown; topic: string; partition: number; offset: number; timestamp: number; timestampType: string }> = [];
  const handler = kafkaConsumer(async (e) => {
    // The getters run here, inside the handler, as a user's code would read them.
    seen = e.records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      timestampType: r.timestampType,
    }));
    return { batchItemFailures: [] };
  }, config);
  const answer = await handler(asDelivered(event) as Parameters<typeof handler>[0], context);
  expect(answer).toEqual({ batchItemFailures: [] });
  return seen;
}

describe('kafkaEvent: the shape Lambda gives a self-managed Kafka function', () => {
  it('groups records under "<topic>-<partition>", in offset order, with the event source and bootstrap servers', () => {
    const event = kafkaEvent(
      [
        record({ topic: 'orders', partition: 0, offset: 5 }),
        record({ topic: 'orders', partition: 1, offset: 0 }),
        record({ topic: 'orders', partition: 0, offset: 6 }),
        record({ topic: 'my-topic', partition: 12, offset: 3 }),
      ],
      'b-1.example:9092,b-2.example:9092',
    );
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event.bootstrapServers).toBe('b-1.example:9092,b-2.example:9092');
    expect(Object.keys(event.records).sort()).toEqual(['my-topic-12', 'orders-0', 'orders-1']);
    expect(event.records['orders-0']!.map((r) => r.offset)).toEqual([5, 6]);
    expect(event.records['orders-1']!.map((r) => [r.topic, r.partition, r.offset])).toEqual([['orders', 1, 0]]);
    expect(event.records['my-topic-12']!.map((r) => [r.topic, r.partition])).toEqual([['my-topic', 12]]);
  });

  it('gives each record its coordinates, CREATE_TIME, key and value in base64 and headers as byte arrays', () => {
    const value = Buffer.from([0x00, 0xff, 0x80, 0x7f, 0x0a]); // not UTF-8: base64 must carry it exactly
    const event = kafkaEvent(
      [
        record({
          offset: 41,
          timestamp: T0 + 7,
          key: Buffer.from('user-1'),
          value,
          headers: { 'trace-id': Buffer.from('ab'), empty: Buffer.alloc(0) },
        }),
      ],
      'localhost:9092',
    );
    expect(event.records['orders-0']).toEqual([
      {
        topic: 'orders',
        partition: 0,
        offset: 41,
        timestamp: T0 + 7,
        timestampType: 'CREATE_TIME',
        key: Buffer.from('user-1').toString('base64'),
        value: value.toString('base64'),
        headers: [{ 'trace-id': [97, 98] }, { empty: [] }],
      },
    ]);
    expect(Buffer.from(event.records['orders-0']![0]!.value!, 'base64')).toEqual(value);
  });

  it('leaves a null key and a null value (a tombstone) out of the record, as Lambda does', () => {
    const event = kafkaEvent([record({ key: null, value: null })], '');
    const [delivered] = (asDelivered(event) as { records: Record<string, Array<Record<string, unknown>>> }).records['orders-0']!;
    expect(delivered).not.toHaveProperty('key');
    expect(delivered).not.toHaveProperty('value');
    expect(delivered!.headers).toEqual([]);
  });

  it('keeps an empty key or value as an empty string, apart from a null one', () => {
    const [r] = kafkaEvent([record({ key: Buffer.alloc(0), value: Buffer.alloc(0) })], '').records['orders-0']!;
    expect(r!.key).toBe('');
    expect(r!.value).toBe('');
  });

  it('has no records for no records', () => {
    expect(kafkaEvent([], 'x:9092')).toEqual({ eventSource: 'SelfManagedKafka', bootstrapServers: 'x:9092', records: {} });
  });

  it("type-checks against aws-lambda's SelfManagedKafkaEvent, but for a key and value that may be absent", () => {
    // aws-lambda's types say key and value are always strings; Lambda leaves them out when
    // null. Everything else must line up field for field, so a handler typed with those types
    // reads Sluice's event. (tsc checks this assignment; it is the test.)
    type LambdaRecord = Readonly<Omit<SelfManagedKafkaRecord, 'key' | 'value' | 'headers'>> & {
      readonly key?: SelfManagedKafkaRecord['key'];
      readonly value?: SelfManagedKafkaRecord['value'];
      readonly headers: ReadonlyArray<Readonly<SelfManagedKafkaRecordHeader>>;
    };
    type LambdaEvent = Readonly<Omit<SelfManagedKafkaEvent, 'records'>> & { readonly records: Readonly<Record<string, readonly LambdaRecord[]>> };
    const event: LambdaEvent = kafkaEvent([record({ key: Buffer.from('k'), value: Buffer.from('v') })], 'localhost:9092');
    expect(event.eventSource).toBe('SelfManagedKafka');
    // And a record with both key and value, read through the exact aws-lambda type.
    const strict = event.records['orders-0']![0]! as SelfManagedKafkaRecord;
    expect([strict.key, strict.value, strict.timestampType]).toEqual(['aw==', 'dg==', 'CREATE_TIME']);
  });
});

describe("Powertools' kafkaConsumer reads the event unchanged", () => {
  const records = [
    record({ offset: 10, key: Buffer.from('user-1'), value: Buffer.from('hello'), headers: { 'trace-id': Buffer.from('abc'), source: Buffer.from('web') } }),
    record({ offset: 11, key: null, value: Buffer.from('no key') }),
    record({ offset: 12, key: Buffer.from('user-1'), value: null }), // a tombstone
    record({ partition: 3, offset: 0, key: Buffer.from('user-9'), value: Buffer.from('élan ✓') }),
  ];

  it('decodes keys, values and headers as UTF-8 strings by default', async () => {
    const seen = await throughPowertools(kafkaEvent(records, 'localhost:9092'));
    expect(seen).toEqual([
      { key: 'user-1', value: 'hello', headers: [{ 'trace-id': 'abc' }, { source: 'web' }], topic: 'orders', partition: 0, offset: 10, timestamp: T0, timestampType: 'CREATE_TIME' },
      { key: undefined, value: 'no key', headers: [], topic: 'orders', partition: 0, offset: 11, timestamp: T0, timestampType: 'CREATE_TIME' },
      { key: 'user-1', value: undefined, headers: [], topic: 'orders', partition: 0, offset: 12, timestamp: T0, timestampType: 'CREATE_TIME' },
      { key: 'user-9', value: 'élan ✓', headers: [], topic: 'orders', partition: 3, offset: 0, timestamp: T0, timestampType: 'CREATE_TIME' },
    ]);
  });

  it('parses JSON values with value: { type: "json" }, a tombstone read as absent without an error', async () => {
    const event = kafkaEvent(
      [
        record({ offset: 1, key: Buffer.from('order-1'), value: Buffer.from(JSON.stringify({ id: 1, items: ['a', 'b'], paid: true })) }),
        record({ offset: 2, key: Buffer.from('order-1'), value: null }),
        record({ offset: 3, key: null, value: Buffer.from('[1,2,3]') }),
      ],
      'localhost:9092',
    );
    const seen = await throughPowertools(event, { value: { type: 'json' } });
    expect(seen.map((r) => [r.key, r.value])).toEqual([
      ['order-1', { id: 1, items: ['a', 'b'], paid: true }],
      ['order-1', undefined],
      [undefined, [1, 2, 3]],
    ]);
  });

  it('parses JSON keys too with key: { type: "json" }', async () => {
    const event = kafkaEvent([record({ key: Buffer.from('{"tenant":"t1","id":7}'), value: Buffer.from('"x"') })], '');
    const seen = await throughPowertools(event, { key: { type: 'json' }, value: { type: 'json' } });
    expect(seen.map((r) => [r.key, r.value])).toEqual([[{ tenant: 't1', id: 7 }, 'x']]);
  });
});

describe('eventBytes: what a record adds to the event, estimated from above', () => {
  /** The event's JSON without its records: what eventBytes leaves to the dispatcher's margin under 6 MB. */
  const envelopeBytes = (event: KafkaEvent): number =>
    Buffer.byteLength(JSON.stringify({ ...event, records: Object.fromEntries(Object.keys(event.records).map((k) => [k, []])) }));
  const jsonBytes = (event: KafkaEvent): number => Buffer.byteLength(JSON.stringify(event));

  // Kafka's legal topic names; header names as clients write them (printable ASCII, no quote or backslash).
  const topicArb = fc.stringMatching(/^[a-zA-Z0-9._-]{1,249}$/);
  const headerNameArb = fc.stringMatching(/^[ !#-[\]-~]{0,40}$/);
  const bytesArb = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
  const recordArb = fc.record({
    topic: topicArb,
    partition: fc.integer({ min: 0, max: 999 }),
    offset: fc.maxSafeNat(),
    timestamp: fc.maxSafeNat(),
    key: fc.option(bytesArb(64), { nil: null }),
    value: fc.option(bytesArb(600), { nil: null }),
    headers: fc.dictionary(headerNameArb, bytesArb(40), { maxKeys: 6 }),
  });

  it('is at least the JSON bytes the records add, for varied records', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 1, maxLength: 8 }), fc.stringMatching(/^[a-z0-9.:,-]{0,80}$/), (records, servers) => {
        const event = kafkaEvent(records, servers);
        const estimate = records.reduce((sum, r) => sum + eventBytes(r), 0);
        expect(jsonBytes(event) - envelopeBytes(event)).toBeLessThanOrEqual(estimate);
      }),
      { numRuns: 300 },
    );
  });

  it('bounds the whole event once it holds a few records of one partition (the margin covers the envelope)', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { minLength: 4, maxLength: 20 }), (records) => {
        // One partition of a short topic, as the dispatcher sends, with small offsets.
        const one = records.map((r, i) => ({ ...r, topic: 'orders', partition: 0, offset: i, timestamp: T0 }));
        const event = kafkaEvent(one, 'localhost:9092');
        expect(jsonBytes(event)).toBeLessThanOrEqual(one.reduce((sum, r) => sum + eventBytes(r), 0));
      }),
      { numRuns: 200 },
    );
  });

  it('grows with the key, value and headers, so a large record is not counted as small', () => {
    const big = record({ value: Buffer.alloc(1_000_000, 1), headers: { h: Buffer.alloc(10_000, 200) } });
    const bytes = jsonBytes(kafkaEvent([big], ''));
    expect(eventBytes(big)).toBeGreaterThanOrEqual(bytes - envelopeBytes(kafkaEvent([big], '')));
    expect(eventBytes(big)).toBeLessThan(bytes * 1.1);
  });

  // BUG (lib/trigger/event.ts eventBytes): a header name is counted by its UTF-16 length,
  // but it goes into the JSON as UTF-8 and escaped: 'é' is 2 bytes, '€' 3, a control
  // character 6 ("\u0001"), a quote 2. The per-record slack (160 bytes of fixed fields)
  // absorbs a few such characters, not a name of 100: a header named 'é' x 100 adds 322
  // bytes to the event while eventBytes says 278 (30 control characters: 302 against 208),
  // so a batch of such records can pass the 6 MB limit the estimate is there to keep.
  it('counts a non-ASCII or escaped header name by its bytes in the JSON', () => {
    for (const name of ['é'.repeat(100), '€'.repeat(50), '\u0001'.repeat(30), '"'.repeat(120)]) {
      const r = record({ headers: { [name]: Buffer.from('x') } });
      const event = kafkaEvent([r], '');
      expect(jsonBytes(event) - envelopeBytes(event), JSON.stringify(name)).toBeLessThanOrEqual(eventBytes(r));
    }
  });
});
