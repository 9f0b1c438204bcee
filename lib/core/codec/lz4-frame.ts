/**
 * LZ4 frames (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), decode only: what
 * Kafka's lz4 codec (attribute 3) compresses a batch's records section into. Kafka's own reader
 * (KafkaLZ4BlockInputStream) is followed: one frame, independent blocks, no dictionary.
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
 * its output, so a hostile frame is an error, never garbage or an unbounded loop.
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
