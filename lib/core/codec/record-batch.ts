/**
 * Kafka RecordBatch v2 (magic 2): the one byte format of the DynamoDB tail, the S3 segments
 * and, later, the Kafka wire protocol.
 *
 * Compression: Attributes bits 0-2 name a codec (compression.ts). With one set, everything
 * after RecordCount (the records section, records.ts) is stored compressed by that codec;
 * RecordCount itself stays uncompressed, as Kafka writes it, and the CRC covers the
 * compressed bytes. Decoding decompresses within a limit (DecodeOptions).
 *
 * RecordBatch =>                                byte
 *   BaseOffset => int64                            0   outside the CRC: setBaseOffset moves a batch in place
 *   BatchLength => int32                           8   bytes after this field (whole batch - 12)
 *   PartitionLeaderEpoch => int32                 12   -1: no leader epochs here (as a Java producer writes)
 *   Magic => int8                                 16   2
 *   CRC => uint32                                 17   CRC-32C of Attributes .. end of batch
 *   Attributes => int16                           21   bits 0-2 compression (0 = none), 3 timestamp type
 *                                                      (1 = log append time), 4 transactional, 5 control
 *   LastOffsetDelta => int32                      23   last offset - BaseOffset; compaction keeps it,
 *                                                      so records may leave gaps below it
 *   BaseTimestamp => int64                        27   the first record's timestamp
 *   MaxTimestamp => int64                         35
 *   ProducerId => int64                           43   -1: not idempotent
 *   ProducerEpoch => int16                        51   -1
 *   BaseSequence => int32                         53   -1
 *   RecordCount => int32                          57
 *   Records => count x Record, compressed or not  61   records.ts
 */
import { CorruptRecordError } from '../errors.ts';
import { compress, compressionId, compressionOf, decompress, DEFAULT_MAX_UNCOMPRESSED_BYTES, type Compression } from './compression.ts';
import { crc32c } from './crc32c.ts';
import { bodySize, measureRecords, readRecords, writeRecords, type RecordInput, type StoredRecord } from './records.ts';
import { Reader, sizeOfVarint, Writer } from './varint.ts';

export type { RecordHeader, RecordInput, StoredRecord } from './records.ts';
export type { Compression } from './compression.ts';

export interface BatchInput {
  readonly baseOffset: number;
  /** Non-empty; record i gets offset baseOffset + i. */
  readonly records: readonly RecordInput[];
  /** @default -1n (not idempotent) */
  readonly producerId?: bigint;
  /** @default -1 */
  readonly producerEpoch?: number;
  /** @default -1 */
  readonly baseSequence?: number;
  /** The records section's codec. @default 'none' */
  readonly compression?: Compression;
  /** gzip 1-9 (default 6), zstd 1-22 (default 3). */
  readonly compressionLevel?: number;
}

