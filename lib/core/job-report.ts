/** What a run of the background jobs did: the API's answer and the scheduled job's log line. */
export interface SealResult {
  readonly segments: number;
  readonly records: number;
  readonly bytes: number;
  /** Tail batches copied into segments. */
  readonly batches: number;
  /** Tail items the sealer deleted (none where they expire by TTL: see lib/storage/tail.ts). */
  readonly tailItemsDeleted: number;
  /** Offsets whose tail items expired before they were sealed: data lost (the RecordsLost metric). */
  readonly recordsLost: number;
  /**
   * Age of the oldest batch still in the tail after the run that is past the sealer's
   * minimum age (waiting for its segment to fill or reach segmentMs), or 0.
   */
  readonly lagMs: number;
}

export interface RetentionResult {
  readonly segmentsDeleted: number;
  readonly bytesDeleted: number;
  readonly logStartOffset: number;
}

export interface CompactionResult {
  readonly segmentsRewritten: number;
  readonly recordsRemoved: number;
}

/**
 * Work a run looked at and left for a later one, and when it falls due: the records of a
 * partition's tail not sealed yet, or its oldest segment kept until retention expires it.
 */
export interface Deferral {
  /** `seal`: records still in the tail; `retention`: the oldest sealed segment. */
  readonly job: 'seal' | 'retention';
  /** How many records wait (a compacted segment may hold fewer than its offset range). */
  readonly records: number;
  /** From this time (ms since the epoch) a run does it. */
  readonly dueAt: number;
  /**
   * What sets dueAt: the topic's `segment.ms` or `retention.ms`, or `seal.min.age` (the
   * sealer leaves batches younger than its minimum age alone, see lib/storage/log.ts).
   */
  /** 'tail.expiry': sealed before its tail items expire (a quarter of their time to live), whatever segment.ms says. */
  readonly reason: 'segment.ms' | 'retention.ms' | 'seal.min.age' | 'tail.expiry';
}

/** A deleted topic whose data waits for its purge (after a delay that outlasts containers' topic caches). */
export interface PendingPurge {
  readonly topic: string;
  readonly deletedAt: number;
  /** From this time (ms since the epoch) a run purges it. */
  readonly dueAt: number;
}

export interface PartitionReport {
  readonly topic: string;
  readonly partition: number;
  /** Another run holds the partition's lease. */
  readonly skipped: boolean;
  readonly seal?: SealResult;
  readonly retention?: RetentionResult;
  readonly compaction?: CompactionResult;
  readonly garbageDeleted?: number;
  /** What is left for later, and when it is due (absent from older servers' answers). */
  readonly deferred?: readonly Deferral[];
}

export interface JobReport {
  readonly partitions: readonly PartitionReport[];
  readonly purgedTopics: readonly string[];
  /** Deleted topics not purged yet (absent from older servers' answers). */
  readonly pendingPurges?: readonly PendingPurge[];
}

export interface JobSummary {
  readonly partitions: number;
  readonly skipped: number;
  readonly segmentsSealed: number;
  readonly recordsSealed: number;
  readonly recordsLost: number;
  readonly segmentsDeleted: number;
  readonly recordsCompacted: number;
  readonly garbageDeleted: number;
  readonly purgedTopics: readonly string[];
  /** The largest seal lag of the partitions this run looked at (the SealLagSeconds metric). */
  readonly sealLagMs: number;
}

export function summarizeJobs(report: JobReport): JobSummary {
  const sum = (pick: (p: PartitionReport) => number | undefined) => report.partitions.reduce((n, p) => n + (pick(p) ?? 0), 0);
  return {
    partitions: report.partitions.length,
    skipped: report.partitions.filter((p) => p.skipped).length,
    segmentsSealed: sum((p) => p.seal?.segments),
    recordsSealed: sum((p) => p.seal?.records),
    recordsLost: sum((p) => p.seal?.recordsLost),
    segmentsDeleted: sum((p) => p.retention?.segmentsDeleted),
    recordsCompacted: sum((p) => p.compaction?.recordsRemoved),
    garbageDeleted: sum((p) => p.garbageDeleted),
    purgedTopics: report.purgedTopics,
    sealLagMs: report.partitions.reduce((max, p) => Math.max(max, p.seal?.lagMs ?? 0), 0),
  };
}
