/**
 * Sealed segments. A segment object (in S3) is a partition's RecordBatch v2 batches
 * concatenated in offset order, nothing before, between or after them: a valid Kafka log
 * segment. Each batch starts at or after the previous batch's last offset + 1; compaction
 * rewrites batches in place keeping their original offsets, so gaps are allowed. Beside
 * the object, in the segment's DynamoDB item, a sparse index lets a fetch read a byte
 * range instead of the whole object: an entry at the first batch, then one at the first
 * batch starting at least indexIntervalBytes after the previous entry (about 1,000
 * entries, a few KB, for a 64 MiB segment). An entry's span runs from its batch to the
 * next entry's batch (or the end of the segment).
 *
 * SegmentIndex =>
 *   Version => int8                       1
 *   EntryCount => varint
 *   Entries => EntryCount x Entry
 *
 * Entry =>                                each field a difference from the previous entry's
 *                                         (the first entry's from 0), so most take 1-3 bytes
 *   OffsetDelta => varlong                the entry's batch's baseOffset; > 0 after the first
 *   PositionDelta => varlong              the batch's byte position in the segment; > 0 after the first
 *   MaxTimestampDelta => varlong          the largest record timestamp in the entry's span
 *                                         (-1 when the span holds no records)
 */
import { BATCH_OVERHEAD, decodeBatch, readBatchHeader } from './codec/record-batch.ts';
import type { StoredBatch } from './codec/record-batch.ts';
import { Reader, Writer } from './codec/varint.ts';
import { CorruptRecordError } from './errors.ts';

export interface SegmentIndexEntry {
  /** baseOffset of the batch at `position`. */
  readonly offset: number;
  /** Byte position of that batch in the segment. */
  readonly position: number;
  /** The largest record timestamp from this entry to the next (or the end); -1 if no records. */
  readonly maxTimestamp: number;
}

export interface SegmentSummary {
  /** The first batch's baseOffset. */
  readonly baseOffset: number;
  /** Last offset + 1: the last batch's baseOffset + lastOffsetDelta + 1. */
  readonly endOffset: number;
  readonly recordCount: number;
  readonly bytes: number;
  /** The first record's timestamp; -1 if the segment holds no records. */
  readonly firstTimestamp: number;
  /** The largest record timestamp; -1 if the segment holds no records. */
  readonly maxTimestamp: number;
}

export interface BuiltSegment {
  readonly bytes: Buffer;
  readonly index: SegmentIndexEntry[];
  readonly summary: SegmentSummary;
}

export interface CompleteBatches {
  /** The whole batches at the start of the buffer, CRC-checked, in order. */
  readonly batches: StoredBatch[];
  /** Bytes those batches take. */
  readonly consumed: number;
  /** Full length of the incomplete batch after them, when its first 12 bytes are present. */
  readonly partialLength?: number;
}

export const DEFAULT_INDEX_INTERVAL_BYTES = 64 * 1024;

const INDEX_VERSION = 1;
/** BaseOffset + BatchLength: what a ranged read needs to know a batch's full length. */
const LOG_OVERHEAD = 12;
/** Smallest encoded entry: three one-byte varlongs. */
const MIN_ENTRY_BYTES = 3;
/** Kafka's RecordBatch.NO_TIMESTAMP: the timestamp of nothing. */
const NO_TIMESTAMP = -1;

interface MutableEntry {
  offset: number;
  position: number;
  maxTimestamp: number;
}

/**
 * Concatenates batches (validated: each decodes with a good CRC; baseOffsets strictly
 * increasing and non-overlapping, i.e. each batch starts at or after the previous batch's
 * last offset + 1) and builds the sparse index. Throws RangeError on an empty list or
 * out-of-order batches; CorruptRecordError on a corrupt batch.
 */
export function buildSegment(batches: readonly Buffer[], options: { indexIntervalBytes?: number } = {}): BuiltSegment {
  const interval = options.indexIntervalBytes ?? DEFAULT_INDEX_INTERVAL_BYTES;
  if (!Number.isSafeInteger(interval) || interval < 1) {
    throw new RangeError(`indexIntervalBytes must be a positive integer, got ${interval}`);
  }
  if (batches.length === 0) throw new RangeError('a segment needs at least one batch');

  const index: MutableEntry[] = [];
  let position = 0;
  let nextOffset = 0;
  let recordCount = 0;
  let firstTimestamp: number | undefined;
  let maxTimestamp = -Infinity;
  let spanMax = -Infinity;
  for (let i = 0; i < batches.length; i++) {
    const buf = batches[i]!;
    const { header, records } = atPosition(position, () => decodeBatch(buf));
    if (i > 0 && header.baseOffset < nextOffset) {
      throw new RangeError(
        `batch ${i} starts at offset ${header.baseOffset}, before ${nextOffset} (the previous batch's last offset + 1)`,
      );
    }
    const last = index.at(-1);
    if (!last || position >= last.position + interval) {
      if (last) last.maxTimestamp = timestampOrNone(spanMax);
      index.push({ offset: header.baseOffset, position, maxTimestamp: NO_TIMESTAMP });
      spanMax = -Infinity;
    }
    for (const record of records) {
      if (record.timestamp > spanMax) spanMax = record.timestamp;
    }
    if (records.length > 0) {
      firstTimestamp ??= records[0]!.timestamp;
      if (spanMax > maxTimestamp) maxTimestamp = spanMax;
    }
    recordCount += records.length;
    position += buf.length;
    nextOffset = header.baseOffset + header.lastOffsetDelta + 1;
  }
  index.at(-1)!.maxTimestamp = timestampOrNone(spanMax);

  return {
    bytes: Buffer.concat(batches, position),
    index,
    summary: {
      baseOffset: index[0]!.offset,
      endOffset: nextOffset,
      recordCount,
      bytes: position,
      firstTimestamp: firstTimestamp ?? NO_TIMESTAMP,
      maxTimestamp: timestampOrNone(maxTimestamp),
    },
  };
}