export interface BatchHeader {
  readonly baseOffset: number;
  /** Bytes after the BatchLength field: the batch occupies 12 + batchLength bytes. */
  readonly batchLength: number;
  /** The 16 attribute bits, unsigned. */
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

export interface DecodeOptions {
  /**
   * The most bytes a compressed batch's records section may decompress to (for example
   * the topic's max.message.bytes); past it the batch is a CorruptRecordError.
   * @default DEFAULT_MAX_UNCOMPRESSED_BYTES (16 MiB)
   */
  readonly maxUncompressedBytes?: number;
}

export { DEFAULT_MAX_UNCOMPRESSED_BYTES };

export interface DecodedBatch {
  readonly header: BatchHeader;
  readonly records: StoredRecord[];
}

/** A batch's bytes as stored (compressed or not, with its real base offset) and what they decode to. */
export interface StoredBatch extends DecodedBatch {
  readonly bytes: Buffer;
}

/** Bytes of a batch with no records: everything up to and including the record count. */
export const BATCH_OVERHEAD = 61;

const MAGIC = 2;
/** BaseOffset + BatchLength: the bytes BatchLength does not count. */
const LOG_OVERHEAD = 12;
const MAGIC_AT = 16;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const NO_PARTITION_LEADER_EPOCH = -1;

const COMPRESSION_MASK = 0x07;
const LOG_APPEND_TIME_FLAG = 0x08;
const CONTROL_FLAG = 0x20;
/** Compression, timestamp type, transactional, control; higher bits are refused. */
const KNOWN_ATTRIBUTES = 0x3f;

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/**
 * Encodes records as one batch, its records section compressed by input.compression: offset
 * deltas are the record indexes, timestamps are stored relative to the first record's
 * (CreateTime). Invalid input (no records, unsafe offsets or timestamps) is a RangeError.
 */
export function encodeBatch(input: BatchInput): Buffer {
  const { baseOffset, records } = input;
  if (records.length === 0) throw new RangeError('a batch needs at least one record');
  checkRange('baseOffset', baseOffset, 0, Number.MAX_SAFE_INTEGER - (records.length - 1));
  return writeBatch({
    ...producerFields(input),
    baseOffset,
    lastOffsetDelta: records.length - 1,
    records,
    offsetDelta: (index) => index,
  });
}

export interface BatchKeepingOffsetsInput {
  /** The original batch's baseOffset; need not be the first record's offset. */
  readonly baseOffset: number;
  /** The original batch's lastOffsetDelta; need not be the last record's delta. */
  readonly lastOffsetDelta: number;
  /** Non-empty, offsets strictly increasing within [baseOffset, baseOffset + lastOffsetDelta]. */
  readonly records: readonly StoredRecord[];
  /** @default -1n (not idempotent) */
  readonly producerId?: bigint;
  /** @default -1 */
  readonly producerEpoch?: number;
  /** @default -1 */
  readonly baseSequence?: number;
  /** The records section's codec. @default 'none' */
  readonly compression?: Compression;
  /** gzip 1-9 (default 6), zstd 1-22 (default 3). */
  readonly compressionLevel?: number;
}

/**
 * Encodes records that keep their original absolute offsets (compaction leaves gaps):
 * baseOffset and lastOffsetDelta are kept from the original batch so the batch still spans
 * its original offset range, as Kafka's cleaner does (the last offset carries the
 * producer's last sequence); producerId/epoch/baseSequence are kept too. Timestamps are
 * written as encodeBatch writes them: BaseTimestamp is the first kept record's,
 * MaxTimestamp the largest kept. Invalid input is a RangeError.
 */
export function encodeBatchKeepingOffsets(input: BatchKeepingOffsetsInput): Buffer {
  const { baseOffset, lastOffsetDelta, records } = input;
  if (records.length === 0) throw new RangeError('a batch needs at least one record');
  checkRange('lastOffsetDelta', lastOffsetDelta, 0, 2 ** 31 - 1);
  checkRange('baseOffset', baseOffset, 0, Number.MAX_SAFE_INTEGER - lastOffsetDelta);
  const lastOffset = baseOffset + lastOffsetDelta;
  let previous = baseOffset - 1;
  for (let i = 0; i < records.length; i++) {
    const { offset } = records[i]!;
    if (!Number.isInteger(offset) || offset <= previous || offset > lastOffset) {
      throw new RangeError(
        `record ${i}: offset ${offset} must be an integer above ${previous} and at most ${lastOffset}`,
      );
    }
    previous = offset;
  }
  return writeBatch({
    ...producerFields(input),
    baseOffset,
    lastOffsetDelta,
    records,
    offsetDelta: (index) => records[index]!.offset - baseOffset,
  });
}

interface ProducerFields {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly compression: Compression;
  readonly compressionLevel: number | undefined;
}

/** The producer fields and codec with their defaults, range-checked (the producer id by Writer.int64). */
function producerFields(input: Partial<ProducerFields>): ProducerFields {
  const producerEpoch = input.producerEpoch ?? -1;
  const baseSequence = input.baseSequence ?? -1;
  const compression = input.compression ?? 'none';
  checkRange('producerEpoch', producerEpoch, -(2 ** 15), 2 ** 15 - 1);
  checkRange('baseSequence', baseSequence, -(2 ** 31), 2 ** 31 - 1);
  compressionId(compression); // a RangeError for an unknown codec
  return { producerId: input.producerId ?? -1n, producerEpoch, baseSequence, compression, compressionLevel: input.compressionLevel };
}

interface BatchLayout extends ProducerFields {
  readonly baseOffset: number;
  readonly lastOffsetDelta: number;
  /** Non-empty. */
  readonly records: readonly RecordInput[];
  /** Record `index`'s offset minus baseOffset, increasing, within [0, lastOffsetDelta]. */
  readonly offsetDelta: (index: number) => number;
}

/**
 * The one batch writer behind both encoders: the records are measured first (records.ts)
 * so they are written into one exact buffer (the batch's, or their own when compressed),
 * then the CRC is filled in. Offsets are checked by the callers, timestamps by measureRecords.
 */
function writeBatch(layout: BatchLayout): Buffer {
  const { baseOffset, lastOffsetDelta, records, offsetDelta, compression } = layout;
  const frame = { firstTimestamp: records[0]!.timestamp, offsetDelta };
  const { sizes, bytes, maxTimestamp } = measureRecords(records, frame);
  let compressed: Buffer | undefined;
  if (compression !== 'none') {
    const section = new Writer(bytes);
    writeRecords(section, records, frame, sizes);
    const plain = section.finish();
    if (plain.length !== bytes) throw new Error(`encoded ${plain.length} record bytes, sized ${bytes}`);
    compressed = compress(compression, plain, { level: layout.compressionLevel });
  }
  const total = BATCH_OVERHEAD + (compressed?.length ?? bytes);
  const writer = new Writer(total)
    .int64(baseOffset)
    .int32(total - LOG_OVERHEAD)
    .int32(NO_PARTITION_LEADER_EPOCH)
    .int8(MAGIC)
    .uint32(0) // CRC, filled in below
    .int16(compressionId(compression)) // attributes: the codec, CreateTime, not transactional, not control
    .int32(lastOffsetDelta)
    .int64(frame.firstTimestamp)
    .int64(maxTimestamp)
    .int64(layout.producerId)
    .int16(layout.producerEpoch)
    .int32(layout.baseSequence)
    .int32(records.length);
  if (compressed) writer.bytes(compressed);
  else writeRecords(writer, records, frame, sizes);
  const batch = writer.finish();
  if (batch.length !== total) throw new Error(`encoded ${batch.length} bytes, sized ${total}`);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_AT)), CRC_AT);
  return batch;
}

