/**
 * LZ4 frames (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), both ways: what
 * Kafka's lz4 codec (attribute 3) compresses a batch's records section into. Kafka's own reader
 * (KafkaLZ4BlockInputStream) is followed: one frame, independent blocks, no dictionary. We write
 * what Kafka's writer (Lz4BlockOutputStream, once KafkaLZ4BlockOutputStream) does: FLG 0x60
 * (version 1, independent blocks, no checksums: the batch CRC covers the bytes), BD 0x40 (64 KiB
 * blocks), no content size, the header checksum over FLG and BD only (the fixed one, not the
 * magic v0 era's that took in the magic too), and a block stored as it is unless compressing
 * makes it smaller.
 *
 * Frame =>
 *   Magic => uint32 LE                             0x184D2204 (bytes 04 22 4D 18)
 *   FLG => uint8                                   bits 7-6 version (01), 5 block independence
 *                                                  (must be 1), 4 block checksums, 3 content size,
 *                                                  2 content checksum, 1 reserved (0), 0 dictionary
 *                                                  id (refused)
 *   BD => uint8                                    bits 6-4 block maximum size (4: 64 KiB, 5: 256 KiB,
 *                                                  6: 1 MiB, 7: 4 MiB); bits 7, 3-0 reserved (0)
 *   ContentSize => uint64 LE                       only with FLG bit 3: the decompressed size
 *   HC => uint8                                    (xxh32(FLG .. end of ContentSize, seed 0) >> 8) & 0xFF
 *   Blocks => Block ..., then EndMark
 *   ContentChecksum => uint32 LE                   only with FLG bit 2: xxh32 of the decompressed bytes
 *
 * Block =>
 *   BlockSize => uint32 LE                         bit 31: stored uncompressed; bits 30-0: size of
 *                                                  Data, at most the block maximum size
 *   Data => bytes                                  an LZ4 block (below), or the bytes themselves
 *   BlockChecksum => uint32 LE                     only with FLG bit 4: xxh32 of Data
 * EndMark => uint32 LE                             0
 *
 * LZ4 block => Sequence ...
 * Sequence =>
 *   Token => uint8                                 bits 7-4 literal length, 3-0 match length - 4
 *                                                  (15: more length bytes follow, each added, until
 *                                                  one below 255)
 *   Literals => bytes
 *   MatchOffset => uint16 LE                       1 .. bytes written so far in this block; absent
 *                                                  after the last sequence, which ends the block
 *
 * The block decoder is our own, bounds-checked: every read and write is inside its block and
 * its output, so a hostile frame is an error, never garbage or an unbounded loop. The block
 * encoder is our own too, the greedy one of the reference LZ4_compress_fast: a hash table of
 * 4-byte sequences, matches of at least 4 bytes, none starting in a block's last 12 bytes, the
 * last 5 bytes always literals, offsets within the block (so below 64 KiB). It writes the bytes
 * the reference lz4 1.9.4 writes with `lz4 -1 -B4 -BI --no-frame-crc` (the tests hold it to that).
 */
import { CorruptRecordError } from '../errors.ts';
import { xxh32 } from './xxh32.ts';

const MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICTIONARY_ID = 0x01;
const BD_RESERVED = 0x8f;
const STORED_BLOCK = 0x80000000;
const MIN_MATCH = 4;

// What we write (encodeLz4Frame).
const FLG_WRITTEN = FLG_VERSION | FLG_BLOCK_INDEPENDENCE; // 0x60, no checksums, no content size
const BD_64_KIB = 4 << 4;
const BLOCK_SIZE = 1 << 16;
const MATCH_START_LIMIT = 12; // no match starts in a block's last 12 bytes
const LAST_LITERALS = 5; // nor covers its last 5
const HASH_LOG = 13;
const SKIP_TRIGGER = 6; // after 2^6 misses in a row, step 2 bytes, then 3 ...

function fail(problem: string): never {
  throw new CorruptRecordError(`lz4 frame: ${problem}`);
}

/**
 * Decodes one LZ4 frame filling `frame`; more than `limit` decompressed bytes is an error
 * raised before they are produced (no allocation of a claimed size beyond one block).
 */
