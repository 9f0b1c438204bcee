/**
 * Compaction (cleanupPolicy "compact") through the API: the latest record of each key
 * stays at its original offset, fetches pass over the gaps, tombstones live for
 * deleteRetentionMs, and a consumer from 0 rebuilds the latest key -> value map.
 */
import { describe, expect, it } from 'vitest';
import type { Api } from '../../lib/api/types.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import { beforeNextSegmentRead, call, createApi, offsetAt, partitionBounds, randomName, useStack } from '../support/stack.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Produced {
  readonly key: string;
  readonly value: string | null;
  readonly timestamp?: number;
  readonly partition?: number;
}

interface Fetched {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string;
  readonly value: string | null;
}

async function produce(api: Api, topic: string, records: readonly Produced[]): Promise<number[]> {
  const res = await call(api, 'POST', `/v1/topics/${topic}/records`, { body: { records } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.offsets.map((o: { offset: number }) => o.offset);
}

const fetchAt = (api: Api, topic: string, offset: number, maxRecords = 500, partition = 0) =>
  call(api, 'GET', `/v1/topics/${topic}/partitions/${partition}/records`, { query: { offset: String(offset), maxRecords: String(maxRecords) } });

/** Every record from 0 on, `maxRecords` per fetch, until a fetch finds nothing. */
async function consume(api: Api, topic: string, maxRecords = 3, partition = 0): Promise<Fetched[]> {
  const out: Fetched[] = [];
  let offset = 0;
  for (;;) {
    const res = await fetchAt(api, topic, offset, maxRecords, partition);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.records.length === 0) return out;
    out.push(...(res.body.records as Fetched[]).map(({ offset: o, timestamp, key, value }) => ({ offset: o, timestamp, key, value })));
    expect(res.body.nextOffset).toBe(out.at(-1)!.offset + 1);
    offset = res.body.nextOffset;
  }
}

/** What a consumer from 0 ends up with: the last value per key, a tombstone removing it. */
function latestMap(records: ReadonlyArray<{ key: string; value: string | null }>): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of records) {
    if (r.value === null) map.delete(r.key);
    else map.set(r.key, r.value);
  }
  return map;
}

const offsetsOf = (records: readonly Fetched[]) => records.map((r) => r.offset);

