/**
 * One run of the background jobs (on a schedule, or `sluice jobs run`): for each partition
 * whose job lease it can take, seal, apply retention, compact (compacted topics) and
 * collect garbage; then purge deleted topics.
 */
import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/index.ts';
import { partitionKey } from '../storage/tail.ts';
import type { TopicMeta } from '../storage/topics.ts';
import type { JobReport, PartitionReport, PendingPurge } from '../core/job-report.ts';
import { compactPartition } from './compaction.ts';
import { deferredWork, type PartitionView } from './deferred.ts';
import { collectGarbage } from './gc.ts';
import { purgeDeletedTopic } from './purge.ts';
import { applyRetention } from './retention.ts';
import { defaultSealOptions, sealPartition } from './seal.ts';

export interface JobOptions {
  /** Only this topic (and no purge of deleted ones). */
  readonly topic?: string;
  /** Only tail items older than this are sealed; see lib/storage/log.ts. @default 120000 */
  readonly sealMinAgeMs?: number;
  /** How long a partition's job lease lasts. @default 300000 */
  readonly leaseMs?: number;
  /** Unreferenced objects younger than this are left alone. @default 3600000 */
  readonly garbageGraceMs?: number;
  readonly now?: () => number;
  /**
   * Also say what each partition leaves for later and when it falls due (a read or two
   * more per partition): for a person asking (POST /v1/jobs/run, sluice jobs run), not
   * for the schedule. @default false
   */
  readonly reportDeferred?: boolean;
  /** Told after each partition, for progress. */
  readonly onPartition?: (report: PartitionReport) => void;
}

/** How long after a topic's deletion its data is purged. */
export const purgeDelayMs = 5 * 60_000;

export async function runJobs(storage: Storage, options: JobOptions = {}): Promise<JobReport> {
  const now = options.now ?? Date.now;
  const owner = `jobs-${randomUUID()}`;
  const topics = options.topic ? [await storage.topics.get(options.topic, { fresh: true })] : await storage.topics.list();
  const partitions: PartitionReport[] = [];
  for (const topic of topics) {
    for (let partition = 0; partition < topic.partitions; partition++) {
      const report = await runPartition(storage, topic, partition, owner, now, options);
      partitions.push(report);
      options.onPartition?.(report);
    }
  }
  const purgedTopics: string[] = [];
  const pendingPurges: PendingPurge[] = [];
  if (!options.topic) {
    for (const { topic, deletedAt } of await storage.topics.listDeleted()) {
      // Containers may still append under the old id for their topic cache's lifetime
      // plus a request's: purge after that, or such appends would outlive the purge.
      if (deletedAt > now() - purgeDelayMs) {
        pendingPurges.push({ topic: topic.name, deletedAt, dueAt: deletedAt + purgeDelayMs });
        continue;
      }
      await purgeDeletedTopic(storage, topic);
      purgedTopics.push(topic.name);
    }
  }
  return { partitions, purgedTopics, pendingPurges };
}

async function runPartition(
  storage: Storage,
  topic: TopicMeta,
  partition: number,
  owner: string,
  now: () => number,
  options: JobOptions,
): Promise<PartitionReport> {
  const pk = partitionKey(topic.topicId, partition);
  const sealMinAgeMs = options.sealMinAgeMs ?? defaultSealOptions.sealMinAgeMs;
  const { work, view } = await mayHaveWork(storage, topic, pk, now(), sealMinAgeMs);
  if (!work) {
    const deferred = options.reportDeferred ? await deferredWork(storage, topic, pk, now(), sealMinAgeMs, view) : [];
    return { topic: topic.name, partition, skipped: false, ...(deferred.length > 0 ? { deferred } : {}) };
  }
  const lease = await storage.partitions.acquireLease(pk, owner, options.leaseMs ?? 300_000);
  if (!lease) return { topic: topic.name, partition, skipped: true };
  const graceMs = options.garbageGraceMs ?? 3_600_000;
  try {
    // Any step below may leave garbage too young to collect now (a crash between two
    // deletions, a failed append's object): ask for a later pass first, so that even a
    // crash here cannot lose it, and collect it then even if the partition is idle.
    await storage.partitions.scheduleGc(pk, now() + graceMs);
    const seal = await sealPartition(storage, topic, partition, { now, sealMinAgeMs });
    const retention = await applyRetention(storage, topic, partition, now());
    const compaction = topic.config.cleanupPolicy === 'compact' ? await compactPartition(storage, topic, partition, now()) : undefined;
    // This container's caches (log start, batch boundaries) may describe what just moved.
    storage.log.forget(topic.topicId, partition);
    const garbageDeleted = await collectGarbage(storage, topic, partition, now(), graceMs);
    const worked = seal.segments > 0 || seal.tailItemsDeleted > 0 || (compaction?.segmentsRewritten ?? 0) > 0;
    if (!worked) await storage.partitions.scheduleGc(pk, undefined); // this run made nothing to collect later
    const deferred = options.reportDeferred ? await deferredWork(storage, topic, pk, now(), sealMinAgeMs) : [];
    return {
      topic: topic.name,
      partition,
      skipped: false,
      seal,
      retention,
      ...(compaction ? { compaction } : {}),
      garbageDeleted,
      ...(deferred.length > 0 ? { deferred } : {}),
    };
  } finally {
    await storage.partitions.releaseLease(pk, lease);
  }
}

/**
 * A few small reads that tell an idle partition from one with work, so a schedule costs
 * next to nothing (and writes nothing, not even a lease) while a topic is quiet: a tail
 * item old enough to seal, or left below the sealed end by a crashed run; a garbage pass
 * that an earlier run asked for; the oldest live segment past retentionMs; any segments
 * under a size limit or compaction. An idle partition's answer carries what was read,
 * so its deferred work is told from the same reads.
 */
async function mayHaveWork(
  storage: Storage,
  topic: TopicMeta,
  pk: string,
  now: number,
  sealMinAgeMs: number,
): Promise<{ work: boolean; view?: PartitionView }> {
  const state = await storage.partitions.get(pk);
  if (state.gcAt !== undefined && state.gcAt <= now) return { work: true };
  // Where sealed items expire rather than being deleted, they linger below the sealed end: look above it.
  const lingers = storage.tail.cleanup.kind === 'expire';
  const [oldestTail] = await storage.tail.query({ pk, forward: true, limit: 1, ...(lingers ? { atLeast: state.sealedOffset } : {}) });
  if (oldestTail && (oldestTail.offset < state.sealedOffset || oldestTail.appendedAt <= now - sealMinAgeMs)) return { work: true };
  // From here on, the oldest tail item (if any) is at or above the sealed end.
  const oldestUnsealed = oldestTail ?? null;
  if (state.sealedOffset <= state.logStartOffset) return { work: false, view: { state, oldestUnsealed } }; // nothing sealed and live
  const { retentionMs, retentionBytes, cleanupPolicy } = topic.config;
  if (retentionBytes !== -1 || cleanupPolicy === 'compact') return { work: true };
  const oldestSegment = await storage.segments.containing(pk, state.logStartOffset);
  const work = !oldestSegment || (retentionMs !== -1 && oldestSegment.maxTimestamp < now - retentionMs);
  return { work, view: { state, oldestUnsealed, oldestSegment: oldestSegment ?? null } };
}
