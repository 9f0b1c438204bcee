/** The partition log against DynamoDB Local and the S3 emulator, with injected faults. */
import { DeleteItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RecordInput } from '../../lib/core/codec/record-batch.ts';
import type { Storage } from '../../lib/storage/index.ts';
import { partitionKey } from '../../lib/storage/log.ts';
import { recordsFrom, runLater } from '../support/seal-records.ts';
import { call, createApi, randomName, sameTables, testStorage } from '../support/stack.ts';

const records = (...values: string[]): RecordInput[] =>
  values.map((v) => ({ key: null, value: Buffer.from(v), headers: [], timestamp: Date.now() }));

/**
 * Lets the next `count` PutItem calls reach DynamoDB, then loses their replies: the
 * caller sees an error although the item was written.
 */
function loseNextPutReplies(storage: Storage, count: number, errorName: string): () => number {
  let lost = 0;
  storage.clients.dynamodb.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      if (args.input && 'ConditionExpression' in (args.input as object) && lost < count && (args.input as { Item?: unknown }).Item) {
        lost++;
        throw Object.assign(new Error('reply lost (injected)'), { name: errorName, $metadata: {} });
      }
      return result;
    },
    { step: 'deserialize', name: `loseReplies-${Math.random()}` },
  );
  return () => lost;
}

/** Throttles the next `count` calls of `command` before they reach DynamoDB. */
function throttleNext(storage: Storage, command: string, count: number, name = 'ProvisionedThroughputExceededException'): () => number {
  let throttled = 0;
  storage.clients.dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command && throttled < count) {
        throttled++;
        throw Object.assign(new Error(`${name} (injected)`), {
          name,
          $metadata: { httpStatusCode: 400 },
        });
      }
      return next(args);
    },
    { step: 'deserialize', name: `throttle-${Math.random()}` },
  );
  return () => throttled;
}

async function itemCount(storage: Storage, topicId: string, partition: number): Promise<number> {
  const page = await storage.clients.dynamodb.send(
    new QueryCommand({
      TableName: storage.config.tables.log,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': { S: partitionKey(topicId, partition) } },
      ConsistentRead: true,
    }),
  );
  return page.Count ?? 0;
}

async function readAll(storage: Storage, topicId: string, partition: number): Promise<string[]> {
  const { records: read } = await storage.log.read(topicId, partition, 0, { maxRecords: 10_000, maxBytes: 64 << 20 });
  return read.map((r) => `${r.offset}:${r.value?.toString()}`);
}