describe('compaction', () => {
  const stack = useStack();
  const cold = stack.cold;

  const later = (topic: string, ms: number) => runJobs(stack.storage, { topic, now: () => Date.now() + ms });
  const createTopic = async (config: Record<string, unknown> = {}, partitions = 1) => {
    const name = randomName();
    const res = await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions, config: { cleanupPolicy: 'compact', ...config } } });
    expect(res.status).toBe(201);
    return { name, topicId: res.body.topicId as string };
  };

  it('keeps the latest record per key at its original offset; fetches pass over the gaps; the high watermark stays', async () => {
    const { name, topicId } = await createTopic();
    const T0 = Date.now() - MINUTE;
    const ts = (offset: number) => T0 + offset * 10;
    const big = 'v4:'.padEnd(9000, 'x'); // a batch > 8 KB: a staged object
    const rounds: Produced[][] = [
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v1' })),
      Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: 'v2' })),
      [{ key: 'k2', value: 'v3' }, { key: 'k3', value: null }, { key: 'k7', value: null }, { key: 'k8', value: 'v3' }],
      [{ key: 'k9', value: big }],
    ];
    const produced: Array<Produced & { offset: number }> = [];
    for (const records of rounds) {
      const first = produced.length;
      const stamped = records.map((r, i) => ({ ...r, timestamp: ts(first + i) }));
      const offsets = await produce(stack.api, name, stamped);
      stamped.forEach((r, i) => produced.push({ ...r, offset: offsets[i]! }));
    }
    expect(produced.map((r) => r.offset)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const everything = await consume(stack.api, name);
    expect(everything).toHaveLength(20);

    const report = await later(name, HOUR);
    expect(report.partitions[0]!.seal).toMatchObject({ segments: 1, records: 20 });
    expect(report.partitions[0]!.compaction).toEqual({ segmentsRewritten: 1, recordsRemoved: 10 });

    // k0@10 k1@11 k4@14 (v2), k2@15 k8@18 (v3), k5@5 k6@6 (v1), k9@19 (big), tombstones k3@16 k7@17.
    const survivors = [5, 6, 10, 11, 14, 15, 16, 17, 18, 19];
    const expected = survivors.map((o) => ({ offset: o, timestamp: ts(o), key: produced[o]!.key, value: produced[o]!.value }));
    for (const client of [stack.api, cold()]) {
      const all = await fetchAt(client, name, 0);
      expect(all.body).toMatchObject({ nextOffset: 20, highWatermark: 20, logStartOffset: 0 });
      expect(all.body.records.map(({ offset, timestamp, key, value }: Fetched) => ({ offset, timestamp, key, value }))).toEqual(expected);
      // One record at a time, from 0: every fetch moves past the gap before it.
      expect(await consume(client, name, 1)).toEqual(expected);
      // A fetch starting inside a gap answers the next surviving record.
      for (const [from, first] of [[0, 5], [4, 5], [7, 10], [9, 10], [12, 14], [13, 14]] as const) {
        const res = await fetchAt(client, name, from, 1);
        expect(res.status).toBe(200);
        expect(res.body.records.map((r: Fetched) => r.offset)).toEqual([first]);
        expect(res.body.nextOffset).toBe(first + 1);
      }
      expect(await partitionBounds(client, name)).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 20 }]);
      expect(await offsetAt(client, name, 'earliest')).toEqual({ offset: 0 });
      expect(await offsetAt(client, name, 'latest')).toEqual({ offset: 20 });
      // Offsets by time after compaction: the first surviving record at or after the time.
      expect(await offsetAt(client, name, String(ts(0)))).toEqual({ offset: 5, timestamp: ts(5) });
      expect(await offsetAt(client, name, String(ts(7)))).toEqual({ offset: 10, timestamp: ts(10) });
      expect(await offsetAt(client, name, String(ts(12)))).toEqual({ offset: 14, timestamp: ts(14) });
      expect(await offsetAt(client, name, String(ts(19)))).toEqual({ offset: 19, timestamp: ts(19) });
      expect(await offsetAt(client, name, String(ts(19) + 1))).toEqual({ offset: 20 });
    }
    // A consumer from 0 rebuilds the latest value of every key, tombstoned keys absent.
    expect(latestMap(await consume(stack.api, name))).toEqual(latestMap(produced));
    // The segment's first object is gone; the index names the rewritten one.
    const [segment] = await stack.storage.segments.list(partitionKey(topicId, 0));
    expect(segment).toMatchObject({ baseOffset: 0, endOffset: 20, recordCount: 10 });
    expect((await stack.storage.segments.listObjects(`segments/${topicId}/`)).map((o) => o.key)).toEqual([segment!.key]);

    // Tombstones stay while younger than deleteRetentionMs (a day by default), then go.
    const young = await later(name, 12 * HOUR);
    expect(young.partitions[0]!.compaction?.recordsRemoved ?? 0).toBe(0);
    expect(offsetsOf(await consume(stack.api, name))).toEqual(survivors);
    const aged = await later(name, 2 * DAY);
    expect(aged.partitions[0]!.compaction).toEqual({ segmentsRewritten: 1, recordsRemoved: 2 });
    const after = await consume(cold(), name);
    expect(offsetsOf(after)).toEqual([5, 6, 10, 11, 14, 15, 18, 19]);
    expect(after.every((r) => r.value !== null)).toBe(true);
    expect(latestMap(after)).toEqual(latestMap(produced));
    expect(await partitionBounds(stack.api, name)).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 20 }]);
    expect(await offsetAt(stack.api, name, String(ts(16)))).toEqual({ offset: 18, timestamp: ts(18) });

    // A rerun changes nothing more.
    const again = await later(name, 2 * DAY);
    expect(again.partitions[0]!.compaction?.recordsRemoved ?? 0).toBe(0);
    expect(offsetsOf(await consume(stack.api, name))).toEqual([5, 6, 10, 11, 14, 15, 18, 19]);
  });

  it('keeps a tombstone while younger than the topic\'s deleteRetentionMs and drops it after', async () => {
    const { name } = await createTopic({ deleteRetentionMs: HOUR });
    await produce(stack.api, name, [{ key: 'a', value: '1' }, { key: 'b', value: '1' }, { key: 'a', value: null }]);
    await later(name, 15 * MINUTE);
    expect((await consume(stack.api, name)).map((r) => [r.offset, r.key, r.value])).toEqual([
      [1, 'b', '1'],
      [2, 'a', null],
    ]);
    await later(name, 2 * HOUR);
    expect((await consume(stack.api, name)).map((r) => [r.offset, r.key, r.value])).toEqual([[1, 'b', '1']]);
    expect(await partitionBounds(stack.api, name)).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 3 }]);
    // The key's older value did not come back with its tombstone gone.
    expect(latestMap(await consume(cold(), name))).toEqual(new Map([['b', '1']]));
  });

  it('drops a key\'s older value from a segment only when a newer one exists, in a segment or still in the tail', async () => {
    const { name, topicId } = await createTopic();
    await produce(stack.api, name, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v1' })));
    const sealed = await later(name, HOUR);
    expect(sealed.partitions[0]!.compaction).toEqual({ segmentsRewritten: 0, recordsRemoved: 0 });

    // Newer values for k0..k4 and a tombstone for k5, still in the tail (too young to seal).
    await produce(stack.api, name, [...Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: 'v2' })), { key: 'k5', value: null }]);
    const report = await runJobs(stack.storage, { topic: name });
    expect(report.partitions[0]!.seal).toMatchObject({ segments: 0 });
    expect(report.partitions[0]!.compaction).toEqual({ segmentsRewritten: 1, recordsRemoved: 6 });
    // Unsealed: the one batch at and above the sealed end (10).
    expect(await stack.storage.tail.query({ pk: partitionKey(topicId, 0), forward: true, limit: 10, atLeast: 10 })).toHaveLength(1);

    const expectedMap = new Map([
      ...Array.from({ length: 5 }, (_, i) => [`k${i}`, 'v2'] as const),
      ...[6, 7, 8, 9].map((i) => [`k${i}`, 'v1'] as const),
    ]);
    const read = await consume(cold(), name);
    expect(offsetsOf(read)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(latestMap(read)).toEqual(expectedMap);

    // Sealing the tail, then the tombstone's expiry, lose nothing else.
    await later(name, HOUR);
    expect(latestMap(await consume(stack.api, name))).toEqual(expectedMap);
    await later(name, 2 * DAY);
    const final = await consume(cold(), name);
    expect(offsetsOf(final)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(latestMap(final)).toEqual(expectedMap);
    expect(await partitionBounds(stack.api, name)).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 16 }]);
  });

  it('a segment compaction emptied keeps its place: fetches and offsets by time pass over it', async () => {
    const { name, topicId } = await createTopic();
    const pk = partitionKey(topicId, 0);
    const T0 = Date.now() - MINUTE;
    const ts = (offset: number) => T0 + offset;
    // Segment [0, 5) from one staged batch (> 8 KB), segment [5, 10) with newer values of every key.
    await produce(stack.api, name, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: 'v1:'.padEnd(2000, 'x'), timestamp: ts(i) })));
    await later(name, HOUR);
    await produce(stack.api, name, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: 'v2', timestamp: ts(5 + i) })));
    const report = await later(name, HOUR);
    expect(report.partitions[0]!.compaction).toEqual({ segmentsRewritten: 1, recordsRemoved: 5 });
    const segments = await stack.storage.segments.list(pk);
    expect(segments.map((s) => [s.baseOffset, s.endOffset, s.recordCount, s.key === undefined])).toEqual([
      [0, 5, 0, true],
      [5, 10, 5, false],
    ]);
    expect((await stack.storage.segments.listObjects(`segments/${topicId}/`)).map((o) => o.key)).toEqual([segments[1]!.key]);
    expect(await stack.storage.segments.listObjects(`staged/${topicId}/`)).toEqual([]);
    // A newer k0 in the tail.
    await produce(stack.api, name, [{ key: 'k0', value: 'v3', timestamp: ts(10) }]);

    for (const client of [stack.api, cold()]) {
      for (const from of [0, 3, 4]) {
        const res = await fetchAt(client, name, from, 2);
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ nextOffset: 7, highWatermark: 11, logStartOffset: 0 });
        expect(res.body.records.map((r: Fetched) => [r.offset, r.key, r.value])).toEqual([
          [5, 'k0', 'v2'],
          [6, 'k1', 'v2'],
        ]);
      }
      expect(offsetsOf(await consume(client, name, 1))).toEqual([5, 6, 7, 8, 9, 10]);
      expect(await partitionBounds(client, name)).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 11 }]);
      expect(await offsetAt(client, name, 'earliest')).toEqual({ offset: 0 });
      expect(await offsetAt(client, name, String(ts(2)))).toEqual({ offset: 5, timestamp: ts(5) });
    }

    // The tail's k0 supersedes the segment's: compaction drops it, leaving [6, 10) and the tail.
    await runJobs(stack.storage, { topic: name });
    const read = await consume(cold(), name);
    expect(offsetsOf(read)).toEqual([6, 7, 8, 9, 10]);
    expect(latestMap(read)).toEqual(new Map([['k0', 'v3'], ['k1', 'v2'], ['k2', 'v2'], ['k3', 'v2'], ['k4', 'v2']]));
    expect(await offsetAt(stack.api, name, String(ts(2)))).toEqual({ offset: 6, timestamp: ts(6) });
  });

  it('compacts every partition on its own: consuming each from 0 gives the latest value of every key', async () => {
    const { name } = await createTopic({}, 3);
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const produced: Produced[] = [];
    for (let r = 0; r < 8; r++) {
      const records: Produced[] = Array.from({ length: 25 }, () => {
        const key = `key-${random(30)}`;
        return { key, value: random(6) === 0 ? null : `${key}=r${r}.${random(1000)}` };
      });
      await produce(stack.api, name, records);
      produced.push(...records);
      // Some rounds are sealed (and compacted), others stay in the tail.
      if (r % 3 !== 2) await later(name, HOUR);
    }
    const before = await partitionBounds(stack.api, name);
    const consumeAll = async (client: Api) => {
      const all: Fetched[] = [];
      for (let p = 0; p < 3; p++) all.push(...(await consume(client, name, 7, p)));
      return all;
    };
    const compacted = await consumeAll(cold());
    expect(latestMap(compacted)).toEqual(latestMap(produced));
    // At most one record per key left in the sealed part; every key's latest record is there.
    expect(compacted.length).toBeLessThan(produced.length);

    // Once tombstones expire: the same map, and the high watermarks never moved.
    await later(name, 2 * DAY);
    const final = await consumeAll(cold());
    expect(latestMap(final)).toEqual(latestMap(produced));
    expect(new Set(final.map((r) => r.key)).size).toBe(final.length);
    expect(final.every((r) => r.value !== null)).toBe(true);
    expect(await partitionBounds(cold(), name)).toEqual(before);
  });

  it('compacting a segment again at the same clock reading keeps its records', async () => {
    // A frozen clock (as runJobs' `now` allows): every rewrite of a segment in this run of
    // jobs gets the same generation.
    const { name } = await createTopic();
    const frozen = Date.now() + HOUR;
    const run = () => runJobs(stack.storage, { topic: name, now: () => frozen });
    await produce(stack.api, name, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v1' })));
    await run();
    await produce(stack.api, name, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: 'v2' })));
    expect((await run()).partitions[0]!.compaction).toEqual({ segmentsRewritten: 1, recordsRemoved: 5 });
    await produce(stack.api, name, [{ key: 'k5', value: 'v3' }]);
    expect((await run()).partitions[0]!.compaction).toEqual({ segmentsRewritten: 1, recordsRemoved: 1 });

    const read = await consume(cold(), name);
    expect(offsetsOf(read)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(latestMap(read)).toEqual(
      new Map([...[0, 1, 2, 3, 4].map((i) => [`k${i}`, 'v2'] as const), ['k5', 'v3'], ...[6, 7, 8, 9].map((i) => [`k${i}`, 'v1'] as const)]),
    );
  });

  it('a compacted topic keeps each key\'s latest value however old (retentionMs applies to cleanupPolicy "delete")', async () => {
    // Kafka deletes segments by retention.ms only under cleanup.policy=delete; a compacted
    // topic (a changelog, a table) keeps every key's latest record for good.
    const { name } = await createTopic({ retentionMs: DAY });
    const old = Date.now() - 30 * DAY;
    await produce(stack.api, name, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: 'v1', timestamp: old + i })));
    await produce(stack.api, name, [{ key: 'k0', value: 'v2', timestamp: old + 10 }]);
    await later(name, HOUR);
    await later(name, HOUR);
    const read = await consume(cold(), name);
    expect(offsetsOf(read)).toEqual([1, 2, 3, 4, 5]);
    expect(latestMap(read)).toEqual(new Map([['k0', 'v2'], ['k1', 'v1'], ['k2', 'v1'], ['k3', 'v1'], ['k4', 'v1']]));
    expect(await partitionBounds(stack.api, name)).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 6 }]);
  });

  it('a fetch that meets a segment rewritten under it still answers its records', async () => {
    const { name, topicId } = await createTopic();
    await produce(stack.api, name, Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v1' })));
    await later(name, HOUR);
    await produce(stack.api, name, Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: 'v2' })));

    // A reader that has found the segment's index item, and compaction runs before it
    // reads the object (a consumer fetching while the scheduled jobs run).
    const reader = stack.container();
    const ran = beforeNextSegmentRead(reader, topicId, async () => {
      expect((await runJobs(stack.storage, { topic: name })).partitions[0]!.compaction).toMatchObject({ recordsRemoved: 5 });
    });
    const read = await consume(createApi({ storage: reader }), name, 500);
    expect(ran()).toBe(true);
    // Before or after the rewrite, the same latest values.
    expect(latestMap(read)).toEqual(
      new Map([...[0, 1, 2, 3, 4].map((i) => [`k${i}`, 'v2'] as const), ...[5, 6, 7, 8, 9].map((i) => [`k${i}`, 'v1'] as const)]),
    );
  });
});