/**
 * Reads the fixed fields of the batch starting at `at`. Framing only: the CRC and the
 * records are not checked, and only the first BATCH_OVERHEAD bytes need be present.
 */
export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  if (!Number.isInteger(at) || at < 0 || buf.length - at < BATCH_OVERHEAD) {
    throw new CorruptRecordError(
      `batch header at byte ${at} is truncated: needs ${BATCH_OVERHEAD} bytes, buffer has ${buf.length}`,
      { details: { at } },
    );
  }
  const magic = buf.readInt8(at + MAGIC_AT);
  if (magic !== MAGIC) {
    throw new CorruptRecordError(`batch at byte ${at} has magic ${magic}, expected ${MAGIC}`, {
      details: { at, magic },
    });
  }
  const reader = new Reader(buf, at, at + BATCH_OVERHEAD);
  const baseOffset = reader.int64('baseOffset');
  const batchLength = reader.int32();
  reader.pos = at + ATTRIBUTES_AT;
  const attributes = reader.int16() & 0xffff;
  const lastOffsetDelta = reader.int32();
  const firstTimestamp = reader.int64('firstTimestamp');
  const maxTimestamp = reader.int64('maxTimestamp');
  const producerId = reader.bigInt64();
  const producerEpoch = reader.int16();
  const baseSequence = reader.int32();
  const recordCount = reader.int32();

  const fail = (problem: string): never => {
    throw new CorruptRecordError(`batch at byte ${at}: ${problem}`, { details: { at, baseOffset } });
  };
  if (batchLength < BATCH_OVERHEAD - LOG_OVERHEAD) fail(`batchLength ${batchLength} is below the header size`);
  if (baseOffset < 0) fail(`negative baseOffset ${baseOffset}`);
  if (lastOffsetDelta < 0) fail(`negative lastOffsetDelta ${lastOffsetDelta}`);
  if (baseOffset + lastOffsetDelta > Number.MAX_SAFE_INTEGER) fail('last offset is beyond the safe integer range');
  if (recordCount < 0) fail(`negative record count ${recordCount}`);
  return {
    baseOffset,
    batchLength,
    attributes,
    lastOffsetDelta,
    firstTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    recordCount,
  };
}

/**
 * Decodes a buffer holding exactly one batch, checking its CRC and every record's framing,
 * decompressing its records section within options.maxUncompressedBytes.
 */
