import { decodeOrCorrupt, mutate, mutationArb } from '../support/corrupt.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeBatches, encodeBatch, encodeBatchKeepingOffsets } from '../../lib/core/codec/record-batch.ts';
import type { DecodedBatch, StoredRecord } from '../../lib/core/codec/record-batch.ts';
import { CorruptRecordError } from '../../lib/core/errors.ts';
import {
  buildSegment,
  byteRangeFor,
  byteRangeForTimestamp,
  completeBatches,
  decodeSegmentIndex,
  encodeSegmentIndex,
} from '../../lib/core/segment.ts';
import type { BuiltSegment, SegmentIndexEntry } from '../../lib/core/segment.ts';
import { kafkajsCrc32c } from '../support/kafkajs.ts';

/** Runs a decoder: its only allowed failure is CorruptRecordError. */
const T = 1_700_000_000_000;

/** One batch of a segment: the gap before it, its records, and which survive compaction. */
const batchSpecArb = fc.record({
  gap: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 30 }) }),
  values: fc.array(fc.integer({ min: 0, max: 700 }), { minLength: 1, maxLength: 6 }),
  timestamps: fc.array(fc.integer({ min: -5_000, max: 5_000 }), { minLength: 6, maxLength: 6 }),
  /** Present: a compacted batch keeping these records (by index) and slack past its last. */
  compacted: fc.option(fc.record({ keep: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), slack: fc.nat({ max: 4 }) }), {
    nil: undefined,
  }),
});
type BatchSpec = typeof batchSpecArb extends fc.Arbitrary<infer S> ? S : never;

const segmentArb = fc.record({
  baseOffset: fc.oneof(fc.nat({ max: 1_000 }), fc.integer({ min: 0, max: 2 ** 50 })),
  interval: fc.oneof(fc.integer({ min: 1, max: 4_000 }), fc.constant(64 * 1024)),
  batches: fc.array(batchSpecArb, { minLength: 1, maxLength: 12 }),
});
type SegmentSpec = typeof segmentArb extends fc.Arbitrary<infer S> ? S : never;

function encodeSpec(spec: BatchSpec, baseOffset: number): Buffer {
  const records: StoredRecord[] = spec.values.map((size, i) => ({
    offset: baseOffset + i,
    key: Buffer.from([i]),
    value: size === 0 ? null : Buffer.alloc(size, i),
    headers: [],
    timestamp: T + spec.timestamps[i]!,
  }));
  if (!spec.compacted) return encodeBatch({ baseOffset, records });
  const kept = records.filter((_, i) => spec.compacted!.keep[i]);
  return encodeBatchKeepingOffsets({
    baseOffset,
    lastOffsetDelta: records.length - 1 + spec.compacted.slack,
    records: kept.length > 0 ? kept : [records.at(-1)!],
  });
}

interface Fixture {
  readonly built: BuiltSegment;
  /** Where each batch starts in the segment. */
  readonly starts: number[];
  readonly decoded: DecodedBatch[];
}

function build(spec: SegmentSpec): Fixture {
  let offset = spec.baseOffset;
  const batches = spec.batches.map((b) => {
    offset += b.gap;
    const batch = encodeSpec(b, offset);
    offset += b.values.length + (b.compacted?.slack ?? 0);
    return batch;
  });
  const built = buildSegment(batches, { indexIntervalBytes: spec.interval });
  const starts: number[] = [];
  let position = 0;
  for (const batch of batches) {
    starts.push(position);
    position += batch.length;
  }
  return { built, starts, decoded: decodeBatches(built.bytes) };
}

const lastOffset = (batch: DecodedBatch) => batch.header.baseOffset + batch.header.lastOffsetDelta;

/** Each batch in buf[0, consumed) has the CRC kafkajs computes, and they tile the prefix. */
function expectIntact(buf: Buffer, result: ReturnType<typeof completeBatches>): void {
  let at = 0;
  let previousLast = -1;
  for (const batch of result.batches) {
    const length = 12 + batch.header.batchLength;
    expect(buf.readUInt32BE(at + 17)).toBe(kafkajsCrc32c(buf.subarray(at + 21, at + length)));
    expect(Number(buf.readBigInt64BE(at))).toBe(batch.header.baseOffset);
    expect(batch.header.baseOffset).toBeGreaterThan(previousLast);
    previousLast = lastOffset(batch);
    at += length;
  }
  expect(result.consumed).toBe(at);
  if (result.partialLength !== undefined) {
    expect(buf.length - at).toBeGreaterThanOrEqual(12);
    expect(result.partialLength).toBeGreaterThan(buf.length - at);
  } else {
    expect(buf.length - at).toBeLessThan(12);
  }
}


