/**
 * Snappy as Kafka's snappy codec (attribute 2) stores it: snappy-java's xerial framing around
 * raw Snappy blocks. snappyjs compresses the raw blocks; the framing, the size bound and the
 * block decoder (bounds-checked) are ours.
 *
 * Xerial =>
 *   Magic => 8 bytes                               82 53 4E 41 50 50 59 00 ("\x82SNAPPY\0")
 *   Version => int32                               1
 *   MinCompatibleVersion => int32                  1
 *   Chunks => Chunk ...                            to the end
 * Chunk =>
 *   Length => int32                                bytes of Block
 *   Block => raw Snappy block                      of at most 32 KiB of input when we write it
 *
 * Raw Snappy block =>
 *   UncompressedLength => unsigned varint          read first, to refuse a bomb before decompressing
 *   Elements => literals and copies
 *
 * A reader takes xerial (the first 8 bytes are the magic) or one whole raw block, as
 * snappy-java does (librdkafka may send the latter).
 */
/// <reference path="./snappyjs.d.ts" />
import snappyjs from 'snappyjs';
import { CorruptRecordError } from '../errors.ts';

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER_SIZE = 16;
const VERSION = 1;
const MIN_COMPATIBLE_VERSION = 1;
const CHUNK_INPUT = 32 * 1024;

function fail(problem: string): never {
  throw new CorruptRecordError(`snappy: ${problem}`);
}

export function encodeXerial(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeInt32BE(VERSION, 8);
  header.writeInt32BE(MIN_COMPATIBLE_VERSION, 12);
  parts.push(header);
  for (let at = 0; at < bytes.length; at += CHUNK_INPUT) {
    const block = Buffer.from(snappyjs.compress(bytes.subarray(at, at + CHUNK_INPUT)));
    const length = Buffer.alloc(4);
    length.writeInt32BE(block.length, 0);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

/** Decodes xerial or one raw block; more than `limit` decompressed bytes is refused before decompressing. */
export function decodeSnappy(data: Buffer, limit: number): Buffer {
  if (data.length < MAGIC.length || !data.subarray(0, MAGIC.length).equals(MAGIC)) {
    const length = declaredLength(data, 0, data.length);
    if (length > limit) fail(`block declares ${length} bytes, over the limit of ${limit}`);
    return uncompress(data, length);
  }
  if (data.length < HEADER_SIZE) fail('xerial header is truncated');
  // Every chunk's declared size first: the whole output is bounded before any of it is made.
  const chunks: { start: number; end: number; length: number }[] = [];
  let total = 0;
  for (let at = HEADER_SIZE; at < data.length; ) {
    if (data.length - at < 4) fail(`xerial chunk length truncated at byte ${at}`);
    const size = data.readInt32BE(at);
    const start = at + 4;
    if (size <= 0 || size > data.length - start) fail(`xerial chunk at byte ${at} declares ${size} bytes, ${data.length - start} left`);
    const length = declaredLength(data, start, start + size);
    total += length;
    if (total > limit) fail(`chunks declare more than the limit of ${limit} bytes`);
    chunks.push({ start, end: start + size, length });
    at = start + size;
  }
  return Buffer.concat(
    chunks.map((c) => uncompress(data.subarray(c.start, c.end), c.length)),
    total,
  );
}

/** A raw block's UncompressedLength varint (at most 32 bits). */
function declaredLength(data: Buffer, start: number, end: number): number {
  let value = 0;
  for (let i = 0, at = start; i < 5; i++, at++) {
    if (at >= end) fail('block length varint is truncated');
    const byte = data[at]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return value;
  }
  return fail('block length varint is longer than 5 bytes');
}

/**
 * Decodes the raw block `block` (its length varint already read as `length`) with bounds
 * checks on every element: snappyjs's decoder is not safe on hostile input (a literal
 * length above 2^31 moves its read position backwards, forever).
 */
function uncompress(block: Buffer, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let pos = 0;
  while (block[pos++]! & 0x80); // the length varint, checked by declaredLength
  let d = 0;
  const end = block.length;
  while (pos < end) {
    const tag = block[pos++]!;
    let len: number;
    let offset: number;
    switch (tag & 0x03) {
      case 0: {
        len = (tag >>> 2) + 1;
        if (len > 60) {
          const bytes = len - 60;
          if (end - pos < bytes) fail('block truncated in a literal length');
          len = block.readUIntLE(pos, bytes) + 1;
          pos += bytes;
        }
        if (len > end - pos) fail('block literal runs past the block');
        if (len > length - d) fail(`block decompresses past its declared ${length} bytes`);
        block.copy(out, d, pos, pos + len);
        pos += len;
        d += len;
        continue;
      }
      case 1:
        if (end - pos < 1) fail('block truncated in a copy');
        len = ((tag >>> 2) & 0x07) + 4;
        offset = ((tag >>> 5) << 8) | block[pos]!;
        pos += 1;
        break;
      case 2:
        if (end - pos < 2) fail('block truncated in a copy');
        len = (tag >>> 2) + 1;
        offset = block.readUInt16LE(pos);
        pos += 2;
        break;
      default:
        if (end - pos < 4) fail('block truncated in a copy');
        len = (tag >>> 2) + 1;
        offset = block.readUInt32LE(pos);
        pos += 4;
    }
    if (offset === 0 || offset > d) fail(`copy offset ${offset} is outside the ${d} bytes written`);
    if (len > length - d) fail(`block decompresses past its declared ${length} bytes`);
    if (offset >= len) {
      out.copyWithin(d, d - offset, d - offset + len);
      d += len;
    } else {
      for (let from = d - offset, stop = d + len; d < stop; ) out[d++] = out[from++]!;
    }
  }
  if (d !== length) fail(`block decompressed to ${d} bytes, declared ${length}`);
  return out;
}
