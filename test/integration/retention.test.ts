/**
 * Retention through the API: by time and by bytes, whole segments at a time, data still
 * in the tail included. The dropped range answers 416 with the new bounds everywhere a
 * client can look (fetch, describe, offsets at=earliest), and a rerun changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Api } from '../../lib/api/types.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import { expectOnlyExpiringBelow } from '../support/seal-records.ts';
import { beforeNextSegmentRead, call, createApi, partitionBounds, randomName, useStack } from '../support/stack.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Produced {
  readonly key?: string;
  readonly value: string;
  readonly timestamp: number;
}

/** `count` records whose values say their round and index, all stamped `timestamp`. */
const round = (name: string, count: number, timestamp: number, size = 20): Produced[] =>
  Array.from({ length: count }, (_, i) => ({ key: `${name}-${i}`, value: `${name}-${i}:`.padEnd(size, '.'), timestamp }));

async function produce(api: Api, topic: string, records: readonly Produced[], partition = 0): Promise<number[]> {
  const res = await call(api, 'POST', `/v1/topics/${topic}/records`, { body: { records: records.map((r) => ({ ...r, partition })) } });
  expect(res.status).toBe(200);
  return res.body.offsets.map((o: { offset: number }) => o.offset);
}

const fetchAt = (api: Api, topic: string, offset: number, partition = 0, maxRecords = 500) =>
  call(api, 'GET', `/v1/topics/${topic}/partitions/${partition}/records`, { query: { offset: String(offset), maxRecords: String(maxRecords) } });

/** Every record from `from` on, fetch after fetch, until one finds nothing. */
async function consume(api: Api, topic: string, from: number, partition = 0): Promise<Array<{ offset: number; value: string }>> {
  const out: Array<{ offset: number; value: string }> = [];
  let offset = from;
  for (;;) {
    const res = await fetchAt(api, topic, offset, partition, 7);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    if (res.body.records.length === 0) return out;
    for (const r of res.body.records) out.push({ offset: r.offset, value: r.value });
    offset = res.body.nextOffset;
  }
}

const earliest = async (api: Api, topic: string, partition = 0) =>
  (await call(api, 'GET', `/v1/topics/${topic}/partitions/${partition}/offsets`, { query: { at: 'earliest' } })).body.offset;

