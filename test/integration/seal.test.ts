/** Sealing tail batches into S3 segments, and reading across segments, pointers and inline items. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../lib/storage/index.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import { expectOnlyExpiringBelow, HOUR, recordsFrom, runLater, T0, tailItemsBelow, valueOf } from '../support/seal-records.ts';
import { call, createApi, randomName, sameTables, testStorage } from '../support/stack.ts';

async function readAll(storage: Storage, topicId: string, partition = 0) {
  const out: Array<{ offset: number; value: string; key: string | undefined; timestamp: number }> = [];
  let offset = 0;
  for (;;) {
    const res = await storage.log.read(topicId, partition, offset, { maxRecords: 5000, maxBytes: 4 << 20 });
    for (const r of res.records) out.push({ offset: r.offset, value: r.value!.toString(), key: r.key?.toString(), timestamp: r.timestamp });
    // Until a fetch finds nothing: a container may answer a high watermark up to hwCacheMs old.
    if (res.records.length === 0) return out;
    offset = res.nextOffset;
  }
}

describe('sealing', () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await testStorage();
  });
  afterAll(() => storage.destroy());

  for (const tailCleanup of ['expire', 'delete'] as const) {
    const what = tailCleanup === 'expire' ? 'the sealed tail items left to expire by TTL' : 'the tail emptied by the sealer';
    it(`a fetch from 0 after sealing returns the same records as before; ${what}`, async () => {
      const storage = await testStorage({}, { tailCleanup });
      try {
        await fetchAfterSealing(storage);
      } finally {
        storage.destroy();
      }
    });
  }

  async function fetchAfterSealing(storage: Storage): Promise<void> {
    const topic = await storage.topics.create(randomName(), 1);
    // Small inline batches and large staged ones, interleaved.
    let next = 0;
    for (let i = 0; i < 12; i++) {
      const [count, size] = i % 3 === 0 ? [40, 1000] : [5, 100];
      await storage.log.append(topic.topicId, 0, recordsFrom(next, count, size));
      next += count;
    }
    const before = await readAll(storage, topic.topicId);
    expect(before).toHaveLength(next);

    const report = await runLater(storage, topic.name);
    const pk = partitionKey(topic.topicId, 0);
    if (storage.tail.cleanup.kind === 'expire') {
      expect(report.partitions[0]!.seal).toMatchObject({ segments: 1, records: next, batches: 12, tailItemsDeleted: 0 });
      expect(await tailItemsBelow(storage, pk, next)).toHaveLength(12);
      await expectOnlyExpiringBelow(storage, pk, next);
    } else {
      expect(report.partitions[0]!.seal).toMatchObject({ segments: 1, records: next, batches: 12, tailItemsDeleted: 12 });
      expect(await storage.tail.query({ pk, forward: true, limit: 10 })).toEqual([]);
    }
    // Either way the staged objects are gone: sealed offsets are read from the segment.
    expect(await storage.segments.listObjects(`staged/${topic.topicId}/`)).toEqual([]);

    // A container that saw the tail, and one that saw nothing, read the same.
    expect(await readAll(storage, topic.topicId)).toEqual(before);
    const cold = sameTables(storage.config);
    expect(await readAll(cold, topic.topicId)).toEqual(before);
    expect(await cold.log.bounds(topic.topicId, 0)).toEqual({ logStartOffset: 0, highWatermark: next });

    // Appends after a full seal continue at the sealed end, from a cold container too.
    expect((await cold.log.append(topic.topicId, 0, recordsFrom(next, 2, 10))).baseOffset).toBe(next);
    const after = await readAll(storage, topic.topicId);
    expect(after).toHaveLength(next + 2);
    expect(after.map((r) => r.offset)).toEqual(Array.from({ length: next + 2 }, (_, i) => i));
    cold.destroy();
  }

  it('where tail items expire, the sealer takes them by a quarter of their time to live, whatever segment.ms says', async () => {
    const quick = await testStorage({ tailExpiryMs: 40 * 60_000 });
    try {
      const topic = await quick.topics.create(randomName(), 1, { segmentMs: 7 * 24 * HOUR });
      await quick.log.append(topic.topicId, 0, recordsFrom(0, 5, 10));
      const at = (minutes: number) => () => Date.now() + minutes * 60_000;
      const early = await runJobs(quick, { topic: topic.name, now: at(5), reportDeferred: true });
      expect(early.partitions[0]!.seal).toMatchObject({ segments: 0 });
      expect(early.partitions[0]!.deferred).toEqual([expect.objectContaining({ job: 'seal', records: 5, reason: 'tail.expiry' })]);
      const due = await runJobs(quick, { topic: topic.name, now: at(11) });
      expect(due.partitions[0]!.seal).toMatchObject({ segments: 1, records: 5 });
      await expectOnlyExpiringBelow(quick, partitionKey(topic.topicId, 0), 5);
    } finally {
      quick.destroy();
    }
  });

  it('a second seal makes a second segment after the first; fetches cross from one to the next and into the tail', async () => {
    const topic = await storage.topics.create(randomName(), 1);
    await storage.log.append(topic.topicId, 0, recordsFrom(0, 30, 50));
    await runLater(storage, topic.name);
    await storage.log.append(topic.topicId, 0, recordsFrom(30, 30, 50));
    await runLater(storage, topic.name);
    await storage.log.append(topic.topicId, 0, recordsFrom(60, 30, 50));
    const segments = await storage.segments.list(partitionKey(topic.topicId, 0));
    expect(segments.map((s) => [s.baseOffset, s.endOffset])).toEqual([
      [0, 30],
      [30, 60],
    ]);
    const all = await readAll(sameTables(storage.config), topic.topicId);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 90 }, (_, i) => i));
    expect(all.map((r) => r.value)).toEqual(Array.from({ length: 90 }, (_, i) => valueOf(i, 50).toString()));
  });

  it('tail items that expired unsealed (the sealer down a day) are counted lost; the rest is sealed and read past them', async () => {
    const topic = await storage.topics.create(randomName(), 1);
    for (const start of [0, 10, 20]) await storage.log.append(topic.topicId, 0, recordsFrom(start, 10, 50));
    const pk = partitionKey(topic.topicId, 0);
    // What DynamoDB's TTL does to the two oldest items when no sealer came for a day.
    await storage.tail.deleteItems(pk, [0, 10]);
    const report = await runLater(storage, topic.name);
    expect(report.partitions[0]!.seal).toMatchObject({ recordsLost: 20, records: 10 });
    expect((await storage.segments.list(pk)).map((s) => [s.baseOffset, s.endOffset, s.recordCount])).toEqual([
      [0, 20, 0],
      [20, 30, 10],
    ]);
    // Sealing goes on: later appends are sealed as before, and readers skip the lost stretch.
    await storage.log.append(topic.topicId, 0, recordsFrom(30, 10, 50));
    expect((await runLater(storage, topic.name)).partitions[0]!.seal).toMatchObject({ recordsLost: 0, records: 10 });
    const all = await readAll(sameTables(storage.config), topic.topicId);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i));
  });

  it('young tail items are not sealed (the offset-cache safety window)', async () => {
    const topic = await storage.topics.create(randomName(), 1);
    await storage.log.append(topic.topicId, 0, recordsFrom(0, 10, 50));
    await runJobs(storage, { topic: topic.name });
    const pk = partitionKey(topic.topicId, 0);
    expect(await storage.segments.list(pk)).toEqual([]);
    expect(await storage.tail.query({ pk, forward: true, limit: 10 })).toHaveLength(1);
  });

  it('a job run on an idle partition writes nothing (not even a lease) and reads a few units', async () => {
    const topic = await storage.topics.create(randomName(), 1);
    await storage.log.append(topic.topicId, 0, recordsFrom(0, 20, 100));
    await runLater(storage, topic.name);
    const idle = sameTables(storage.config);
    await runJobs(idle, { topic: topic.name, now: () => Date.now() + HOUR });
    expect(idle.usage.writeUnits).toBe(0);
    expect(idle.usage.readUnits).toBeLessThanOrEqual(6);
    idle.destroy();
  });

  it('finds offsets by time inside sealed segments', async () => {
    const topic = await storage.topics.create(randomName(), 1);
    await storage.log.append(topic.topicId, 0, recordsFrom(0, 50, 100));
    await runLater(storage, topic.name);
    await storage.log.append(topic.topicId, 0, recordsFrom(50, 10, 100));
    const api = createApi({ storage });
    const at = async (t: number) =>
      (await call(api, 'GET', `/v1/topics/${topic.name}/partitions/0/offsets`, { query: { at: String(t) } })).body;
    expect(await at(T0 + 17)).toEqual({ offset: 17, timestamp: T0 + 17 });
    expect(await at(T0 + 55)).toEqual({ offset: 55, timestamp: T0 + 55 });
    expect(await at(0)).toEqual({ offset: 0, timestamp: T0 });
  });
});