export function decodeBatch(buf: Buffer, options: DecodeOptions = {}): DecodedBatch {
  const header = readBatchHeader(buf, 0);
  if (LOG_OVERHEAD + header.batchLength !== buf.length) {
    throw new CorruptRecordError(
      `batch length says ${LOG_OVERHEAD + header.batchLength} bytes, buffer has ${buf.length}`,
      { details: { baseOffset: header.baseOffset } },
    );
  }
  return decodeAt(buf, 0, header, maxUncompressed(options));
}

/** Decodes concatenated batches (a segment's body), in order; options as decodeBatch's, per batch. */
export function decodeBatches(buf: Buffer, options: DecodeOptions = {}): DecodedBatch[] {
  const limit = maxUncompressed(options);
  const batches: DecodedBatch[] = [];
  let at = 0;
  while (at < buf.length) {
    const header = readBatchHeader(buf, at);
    const end = at + LOG_OVERHEAD + header.batchLength;
    if (end > buf.length) {
      throw new CorruptRecordError(
        `batch at byte ${at} is truncated: needs ${end - at} bytes, ${buf.length - at} left`,
        { details: { at, baseOffset: header.baseOffset } },
      );
    }
    batches.push(decodeAt(buf, at, header, limit));
    at = end;
  }
  return batches;
}

function maxUncompressed(options: DecodeOptions): number {
  const limit = options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  checkRange('maxUncompressedBytes', limit, 0, 2 ** 31 - 1);
  return limit;
}

function decodeAt(buf: Buffer, at: number, header: BatchHeader, limit: number): DecodedBatch {
  const end = at + LOG_OVERHEAD + header.batchLength;
  const fail = (problem: string): never => {
    throw new CorruptRecordError(`batch at offset ${header.baseOffset}: ${problem}`, {
      details: { baseOffset: header.baseOffset },
    });
  };

  const storedCrc = buf.readUInt32BE(at + CRC_AT);
  const actualCrc = crc32c(buf.subarray(at + ATTRIBUTES_AT, end));
  if (storedCrc !== actualCrc) {
    fail(`CRC mismatch (stored ${hex(storedCrc)}, computed ${hex(actualCrc)})`);
  }
  const { attributes } = header;
  const codecId = attributes & COMPRESSION_MASK;
  if (codecId > 4) fail(`unknown compression codec id ${codecId}`);
  if (attributes & CONTROL_FLAG) fail('control batches (transaction markers) are not supported');
  if (attributes & ~KNOWN_ATTRIBUTES) fail(`unknown attribute bits ${hex(attributes)}`);

  const logAppendTime = (attributes & LOG_APPEND_TIME_FLAG) !== 0;
  const context = { ...header, logAppendTime };
  const codec = compressionOf(codecId);
  if (codec === 'none') return { header, records: readRecords(buf, at + BATCH_OVERHEAD, end, context, fail) };
  const section = decompressSection(codec, buf.subarray(at + BATCH_OVERHEAD, end), limit, fail);
  return { header, records: readRecords(section, 0, section.length, context, fail) };
}

/** The decompressed records section; a decompressor's CorruptRecordError is reported as the batch's. */
function decompressSection(codec: Compression, bytes: Buffer, limit: number, fail: (problem: string) => never): Buffer {
  try {
    return decompress(codec, bytes, limit);
  } catch (error) {
    if (error instanceof CorruptRecordError) return fail(error.message);
    throw error;
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * Rewrites the batch's base offset in place. BaseOffset is outside the CRC, so the batch
 * stays valid and its records move with it (their offsets are deltas).
 */
export function setBaseOffset(buf: Buffer, baseOffset: number): void {
  const header = readBatchHeader(buf, 0);
  checkRange('baseOffset', baseOffset, 0, Number.MAX_SAFE_INTEGER - header.lastOffsetDelta);
  buf.writeBigInt64BE(BigInt(baseOffset), 0);
}

/**
 * Encoded size of a batch holding only this record (deltas zero): the figure to compare
 * with a topic's maxMessageBytes, as Kafka compares batch sizes.
 */
export function recordSize(record: RecordInput): number {
  const size = bodySize(record, 0, 0);
  return BATCH_OVERHEAD + sizeOfVarint(size) + size;
}
