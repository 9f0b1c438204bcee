/**
 * A partition's log: the hot tail in DynamoDB (one item per appended batch, keyed
 * (`topicId#partition`, baseOffset), appended with a conditional put so that two writers
 * racing for one offset cannot both win) and, below it, sealed segments in S3.
 *
 *   writer A  put(o=10, id=A) ─────────────── ok ─────────────────▶ offsets 10..14
 *   writer B  put(o=10, id=B) ── conflict, ALL_OLD says A has 5 ──▶ put(o=15, id=B) ok
 *   writer C  put(o=20, id=C) ── reply lost ─ SDK retry: conflict, ALL_OLD says C ──▶ ok, 20
 *
 * The last line is why every item carries its append's id: without it, a lost reply
 * would turn into a second copy of the batch.
 *
 * Sealing deletes tail items, and a deleted item no longer guards its offset. So a
 * container trusts its cached next offset for offsetCacheMs only, and the sealer takes
 * only items older than sealMinAgeMs, which is longer than that plus a request's life:
 *
 *   container A  learns next=X ──(cache, ≤ 10 s)── put(X) (≤ 30 s later, with retries)
 *   container B       put(X) ok ───────────────── sealed and deleted ≥ 120 s after its put
 *
 * A's put at X therefore always meets B's item, never an empty key.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ConditionalCheckFailedException, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backoffDelay, sleep, type BackoffDelays } from '../core/backoff.ts';
import { encodeBatch, setBaseOffset, type BatchHeader, type RecordInput, type StoredRecord } from '../core/codec/record-batch.ts';
import { OffsetOutOfRangeError, ThrottledError, UnavailableError } from '../core/errors.ts';
import { byteRangeFor, byteRangeForTimestamp, completeBatches } from '../core/segment.ts';
import type { UsageMeter } from './clients.ts';
import type { PartitionStore } from './partitions.ts';
import type { SegmentRecord, SegmentStore } from './segments.ts';
import { bucketLayout } from './tables.ts';
import { ObjectGoneError } from './objects.ts';
import { partitionKey, type TailItem, type TailStore } from './tail.ts';

export { partitionKey };

export interface LogOptions {
  /** Batches larger than this go to an S3 object with a pointer item (near the cost crossover of a PUT and write units). */
  readonly inlineBatchBytes: number;
  /** Conditional-put attempts for one append before it answers 503. */
  readonly maxAppendAttempts: number;
  /** How long a container trusts its cached next offset (see the timeline above). */
  readonly offsetCacheMs: number;
  /** How long a container trusts its cached log start offset. */
  readonly logStartCacheMs: number;
  /** How old a high watermark a fetch that stops short of the log end may answer. */
  readonly hwCacheMs: number;
}

export const defaultLogOptions: LogOptions = {
  inlineBatchBytes: 8 * 1024,
  maxAppendAttempts: 20,
  offsetCacheMs: 10_000,
  logStartCacheMs: 30_000,
  hwCacheMs: 1_000,
};

/** What an idempotent append writes into its batch header, and how long it may try. */
export interface AppendOptions {
  /** Id written on the tail item, so a later try can find this append. @default a fresh one */
  readonly appendId?: string;
  readonly producer?: { readonly producerId: bigint; readonly producerEpoch: number; readonly baseSequence: number };
  /** No put starts after this time (ms), and one in flight is abandoned: a retry may take over after it. */
  readonly deadline?: number;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly count: number;
}

export interface ReadLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
  /** Long poll: wait up to this long for the first record at the log end. */
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
}

