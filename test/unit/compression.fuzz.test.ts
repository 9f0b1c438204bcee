import { decodeOrCorrupt, mutate, mutationArb } from '../support/corrupt.ts';
import fc from 'fast-check';
import * as lz4napi from 'lz4-napi';
import { describe, expect, it } from 'vitest';
import { decompress, type Compression } from '../../lib/core/codec/compression.ts';
import { crc32c } from '../../lib/core/codec/crc32c.ts';
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

/** A compressed batch of `input`; lz4 frames come from lz4-napi (we decode lz4 only). */
function compressedBatch(codec: (typeof CODECS)[number], input: BatchInput): Buffer {
  if (codec !== 'lz4') return encodeBatch({ ...input, compression: codec });
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

describe('compressed batches on hostile bytes', () => {
  for (const codec of CODECS) {
    it(`${codec}: a mutated records section, resealed, decodes or throws CorruptRecordError`, () => {
      fc.assert(
        fc.property(batchArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (input, mutations) => {
          const buf = compressedBatch(codec, input);
          const section = mutate(buf.subarray(BATCH_OVERHEAD), mutations);
          const hostile = resealed(Buffer.concat([buf.subarray(0, BATCH_OVERHEAD), section]), IDS[codec]);
          expectSane(decodeOrCorrupt(() => decodeBatch(hostile)));
          expectSane(decodeOrCorrupt(() => decodeBatch(hostile, { maxUncompressedBytes: 64 })));
        }),
        { numRuns: 300 },
      );
    });

    it(`${codec}: an intact batch under any limit decodes or throws CorruptRecordError`, () => {
      fc.assert(
        fc.property(batchArb, fc.nat(4096), (input, limit) => {
          const buf = compressedBatch(codec, input);
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
      fc.property(batchArb, fc.constantFrom(...CODECS), fc.constantFrom(0, 1, 2, 3, 4), (input, codec, id) => {
        const buf = resealed(compressedBatch(codec, input), id);
        expectSane(decodeOrCorrupt(() => decodeBatch(buf)));
      }),
      { numRuns: 200 },
    );
  });
});
