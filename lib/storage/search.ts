/**
 * Searches of a partition's whole log, tail and segments, for one thing: where an append
 * landed (an idempotent producer's retry asks), the first record at or after a time, or
 * the first with the largest time (Kafka's ListOffsets by time and MAX_TIMESTAMP).
 */
import type { BatchHeader, StoredRecord } from '../core/codec/record-batch.ts';
import { byteRangeFor, byteRangeForTimestamp, completeBatches } from '../core/segment.ts';
import type { AppendOptions } from './append.ts';
import type { PartitionStore } from './partitions.ts';
import type { SegmentRecord, SegmentStore } from './segments.ts';
import type { TailStore } from './tail.ts';

export class LogSearch {
  constructor(
    private readonly tail: TailStore,
    private readonly segments: SegmentStore,
    private readonly partitions: PartitionStore,
  ) {}

  /**
   * Where an append landed, if it did at or after `from`: by its id in the tail, or by
   * its producer fields in the batch headers of sealed segments. The tail is read first:
   * an item leaves the tail only after a segment holds it (the sealer deletes it after
   * sealing, or it expires a day after its append, long after it was due for sealing), so
   * an item gone from the tail when we look there is in a segment when we look there next.
   */
  async findAppend(
    pk: string,
    from: number,
    appendId: string,
    producer: NonNullable<AppendOptions['producer']>,
  ): Promise<number | undefined> {
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

  /**
   * The earliest offset whose record timestamp is at or after `timestamp` (Kafka's
   * ListOffsets by time), or null when every record is older.
   */
  async offsetForTimestamp(pk: string, timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
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

  /**
   * The first record with the partition's largest timestamp (Kafka's MAX_TIMESTAMP), or
   * null for an empty partition. Tail items and segments each carry their largest
   * timestamp, so only the batch or index span holding the winner is read; every unsealed
   * tail item is looked at, as a search by time for a recent record does.
   */
  async largestTimestamp(pk: string): Promise<{ offset: number; timestamp: number } | null> {
    const { logStartOffset, sealedOffset } = await this.partitions.get(pk);
    // Only the best so far is kept: an unsealed tail can hold many megabytes of items.
    let best: TimestampHolder | undefined;
    // The tail before the segments: an item leaves the tail only after a segment holds it,
    // so a record sealed meanwhile is seen in one or the other (or both, which is harmless).
    for await (const item of this.tail.scanForward(pk, sealedOffset, () => 100)) {
      best = later(best, { maxTimestamp: item.maxTimestamp, baseOffset: item.offset, records: () => this.tail.recordsOf(pk, item) });
    }
    for (const segment of await this.segments.list(pk)) {
      const { key, index, bytes, maxTimestamp } = segment;
      // Below the log start (retention moves it a whole segment at a time), or no records.
      if (segment.endOffset <= logStartOffset || !key || segment.recordCount === 0) continue;
      best = later(best, {
        maxTimestamp,
        baseOffset: segment.baseOffset,
        records: async () => {
          // The first span whose newest record is that new holds the first such record.
          const range = byteRangeForTimestamp(index, bytes, maxTimestamp)!;
          return completeBatches(await this.segments.readRange(key, range.start, range.end)).batches.flatMap((b) => b.records);
        },
      });
    }
    if (!best) return null;
    const { maxTimestamp } = best;
    const record = (await best.records()).find((r) => r.timestamp === maxTimestamp && r.offset >= logStartOffset);
    return record ? { offset: record.offset, timestamp: record.timestamp } : null;
  }
}

/** Where the largest timestamp is: a batch's records, or a segment's, read only if it wins. */
interface TimestampHolder {
  readonly maxTimestamp: number;
  readonly baseOffset: number;
  records(): Promise<StoredRecord[]>;
}

/** Ties go to the lower offset: Kafka answers the first record with the largest timestamp. */
function later(best: TimestampHolder | undefined, other: TimestampHolder): TimestampHolder {
  if (!best || other.maxTimestamp > best.maxTimestamp) return other;
  return other.maxTimestamp === best.maxTimestamp && other.baseOffset < best.baseOffset ? other : best;
}