export interface ReadResult {
  readonly records: StoredRecord[];
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

export interface PartitionBounds {
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/** What a container last learned of a partition. */
interface PartitionView {
  /** Where the last tail batch it read or wrote ends: fetches there skip the containing-batch read. */
  readonly batchEnd: number;
  /** That batch's record count and bytes, to size the next scan's pages. */
  readonly count: number;
  readonly size: number;
  readonly highWatermark: number;
  readonly seenAt: number;
}

const definiteErrors = new Set(['ValidationException', 'ResourceNotFoundException', 'AccessDeniedException']);

export class LogStore {
  /** Next offset per partition, as this container last saw it: a warm append is one put. */
  private readonly nextOffsets = new Map<string, { offset: number; at: number }>();
  private readonly logStarts = new Map<string, { offset: number; at: number }>();
  /** What this container last learned of each partition from its own reads and appends. */
  private readonly views = new Map<string, PartitionView>();
  /** Appends to one partition from one container run one after another, never racing each other. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly appended = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly s3: S3Client,
    private readonly tail: TailStore,
    private readonly segments: SegmentStore,
    private readonly partitions: PartitionStore,
    private readonly bucket: string,
    private readonly usage: UsageMeter,
    private readonly options: LogOptions = defaultLogOptions,
  ) {}

  /** Appends records to one partition as one batch; they get consecutive offsets. */
  append(topicId: string, partition: number, records: readonly RecordInput[], options: AppendOptions = {}): Promise<AppendResult> {
    const pk = partitionKey(topicId, partition);
    const previous = this.queues.get(pk) ?? Promise.resolve();
    const run = previous.then(() => this.appendNow(pk, records, options));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(pk, settled);
    void settled.then(() => {
      if (this.queues.get(pk) === settled) this.queues.delete(pk);
    });
    return run;
  }

  private async appendNow(pk: string, records: readonly RecordInput[], options: AppendOptions): Promise<AppendResult> {
    const appendId = options.appendId ?? randomUUID();
    const batch = encodeBatch({ baseOffset: 0, records, ...options.producer });
    const count = records.length;
    const maxTimestamp = records.reduce((max, r) => Math.max(max, r.timestamp), -Infinity);
    const payload: Record<string, AttributeValue> = { size: { N: String(batch.length) } };
    if (batch.length > this.options.inlineBatchBytes) {
      // The object lands first; one whose pointer never lands is garbage nobody reads.
      const key = `${bucketLayout.staged}${pk.replace('#', '/')}/${appendId}`;
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: batch }));
      payload.object = { S: key };
    } else {
      payload.bytes = { B: batch };
    }

