/**
 * Reads a partition: from the hot tail where the offset is still there, else from the
 * sealed segment holding it, and at the log end a long poll. Every read is sized to the
 * fetch's limits, since DynamoDB bills each item a Query reads and S3 each byte range.
 * One read path gives stored batches; `read` answers their records from the offset on
 * (the HTTP API), `readBatches` the batches themselves, as stored (the Kafka protocol).
 */
import type { StoredBatch, StoredRecord } from '../core/codec/record-batch.ts';
import { InternalError, OffsetOutOfRangeError } from '../core/errors.ts';
import { byteRangeFor, completeBatches } from '../core/segment.ts';
import type { UsageMeter } from './clients.ts';
import { ObjectGoneError } from './objects.ts';
import type { PartitionViews } from './partition-view.ts';
import type { PartitionStore } from './partitions.ts';
import type { SegmentRecord, SegmentStore } from './segments.ts';
import type { TailItem, TailStore } from './tail.ts';

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

export interface BatchReadResult {
  /** Whole stored batches, the first holding the offset asked for (it may start before it). */
  readonly batches: StoredBatch[];
  /** The offset after the last batch (or, with none, where to read next). */
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/** What one look found: batches reaching `offset` or past it, and the offset after what was looked at. */
interface Span {
  readonly batches: StoredBatch[];
  /** Where a read that found no record at or past `offset` goes on from (past a stretch compaction emptied). */
  readonly end: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

export class LogReader {
  constructor(
    private readonly tail: TailStore,
    private readonly segments: SegmentStore,
    private readonly partitions: PartitionStore,
    private readonly views: PartitionViews,
    private readonly usage: UsageMeter,
  ) {}

  /**
   * Records from `offset` on, at least one batch's worth even past maxBytes (as Kafka
   * does, so a large record never blocks a consumer), from the tail or a sealed segment.
   * Offsets compaction removed are skipped. At the log end, waits up to waitMs for the
   * first new record: woken at once by an append in this process, otherwise polling at
   * a growing interval.
   */
  async read(pk: string, offset: number, limits: ReadLimits): Promise<ReadResult> {
    const { span, from } = await this.readWaiting(pk, offset, limits);
    const records: StoredRecord[] = [];
    for (const batch of span.batches) {
      for (const record of batch.records) if (record.offset >= from && records.length < limits.maxRecords) records.push(record);
    }
    this.usage.countOut(records);
    const nextOffset = records.length > 0 ? records.at(-1)!.offset + 1 : span.end;
    return { records, nextOffset, highWatermark: span.highWatermark, logStartOffset: span.logStartOffset };
  }

  /**
   * Whole batches as stored from the one holding `offset` on, up to maxBytes but at least
   * one (Kafka's fetch); waits at the log end as read does.
   */
  async readBatches(pk: string, offset: number, limits: Omit<ReadLimits, 'maxRecords'>): Promise<BatchReadResult> {
    const { span } = await this.readWaiting(pk, offset, { ...limits, maxRecords: Number.MAX_SAFE_INTEGER });
    // A segment's range may hold more than maxBytes: keep the first batch, then what fits.
    const batches: StoredBatch[] = [];
    let bytes = 0;
    for (const batch of span.batches) {
      if (batches.length > 0 && bytes + batch.bytes.length > limits.maxBytes) break;
      batches.push(batch);
      bytes += batch.bytes.length;
    }
    // Whole batches go out, records before the offset too.
    this.usage.countOut(batches.flatMap((batch) => batch.records));
    const last = batches.at(-1)?.header;
    const nextOffset = last ? last.baseOffset + last.lastOffsetDelta + 1 : span.end;
    return { batches, nextOffset, highWatermark: span.highWatermark, logStartOffset: span.logStartOffset };
  }

  /**
   * Looks until a batch holds a record at or past the offset (going on past stretches
   * compaction emptied), or waitMs has passed: woken at once by an append in this
   * process, otherwise polling at a growing interval. Answers the last look and the
   * offset it was from.
   */
  private async readWaiting(pk: string, offset: number, limits: ReadLimits): Promise<{ span: Span; from: number }> {
    const deadline = Date.now() + (limits.waitMs ?? 0);
    let from = offset;
    for (let interval = 50; ; ) {
      const span = await this.readOnce(pk, from, limits);
      if (span.batches.length > 0) return { span, from };
      if (span.end > from) {
        // A stretch that compaction emptied: go on past it without waiting.
        from = span.end;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0 || limits.signal?.aborted) return { span, from };
      await this.views.waitForAppend(pk, Math.min(interval, left), limits.signal);
      interval = Math.min(interval * 2, 1000);
    }
  }

  private async readOnce(pk: string, offset: number, limits: ReadLimits, retried = false): Promise<Span> {
    try {
      return await this.readTail(pk, offset, limits);
    } catch (err) {
      // A job moved or dropped data between our read of an item and of its object:
      // read again with nothing cached, once.
      if (!(err instanceof ObjectGoneError) || retried) throw err;
      this.views.forgetView(pk);
      this.views.forgetLogStart(pk);
      return this.readOnce(pk, offset, limits, true);
    }
  }