describe('partition log', () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await testStorage();
  });
  afterAll(() => storage.destroy());

  async function newTopic(partitions = 1) {
    return storage.topics.create(randomName(), partitions);
  }

  it('a consumer waiting at the log end pays half a read unit per look, and still sees what is appended next', async () => {
    const topic = await storage.topics.create(randomName(), 1);
    await storage.log.append(topic.topicId, 0, records('a', 'b', 'c'));
    for (const reader of [storage, sameTables(storage.config)]) {
      // A reader that has read to the end (the writer knows it from its append).
      const first = await reader.log.read(topic.topicId, 0, 0, { maxRecords: 100, maxBytes: 1 << 20 });
      expect(first.records).toHaveLength(3);
      const before = reader.usage.readUnits;
      for (let look = 0; look < 20; look++) {
        const empty = await reader.log.read(topic.topicId, 0, 3, { maxRecords: 100, maxBytes: 1 << 20 });
        expect(empty).toEqual({ records: [], nextOffset: 3, highWatermark: 3, logStartOffset: 0 });
      }
      expect((reader.usage.readUnits - before) / 20, 'read units per empty look').toBeLessThanOrEqual(0.5);
    }
    await storage.log.append(topic.topicId, 0, records('d'));
    const cold = sameTables(storage.config);
    await cold.log.read(topic.topicId, 0, 0, { maxRecords: 100, maxBytes: 1 << 20 });
    // Another container appends during the long poll: a later look finds it.
    const polling = cold.log.read(topic.topicId, 0, 4, { maxRecords: 100, maxBytes: 1 << 20, waitMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await storage.log.append(topic.topicId, 0, records('e'));
    expect((await polling).records.map((r) => r.value!.toString())).toEqual(['e']);
    cold.destroy();
  });

  it('a lost reply retried by the SDK meets its own item: acknowledged once, not duplicated', async () => {
    const topic = await newTopic();
    const lost = loseNextPutReplies(storage, 1, 'TimeoutError');
    const result = await storage.log.append(topic.topicId, 0, records('a', 'b'));
    expect(lost()).toBe(1);
    expect(result.baseOffset).toBe(0);
    await storage.log.append(topic.topicId, 0, records('c'));
    expect(await readAll(storage, topic.topicId, 0)).toEqual(['0:a', '1:b', '2:c']);
    expect(await itemCount(storage, topic.topicId, 0)).toBe(2);
  });

  it('a lost reply the SDK does not retry is retried at the same offset, not appended again', async () => {
    const other = sameTables(storage.config);
    const topic = await newTopic();
    await other.log.append(topic.topicId, 0, records('first'));
    const lost = loseNextPutReplies(other, 1, 'UnknownNetworkError');
    const result = await other.log.append(topic.topicId, 0, records('second'));
    expect(lost()).toBe(1);
    expect(result.baseOffset).toBe(1);
    expect(await readAll(storage, topic.topicId, 0)).toEqual(['0:first', '1:second']);
    other.destroy();
  });

  it("an append throttled past the SDK's own retries is retried by the log and lands once", async () => {
    const other = sameTables(storage.config);
    const topic = await newTopic();
    // The SDK tries each call 3 times: 4 throttles make the first call fail as a whole.
    const throttled = throttleNext(other, 'PutItemCommand', 4);
    const result = await other.log.append(topic.topicId, 0, records('p', 'q'));
    expect(throttled()).toBe(4);
    expect(result.baseOffset).toBe(0);
    expect(await readAll(storage, topic.topicId, 0)).toEqual(['0:p', '1:q']);
    expect(await itemCount(storage, topic.topicId, 0)).toBe(1);
    other.destroy();
  });

  it('throttling that outlasts the retries is a retriable 429 THROTTLED, not a 500', async () => {
    const other = sameTables(storage.config);
    const topic = await newTopic();
    throttleNext(other, 'GetItemCommand', 1_000);
    const api = createApi({ storage: other, log: () => {} });
    const res = await call(api, 'GET', `/v1/topics/${topic.name}`);
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('THROTTLED');
    expect(res.headers['retry-after']).toBe('1');
    other.destroy();
  });

  it("a write that lost to another region's write (MRSC) is a retriable 503 that changed nothing", async () => {
    const other = sameTables(storage.config);
    throttleNext(other, 'PutItemCommand', 1, 'ReplicatedWriteConflictException');
    const api = createApi({ storage: other, log: () => {} });
    const name = `conflict-${Date.now()}`;
    const res = await call(api, 'POST', '/v1/topics', { body: { name, partitions: 1 } });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('1');
    expect((await call(api, 'GET', `/v1/topics/${name}`)).status).toBe(404);
    expect((await call(api, 'POST', '/v1/topics', { body: { name, partitions: 1 } })).status).toBe(201);
    other.destroy();
  });

  it('containers with stale offset caches move past the winners, densely', async () => {
    const a = sameTables(storage.config);
    const b = sameTables(storage.config);
    const topic = await newTopic();
    await a.log.append(topic.topicId, 0, records('a1'));
    await b.log.append(topic.topicId, 0, records('b1', 'b2'));
    // a's cache says 1: one conflict, then the winner's end.
    expect((await a.log.append(topic.topicId, 0, records('a2'))).baseOffset).toBe(3);
    await b.log.append(topic.topicId, 0, records('b3'));
    await b.log.append(topic.topicId, 0, records('b4'));
    // a's cache says 4, two items behind: a second conflict reads the log end.
    expect((await a.log.append(topic.topicId, 0, records('a3'))).baseOffset).toBe(6);
    expect(await readAll(storage, topic.topicId, 0)).toEqual(['0:a1', '1:b1', '2:b2', '3:a2', '4:b3', '5:b4', '6:a3']);
    a.destroy();
    b.destroy();
  });

  it('a reader never skips offsets whose tail items the sealer deleted out of order', async () => {
    const reader = sameTables(storage.config);
    const topic = await newTopic();
    for (const start of [0, 10, 20]) await storage.log.append(topic.topicId, 0, recordsFrom(start, 10, 100));
    // The reader learns the partition while nothing is sealed: its cached sealed offset stays 0.
    expect((await reader.log.read(topic.topicId, 0, 0, { maxRecords: 1, maxBytes: 1 << 20 })).records).toHaveLength(1);
    await runLater(storage, topic.name);
    // A sealer deletes sealed items in any order: the middle one has gone, the others not yet.
    await storage.clients.dynamodb.send(
      new DeleteItemCommand({ TableName: storage.config.tables.log, Key: { pk: { S: partitionKey(topic.topicId, 0) }, offset: { N: '10' } } }),
    );
    const offsets: number[] = [];
    for (let offset = 0; offset < 30; ) {
      const read = await reader.log.read(topic.topicId, 0, offset, { maxRecords: 30, maxBytes: 1 << 20 });
      offsets.push(...read.records.map((r) => r.offset));
      expect(read.nextOffset).toBeGreaterThan(offset);
      offset = read.nextOffset;
    }
    expect(offsets).toEqual(Array.from({ length: 30 }, (_, i) => i));
    reader.destroy();
  });

  it('a batch above the inline limit is stored in S3 behind a pointer and reads back byte for byte', async () => {
    const api = createApi({ storage });
    const topic = await newTopic();
    const value = Buffer.alloc(900_000);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7919) % 251;
    const puts = storage.usage.s3Requests.PutObjectCommand ?? 0;
    const res = await call(api, 'POST', `/v1/topics/${topic.name}/records`, {
      body: { encoding: 'base64', records: [{ key: null, value: value.toString('base64'), partition: 0 }] },
    });
    expect(res.status).toBe(200);
    expect(storage.usage.s3Requests.PutObjectCommand).toBe(puts + 1);
    const fetched = await call(api, 'GET', `/v1/topics/${topic.name}/partitions/0/records`, { query: { offset: '0', encoding: 'base64' } });
    expect(Buffer.from(fetched.body.records[0].value, 'base64').equals(value)).toBe(true);
  });

  it('a long poll at the log end answers the first record appended while it waits', async () => {
    const api = createApi({ storage });
    const topic = await newTopic();
    const path = `/v1/topics/${topic.name}/partitions/0/records`;
    const read = storage.usage.readUnits;
    const waiting = call(api, 'GET', path, { query: { offset: '0', waitMs: '15000' } });
    // Its first read found the log empty: it is waiting now.
    await vi.waitFor(() => expect(storage.usage.readUnits).toBeGreaterThan(read), { interval: 5 });
    await call(api, 'POST', `/v1/topics/${topic.name}/records`, { body: { records: [{ value: 'late', partition: 0 }] } });
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(res.body.records.map((r: { value: string }) => r.value)).toEqual(['late']);
  });

  it('a long poll sees an append made by another container (no in-process wake-up)', async () => {
    const other = sameTables(storage.config);
    const topic = await newTopic();
    const read = storage.usage.readUnits;
    const waiting = storage.log.read(topic.topicId, 0, 0, { maxRecords: 10, maxBytes: 1 << 20, waitMs: 15_000 });
    // Its first read found the log empty: it is polling now.
    await vi.waitFor(() => expect(storage.usage.readUnits).toBeGreaterThan(read), { interval: 5 });
    await other.log.append(topic.topicId, 0, records('elsewhere'));
    expect((await waiting).records.map((r) => r.value?.toString())).toEqual(['elsewhere']);
    other.destroy();
  });

  it('an aborted long poll answers at once with no records', async () => {
    const topic = await newTopic();
    const abort = new AbortController();
    const read = storage.usage.readUnits;
    const waiting = storage.log.read(topic.topicId, 0, 0, { maxRecords: 10, maxBytes: 1 << 20, waitMs: 60_000, signal: abort.signal });
    await vi.waitFor(() => expect(storage.usage.readUnits).toBeGreaterThan(read), { interval: 5 });
    abort.abort();
    const result = await waiting;
    expect(result.records).toEqual([]);
    expect(result.nextOffset).toBe(0);
  });

  it('fetching at the high watermark without waitMs answers no records at once; past it is 416 with both bounds', async () => {
    const api = createApi({ storage });
    const topic = await newTopic();
    await storage.log.append(topic.topicId, 0, records('x', 'y'));
    const path = `/v1/topics/${topic.name}/partitions/0/records`;
    const atEnd = await call(api, 'GET', path, { query: { offset: '2' } });
    expect(atEnd.status).toBe(200);
    expect(atEnd.body).toMatchObject({ records: [], nextOffset: 2, highWatermark: 2, logStartOffset: 0 });
    const past = await call(api, 'GET', path, { query: { offset: '3' } });
    expect(past.status).toBe(416);
    expect(past.body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: 0, highWatermark: 2, offset: 3 });
  });

  it('fetches from the middle of a batch and honours maxRecords and nextOffset', async () => {
    const api = createApi({ storage });
    const topic = await newTopic();
    await storage.log.append(topic.topicId, 0, records('r0', 'r1', 'r2', 'r3'));
    await storage.log.append(topic.topicId, 0, records('r4', 'r5'));
    const res = await call(api, 'GET', `/v1/topics/${topic.name}/partitions/0/records`, { query: { offset: '2', maxRecords: '3' } });
    expect(res.body.records.map((r: { offset: number; value: string }) => `${r.offset}:${r.value}`)).toEqual(['2:r2', '3:r3', '4:r4']);
    expect(res.body).toMatchObject({ nextOffset: 5, highWatermark: 6 });
  });

  it('finds offsets by time, earliest and latest', async () => {
    const api = createApi({ storage });
    const topic = await newTopic();
    const produce = await call(api, 'POST', `/v1/topics/${topic.name}/records`, {
      body: { records: [1000, 2000, 3000].map((timestamp) => ({ value: String(timestamp), timestamp, partition: 0 })) },
    });
    expect(produce.status).toBe(200);
    const at = async (value: string) =>
      (await call(api, 'GET', `/v1/topics/${topic.name}/partitions/0/offsets`, { query: { at: value } })).body;
    expect(await at('1500')).toEqual({ offset: 1, timestamp: 2000 });
    expect(await at('1000')).toEqual({ offset: 0, timestamp: 1000 });
    expect(await at('9000')).toEqual({ offset: 3 });
    expect(await at('earliest')).toEqual({ offset: 0 });
    expect(await at('latest')).toEqual({ offset: 3 });
  });

  it('a caught-up fetch costs a small query, not a read of the last (large) batch', async () => {
    const topic = await newTopic();
    const inline = sameTables(storage.config, { log: { inlineBatchBytes: 350 * 1024 } });
    await inline.log.append(topic.topicId, 0, records('x'.repeat(200_000)));
    inline.destroy();
    const fresh = sameTables(storage.config);
    const limits = { maxRecords: 10, maxBytes: 1 << 20 };
    // The first read pays for the batch (about 49 units of 4 KB, strongly consistent)...
    let before = fresh.usage.readUnits;
    expect((await fresh.log.read(topic.topicId, 0, 0, limits)).records).toHaveLength(1);
    expect(fresh.usage.readUnits - before).toBeGreaterThan(40);
    // ...the next one, at the end of that batch, finds nothing new for a unit or two.
    before = fresh.usage.readUnits;
    const atEnd = await fresh.log.read(topic.topicId, 0, 1, limits);
    expect(atEnd).toMatchObject({ records: [], highWatermark: 1, nextOffset: 1 });
    expect(fresh.usage.readUnits - before).toBeLessThanOrEqual(2);
    fresh.destroy();
  });

  it('a fetch reads only the batches it answers, not a whole page of them', async () => {
    const topic = await newTopic();
    const batch = Array.from({ length: 100 }, (_, i) => `v${i}-${'x'.repeat(190)}`);
    const inline = sameTables(storage.config, { log: { inlineBatchBytes: 350 * 1024 } });
    for (let i = 0; i < 6; i++) await inline.log.append(topic.topicId, 0, records(...batch));
    inline.destroy();
    const fresh = sameTables(storage.config);
    const limits = { maxRecords: 100, maxBytes: 1 << 20 };
    await fresh.log.read(topic.topicId, 0, 0, limits);
    // Each item is about 20 KB: 5 units to read strongly. Reading the next 100 records
    // should read one item (and nothing for the high watermark, seen a moment ago).
    const before = fresh.usage.readUnits;
    const next = await fresh.log.read(topic.topicId, 0, 100, limits);
    expect(next.records).toHaveLength(100);
    expect(next.highWatermark).toBe(600);
    expect(fresh.usage.readUnits - before).toBeLessThanOrEqual(6);
    fresh.destroy();
  });

  it('reports the capacity units each write consumed', async () => {
    const topic = await newTopic();
    const before = storage.usage.writeUnits;
    await storage.log.append(topic.topicId, 0, records('x'.repeat(3000)));
    expect(storage.usage.writeUnits - before).toBeGreaterThanOrEqual(3);
  });
});

