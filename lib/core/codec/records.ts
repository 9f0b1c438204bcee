/**
 * The records section of a Kafka RecordBatch v2: what follows the batch header (see
 * record-batch.ts), and what a compressed batch compresses.
 *
 * Record =>
 *   Length => varint                               bytes after this field
 *   Attributes => int8                             unused, 0
 *   TimestampDelta => varlong                      timestamp - BaseTimestamp
 *   OffsetDelta => varint                          offset - BaseOffset
 *   Key => varint length (-1 = null), bytes
 *   Value => varint length (-1 = null), bytes
 *   Headers => varint count, then count x Header
 *
 * Header =>
 *   HeaderKey => varint length, UTF-8 bytes
 *   HeaderValue => varint length (-1 = null), bytes
 */
import { CorruptRecordError } from '../errors.ts';
import { Reader, sizeOfVarint, sizeOfVarlong, Writer } from './varint.ts';

export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

export interface RecordInput {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
  /** Milliseconds since the epoch (CreateTime). */
  readonly timestamp: number;
}

export interface StoredRecord extends RecordInput {
  readonly offset: number;
}

/** Smallest record: length, attributes, timestamp delta, offset delta, key, value, header count. */
export const MIN_RECORD_SIZE = 7;

/** Where the records sit in their batch: what their deltas are relative to. */
export interface RecordsFrame {
  readonly firstTimestamp: number;
  /** Record `index`'s offset minus the batch's baseOffset. */
  readonly offsetDelta: (index: number) => number;
}

/** The records measured for writing: each body's size, the section's size, the newest timestamp. */
export interface MeasuredRecords {
  readonly sizes: readonly number[];
  readonly bytes: number;
  readonly maxTimestamp: number;
}

/**
 * Sizes every record so the batch can be written into one exact buffer. Timestamps are
 * checked here (RangeError when unsafe or too far apart to store as deltas).
 */
export function measureRecords(records: readonly RecordInput[], frame: RecordsFrame): MeasuredRecords {
  const { firstTimestamp, offsetDelta } = frame;
  let maxTimestamp = firstTimestamp;
  const sizes = new Array<number>(records.length);
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (!Number.isSafeInteger(record.timestamp)) {
      throw new RangeError(`record ${i}: timestamp must be a safe integer, got ${record.timestamp}`);
    }
    const timestampDelta = record.timestamp - firstTimestamp;
    if (!Number.isSafeInteger(timestampDelta)) {
      throw new RangeError(`record ${i}: timestamp ${record.timestamp} is too far from the first, ${firstTimestamp}`);
    }
    if (record.timestamp > maxTimestamp) maxTimestamp = record.timestamp;
    const size = bodySize(record, timestampDelta, offsetDelta(i));
    sizes[i] = size;
    bytes += sizeOfVarint(size) + size;
  }
  return { sizes, bytes, maxTimestamp };
}

/** Writes the records as measured. */
export function writeRecords(writer: Writer, records: readonly RecordInput[], frame: RecordsFrame, sizes: readonly number[]): void {
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    writer.varint(sizes[i]!).int8(0).varlong(record.timestamp - frame.firstTimestamp).varint(frame.offsetDelta(i));
    writeNullableBytes(writer, record.key);
    writeNullableBytes(writer, record.value);
    writer.varint(record.headers.length);
    for (const header of record.headers) {
      const keyLength = Buffer.byteLength(header.key, 'utf8');
      writer.varint(keyLength).utf8(header.key, keyLength);
      writeNullableBytes(writer, header.value);
    }
  }
}

/** What reading the records needs from their batch header. */
export interface RecordsContext {
  readonly baseOffset: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly recordCount: number;
  /** Timestamp type LogAppendTime: every record's timestamp is the batch's MaxTimestamp. */
  readonly logAppendTime: boolean;
}

/**
 * Reads exactly `context.recordCount` records filling buf[start, end), checking every
 * record's framing; `fail` reports a problem as the batch's CorruptRecordError.
 */
export function readRecords(buf: Buffer, start: number, end: number, context: RecordsContext, fail: (problem: string) => never): StoredRecord[] {
  const reader = new Reader(buf, start, end);
  if (context.recordCount > reader.remaining / MIN_RECORD_SIZE) {
    fail(`${context.recordCount} records cannot fit in ${reader.remaining} bytes`);
  }
  const records: StoredRecord[] = [];
  let lastDelta = -1;
  for (let i = 0; i < context.recordCount; i++) {
    const length = reader.varint('record length');
    if (length < 0 || length > reader.remaining) {
      fail(`record ${i} declares ${length} bytes, ${reader.remaining} left`);
    }
    const recordEnd = reader.pos + length;
    const r = new Reader(buf, reader.pos, recordEnd);
    r.int8(); // record attributes: unused
    const timestampDelta = r.varlong('timestamp delta');
    const offsetDelta = r.varint('offset delta');
    if (offsetDelta <= lastDelta || offsetDelta > context.lastOffsetDelta) {
      fail(`record ${i} has offset delta ${offsetDelta} after ${lastDelta} (last ${context.lastOffsetDelta})`);
    }
    lastDelta = offsetDelta;
    const timestamp = context.logAppendTime ? context.maxTimestamp : context.firstTimestamp + timestampDelta;
    if (!Number.isSafeInteger(timestamp)) fail(`record ${i} timestamp is beyond the safe integer range`);
    const key = readNullableBytes(r, 'key');
    const value = readNullableBytes(r, 'value');
    const headerCount = r.varint('header count');
    if (headerCount < 0) fail(`record ${i} has ${headerCount} headers`);
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const keyLength = r.varint('header key length');
      if (keyLength < 0) fail(`record ${i} header ${h} has a null key`);
      const headerKey = r.bytes(keyLength, 'header key').toString('utf8');
      headers.push({ key: headerKey, value: readNullableBytes(r, 'header value') });
    }
    if (r.pos !== recordEnd) fail(`record ${i} declares ${length} bytes but uses ${length - r.remaining}`);
    reader.pos = recordEnd;
    records.push({ offset: context.baseOffset + offsetDelta, timestamp, key, value, headers });
  }
  if (reader.remaining !== 0) fail(`${reader.remaining} bytes after the last of ${context.recordCount} records`);
  return records;
}

/** One record's encoded size (after its Length field). */
export function bodySize(record: RecordInput, timestampDelta: number, offsetDelta: number): number {
  let size =
    1 +
    sizeOfVarlong(timestampDelta) +
    sizeOfVarint(offsetDelta) +
    sizeOfNullableBytes(record.key) +
    sizeOfNullableBytes(record.value) +
    sizeOfVarint(record.headers.length);
  for (const header of record.headers) {
    const keyLength = Buffer.byteLength(header.key, 'utf8');
    size += sizeOfVarint(keyLength) + keyLength + sizeOfNullableBytes(header.value);
  }
  return size;
}

function sizeOfNullableBytes(data: Buffer | null): number {
  return data === null ? 1 : sizeOfVarint(data.length) + data.length;
}

function writeNullableBytes(writer: Writer, data: Buffer | null): void {
  if (data === null) writer.varint(-1);
  else writer.varint(data.length).bytes(data);
}

function readNullableBytes(reader: Reader, what: string): Buffer | null {
  const length = reader.varint(`${what} length`);
  if (length === -1) return null;
  if (length < 0) throw new CorruptRecordError(`${what} has length ${length} at byte ${reader.pos}`);
  return reader.bytes(length, what);
}
