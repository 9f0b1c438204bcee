/**
 * What a run leaves for later, and when it falls due, by the same rules the jobs use to
 * decide what is due now (lib/jobs/seal.ts's dueItems, lib/jobs/retention.ts):
 *
 *   seal       the oldest unsealed batch is sealed once it is segment.ms old, or once
 *              its newest record is past retention.ms (delete policy), whichever is
 *              first, but never before the sealer's minimum age (seal.min.age)
 *   retention  the oldest sealed segment goes once its newest record is past
 *              retention.ms (delete policy, retention.ms not -1)
 *
 * A full segment.bytes of old-enough batches seals sooner; that is not a time, so the
 * report gives the time rule only.
 */
import type { Deferral } from '../core/job-report.ts';
import type { Storage } from '../storage/index.ts';
import type { PartitionState } from '../storage/partitions.ts';
import type { SegmentRecord } from '../storage/segments.ts';
import type { TailItem } from '../storage/tail.ts';
import type { TopicMeta } from '../storage/topics.ts';
import { sealByAgeMs } from './seal.ts';

/** What a caller may already have read; anything missing is read here. */
export interface PartitionView {
  readonly state: PartitionState;
  /** The oldest tail item at or above the sealed end (null: none). */
  readonly oldestUnsealed?: TailItem | null;
  /** The segment holding the log start (null: none). */
  readonly oldestSegment?: SegmentRecord | null;
}

/** The partition's deferred work after a run (or instead of one, for an idle partition). */
export async function deferredWork(
  storage: Storage,
  topic: TopicMeta,
  pk: string,
  now: number,
  sealMinAgeMs: number,
  known?: PartitionView,
): Promise<Deferral[]> {
  const state = known?.state ?? (await storage.partitions.get(pk));
  const deferred: Deferral[] = [];
  const oldest = known?.oldestUnsealed !== undefined ? known.oldestUnsealed : (await storage.tail.query({ pk, forward: true, limit: 1, atLeast: state.sealedOffset }))[0];
  if (oldest) {
    const [newest] = await storage.tail.query({ pk, forward: false, limit: 1 });
    const end = newest ? newest.offset + newest.count : oldest.offset + oldest.count;
    deferred.push({ job: 'seal', records: end - oldest.offset, ...sealDue(oldest, topic, sealMinAgeMs, sealByAgeMs(storage)) });
  }
  const { retentionMs, cleanupPolicy } = topic.config;
  if (cleanupPolicy === 'delete' && retentionMs !== -1 && state.sealedOffset > state.logStartOffset) {
    const segment = known?.oldestSegment !== undefined ? known.oldestSegment : await storage.segments.containing(pk, state.logStartOffset);
    // Due once maxTimestamp < now - retentionMs, so one millisecond after the boundary.
    if (segment && segment.endOffset > state.logStartOffset && segment.maxTimestamp + retentionMs + 1 > now) {
      const records = segment.endOffset - Math.max(segment.baseOffset, state.logStartOffset);
      deferred.push({ job: 'retention', records, dueAt: segment.maxTimestamp + retentionMs + 1, reason: 'retention.ms' });
    }
  }
  return deferred;
}

/** When the sealer takes `oldest`, and which rule says so. */
export function sealDue(oldest: TailItem, topic: TopicMeta, sealMinAgeMs: number, sealByAgeMs?: number): Pick<Deferral, 'dueAt' | 'reason'> {
  const { segmentMs, retentionMs, cleanupPolicy } = topic.config;
  let due: Pick<Deferral, 'dueAt' | 'reason'> =
    sealByAgeMs !== undefined && sealByAgeMs < segmentMs
      ? { dueAt: oldest.appendedAt + sealByAgeMs, reason: 'tail.expiry' }
      : { dueAt: oldest.appendedAt + segmentMs, reason: 'segment.ms' };
  if (cleanupPolicy === 'delete' && retentionMs !== -1 && oldest.maxTimestamp + retentionMs < due.dueAt) {
    due = { dueAt: oldest.maxTimestamp + retentionMs, reason: 'retention.ms' };
  }
  const settled = oldest.appendedAt + sealMinAgeMs;
  return settled > due.dueAt ? { dueAt: settled, reason: 'seal.min.age' } : due;
}
