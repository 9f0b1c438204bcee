import { decodeOrCorrupt, mutate, mutationArb } from '../support/corrupt.ts';
import fc from 'fast-check';
import * as lz4napi from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { decompress, type Compression } from '../../lib/core/codec/compression.ts';
import { crc32c } from '../../lib/core/codec/crc32c.ts';
import { decodeLz4Frame, encodeLz4Frame } from '../../lib/core/codec/lz4-frame.ts';
import { BATCH_OVERHEAD, decodeBatch, encodeBatch } from '../../lib/core/codec/record-batch.ts';
import type { BatchInput, DecodedBatch, RecordInput } from '../../lib/core/codec/record-batch.ts';

const buffer = (maxLength: number) => fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes));
// Compressible values as well as random ones, so the compressors emit matches and copies.
const value = fc.oneof(buffer(256), fc.tuple(fc.string({ maxLength: 8 }), fc.nat(300)).map(([s, n]) => Buffer.from(s.repeat(n))));
const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(buffer(32), { nil: null, freq: 4 }),
  value: fc.option(value, { nil: null, freq: 4 }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.option(buffer(16), { nil: null }) }), { maxLength: 3 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});
const batchArb: fc.Arbitrary<BatchInput> = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  records: fc.array(recordArb, { minLength: 1, maxLength: 6 }),
});

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
const IDS: Record<(typeof CODECS)[number], number> = { gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

/** An lz4 batch of `input` whose frame lz4-napi (lz4_flex) wrote: other block sizes and choices than ours. */
function lz4napiBatch(input: BatchInput): Buffer {
  const plain = encodeBatch(input);
  return resealed(Buffer.concat([plain.subarray(0, BATCH_OVERHEAD), lz4napi.compressFrameSync(plain.subarray(BATCH_OVERHEAD))]), IDS.lz4);
}

/** Length, codec and CRC made to agree with the bytes, so the decompressor itself is reached. */
function resealed(buf: Buffer, id: number): Buffer {
  if (buf.length < BATCH_OVERHEAD) return buf;
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt16BE(id, 21);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

function expectSane(batch: DecodedBatch | undefined): void {
  if (!batch) return;
  expect(batch.records).toHaveLength(batch.header.recordCount);
  for (const r of batch.records) expect(Number.isSafeInteger(r.offset) && Number.isSafeInteger(r.timestamp)).toBe(true);
}

type Source = [name: string, codec: (typeof CODECS)[number], batch: (input: BatchInput) => Buffer];
/** Every codec as we write it, and lz4 as lz4-napi writes it too. */
const SOURCES: Source[] = [
  ...CODECS.map((codec): Source => [codec, codec, (input) => encodeBatch({ ...input, compression: codec })]),
  ['lz4 (lz4-napi frames)', 'lz4', lz4napiBatch],
];

describe('compressed batches on hostile bytes', () => {
  for (const [name, codec, make] of SOURCES) {
    it(`${name}: a mutated records section, resealed, decodes or throws CorruptRecordError`, () => {
      fc.assert(
        fc.property(batchArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (input, mutations) => {
          const buf = make(input);
          const section = mutate(buf.subarray(BATCH_OVERHEAD), mutations);
          const hostile = resealed(Buffer.concat([buf.subarray(0, BATCH_OVERHEAD), section]), IDS[codec]);
          expectSane(decodeOrCorrupt(() => decodeBatch(hostile)));
          expectSane(decodeOrCorrupt(() => decodeBatch(hostile, { maxUncompressedBytes: 64 })));
        }),
        { numRuns: 300 },
      );
    });

    it(`${name}: an intact batch under any limit decodes or throws CorruptRecordError`, () => {
      fc.assert(
        fc.property(batchArb, fc.nat(4096), (input, limit) => {
          const buf = make(input);
          const decoded = decodeOrCorrupt(() => decodeBatch(buf, { maxUncompressedBytes: limit }));
          if (decoded) expect(decoded.records).toEqual(input.records.map((r, i) => ({ ...r, offset: input.baseOffset + i })));
          const fits = buf.length - BATCH_OVERHEAD <= limit && encodeBatch(input).length - BATCH_OVERHEAD <= limit;
          if (fits) expect(decoded).toBeDefined();
        }),
        { numRuns: 100 },
      );
    });
  }

  it('decompress on random bytes, any codec, returns or throws CorruptRecordError', () => {
    fc.assert(
      fc.property(fc.constantFrom<Compression>(...CODECS), buffer(200), fc.nat(1 << 20), (codec, bytes, limit) => {
        const out = decodeOrCorrupt(() => decompress(codec, bytes, limit));
        if (out) expect(out.length).toBeLessThanOrEqual(limit);
      }),
      { numRuns: 2000 },
    );
  });

  it('a section recompressed under another codec id is refused or decodes the same records', () => {
    fc.assert(
      fc.property(batchArb, fc.constantFrom(...SOURCES), fc.constantFrom(0, 1, 2, 3, 4), (input, [, , batch], id) => {
        const buf = resealed(batch(input), id);
        expectSane(decodeOrCorrupt(() => decodeBatch(buf)));
      }),
      { numRuns: 200 },
    );
  });
});

/**
 * The pieces an encoder input is built of, so every path of the lz4 encoder runs: noise (stored
 * blocks, long literal runs), runs of a short pattern (overlapping matches, lengths past 255),
 * copies of earlier bytes from anywhere before (offsets up to the 64 KiB a block allows), and
 * lengths that cross block boundaries.
 */
type Piece =
  | { kind: 'noise'; seed: number; length: number }
  | { kind: 'run'; pattern: Uint8Array; length: number }
  | { kind: 'copy'; from: number; length: number };
const pieceArb: fc.Arbitrary<Piece> = fc.oneof(
  fc.record({ kind: fc.constant('noise' as const), seed: fc.integer(), length: fc.oneof(fc.nat(40), fc.nat(80_000)) }),
  fc.record({ kind: fc.constant('run' as const), pattern: fc.uint8Array({ minLength: 1, maxLength: 8 }), length: fc.nat(3_000) }),
  fc.record({ kind: fc.constant('copy' as const), from: fc.double({ min: 0, max: 1, noNaN: true }), length: fc.integer({ min: 1, max: 600 }) }),
);
const encoderInputArb = fc.array(pieceArb, { maxLength: 12 }).map(build);

/** The bytes `pieces` describe; noise comes from xorshift32 seeded by fast-check, so a failure replays. */
function build(pieces: readonly Piece[]): Buffer {
  const out = Buffer.alloc(pieces.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const piece of pieces) {
    const stop = at + piece.length;
    if (piece.kind === 'noise') {
      let x = piece.seed | 1;
      for (; at < stop; at++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        out[at] = x & 0xff;
      }
    } else if (piece.kind === 'run') {
      for (let i = 0; at < stop; i++) out[at++] = piece.pattern[i % piece.pattern.length]!;
    } else {
      // Byte by byte, so a copy may overlap what it writes, as an LZ77 match does.
      for (let from = Math.floor(piece.from * at); at < stop; ) out[at++] = out[from++]!;
    }
  }
  return out;
}

/**
 * What the frame format asks of an encoder beyond what a decoder checks, broken rules listed:
 * in a compressed block no match starts in the last 12 bytes, the last 5 bytes are literals,
 * and an offset reaches back only into the same block (independent blocks).
 */
function lz4RuleBreaks(frame: Buffer): string[] {
  const breaks: string[] = [];
  for (let at = 7; ; ) {
    const word = frame.readUInt32LE(at);
    at += 4;
    if (word === 0) return breaks;
    const size = word & 0x7fffffff;
    if (word >>> 31 === 0) breaks.push(...blockRuleBreaks(frame.subarray(at, at + size)).map((b) => `block at ${at}: ${b}`));
    at += size;
  }
}

function blockRuleBreaks(block: Buffer): string[] {
  const breaks: string[] = [];
  const matches: [start: number, end: number][] = [];
  let s = 0;
  let d = 0;
  const length = (nibble: number): number => {
    let n = nibble;
    if (n === 15) for (let byte = 255; byte === 255; n += byte) byte = block[s++]!;
    return n;
  };
  for (;;) {
    const token = block[s++]!;
    const literals = length(token >> 4);
    s += literals;
    d += literals;
    if (s >= block.length) break;
    const offset = block.readUInt16LE(s);
    s += 2;
    if (offset === 0 || offset > d) breaks.push(`offset ${offset} at ${d}`);
    const match = length(token & 0x0f) + 4;
    matches.push([d, d + match]);
    d += match;
  }
  for (const [start, end] of matches) {
    if (start > d - 12) breaks.push(`a match starts at ${start} of ${d}`);
    if (end > d - 5) breaks.push(`a match ends at ${end} of ${d}`);
  }
  return breaks;
}

describe('lz4 encoder on any input', () => {
  it("round-trips through our decoder and lz4-napi, keeps the format's rules, is no larger than stored blocks", () => {
    fc.assert(
      fc.property(encoderInputArb, (input) => {
        const frame = encodeLz4Frame(input);
        expect(decodeLz4Frame(frame, input.length).equals(input)).toBe(true);
        expect(lz4napi.decompressFrameSync(frame).equals(input)).toBe(true);
        expect(lz4RuleBreaks(frame)).toEqual([]);
        expect(frame.length).toBeLessThanOrEqual(input.length + 11 + 4 * Math.ceil(input.length / 65_536));
      }),
      { numRuns: 300 },
    );
  });

  it('an lz4 batch decodes to its records', () => {
    fc.assert(
      fc.property(batchArb, (input) => {
        const { header, records } = decodeBatch(encodeBatch({ ...input, compression: 'lz4' }));
        expect(header.attributes & 7).toBe(IDS.lz4);
        expect(records).toEqual(input.records.map((r, i) => ({ ...r, offset: input.baseOffset + i })));
      }),
      { numRuns: 200 },
    );
  });
});