  private async readTail(pk: string, offset: number, limits: ReadLimits, fresh = false): Promise<Span> {
    const items: TailItem[] = [];
    let bytes = 0;
    // At a batch boundary this container has seen (where its last fetch or append
    // ended) no item starts before the offset, so the read of the batch containing it,
    // which costs that whole item, is skipped: a caught-up long poll costs one small query.
    const view = this.views.get(pk);
    const atBoundary = view?.batchEnd === offset;
    // Sealed offsets are read from their segment: a ranged GET of up to 4 MiB costs what
    // 3 read units do, and sealed tail items may be gone, or linger until they expire.
    if (!atBoundary && offset < (await this.views.sealedOffset(pk))) return this.readSealed(pk, offset, limits);
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
    const lookedAt = Date.now();
    // A consumer waiting at the end asks here once a second: an eventually consistent
    // look costs half a read unit (and may miss the last second's appends, which the
    // next look finds; not those this container knows of). A batch it does return is as
    // good as any: batches never change.
    const consistent = !(atBoundary && view.highWatermark <= offset);
    if (reachedEnd) {
      let expected = previousEnd!;
      for await (const item of this.tail.scanForward(pk, atBoundary ? offset : offset + 1, pageSize, { consistent })) {
        // Offsets are dense, so an item that does not start where the last ended means
        // items between went missing under this look (the sealer deleting sealed items in
        // any order, or an eventually consistent look missing the newest): never skip them.
        if (item.offset !== expected) {
          if (items.length > 0) {
            reachedEnd = false;
            break;
          }
          if (fresh) throw new InternalError(`partition ${pk}: tail items from offset ${expected} to ${item.offset} are missing`);
          // Take the long way once, with nothing cached: the offset is sealed by now.
          this.views.forgetView(pk);
          this.views.forgetLogStart(pk);
          return this.readTail(pk, offset, limits, true);
        }
        expected = item.offset + item.count;
        items.push(item);
        bytes += item.size;
        if (enough()) {
          reachedEnd = false;
          break;
        }
      }
    }
    if (atBoundary && items.length === 0) {
      // Nothing at or past a boundary we knew: at the end, unless the sealer took it all,
      // which it cannot have done since the end was last confirmed here.
      if (!this.views.endConfirmed(view)) {
        const state = await this.partitions.get(pk);
        if (offset < state.sealedOffset) {
          this.views.forgetView(pk);
          return this.readSealed(pk, offset, limits);
        }
      }
      this.views.confirmEnd(pk, offset, lookedAt);
      // Nothing to read, so the log start only informs: the last one read does (a
      // caught-up consumer's polls then cost one look each).
      const logStartOffset = await this.views.lastLogStartOffset(pk);
      return { batches: [], end: offset, highWatermark: offset, logStartOffset };
    }
    const last = items.at(-1);
    const lastEnd = last ? last.offset + last.count : previousEnd!;
    const highWatermark = reachedEnd ? lastEnd : await this.views.highWatermarkAtLeast(pk, lastEnd);
    if (last) this.views.saw(pk, last, reachedEnd ? highWatermark : undefined);
    const logStartOffset = await this.views.logStartOffset(pk, offset);
    if (offset < logStartOffset || offset > highWatermark) {
      throw new OffsetOutOfRangeError(offset, logStartOffset, highWatermark);
    }

    const batches = await Promise.all(items.map((item) => this.tail.storedBatchOf(pk, item)));
    return { batches, end: offset, highWatermark, logStartOffset };
  }

  /** Reads from the sealed segment holding `offset`, with a range GET sized by its index. */
  private async readSealed(pk: string, offset: number, limits: ReadLimits): Promise<Span> {
    let segment = await this.segments.containing(pk, offset);
    if (!segment) {
      // Below the log start, or beyond everything: answer with fresh bounds.
      this.views.forgetLogStart(pk);
      const bounds = await this.views.bounds(pk);
      if (offset === bounds.highWatermark && offset >= bounds.logStartOffset) return { batches: [], end: offset, ...bounds };
      if (offset >= bounds.logStartOffset && offset < bounds.highWatermark) {
        // The tail moved into a segment while we looked: look once more.
        segment = await this.segments.containing(pk, offset);
      }
      if (!segment) throw new OffsetOutOfRangeError(offset, bounds.logStartOffset, bounds.highWatermark);
    }
    const logStartOffset = await this.views.logStartOffset(pk, offset);
    if (offset < logStartOffset) {
      throw new OffsetOutOfRangeError(offset, logStartOffset, await this.views.highWatermarkAtLeast(pk, segment.endOffset));
    }
    const { batches, scannedTo } = await this.batchesFromSegment(segment, offset, limits);
    return { batches, end: Math.max(offset, scannedTo), highWatermark: await this.views.highWatermarkAtLeast(pk, segment.endOffset), logStartOffset };
  }

  /** The segment's batches holding records at or past `offset`, as many as the limits ask for. */
  private async batchesFromSegment(
    segment: SegmentRecord,
    offset: number,
    limits: ReadLimits,
  ): Promise<{ batches: StoredBatch[]; scannedTo: number }> {
    if (!segment.key) return { batches: [], scannedTo: segment.endOffset };
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
    let scannedTo = offset;
    for (const { header } of batches) scannedTo = Math.max(scannedTo, header.baseOffset + header.lastOffsetDelta + 1);
    // The index entry may start before the offset: only batches with records at or past it count.
    const reaching = batches.filter((b) => b.records.some((r) => r.offset >= offset));
    // Past the last batch the segment holds nothing more (compaction may have emptied its end).
    if (range.end >= segment.bytes && reaching.length === 0) scannedTo = segment.endOffset;
    return { batches: reaching, scannedTo };
  }
}

function recordsFrom(items: readonly TailItem[], offset: number): number {
  return items.reduce((n, item) => n + item.offset + item.count - Math.max(item.offset, offset), 0);
}
