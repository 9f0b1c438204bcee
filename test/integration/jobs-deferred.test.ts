/** What a jobs run leaves for later, and when it falls due: seal, retention and purge. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordInput } from '../../lib/core/codec/record-batch.ts';
import { purgeDelayMs, runJobs } from '../../lib/jobs/run.ts';
import type { Storage } from '../../lib/storage/index.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import { randomName, testStorage } from '../support/stack.ts';

const MINUTE = 60_000;
const records = (count: number, timestamp: number): RecordInput[] =>
  Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), headers: [], timestamp }));

describe('jobs: deferred work', () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await testStorage();
  });
  afterAll(() => storage.destroy());

  /** When the oldest unsealed tail item was appended (by the appending container's clock). */
  async function appendedAt(topicId: string, partition = 0): Promise<number> {
    const pk = partitionKey(topicId, partition);
    const { sealedOffset } = await storage.partitions.get(pk);
    const [oldest] = await storage.tail.query({ pk, forward: true, limit: 1, atLeast: sealedOffset });
    return oldest!.appendedAt;
  }

  it('a fresh tail is reported unsealed, due at segment.ms after its oldest append; nothing else is done', async () => {
    const topic = await storage.topics.create(randomName(), 2);
    await storage.log.append(topic.topicId, 0, records(7, Date.now()));
    await storage.log.append(topic.topicId, 0, records(5, Date.now()));
    const at = await appendedAt(topic.topicId);

    const report = await runJobs(storage, { reportDeferred: true, topic: topic.name });
    expect(report.partitions).toEqual([
      { topic: topic.name, partition: 0, skipped: false, deferred: [{ job: 'seal', records: 12, dueAt: at + 10 * MINUTE, reason: 'segment.ms' }] },
      { topic: topic.name, partition: 1, skipped: false },
    ]);
    // The scheduled runs do not ask: no deferrals, and no reads to find them.
    const scheduled = await runJobs(storage, { topic: topic.name });
    expect(scheduled.partitions.map((p) => p.deferred)).toEqual([undefined, undefined]);
  });

  it('after a seal, what is left in the tail is reported with its own due time', async () => {
    const topic = await storage.topics.create(randomName(), 1, { segmentMs: 60_000 });
    await storage.log.append(topic.topicId, 0, records(3, Date.now()));
    const first = await appendedAt(topic.topicId);
    // Later appends: sealed only at their own segment.ms.
    const now = () => first + 2 * MINUTE + 30_000;
    const report = await runJobs(storage, { reportDeferred: true, topic: topic.name, now, sealMinAgeMs: 0 });
    expect(report.partitions[0]!.seal).toMatchObject({ segments: 1, records: 3 });
    // Nothing left in the tail; the segment waits for the default retention (7 days).
    const segment = await storage.segments.containing(partitionKey(topic.topicId, 0), 0);
    expect(report.partitions[0]!.deferred).toEqual([{ job: 'retention', records: 3, dueAt: segment!.maxTimestamp + 7 * 24 * 60 * MINUTE + 1, reason: 'retention.ms' }]);

    await storage.log.append(topic.topicId, 0, records(4, Date.now()));
    const second = await appendedAt(topic.topicId);
    const later = await runJobs(storage, { reportDeferred: true, topic: topic.name, now: () => second + 1000, sealMinAgeMs: 0 });
    expect(later.partitions[0]!.deferred).toContainEqual({ job: 'seal', records: 4, dueAt: second + MINUTE, reason: 'segment.ms' });
  });

  it('a short retention.ms makes the tail due sooner, and the sealed segment is kept until it expires', async () => {
    const topic = await storage.topics.create(randomName(), 1, { retentionMs: 5 * MINUTE });
    const stamp = Date.now() - MINUTE;
    await storage.log.append(topic.topicId, 0, records(6, stamp));
    const at = await appendedAt(topic.topicId);

    const fresh = await runJobs(storage, { reportDeferred: true, topic: topic.name, now: () => at + 1000 });
    // retention.ms is sooner than segment.ms but not than the sealer's minimum age (2 minutes).
    expect(fresh.partitions[0]!.deferred).toEqual([{ job: 'seal', records: 6, dueAt: stamp + 5 * MINUTE, reason: 'retention.ms' }]);

    const sealed = await runJobs(storage, { reportDeferred: true, topic: topic.name, now: () => at + 3 * MINUTE, sealMinAgeMs: 0 });
    expect(sealed.partitions[0]!.seal).toMatchObject({ segments: 0 });
    const aged = await runJobs(storage, { reportDeferred: true, topic: topic.name, now: () => stamp + 5 * MINUTE, sealMinAgeMs: 0 });
    expect(aged.partitions[0]!.seal).toMatchObject({ segments: 1, records: 6 });
    expect(aged.partitions[0]!.retention).toMatchObject({ segmentsDeleted: 0 });
    expect(aged.partitions[0]!.deferred).toEqual([{ job: 'retention', records: 6, dueAt: stamp + 5 * MINUTE + 1, reason: 'retention.ms' }]);
    // The next run past that time drops it.
    const dropped = await runJobs(storage, { reportDeferred: true, topic: topic.name, now: () => stamp + 5 * MINUTE + 1 });
    expect(dropped.partitions[0]!.retention).toMatchObject({ segmentsDeleted: 1, logStartOffset: 6 });
    expect(dropped.partitions[0]!.deferred).toBeUndefined();
  });

  it('the seal minimum age decides when it is later than segment.ms', async () => {
    const topic = await storage.topics.create(randomName(), 1, { segmentMs: 1000 });
    await storage.log.append(topic.topicId, 0, records(2, Date.now()));
    const at = await appendedAt(topic.topicId);
    const report = await runJobs(storage, { reportDeferred: true, topic: topic.name, now: () => at + 5000 });
    expect(report.partitions[0]!.deferred).toEqual([{ job: 'seal', records: 2, dueAt: at + 120_000, reason: 'seal.min.age' }]);
  });

  it('a deleted topic waits for its purge: the run says until when, then purges it', async () => {
    const topic = await storage.topics.create(randomName(), 1);
    await storage.log.append(topic.topicId, 0, records(1, Date.now()));
    const before = Date.now();
    await storage.topics.delete(topic.name);
    const after = Date.now();

    const report = await runJobs(storage, { reportDeferred: true });
    const pending = report.pendingPurges?.find((p) => p.topic === topic.name);
    expect(pending).toBeDefined();
    expect(pending!.dueAt - pending!.deletedAt).toBe(purgeDelayMs);
    expect(pending!.deletedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(pending!.deletedAt).toBeLessThanOrEqual(after + 1000);
    expect(report.purgedTopics).not.toContain(topic.name);

    const purged = await runJobs(storage, { now: () => pending!.dueAt });
    expect(purged.purgedTopics).toContain(topic.name);
    expect(purged.pendingPurges?.some((p) => p.topic === topic.name)).toBe(false);
  });
});