export function decodeLz4Frame(frame: Buffer, limit: number): Buffer {
  let pos = 0;
  const need = (bytes: number, what: string): void => {
    if (frame.length - pos < bytes) fail(`truncated in ${what} at byte ${pos}`);
  };
  need(7, 'header');
  const magic = frame.readUInt32LE(0);
  if (magic !== MAGIC) fail(`magic 0x${magic.toString(16)}, expected 0x${MAGIC.toString(16)}`);
  const flg = frame[4]!;
  const bd = frame[5]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION) fail(`version ${flg >> 6}, expected 1`);
  if (flg & FLG_RESERVED || bd & BD_RESERVED) fail('reserved descriptor bits are set');
  if (flg & FLG_DICTIONARY_ID) fail('dictionary ids are not supported');
  if (!(flg & FLG_BLOCK_INDEPENDENCE)) fail('dependent blocks are not supported (Kafka refuses them too)');
  const blockMax = 1 << (8 + 2 * ((bd >> 4) & 0x07));
  if (blockMax < 1 << 16) fail(`block maximum size id ${(bd >> 4) & 0x07}, expected 4-7`);
  pos = 6;
  let contentSize: number | undefined;
  if (flg & FLG_CONTENT_SIZE) {
    need(9, 'content size');
    const size = frame.readBigUInt64LE(pos);
    if (size > BigInt(limit)) fail(`content size ${size} is over the limit of ${limit} bytes`);
    contentSize = Number(size);
    pos += 8;
  }
  const hc = (xxh32(frame, 4, pos) >>> 8) & 0xff;
  if (frame[pos] !== hc) fail(`header checksum 0x${frame[pos]!.toString(16)}, computed 0x${hc.toString(16)}`);
  pos += 1;

  const blockChecksums = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    need(4, 'block size');
    const word = frame.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const size = word & ~STORED_BLOCK;
    if (size > blockMax) fail(`block of ${size} bytes is over the frame's maximum of ${blockMax}`);
    need(size + (blockChecksums ? 4 : 0), 'block');
    if (blockChecksums) {
      const stored = frame.readUInt32LE(pos + size);
      if (stored !== xxh32(frame, pos, pos + size)) fail(`block checksum mismatch at byte ${pos}`);
    }
    const room = limit - total;
    let block: Buffer;
    if (word & STORED_BLOCK) {
      if (size > room) fail(`decompresses past the limit of ${limit} bytes`);
      block = frame.subarray(pos, pos + size);
    } else {
      const out = Buffer.allocUnsafe(Math.min(blockMax, room));
      const bound = blockMax > room ? `the limit of ${limit} bytes` : `the block maximum of ${blockMax} bytes`;
      const length = decodeBlock(frame, pos, pos + size, out, bound);
      block = out.subarray(0, length);
    }
    parts.push(block);
    total += block.length;
    pos += size + (blockChecksums ? 4 : 0);
  }
  const content = Buffer.concat(parts, total);
  if (flg & FLG_CONTENT_CHECKSUM) {
    need(4, 'content checksum');
    const stored = frame.readUInt32LE(pos);
    if (stored !== xxh32(content)) fail('content checksum mismatch');
    pos += 4;
  }
  if (contentSize !== undefined && contentSize !== total) fail(`content size says ${contentSize} bytes, blocks hold ${total}`);
  if (pos !== frame.length) fail(`${frame.length - pos} bytes after the frame`);
  return content;
}

/**
 * Decodes the LZ4 block src[start, end) into out from 0, returning the bytes written; output
 * beyond out.length is an error naming `bound`.
 */
function decodeBlock(src: Buffer, start: number, end: number, out: Buffer, bound: string): number {
  let s = start;
  let d = 0;
  const length = (initial: number, what: string): number => {
    let n = initial;
    if (n === 15) {
      let byte: number;
      do {
        if (s >= end) fail(`block truncated in a ${what} length`);
        byte = src[s++]!;
        n += byte;
        // Longer than the output can hold: stop reading 255s now, not at the end of the block.
        if (n > out.length) fail(`block decompresses past ${bound}`);
      } while (byte === 255);
    }
    return n;
  };
  for (;;) {
    if (s >= end) fail('block truncated before a sequence');
    const token = src[s++]!;
    const literals = length(token >> 4, 'literal');
    if (literals > end - s) fail('block literals run past the block');
    if (literals > out.length - d) fail(`block decompresses past ${bound}`);
    src.copy(out, d, s, s + literals);
    s += literals;
    d += literals;
    if (s === end) return d; // the last sequence has literals only
    if (end - s < 2) fail('block truncated in a match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) fail(`match offset ${offset} is outside the ${d} bytes written`);
    const match = length(token & 0x0f, 'match') + MIN_MATCH;
    if (match > out.length - d) fail(`block decompresses past ${bound}`);
    if (offset >= match) {
      out.copyWithin(d, d - offset, d - offset + match);
      d += match;
    } else {
      for (let from = d - offset, stop = d + match; d < stop; ) out[d++] = out[from++]!;
    }
  }
}

/**
 * Encodes `bytes` as one LZ4 frame of independent blocks of 64 KiB, the frame Kafka's producer
 * writes: a block that does not shrink is stored, so the frame is at most 11 bytes plus 4 a
 * block larger than `bytes`.
 */
export function encodeLz4Frame(bytes: Buffer): Buffer {
  const blocks = Math.ceil(bytes.length / BLOCK_SIZE);
  // Room for the worst an LZ4 block can be (all literals: n + n / 255 + 16) before it is
  // measured against storing it.
  const out = Buffer.allocUnsafe(7 + blocks * (4 + BLOCK_SIZE + Math.ceil(BLOCK_SIZE / 255) + 16) + 4);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG_WRITTEN;
  out[5] = BD_64_KIB;
  out[6] = (xxh32(out, 4, 6) >>> 8) & 0xff;
  let d = 7;
  // Positions in `bytes`, for the whole frame: a block ignores those before its start.
  const table = new Int32Array(1 << HASH_LOG).fill(-1);
  for (let start = 0; start < bytes.length; start += BLOCK_SIZE) {
    const end = Math.min(start + BLOCK_SIZE, bytes.length);
    const size = encodeBlock(bytes, start, end, out, d + 4, table) - (d + 4);
    if (size < end - start) {
      out.writeUInt32LE(size, d);
      d += 4 + size;
    } else {
      out.writeUInt32LE((STORED_BLOCK | (end - start)) >>> 0, d);
      bytes.copy(out, d + 4, start, end);
      d += 4 + end - start;
    }
  }
  out.writeUInt32LE(0, d);
  // A copy of the exact size: the worst-case buffer is not kept alive behind a small frame.
  return Buffer.from(out.subarray(0, d + 4));
}

const read32 = (src: Buffer, at: number): number => src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24);
const hash = (sequence: number): number => Math.imul(sequence, 0x9e3779b1) >>> (32 - HASH_LOG);

