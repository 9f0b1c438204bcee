/**
 * A partition's log: the hot tail in DynamoDB (one item per appended batch, keyed
 * (`topicId#partition`, baseOffset), appended with a conditional put so that two writers
 * racing for one offset cannot both win: append.ts) and, below it, sealed segments in S3.
 * This file is the face the rest of the code calls, `storage.log`; the work is in
 * append.ts, read.ts, search.ts and partition-view.ts (what this container caches).
 *
 * Sealed tail items go (deleted by the sealer, or expired by DynamoDB's TTL a day after
 * their put: TailCleanup in tail.ts), and a gone item no longer guards its offset. So a
 * container trusts its cached next offset for offsetCacheMs only, and the sealer takes
 * only items older than sealMinAgeMs, which is longer than that plus a request's life:
 *
 *   container A  learns next=X ──(cache, ≤ 10 s)── put(X) (≤ 30 s later, with retries)
 *   container B       put(X) ok ───────────────── sealed ≥ 120 s, deleted or expired ≥ 120 s after its put
 *
 * A's put at X therefore always meets B's item, never an empty key. The same bound lets
 * a reader that found nothing past a batch boundary trust, for endConfirmMs (60 s), that
 * the boundary is the log end rather than a stretch sealed and deleted meanwhile.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { Appender, type AppendContent, type AppendOptions, type AppendResult, type AppendTuning } from './append.ts';
import type { UsageMeter } from './clients.ts';
import { PartitionViews, type PartitionBounds, type ViewTuning } from './partition-view.ts';
import type { PartitionStore } from './partitions.ts';
import { LogReader, type BatchReadResult, type ReadLimits, type ReadResult } from './read.ts';
import { LogSearch } from './search.ts';
import type { SegmentStore } from './segments.ts';
import { partitionKey, type TailCleanup, type TailStore } from './tail.ts';

export { partitionKey };
export type { AppendContent, AppendOptions, AppendResult, BatchReadResult, PartitionBounds, ReadLimits, ReadResult };

export interface LogOptions extends AppendTuning, ViewTuning {}

/**
 * The stored (compressed) batch size above which a batch is staged in S3 behind a pointer
 * item: where one PUT ($5 per million) and a one-unit pointer write ($0.625 per million)
 * plus the sealer's GET ($0.4 per million) cost less than the batch's own write units
 * ($0.625 per million per KB of item) and the sealer's read of them (a unit per 4 KB).
 * Where sealed items expire by TTL that is an item of 9 KB: measured by `npm run bench --
 * --scenario small`, an 8,325-byte batch inline costs $5.9 per million batches and a
 * 9,358-byte one staged $6.1. Where the sealer deletes items, each KB is paid twice (write
 * and delete) and it is an item of 5 KB. Less the item's other attributes (under 256 bytes).
 */
export function inlineBatchBytesFor(cleanup: TailCleanup['kind']): number {
  return (cleanup === 'expire' ? 9 : 5) * 1024 - 256;
}

export const defaultLogOptions: LogOptions = {
  inlineBatchBytes: inlineBatchBytesFor('expire'),
  maxAppendAttempts: 20,
  offsetCacheMs: 10_000,
  logStartCacheMs: 30_000,
  hwCacheMs: 1_000,
  endConfirmMs: 60_000,
};

export class LogStore {
  private readonly views: PartitionViews;
  private readonly appender: Appender;
  private readonly reader: LogReader;
  private readonly search: LogSearch;

  constructor(
    dynamodb: DynamoDBClient,
    s3: S3Client,
    tail: TailStore,
    segments: SegmentStore,
    partitions: PartitionStore,
    bucket: string,
    usage: UsageMeter,
    options: LogOptions = defaultLogOptions,
  ) {
    this.views = new PartitionViews(tail, partitions, options);
    this.appender = new Appender(dynamodb, s3, tail, this.views, bucket, usage, options);
    this.reader = new LogReader(tail, segments, partitions, this.views, usage);
    this.search = new LogSearch(tail, segments, partitions);
  }

  /** Appends records (or a client's batch) to one partition as one batch; they get consecutive offsets. */
  append(topicId: string, partition: number, content: AppendContent, options: AppendOptions = {}): Promise<AppendResult> {
    return this.appender.append(partitionKey(topicId, partition), content, options);
  }

  /**
   * An offset at or below where the partition's next append will land: this container's
   * cached next offset, or the log end read now (and cached for the append that follows).
   */
  nextOffsetAtMost(topicId: string, partition: number): Promise<number> {
    return this.views.nextOffset(partitionKey(topicId, partition));
  }

  /** Where an append landed, if it did at or after `from` (see LogSearch.findAppend). */
  findAppend(
    topicId: string,
    partition: number,
    from: number,
    appendId: string,
    producer: NonNullable<AppendOptions['producer']>,
  ): Promise<number | undefined> {
    return this.search.findAppend(partitionKey(topicId, partition), from, appendId, producer);
  }

  /** The partition's first offset and the offset the next append will get, both read fresh. */
  bounds(topicId: string, partition: number): Promise<PartitionBounds> {
    const pk = partitionKey(topicId, partition);
    this.views.forgetLogStart(pk);
    return this.views.bounds(pk);
  }

  /**
   * The bounds and where sealed data ends (offsets below it are in segments, the rest in
   * the tail), read fresh: what describing a topic shows per partition. The sealed offset
   * comes from the partition state the bounds just read, so it is never past the log end.
   */
  async describePartition(topicId: string, partition: number): Promise<PartitionBounds & { readonly sealedOffset: number }> {
    const bounds = await this.bounds(topicId, partition);
    const sealedOffset = await this.views.sealedOffset(partitionKey(topicId, partition));
    return { ...bounds, sealedOffset: Math.min(sealedOffset, bounds.highWatermark) };
  }

  /**
   * Records from `offset` on, from the tail or a sealed segment; at the log end, waits up
   * to waitMs for the first new record (see LogReader.read).
   */
  read(topicId: string, partition: number, offset: number, limits: ReadLimits): Promise<ReadResult> {
    return this.reader.read(partitionKey(topicId, partition), offset, limits);
  }

  /** Whole batches as stored from the one holding `offset` on (see LogReader.readBatches). */
  readBatches(topicId: string, partition: number, offset: number, limits: Omit<ReadLimits, 'maxRecords'>): Promise<BatchReadResult> {
    return this.reader.readBatches(partitionKey(topicId, partition), offset, limits);
  }

  /**
   * The earliest offset whose record timestamp is at or after `timestamp` (Kafka's
   * ListOffsets by time), or null when every record is older.
   */
  offsetForTimestamp(topicId: string, partition: number, timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    return this.search.offsetForTimestamp(partitionKey(topicId, partition), timestamp);
  }

  /** The first record with the partition's largest timestamp (Kafka's MAX_TIMESTAMP), or null when it is empty. */
  largestTimestamp(topicId: string, partition: number): Promise<{ offset: number; timestamp: number } | null> {
    return this.search.largestTimestamp(partitionKey(topicId, partition));
  }

  /** Forgets what this container cached about a partition: jobs that moved it call this. */
  forget(topicId: string, partition: number): void {
    this.views.forget(partitionKey(topicId, partition));
  }
}