describe('segment index codec on any bytes', () => {
  it('decodes arbitrary bytes or throws CorruptRecordError', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 120 }),
      // Past the version byte, with a small plausible count.
      fc.tuple(fc.integer({ min: 0, max: 20 }), fc.uint8Array({ maxLength: 120 })).map(([count, rest]) => Uint8Array.from([1, count << 1, ...rest])),
    );
    fc.assert(
      fc.property(bytes, (buf) => {
        const entries = decodeOrCorrupt(() => decodeSegmentIndex(buf));
        if (entries) expect(decodeSegmentIndex(encodeSegmentIndex(entries))).toEqual(entries);
      }),
      { numRuns: 3000 },
    );
  });

  it('round-trips any valid entries, and mutations of them decode or throw CorruptRecordError', () => {
    const entriesArb = fc
      .tuple(
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.integer({ min: 1, max: 2 ** 24 }), fc.integer({ min: -(2 ** 45), max: 2 ** 45 })), {
          maxLength: 30,
        }),
      )
      .map(([first, steps]) => {
        let offset = first;
        let position = 0;
        return steps.map(([offsetStep, positionStep, maxTimestamp], i): SegmentIndexEntry => {
          if (i > 0) {
            offset += offsetStep;
            position += positionStep;
          }
          return { offset, position, maxTimestamp };
        });
      });
    fc.assert(
      fc.property(entriesArb, fc.array(mutationArb, { maxLength: 3 }), (entries, mutations) => {
        const encoded = encodeSegmentIndex(entries);
        expect(decodeSegmentIndex(encoded)).toEqual(entries);
        const mutated = decodeOrCorrupt(() => decodeSegmentIndex(mutate(encoded, mutations)));
        if (mutated) expect(decodeSegmentIndex(encodeSegmentIndex(mutated))).toEqual(mutated);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('segments built from arbitrary batches', () => {
  it('index the rule asks for, and the encoded index round-trips', () => {
    fc.assert(
      fc.property(segmentArb, (spec) => {
        const { built, starts, decoded } = build(spec);
        const { index, summary } = built;
        // Entries: the first batch, then each first batch at least the interval past the last entry.
        const expected: number[] = [];
        for (const [i, start] of starts.entries()) {
          if (expected.length === 0 || start >= starts[expected.at(-1)!]! + spec.interval) expected.push(i);
        }
        expect(index.map((e) => e.position)).toEqual(expected.map((i) => starts[i]));
        expect(index.map((e) => e.offset)).toEqual(expected.map((i) => decoded[i]!.header.baseOffset));
        expected.forEach((first, k) => {
          const span = decoded.slice(first, expected[k + 1] ?? decoded.length).flatMap((b) => b.records);
          expect(index[k]!.maxTimestamp).toBe(Math.max(...span.map((r) => r.timestamp)));
        });
        expect(decodeSegmentIndex(encodeSegmentIndex(index))).toEqual(index);
        const all = decoded.flatMap((b) => b.records);
        expect(summary).toEqual({
          baseOffset: decoded[0]!.header.baseOffset,
          endOffset: lastOffset(decoded.at(-1)!) + 1,
          recordCount: all.length,
          bytes: built.bytes.length,
          firstTimestamp: all[0]!.timestamp,
          maxTimestamp: Math.max(...all.map((r) => r.timestamp)),
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('completeBatches on damaged ranges of a valid segment', () => {
  it('returns the whole batches of any cut, and the full length of the one cut off', () => {
    fc.assert(
      fc.property(segmentArb, fc.nat(), fc.nat(), (spec, from, length) => {
        const { built, starts, decoded } = build(spec);
        const first = from % starts.length;
        const start = starts[first]!;
        const end = start + (length % (built.bytes.length - start + 1));
        const buf = built.bytes.subarray(start, end);
        const result = completeBatches(buf);
        expectIntact(buf, result);
        const whole = decoded.slice(first).filter((b, i) => starts[first + i]! + 12 + b.header.batchLength <= end);
        expect(result.batches.map(({ bytes: _, ...decodedPart }) => decodedPart)).toEqual(whole);
        // Each batch's bytes are its own span of the range, as stored.
        expect(result.batches.map((b) => b.bytes)).toEqual(whole.map((b, i) => buf.subarray(starts[first + i]! - start, starts[first + i]! - start + 12 + b.header.batchLength)));
        const cut = decoded[first + whole.length];
        expect(result.partialLength).toBe(cut && end - starts[first + whole.length]! >= 12 ? 12 + cut.header.batchLength : undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('returns only CRC-valid batches or throws CorruptRecordError', () => {
    fc.assert(
      fc.property(segmentArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.nat(), (spec, mutations, cut) => {
        const { built } = build(spec);
        const mutated = mutate(built.bytes, mutations);
        const buf = mutated.subarray(0, cut % (mutated.length + 1));
        const result = decodeOrCorrupt(() => completeBatches(buf));
        if (result) expectIntact(buf, result);
      }),
      { numRuns: 1500 },
    );
  });

  it('handles arbitrary bytes behind a plausible batch header', () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), fc.integer({ min: -5, max: 300 }), fc.uint8Array({ maxLength: 200 }), (baseOffset, batchLength, rest) => {
        const head = Buffer.alloc(12);
        head.writeBigInt64BE(BigInt(baseOffset), 0);
        head.writeInt32BE(batchLength, 8);
        const buf = Buffer.concat([head, rest]);
        if (buf.length > 16) buf[16] = 2;
        const result = decodeOrCorrupt(() => completeBatches(buf));
        if (result) expectIntact(buf, result);
      }),
      { numRuns: 1500 },
    );
  });
});

describe('byteRangeFor', () => {
  it('returns a range inside the segment holding the batch with the offset, or reaching the next one', () => {
    fc.assert(
      fc.property(segmentArb, fc.integer({ min: -3, max: 200 }), fc.oneof(fc.nat({ max: 50 }), fc.nat({ max: 5_000 })), (spec, step, maxBytes) => {
        const { built, starts, decoded } = build(spec);
        const { summary } = built;
        const offset = Math.max(0, summary.baseOffset + step);
        const range = byteRangeFor(built.index, built.bytes.length, offset, maxBytes);
        expect(0).toBeLessThanOrEqual(range.start);
        expect(range.start).toBeLessThanOrEqual(range.end);
        expect(range.end).toBeLessThanOrEqual(built.bytes.length);
        expect(starts).toContain(range.start);
        const buf = built.bytes.subarray(range.start, range.end);
        const result = completeBatches(buf);
        const got = result.batches.map((b) => b.header.baseOffset);
        // The batch whose range holds the offset, whole.
        const holder = decoded.find((b) => b.header.baseOffset <= offset && offset <= lastOffset(b));
        if (holder) {
          expect(got).toContain(holder.header.baseOffset);
          return;
        }
        // In a gap (or before the first batch): the next batch, whole or by its length.
        const next = decoded.findIndex((b) => b.header.baseOffset > offset);
        if (next < 0) return; // past the end
        if (!got.includes(decoded[next]!.header.baseOffset)) {
          expect(range.start + result.consumed).toBe(starts[next]);
          expect(result.partialLength).toBe(12 + decoded[next]!.header.batchLength);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('stays within [0, segmentBytes] for any index, offset and maxBytes', () => {
    const entry = fc.record({ offset: fc.integer(), position: fc.integer({ min: -10, max: 10_000 }), maxTimestamp: fc.integer() });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 10 }), fc.nat({ max: 10_000 }), fc.integer(), fc.nat({ max: 20_000 }), fc.integer(), (index, size, offset, maxBytes, timestamp) => {
        for (const range of [byteRangeFor(index, size, offset, maxBytes), byteRangeForTimestamp(index, size, timestamp)]) {
          if (!range) continue;
          expect(0).toBeLessThanOrEqual(range.start);
          expect(range.start).toBeLessThanOrEqual(range.end);
          expect(range.end).toBeLessThanOrEqual(size);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('byteRangeForTimestamp', () => {
  it('returns the span holding the first record at or after the timestamp, or null when there is none', () => {
    fc.assert(
      fc.property(segmentArb, fc.integer({ min: -6_000, max: 6_000 }), (spec, delta) => {
        const { built, decoded } = build(spec);
        const timestamp = T + delta;
        const want = decoded.flatMap((b) => b.records).find((r) => r.timestamp >= timestamp);
        const range = byteRangeForTimestamp(built.index, built.bytes.length, timestamp);
        if (!want) {
          expect(range).toBeNull();
          return;
        }
        expect(range).not.toBeNull();
        const found = completeBatches(built.bytes.subarray(range!.start, range!.end))
          .batches.flatMap((b) => b.records)
          .find((r) => r.timestamp >= timestamp);
        expect(found?.offset).toBe(want.offset);
      }),
      { numRuns: 500 },
    );
  });
});