/**
 * Compresses src[start, end) as one LZ4 block at out[at ...], greedily: each position's 4 bytes
 * are looked up in `table` (the last position with the same hash), a hit is extended both
 * ways, and misses in a row make the search step longer, so incompressible input is crossed
 * quickly. Returns the end of what was written.
 */
function encodeBlock(src: Buffer, start: number, end: number, out: Buffer, at: number, table: Int32Array): number {
  let d = at;
  let anchor = start; // the first byte not yet written
  const lastMatchStart = end - MATCH_START_LIMIT;
  const matchEnd = end - LAST_LITERALS;
  if (end - start > MATCH_START_LIMIT) {
    table[hash(read32(src, start))] = start;
    let ip = start + 1;
    search: for (;;) {
      let ref: number;
      for (let step = 1, misses = 1 << SKIP_TRIGGER; ; ) {
        if (ip > lastMatchStart) break search;
        const sequence = read32(src, ip);
        const h = hash(sequence);
        ref = table[h]!;
        table[h] = ip;
        if (ref >= start && read32(src, ref) === sequence) break;
        ip += step;
        step = misses++ >> SKIP_TRIGGER;
      }
      while (ip > anchor && ref > start && src[ip - 1] === src[ref - 1]) {
        ip--;
        ref--;
      }
      // Emit the match, then try the position right after it before searching again.
      for (;;) {
        let length = MIN_MATCH;
        while (ip + length < matchEnd && src[ip + length] === src[ref + length]) length++;
        d = writeSequence(src, anchor, ip - anchor, out, d, ip - ref, length);
        ip += length;
        anchor = ip;
        if (ip > lastMatchStart) break search;
        table[hash(read32(src, ip - 2))] = ip - 2;
        const sequence = read32(src, ip);
        const h = hash(sequence);
        ref = table[h]!;
        table[h] = ip;
        if (ref < start || read32(src, ref) !== sequence) break;
      }
      ip++;
    }
  }
  return writeSequence(src, anchor, end - anchor, out, d, 0, 0);
}

/** Writes one sequence: its literals src[from, from + literals), then a match unless offset is 0 (the last sequence). */
function writeSequence(src: Buffer, from: number, literals: number, out: Buffer, at: number, offset: number, match: number): number {
  let d = at;
  const matchCode = match - MIN_MATCH;
  out[d++] = ((literals < 15 ? literals : 15) << 4) | (offset === 0 ? 0 : matchCode < 15 ? matchCode : 15);
  if (literals >= 15) d = writeLength(out, d, literals - 15);
  if (literals < 32) {
    for (let i = from, stop = from + literals; i < stop; ) out[d++] = src[i++]!;
  } else {
    src.copy(out, d, from, from + literals);
    d += literals;
  }
  if (offset === 0) return d;
  out[d++] = offset & 0xff;
  out[d++] = offset >>> 8;
  if (matchCode >= 15) d = writeLength(out, d, matchCode - 15);
  return d;
}

/** The bytes after a token's 15: 255s, then the remainder below 255. */
function writeLength(out: Buffer, at: number, rest: number): number {
  let d = at;
  for (let n = rest; ; n -= 255) {
    if (n < 255) {
      out[d++] = n;
      return d;
    }
    out[d++] = 255;
  }
}