    let offset = await this.nextOffsetOf(pk);
    let conflictsInRow = 0;
    let lastError: unknown;
    this.nextOffsets.delete(pk);
    for (let attempt = 0; attempt < this.options.maxAppendAttempts; attempt++) {
      if (payload.bytes) setBaseOffset(batch, offset);
      const left = options.deadline === undefined ? undefined : options.deadline - Date.now();
      if (left !== undefined && left <= 0) {
        throw new UnavailableError('the append ran out of time; retry the request to learn whether it landed', { cause: lastError });
      }
      try {
        await this.dynamodb.send(
          new PutItemCommand({
            TableName: this.tail.table,
            Item: {
              pk: { S: pk },
              offset: { N: String(offset) },
              count: { N: String(count) },
              maxTimestamp: { N: String(maxTimestamp) },
              appendedAt: { N: String(Date.now()) },
              writer: { S: appendId },
              ...payload,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          left === undefined ? {} : { abortSignal: AbortSignal.timeout(left) },
        );
        return this.appendedAt(pk, offset, records, batch.length);
      } catch (err) {
        lastError = err;
        if (err instanceof ConditionalCheckFailedException) {
          const winner = err.Item?.writer?.S ? err.Item : undefined;
          // Our own earlier try landed and its reply was lost.
          if (winner?.writer?.S === appendId) return this.appendedAt(pk, offset, records, batch.length);
          conflictsInRow++;
          this.usage.appendConflicts++;
          if (conflictsInRow === 1 && winner) {
            offset = Number(winner.offset!.N) + Number(winner.count!.N);
          } else {
            // Other writers are busy here: wait first, so the end we read is still fresh.
            await sleep(backoffDelay(conflictsInRow, appendBackoff));
            offset = (await this.boundsOf(pk)).highWatermark;
          }
          continue;
        }
        if (definiteErrors.has((err as Error).name)) throw err;
        // Anything else may have landed: retry at the same offset to learn which.
        conflictsInRow = 0;
        await sleep(backoffDelay(attempt, appendBackoff));
      }
    }
    if (lastError instanceof ThrottledError) throw lastError;
    throw new UnavailableError('append did not complete; it may or may not have landed', { cause: lastError });
  }

  private appendedAt(pk: string, offset: number, records: readonly RecordInput[], size: number): AppendResult {
    const count = records.length;
    this.usage.recordsIn += count;
    this.usage.bytesIn += payloadBytes(records);
    this.nextOffsets.set(pk, { offset: offset + count, at: Date.now() });
    this.saw(pk, { offset, count, size }, offset + count);
    this.appended.emit(pk);
    return { baseOffset: offset, count };
  }

  /**
   * An offset at or below where the partition's next append will land: this container's
   * cached next offset, or the log end read now (and cached for the append that follows).
   */
  nextOffsetAtMost(topicId: string, partition: number): Promise<number> {
    return this.nextOffsetOf(partitionKey(topicId, partition));
  }

  private async nextOffsetOf(pk: string): Promise<number> {
    const cached = this.nextOffsets.get(pk);
    if (cached && Date.now() - cached.at < this.options.offsetCacheMs) return cached.offset;
    const { highWatermark } = await this.boundsOf(pk);
    this.nextOffsets.set(pk, { offset: highWatermark, at: Date.now() });
    return highWatermark;
  }

  /**
   * Where an append landed, if it did at or after `from`: by its id in the tail, or by
   * its producer fields in the batch headers of sealed segments. The tail is read first:
   * sealing writes a segment before deleting the items in it, so an item gone from the
   * tail when we look there is in a segment when we look there next.
   */
  async findAppend(
    topicId: string,
    partition: number,
    from: number,
    appendId: string,
    producer: NonNullable<AppendOptions['producer']>,
  ): Promise<number | undefined> {
    const pk = partitionKey(topicId, partition);
    for await (const item of this.tail.scanForward(pk, from, () => 100)) {
      if (item.writer === appendId) return item.offset;
    }
    for (const segment of await this.segments.list(pk)) {
      if (segment.endOffset <= from || !segment.key) continue;
      for await (const header of this.batchHeadersFrom(segment, from)) {
        if (header.producerId === producer.producerId && header.producerEpoch === producer.producerEpoch && header.baseSequence === producer.baseSequence) {
          return header.baseOffset;
        }
      }
    }
    return undefined;
  }

  /** The headers of a segment's batches from the one holding `offset` on, read a few MiB at a time. */
  private async *batchHeadersFrom(segment: SegmentRecord, offset: number): AsyncGenerator<BatchHeader> {
    const chunkBytes = 4 * 1024 * 1024;
    let at = byteRangeFor(segment.index, segment.bytes, offset, 0).start;
    while (at < segment.bytes) {
      const chunk = completeBatches(await this.segments.readRange(segment.key!, at, Math.min(segment.bytes, at + chunkBytes)));
      for (const batch of chunk.batches) yield batch.header;
      if (chunk.consumed > 0) at += chunk.consumed;
      else if (chunk.partialLength !== undefined) {
        // One batch larger than a chunk: read exactly it.
        const { batches } = completeBatches(await this.segments.readRange(segment.key!, at, at + chunk.partialLength));
        for (const batch of batches) yield batch.header;
        at += chunk.partialLength;
      } else break;
    }
  }

  /** The partition's first offset and the offset the next append will get, both read fresh. */
  bounds(topicId: string, partition: number): Promise<PartitionBounds> {
    const pk = partitionKey(topicId, partition);
    this.logStarts.delete(pk);
    return this.boundsOf(pk);
  }

  private async boundsOf(pk: string): Promise<PartitionBounds> {
    const [last] = await this.tail.query({ pk, forward: false, limit: 1 });
    if (last) {
      const highWatermark = last.offset + last.count;
      this.saw(pk, last, highWatermark);
      return { logStartOffset: await this.logStartOffset(pk), highWatermark };
    }
    // An empty tail: everything there is, is sealed.
    const state = await this.partitions.get(pk);
    this.logStarts.set(pk, { offset: state.logStartOffset, at: Date.now() });
    return { logStartOffset: state.logStartOffset, highWatermark: Math.max(state.sealedOffset, state.logStartOffset) };
  }

  /**
   * Records from `offset` on, at least one batch's worth even past maxBytes (as Kafka
   * does, so a large record never blocks a consumer), from the tail or a sealed segment.
   * Offsets compaction removed are skipped. At the log end, waits up to waitMs for the
   * first new record: woken at once by an append in this process, otherwise polling at
   * a growing interval.
   */
  async read(topicId: string, partition: number, offset: number, limits: ReadLimits): Promise<ReadResult> {
    const pk = partitionKey(topicId, partition);
    const deadline = Date.now() + (limits.waitMs ?? 0);
    let from = offset;
    for (let interval = 50; ; ) {
      const result = await this.readOnce(pk, from, limits);
      if (result.records.length > 0) {
        this.usage.recordsOut += result.records.length;
        this.usage.bytesOut += payloadBytes(result.records);
        return result;
      }
      if (result.nextOffset > from) {
        // A stretch that compaction emptied: go on past it without waiting.
        from = result.nextOffset;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0 || limits.signal?.aborted) return result;
      await this.waitForAppend(pk, Math.min(interval, left), limits.signal);
      interval = Math.min(interval * 2, 1000);
    }
  }

  private async readOnce(pk: string, offset: number, limits: ReadLimits, retried = false): Promise<ReadResult> {
    try {
      return await this.readTail(pk, offset, limits);
    } catch (err) {
      // A job moved or dropped data between our read of an item and of its object:
      // read again with nothing cached, once.
      if (!(err instanceof ObjectGoneError) || retried) throw err;
      this.views.delete(pk);
      this.logStarts.delete(pk);
      return this.readOnce(pk, offset, limits, true);
    }
  }

  private async readTail(pk: string, offset: number, limits: ReadLimits): Promise<ReadResult> {
    const items: TailItem[] = [];
    let bytes = 0;
    // At a batch boundary this container has seen (where its last fetch or append
    // ended) no item starts before the offset, so the read of the batch containing it,
    // which costs that whole item, is skipped: a caught-up long poll costs one small query.
    const view = this.views.get(pk);
    const atBoundary = view?.batchEnd === offset;
    let previousEnd: number | undefined = atBoundary ? offset : undefined;
    if (!atBoundary) {
      const [containing] = await this.tail.query({ pk, forward: false, limit: 1, atMost: offset });
      // No tail item at or below the offset: it is sealed, or out of range.
      if (!containing) return this.readSealed(pk, offset, limits);
      previousEnd = containing.offset + containing.count;
      if (previousEnd > offset) {
        items.push(containing);
        bytes += containing.size;
      }
    }
    const enough = () => items.length > 0 && (bytes >= limits.maxBytes || recordsFrom(items, offset) >= limits.maxRecords);
    // A Query bills every item it reads, so pages hold only as many items as the fetch
    // still needs, judged by the last batches seen here (one item when nothing is known).
    const pageSize = () => {
      const sample = items.at(-1) ?? view;
      if (!sample) return 1;
      const recordsLeft = limits.maxRecords - recordsFrom(items, offset);
      const bytesLeft = limits.maxBytes - bytes;
      const needed = Math.min(Math.ceil(recordsLeft / sample.count), Math.ceil(bytesLeft / Math.max(1, sample.size)));
      return Math.min(100, Math.max(1, needed));
    };
    let reachedEnd = !enough();
    if (reachedEnd) {
      for await (const item of this.tail.scanForward(pk, atBoundary ? offset : offset + 1, pageSize)) {
        if (atBoundary && items.length === 0 && item.offset !== offset) {
          // The hint is stale (the log moved under it): take the long way once.
          this.views.delete(pk);
          return this.readTail(pk, offset, limits);
        }
        items.push(item);
        bytes += item.size;
        if (enough()) {
          reachedEnd = false;
          break;
        }
      }
    }
    if (atBoundary && items.length === 0) {
      // Nothing at or past a boundary we knew: at the end, unless the sealer took it all.
      const state = await this.partitions.get(pk);
      if (offset < state.sealedOffset) {
        this.views.delete(pk);
        return this.readSealed(pk, offset, limits);
      }
    }
    const last = items.at(-1);
    const lastEnd = last ? last.offset + last.count : previousEnd!;
    const highWatermark = reachedEnd ? lastEnd : await this.highWatermarkAtLeast(pk, lastEnd);
    if (last) this.saw(pk, last, reachedEnd ? highWatermark : undefined);
    const logStartOffset = await this.logStartOffset(pk, offset);
    if (offset < logStartOffset || offset > highWatermark) {
      throw new OffsetOutOfRangeError(offset, logStartOffset, highWatermark);
    }

    const records: StoredRecord[] = [];
    for (const item of items) {
      for (const record of await this.tail.recordsOf(pk, item)) {
        if (record.offset >= offset && records.length < limits.maxRecords) records.push(record);
      }
    }
    const nextOffset = records.length > 0 ? records.at(-1)!.offset + 1 : offset;
    return { records, nextOffset, highWatermark, logStartOffset };
  }

  /** Reads from the sealed segment holding `offset`, with a range GET sized by its index. */
  private async readSealed(pk: string, offset: number, limits: ReadLimits): Promise<ReadResult> {
    let segment = await this.segments.containing(pk, offset);
    if (!segment) {
      // Below the log start, or beyond everything: answer with fresh bounds.
      this.logStarts.delete(pk);
      const bounds = await this.boundsOf(pk);
      if (offset === bounds.highWatermark && offset >= bounds.logStartOffset) return { records: [], nextOffset: offset, ...bounds };
      if (offset >= bounds.logStartOffset && offset < bounds.highWatermark) {
        // The tail moved into a segment while we looked: look once more.
        segment = await this.segments.containing(pk, offset);
      }
      if (!segment) throw new OffsetOutOfRangeError(offset, bounds.logStartOffset, bounds.highWatermark);
    }
    const logStartOffset = await this.logStartOffset(pk, offset);
    if (offset < logStartOffset) {
      throw new OffsetOutOfRangeError(offset, logStartOffset, await this.highWatermarkAtLeast(pk, segment.endOffset));
    }
    const { records, scannedTo } = await this.recordsFromSegment(segment, offset, limits);
    const nextOffset = records.length > 0 ? records.at(-1)!.offset + 1 : Math.max(offset, scannedTo);
    return { records, nextOffset, highWatermark: await this.highWatermarkAtLeast(pk, segment.endOffset), logStartOffset };
  }

  private async recordsFromSegment(
    segment: SegmentRecord,
    offset: number,
    limits: ReadLimits,
  ): Promise<{ records: StoredRecord[]; scannedTo: number }> {
    if (!segment.key) return { records: [], scannedTo: segment.endOffset };
    // Read what maxBytes allows, or less when maxRecords of the segment's average size need less.
    const averageRecordBytes = segment.bytes / Math.max(1, segment.recordCount);
    const wanted = Math.min(limits.maxBytes, Math.ceil(limits.maxRecords * averageRecordBytes));
    const range = byteRangeFor(segment.index, segment.bytes, offset, wanted);
    const read = completeBatches(await this.segments.readRange(segment.key, range.start, range.end));
    let batches = read.batches;
    if (read.partialLength !== undefined && !batches.some((b) => b.header.baseOffset + b.header.lastOffsetDelta >= offset)) {
      // The batch we need was cut off at the range's end (a batch larger than the range,
      // or a compaction gap the sparse index cannot see): read exactly it.
      const from = range.start + read.consumed;
      batches = completeBatches(await this.segments.readRange(segment.key, from, from + read.partialLength)).batches;
    }
    const records: StoredRecord[] = [];
    let scannedTo = offset;
    for (const { header, records: batchRecords } of batches) {
      for (const record of batchRecords) {
        if (record.offset >= offset && records.length < limits.maxRecords) records.push(record);
      }
      scannedTo = Math.max(scannedTo, header.baseOffset + header.lastOffsetDelta + 1);
    }
    // Past the last batch the segment holds nothing more (compaction may have emptied its end).
    if (range.end >= segment.bytes && records.length === 0) scannedTo = segment.endOffset;
    return { records, scannedTo };
  }

  /** A high watermark no lower than `atLeast`, from this container's fresh view or from storage. */
  private async highWatermarkAtLeast(pk: string, atLeast: number): Promise<number> {
    // Not at the end: a high watermark seen here within hwCacheMs is good enough for
    // lag, and spares a read of the partition's whole last item on every fetch.
    const known = this.views.get(pk);
    if (known && Date.now() - known.seenAt < this.options.hwCacheMs && known.highWatermark >= atLeast) return known.highWatermark;
    return (await this.boundsOf(pk)).highWatermark;
  }

  /**
   * The earliest offset whose record timestamp is at or after `timestamp` (Kafka's
   * ListOffsets by time), or null when every record is older.
   */
  async offsetForTimestamp(topicId: string, partition: number, timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    const pk = partitionKey(topicId, partition);
    const state = await this.partitions.get(pk);
    for (const segment of await this.segments.list(pk)) {
      if (segment.endOffset <= state.logStartOffset || segment.maxTimestamp < timestamp || !segment.key) continue;
      // The span's newest record is at or after `timestamp`, so the match is inside it.
      const range = byteRangeForTimestamp(segment.index, segment.bytes, timestamp);
      if (!range) continue;
      const chunk = await this.segments.readRange(segment.key, range.start, range.end);
      for (const { records } of completeBatches(chunk).batches) {
        const match = records.find((r) => r.timestamp >= timestamp && r.offset >= state.logStartOffset);
        if (match) return { offset: match.offset, timestamp: match.timestamp };
      }
    }
    for await (const item of this.tail.scanForward(pk, state.sealedOffset, () => 10)) {
      if (item.maxTimestamp < timestamp) continue;
      const match = (await this.tail.recordsOf(pk, item)).find((r) => r.timestamp >= timestamp);
      if (match) return { offset: match.offset, timestamp: match.timestamp };
    }
    return null;
  }

  /** Records a tail batch this container read or wrote, and the high watermark if storage just told it. */
  private saw(pk: string, batch: Pick<TailItem, 'offset' | 'count' | 'size'>, learnedHighWatermark?: number): void {
    const known = this.views.get(pk);
    // Only a value read from storage (or an append) refreshes the clock, and a known
    // end never moves backwards: another container may have appended since.
    const learned = learnedHighWatermark !== undefined && (!known || learnedHighWatermark >= known.highWatermark);
    this.views.set(pk, {
      batchEnd: batch.offset + batch.count,
      count: batch.count,
      size: batch.size,
      highWatermark: learned ? learnedHighWatermark : (known?.highWatermark ?? 0),
      seenAt: learned ? Date.now() : (known?.seenAt ?? 0),
    });
  }

  /** Resolves on an append to `pk` in this process, after `ms`, or on abort. */
  private waitForAppend(pk: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off(pk, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.appended.on(pk, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Where the partition starts (retention moves it). Cached, since it only moves forward:
   * an offset below the cached start re-reads it before anyone is told 416.
   */
  private async logStartOffset(pk: string, asked?: number): Promise<number> {
    const cached = this.logStarts.get(pk);
    if (cached && Date.now() - cached.at < this.options.logStartCacheMs && (asked === undefined || asked >= cached.offset)) {
      return cached.offset;
    }
    const { logStartOffset } = await this.partitions.get(pk);
    this.logStarts.set(pk, { offset: logStartOffset, at: Date.now() });
    return logStartOffset;
  }

  /** Forgets what this container cached about a partition: jobs that moved it call this. */
  forget(topicId: string, partition: number): void {
    const pk = partitionKey(topicId, partition);
    for (const cache of [this.nextOffsets, this.logStarts, this.views]) cache.delete(pk);
  }
}

/** Key and value bytes: what metrics call bytes in and out. */
function payloadBytes(records: readonly RecordInput[]): number {
  return records.reduce((n, r) => n + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0);
}

function recordsFrom(items: readonly TailItem[], offset: number): number {
  return items.reduce((n, item) => n + item.offset + item.count - Math.max(item.offset, offset), 0);
}

/** Between append tries: short, since a conflict means another writer just moved the end. */
const appendBackoff: BackoffDelays = { minDelayMs: 20, maxDelayMs: 1000 };