function timestampOrNone(max: number): number {
  return max === -Infinity ? NO_TIMESTAMP : max;
}

/** Runs a batch decoder, naming the segment position in any CorruptRecordError. */
function atPosition<T>(position: number, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (!(error instanceof CorruptRecordError)) throw error;
    throw new CorruptRecordError(`segment byte ${position}: ${error.message}`, {
      cause: error,
      details: { ...error.details, position },
    });
  }
}

/**
 * Encodes the index for the segment's DynamoDB item (see the grammar above). RangeError
 * on entries the decoder would refuse: unsafe or negative offsets and positions, either
 * not strictly increasing, or neighbouring maxTimestamps more than 2^53 - 1 apart.
 */
export function encodeSegmentIndex(entries: readonly SegmentIndexEntry[]): Buffer {
  const writer = new Writer(6 + entries.length * 8).int8(INDEX_VERSION).varint(entries.length);
  let previous: SegmentIndexEntry = { offset: 0, position: 0, maxTimestamp: 0 };
  entries.forEach((entry, i) => {
    const { offset, position, maxTimestamp } = entry;
    const floor = i === 0 ? 0 : 1;
    if (!Number.isSafeInteger(offset) || offset - previous.offset < floor) {
      throw new RangeError(`index entry ${i}: offset ${offset} must be a safe integer above the previous, ${previous.offset}`);
    }
    if (!Number.isSafeInteger(position) || position - previous.position < floor) {
      throw new RangeError(`index entry ${i}: position ${position} must be a safe integer above the previous, ${previous.position}`);
    }
    const timestampDelta = maxTimestamp - previous.maxTimestamp;
    if (!Number.isSafeInteger(maxTimestamp) || !Number.isSafeInteger(timestampDelta)) {
      throw new RangeError(`index entry ${i}: maxTimestamp ${maxTimestamp} is unsafe or too far from the previous, ${previous.maxTimestamp}`);
    }
    writer.varlong(offset - previous.offset).varlong(position - previous.position).varlong(timestampDelta);
    previous = entry;
  });
  return Buffer.from(writer.finish());
}