describe('retention', () => {
  const stack = useStack();
  const cold = stack.cold;

  const later = (topic: string, ms: number) => runJobs(stack.storage, { topic, now: () => Date.now() + ms });
  const createTopic = async (config: Record<string, unknown>, partitions = 1) => {
    const name = randomName();
    const res = await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions, config } });
    expect(res.status).toBe(201);
    return { name, topicId: res.body.topicId as string };
  };

  it('drops whole segments past retentionMs: the range answers 416 with the new bounds, newer records stay', async () => {
    const { name, topicId } = await createTopic({ retentionMs: -1 });
    const now = Date.now();
    // Three segments (three days old, two days old, recent), then records left in the tail.
    expect(await produce(stack.api, name, round('a', 30, now - 3 * DAY))).toHaveLength(30);
    await later(name, HOUR);
    await produce(stack.api, name, round('b', 30, now - 2 * DAY, 1000)); // > 8 KB: a staged batch
    await later(name, HOUR);
    await produce(stack.api, name, round('c', 30, now - MINUTE));
    await later(name, HOUR);
    await produce(stack.api, name, round('d', 10, now));
    const pk = partitionKey(topicId, 0);
    expect((await stack.storage.segments.list(pk)).map((s) => [s.baseOffset, s.endOffset])).toEqual([[0, 30], [30, 60], [60, 90]]);

    // retentionMs -1 kept everything; this container has read from 0 and cached what it saw.
    expect((await consume(stack.api, name, 0)).map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await partitionBounds(stack.api, name)).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 100 }]);

    expect((await call(stack.api, 'PATCH', `/v1/topics/${name}`, { body: { config: { retentionMs: DAY } } })).status).toBe(200);
    // Run as it would be a few minutes later: the tail batch is too young for a segment.
    const report = await later(name, 5 * MINUTE);
    expect(report.partitions[0]!.retention).toMatchObject({ segmentsDeleted: 2, logStartOffset: 60 });

    // What a client sees (a container other than the jobs'; for that one, see below).
    for (const client of [cold()]) {
      expect(await partitionBounds(client, name)).toEqual([{ partition: 0, logStartOffset: 60, highWatermark: 100 }]);
      expect(await earliest(client, name)).toBe(60);
      // Offsets by time: nothing before the new start is found any more.
      for (const at of [0, now - 2 * DAY]) {
        const found = await call(client, 'GET', `/v1/topics/${name}/partitions/0/offsets`, { query: { at: String(at) } });
        expect(found.body).toEqual({ offset: 60, timestamp: now - MINUTE });
      }
      for (const offset of [0, 29, 30, 59]) {
        const res = await fetchAt(client, name, offset);
        expect(res.status).toBe(416);
        expect(res.body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', offset, logStartOffset: 60, highWatermark: 100 });
      }
      const rest = await consume(client, name, 60);
      expect(rest.map((r) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => 60 + i));
      expect(rest.map((r) => r.value)).toEqual([...round('c', 30, 0), ...round('d', 10, 0)].map((r) => r.value));
    }

    // The dropped segments' items and objects are gone; the kept one is whole.
    const segments = await stack.storage.segments.list(pk);
    expect(segments.map((s) => [s.baseOffset, s.endOffset])).toEqual([[60, 90]]);
    const objects = (await stack.storage.segments.listObjects(`segments/${topicId}/`)).map((o) => o.key);
    expect(objects).toEqual([segments[0]!.key]);

    // A rerun changes nothing more.
    const again = await later(name, 5 * MINUTE);
    expect(again.partitions[0]!.retention?.segmentsDeleted ?? 0).toBe(0);
    expect(await partitionBounds(cold(), name)).toEqual([
      { partition: 0, logStartOffset: 60, highWatermark: 100 },
    ]);
  });

  it('judges each topic by its own retentionMs', async () => {
    const now = Date.now();
    const kept = await createTopic({ retentionMs: 3 * DAY });
    const dropped = await createTopic({ retentionMs: DAY });
    for (const t of [kept, dropped]) {
      await produce(stack.api, t.name, round('old', 20, now - 2 * DAY));
      await later(t.name, HOUR);
      await later(t.name, HOUR);
    }
    expect(await partitionBounds(stack.api, kept.name)).toEqual([{ partition: 0, logStartOffset: 0, highWatermark: 20 }]);
    expect(await consume(stack.api, kept.name, 0)).toHaveLength(20);
    expect(await partitionBounds(stack.api, dropped.name)).toEqual([{ partition: 0, logStartOffset: 20, highWatermark: 20 }]);
    // At the new start (= the log end): a valid, empty fetch; below it, 416.
    expect((await fetchAt(stack.api, dropped.name, 20)).body).toMatchObject({ records: [], nextOffset: 20, logStartOffset: 20, highWatermark: 20 });
    expect((await fetchAt(stack.api, dropped.name, 0)).body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: 20, highWatermark: 20 });
  });

  it('drops data still in the tail past retentionMs within a few runs, whatever the segment size, and keeps what is newer', async () => {
    // Segments would roll only at 1 GiB or after a week: only retention makes these go.
    const { name, topicId } = await createTopic({ retentionMs: HOUR, segmentBytes: 1024 ** 3, segmentMs: 7 * DAY });
    const now = Date.now();
    await produce(stack.api, name, round('old', 10, now - 3 * HOUR));
    await produce(stack.api, name, round('old-staged', 10, now - 2 * HOUR, 1000)); // > 8 KB: a staged object
    await produce(stack.api, name, round('new', 5, now - MINUTE));
    await produce(stack.api, name, round('newer', 5, now));
    expect(await consume(stack.api, name, 0)).toHaveLength(30);

    // A few runs, each a few minutes later (past the sealer's safety window, far below segmentMs).
    for (let run = 0; run < 3; run++) await later(name, 5 * MINUTE);

    for (const client of [cold()]) {
      expect(await partitionBounds(client, name)).toEqual([{ partition: 0, logStartOffset: 20, highWatermark: 30 }]);
      expect(await earliest(client, name)).toBe(20);
      const res = await fetchAt(client, name, 0);
      expect(res.status).toBe(416);
      expect(res.body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: 20, highWatermark: 30 });
      expect((await consume(client, name, 20)).map((r) => r.value)).toEqual(
        [...round('new', 5, 0), ...round('newer', 5, 0)].map((r) => r.value),
      );
    }
    // Nothing of the old records is left but tail items about to expire: no segment or object below 20.
    const pk = partitionKey(topicId, 0);
    await expectOnlyExpiringBelow(stack.storage, pk, 20);
    expect((await stack.storage.segments.list(pk)).filter((s) => s.baseOffset < 20)).toEqual([]);
    expect(await stack.storage.segments.listObjects(`staged/${topicId}/`)).toEqual([]);

    const again = await later(name, 5 * MINUTE);
    expect(again.partitions[0]!.retention?.segmentsDeleted ?? 0).toBe(0);
    expect(await partitionBounds(cold(), name)).toEqual([{ partition: 0, logStartOffset: 20, highWatermark: 30 }]);
  });

  it('drops a tail that is all past retentionMs; the log starts at its end and appends continue there', async () => {
    const { name, topicId } = await createTopic({ retentionMs: HOUR, segmentBytes: 1024 ** 3, segmentMs: 7 * DAY });
    const now = Date.now();
    await produce(stack.api, name, round('old', 10, now - 3 * HOUR));
    await produce(stack.api, name, round('old-staged', 10, now - 2 * HOUR, 1000));
    for (let run = 0; run < 3; run++) await later(name, 5 * MINUTE);

    expect(await partitionBounds(stack.api, name)).toEqual([{ partition: 0, logStartOffset: 20, highWatermark: 20 }]);
    expect(await earliest(stack.api, name)).toBe(20);
    const byTime = await call(stack.api, 'GET', `/v1/topics/${name}/partitions/0/offsets`, { query: { at: '0' } });
    expect(byTime.body).toEqual({ offset: 20 });
    expect((await fetchAt(stack.api, name, 0)).body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: 20, highWatermark: 20 });
    expect((await fetchAt(stack.api, name, 20)).body).toMatchObject({ records: [], nextOffset: 20, highWatermark: 20, logStartOffset: 20 });
    const pk = partitionKey(topicId, 0);
    expect(await stack.storage.segments.list(pk)).toEqual([]);
    await expectOnlyExpiringBelow(stack.storage, pk, 20);
    expect(await stack.storage.segments.listObjects(`segments/${topicId}/`)).toEqual([]);
    expect(await stack.storage.segments.listObjects(`staged/${topicId}/`)).toEqual([]);

    // Appends continue at the end, from this container and from a cold one.
    expect(await produce(stack.api, name, round('fresh', 2, Date.now()))).toEqual([20, 21]);
    expect(await produce(cold(), name, round('fresher', 2, Date.now()))).toEqual([22, 23]);
    expect((await consume(stack.api, name, 20)).map((r) => r.offset)).toEqual([20, 21, 22, 23]);
  });

  it('drops the oldest segments while what remains (tail included) is still at least retentionBytes, never the newest', async () => {
    const { name, topicId } = await createTopic({ retentionBytes: -1 });
    const pk = partitionKey(topicId, 0);
    const now = Date.now();
    // Five segments of the same size, one per seal, then one batch left in the tail.
    for (let s = 0; s < 5; s++) {
      await produce(stack.api, name, round(`s${s}`, 10, now - MINUTE, 200));
      await later(name, HOUR);
    }
    await produce(stack.api, name, round('tail', 10, now, 200));
    const segments = await stack.storage.segments.list(pk);
    expect(segments.map((s) => s.baseOffset)).toEqual([0, 10, 20, 30, 40]);
    const size = segments[0]!.bytes;
    expect(segments.every((s) => s.bytes === size)).toBe(true);
    const [tailItem] = await stack.storage.tail.query({ pk, forward: true, limit: 10 });
    const total = 5 * size + tailItem!.size;

    // Two and a half segments' worth plus the tail: two segments can go, a third cannot.
    const retentionBytes = Math.ceil(2.5 * size) + tailItem!.size;
    await call(stack.api, 'PATCH', `/v1/topics/${name}`, { body: { config: { retentionBytes } } });
    const report = await runJobs(stack.storage, { topic: name }); // now: the tail batch stays in the tail
    expect(report.partitions[0]!.seal).toMatchObject({ segments: 0 });
    expect(report.partitions[0]!.retention).toEqual({ segmentsDeleted: 2, bytesDeleted: 2 * size, logStartOffset: 20 });
    const left = await stack.storage.segments.list(pk);
    expect(left.map((s) => s.baseOffset)).toEqual([20, 30, 40]);
    const remaining = total - 2 * size;
    expect(remaining).toBeGreaterThanOrEqual(retentionBytes);
    expect(remaining - size).toBeLessThan(retentionBytes);

    const client = cold();
    expect(await partitionBounds(client, name)).toEqual([{ partition: 0, logStartOffset: 20, highWatermark: 60 }]);
    expect(await earliest(client, name)).toBe(20);
    expect((await fetchAt(client, name, 19)).body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: 20, highWatermark: 60 });
    expect((await consume(client, name, 20)).map((r) => r.offset)).toEqual(Array.from({ length: 40 }, (_, i) => 20 + i));

    // A rerun changes nothing more.
    const again = await runJobs(stack.storage, { topic: name });
    expect(again.partitions[0]!.retention?.segmentsDeleted ?? 0).toBe(0);
    expect((await stack.storage.segments.list(pk)).map((s) => s.baseOffset)).toEqual([20, 30, 40]);
  });

  it('a retentionBytes below one segment keeps the newest segment: the newest data is never dropped', async () => {
    const { name, topicId } = await createTopic({ retentionBytes: 1 });
    const pk = partitionKey(topicId, 0);
    const now = Date.now();
    for (let s = 0; s < 3; s++) {
      await produce(stack.api, name, round(`s${s}`, 10, now, 200));
      await later(name, HOUR);
      // The segment just sealed is all there is: never dropped, however small retentionBytes.
      expect((await stack.storage.segments.list(pk)).map((seg) => seg.baseOffset)).toEqual([10 * s]);
      expect(await partitionBounds(stack.api, name)).toEqual([{ partition: 0, logStartOffset: 10 * s, highWatermark: 10 * s + 10 }]);
      expect((await consume(stack.api, name, 10 * s)).map((r) => r.value)).toEqual(round(`s${s}`, 10, now, 200).map((r) => r.value));
    }
    const again = await later(name, HOUR);
    expect(again.partitions[0]!.retention?.segmentsDeleted ?? 0).toBe(0);
    expect(await partitionBounds(cold(), name)).toEqual([{ partition: 0, logStartOffset: 20, highWatermark: 30 }]);
  });

  it('the container that ran the jobs (sluice local, POST /v1/jobs/run) shows the new log start at once', async () => {
    const { name } = await createTopic({ retentionMs: -1 });
    const now = Date.now();
    await produce(stack.api, name, round('old', 10, now - 2 * DAY));
    await later(name, HOUR);
    await produce(stack.api, name, round('new', 5, now));
    // This container reads from 0 (and so learns that the log starts there)...
    expect(await consume(stack.api, name, 0)).toHaveLength(15);
    expect(await earliest(stack.api, name)).toBe(0);

    // ...then runs the jobs itself, through the API, after retention was shortened.
    await call(stack.api, 'PATCH', `/v1/topics/${name}`, { body: { config: { retentionMs: DAY } } });
    const run = await call(stack.api, 'POST', '/v1/jobs/run', { body: { topic: name } });
    expect(run.status).toBe(200);
    expect(run.body.partitions[0].retention).toMatchObject({ segmentsDeleted: 1, logStartOffset: 10 });

    expect(await partitionBounds(stack.api, name)).toEqual([{ partition: 0, logStartOffset: 10, highWatermark: 15 }]);
    expect(await earliest(stack.api, name)).toBe(10);
    expect((await fetchAt(stack.api, name, 0)).body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: 10, highWatermark: 15 });
  });

  it('a fetch that meets a segment retention drops under it answers 416 with the new bounds, not a 500', async () => {
    const { name, topicId } = await createTopic({ retentionMs: -1 });
    await produce(stack.api, name, round('old', 10, Date.now() - 2 * DAY));
    await later(name, HOUR);
    await produce(stack.api, name, round('new', 5, Date.now()));
    await call(stack.api, 'PATCH', `/v1/topics/${name}`, { body: { config: { retentionMs: DAY } } });

    // A lagging consumer's fetch has found the segment's index item; the scheduled jobs
    // drop the segment before it reads the object.
    const reader = stack.container();
    const ran = beforeNextSegmentRead(reader, topicId, async () => {
      expect((await runJobs(stack.storage, { topic: name })).partitions[0]!.retention).toMatchObject({ segmentsDeleted: 1 });
    });
    const res = await fetchAt(createApi({ storage: reader }), name, 3);
    expect(ran()).toBe(true);
    expect(res.status, JSON.stringify(res.body)).toBe(416);
    expect(res.body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: 10, highWatermark: 15 });
  });
});