/** Decodes an encoded index; CorruptRecordError on anything malformed, never another error type. */
export function decodeSegmentIndex(buf: Uint8Array): SegmentIndexEntry[] {
  if (!(buf instanceof Uint8Array)) throw new CorruptRecordError('segment index is not bytes');
  const fail = (problem: string): never => {
    throw new CorruptRecordError(`segment index: ${problem}`);
  };
  const reader = new Reader(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  if (reader.remaining === 0) fail('no bytes');
  const version = reader.int8();
  if (version !== INDEX_VERSION) fail(`version ${version}, expected ${INDEX_VERSION}`);
  const count = reader.varint('entry count');
  if (count < 0 || count > reader.remaining / MIN_ENTRY_BYTES) {
    fail(`${count} entries cannot fit in ${reader.remaining} bytes`);
  }
  const entries: SegmentIndexEntry[] = [];
  let previous: SegmentIndexEntry = { offset: 0, position: 0, maxTimestamp: 0 };
  for (let i = 0; i < count; i++) {
    const offsetDelta = reader.varlong('offset delta');
    const positionDelta = reader.varlong('position delta');
    const timestampDelta = reader.varlong('timestamp delta');
    const floor = i === 0 ? 0 : 1;
    if (offsetDelta < floor) fail(`entry ${i} has offset delta ${offsetDelta}`);
    if (positionDelta < floor) fail(`entry ${i} has position delta ${positionDelta}`);
    // Each sum is exact when its true value is safe, and unsafe when that is not.
    const entry = {
      offset: previous.offset + offsetDelta,
      position: previous.position + positionDelta,
      maxTimestamp: previous.maxTimestamp + timestampDelta,
    };
    if (!Number.isSafeInteger(entry.offset)) fail(`entry ${i} offset is beyond the safe integer range`);
    if (!Number.isSafeInteger(entry.position)) fail(`entry ${i} position is beyond the safe integer range`);
    if (!Number.isSafeInteger(entry.maxTimestamp)) fail(`entry ${i} maxTimestamp is beyond the safe integer range`);
    entries.push(entry);
    previous = entry;
  }
  if (reader.remaining !== 0) fail(`${reader.remaining} bytes after the last of ${count} entries`);
  return entries;
}

function checkSegmentBytes(segmentBytes: number): void {
  if (!Number.isSafeInteger(segmentBytes) || segmentBytes < 0) {
    throw new RangeError(`segmentBytes must be a non-negative integer, got ${segmentBytes}`);
  }
}

/** The range of the span that starts at index[at] (position 0 when at is -1), clamped. */
function spanOf(index: readonly SegmentIndexEntry[], segmentBytes: number, at: number): { start: number; end: number } {
  const start = at < 0 ? 0 : Math.max(0, Math.min(index[at]!.position, segmentBytes));
  let next = at + 1;
  while (next < index.length && index[next]!.position <= start) next++;
  const end = next < index.length ? Math.min(index[next]!.position, segmentBytes) : segmentBytes;
  return { start, end };
}

/**
 * The byte range to read for a fetch starting at `offset` wanting about `maxBytes`: from
 * the last entry whose offset <= offset (or 0) to at least maxBytes plus the span up to
 * the next entry past `offset`, clamped to segmentBytes; end is exclusive.
 *
 * The batch holding `offset` lies whole in the range, and maxBytes more follow it unless
 * the segment ends first. One case needs the caller: an offset in a compaction gap at the
 * end of a span (its batch is gone; the next one left starts exactly at the next entry).
 * The index cannot see that gap, so the range always reaches at least 12 bytes past the
 * span: completeBatches then returns that next batch, or its partialLength to read it.
 */
export function byteRangeFor(
  index: readonly SegmentIndexEntry[],
  segmentBytes: number,
  offset: number,
  maxBytes: number,
): { start: number; end: number } {
  checkSegmentBytes(segmentBytes);
  if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be non-negative, got ${maxBytes}`);
  // Binary search for the last entry at or below the offset.
  let low = 0;
  let high = index.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (index[mid]!.offset <= offset) low = mid + 1;
    else high = mid;
  }
  const { start, end } = spanOf(index, segmentBytes, low - 1);
  return { start, end: Math.min(segmentBytes, end + Math.max(maxBytes, LOG_OVERHEAD)) };
}

/**
 * The byte range of the first index span whose maxTimestamp >= timestamp, or null: the
 * first record at or after `timestamp` is in it, since every earlier span is older.
 */
export function byteRangeForTimestamp(
  index: readonly SegmentIndexEntry[],
  segmentBytes: number,
  timestamp: number,
): { start: number; end: number } | null {
  checkSegmentBytes(segmentBytes);
  const at = index.findIndex((entry) => entry.maxTimestamp >= timestamp);
  return at < 0 ? null : spanOf(index, segmentBytes, at);
}

/**
 * Complete batches at the start of `buf` (a ranged read that may end mid-batch), each
 * CRC-checked and in offset order. `partialLength` is the full length of the incomplete
 * batch at the end when its header (first 12 bytes: baseOffset + batchLength) is present,
 * so the caller can read exactly that much more. CorruptRecordError on a corrupt batch,
 * a header that cannot start a batch, or batches out of offset order.
 */
export function completeBatches(buf: Buffer): CompleteBatches {
  const batches: StoredBatch[] = [];
  let at = 0;
  let nextOffset = 0;
  while (buf.length - at >= LOG_OVERHEAD) {
    const framing = new Reader(buf, at, at + LOG_OVERHEAD);
    const baseOffset = atPosition(at, () => framing.int64('baseOffset'));
    const batchLength = framing.int32();
    const fail = (problem: string): never => {
      throw new CorruptRecordError(`segment byte ${at}: ${problem}`, { details: { position: at, baseOffset } });
    };
    if (baseOffset < 0) fail(`negative baseOffset ${baseOffset}`);
    if (batches.length > 0 && baseOffset < nextOffset) {
      fail(`batch at offset ${baseOffset} follows one ending at ${nextOffset - 1}`);
    }
    if (batchLength < BATCH_OVERHEAD - LOG_OVERHEAD) fail(`batchLength ${batchLength} is below the header size`);
    const length = LOG_OVERHEAD + batchLength;
    if (length > buf.length - at) {
      // Check what is present of the rest of its header, so garbage is not read further.
      if (buf.length - at >= BATCH_OVERHEAD) atPosition(at, () => readBatchHeader(buf, at));
      return { batches, consumed: at, partialLength: length };
    }
    const bytes = buf.subarray(at, at + length);
    const batch = atPosition(at, () => decodeBatch(bytes));
    batches.push({ ...batch, bytes });
    nextOffset = batch.header.baseOffset + batch.header.lastOffsetDelta + 1;
    at += length;
  }
  return { batches, consumed: at };
}
