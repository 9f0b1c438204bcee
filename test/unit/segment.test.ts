import { expectCorrupt } from '../support/corrupt.ts';
import { describe, expect, it } from 'vitest';
import {
  decodeBatch,
  decodeBatches,
  encodeBatch,
  encodeBatchKeepingOffsets,
  readBatchHeader,
} from '../../lib/core/codec/record-batch.ts';
import type { DecodedBatch, RecordInput, StoredRecord } from '../../lib/core/codec/record-batch.ts';
import { CorruptRecordError } from '../../lib/core/errors.ts';
import {
  buildSegment,
  byteRangeFor,
  byteRangeForTimestamp,
  completeBatches,
  decodeSegmentIndex,
  DEFAULT_INDEX_INTERVAL_BYTES,
  encodeSegmentIndex,
} from '../../lib/core/segment.ts';
import type { BuiltSegment, SegmentIndexEntry } from '../../lib/core/segment.ts';
import { kafkajsCrc32c } from '../support/kafkajs.ts';

const T = 1_700_000_000_000;
const KiB = 1024;
const MiB = 1024 * KiB;


const records = (count: number, valueBytes: number, timestamp = T): RecordInput[] =>
  Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${i % 10}`),
    value: Buffer.alloc(valueBytes, i & 0xff),
    headers: [],
    timestamp: timestamp + i,
  }));

/** Contiguous batches from `baseOffset`, one per shape, timestamps rising with offsets. */
function batchesOf(shapes: ReadonlyArray<{ count: number; valueBytes: number }>, baseOffset = 0): Buffer[] {
  let offset = baseOffset;
  return shapes.map(({ count, valueBytes }) => {
    const batch = encodeBatch({ baseOffset: offset, records: records(count, valueBytes, T + offset) });
    offset += count;
    return batch;
  });
}

/** Byte positions at which the segment's batches start. */
function boundaries(batches: readonly Buffer[]): number[] {
  const starts: number[] = [];
  let position = 0;
  for (const batch of batches) {
    starts.push(position);
    position += batch.length;
  }
  return starts;
}

/** The index the rule asks for, worked out from the batch positions alone. */
function expectedIndex(batches: readonly Buffer[], interval: number): SegmentIndexEntry[] {
  const decoded = batches.map((b) => decodeBatch(b));
  const starts = boundaries(batches);
  const at: number[] = [];
  starts.forEach((position, i) => {
    if (at.length === 0 || position >= starts[at.at(-1)!]! + interval) at.push(i);
  });
  return at.map((first, k) => {
    const spanRecords = decoded.slice(first, at[k + 1] ?? batches.length).flatMap((b) => b.records);
    return {
      offset: decoded[first]!.header.baseOffset,
      position: starts[first]!,
      maxTimestamp: spanRecords.length ? Math.max(...spanRecords.map((r) => r.timestamp)) : -1,
    };
  });
}

/** The sparse-index invariants, checked against the segment bytes. */
function expectWellFormedIndex(segment: BuiltSegment, interval: number): void {
  const { bytes, index } = segment;
  expect(index[0]!.position).toBe(0);
  for (const [k, entry] of index.entries()) {
    expect(readBatchHeader(bytes, entry.position).baseOffset).toBe(entry.offset);
    if (k > 0) expect(entry.position - index[k - 1]!.position).toBeGreaterThanOrEqual(interval);
  }
}

/** The batch holding `offset`, or the first one after it when it falls in a gap. */
function batchFor(batches: readonly DecodedBatch[], offset: number): DecodedBatch | undefined {
  return batches.find((b) => b.header.baseOffset + b.header.lastOffsetDelta >= offset);
}

describe('buildSegment', () => {
  it('concatenates the batches and sums them up', () => {
    const batches = batchesOf([
      { count: 3, valueBytes: 10 },
      { count: 1, valueBytes: 0 },
      { count: 5, valueBytes: 200 },
    ], 40);
    const segment = buildSegment(batches);
    expect(segment.bytes.equals(Buffer.concat(batches))).toBe(true);
    expect(decodeBatches(segment.bytes).map((b) => b.header.baseOffset)).toEqual([40, 43, 44]);
    expect(segment.summary).toEqual({
      baseOffset: 40,
      endOffset: 49,
      recordCount: 9,
      bytes: segment.bytes.length,
      firstTimestamp: T + 40,
      maxTimestamp: T + 44 + 4,
    });
    expect(segment.index).toEqual([{ offset: 40, position: 0, maxTimestamp: T + 48 }]);
  });

  it('indexes the first batch and then the first batch at least the interval after the last entry', () => {
    // Ten equal batches of length L.
    const batches = batchesOf(Array.from({ length: 10 }, () => ({ count: 2, valueBytes: 50 })));
    const L = batches[0]!.length;
    expect(new Set(batches.map((b) => b.length))).toEqual(new Set([L]));
    const offsets = (interval: number) => buildSegment(batches, { indexIntervalBytes: interval }).index.map((e) => e.offset);
    expect(offsets(L)).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18]); // every batch
    expect(offsets(L + 1)).toEqual([0, 4, 8, 12, 16]); // every second
    expect(offsets(3 * L)).toEqual([0, 6, 12, 18]);
    expect(offsets(Math.floor(2.5 * L))).toEqual([0, 6, 12, 18]); // rounds up to a batch boundary
    expect(offsets(1)).toHaveLength(10);
    expect(offsets(10 * L)).toEqual([0]);
    expect(offsets(DEFAULT_INDEX_INTERVAL_BYTES)).toEqual([0]);
    const every3 = buildSegment(batches, { indexIntervalBytes: 3 * L }).index;
    expect(every3.map((e) => e.position)).toEqual([0, 3 * L, 6 * L, 9 * L]);
    // Each span's newest record: its last batch's last record.
    expect(every3.map((e) => e.maxTimestamp)).toEqual([T + 5, T + 11, T + 17, T + 19]);
  });

  it('stays sparse over many tiny batches and gives each batch above the interval its own entry', () => {
    const shapes = [
      ...Array.from({ length: 3_000 }, (_, i) => ({ count: 1 + (i % 3), valueBytes: 20 + (i % 50) })),
      { count: 2, valueBytes: 150 * KiB }, // larger than the interval
      { count: 1, valueBytes: 70 * KiB },
      { count: 1, valueBytes: 1 },
      { count: 3, valueBytes: 100 * KiB },
      ...Array.from({ length: 2_000 }, () => ({ count: 1, valueBytes: 5 })),
    ];
    const batches = batchesOf(shapes);
    const segment = buildSegment(batches);
    expectWellFormedIndex(segment, DEFAULT_INDEX_INTERVAL_BYTES);
    expect(segment.index).toEqual(expectedIndex(batches, DEFAULT_INDEX_INTERVAL_BYTES));
    // 3,000 tiny batches are ~300 KB: about one entry per 64 KiB, not one per batch.
    const tinyBytes = boundaries(batches)[3_000]!;
    const tinyEntries = segment.index.filter((e) => e.position < tinyBytes).length;
    expect(tinyEntries).toBe(Math.ceil(tinyBytes / DEFAULT_INDEX_INTERVAL_BYTES));
    // A batch after one larger than the interval always gets an entry; the 100 KiB batch
    // right after the (indexed) 1-byte one does not, being only ~70 bytes past that entry.
    const indexed = new Set(segment.index.map((e) => e.position));
    const starts = boundaries(batches);
    expect([3_001, 3_002, 3_003, 3_004].map((i) => indexed.has(starts[i]!))).toEqual([true, true, false, true]);
    expect(segment.index.length).toBeLessThan(segment.bytes.length / DEFAULT_INDEX_INTERVAL_BYTES + 2);
  });

  it('follows the rule for other intervals too', () => {
    const batches = batchesOf(Array.from({ length: 400 }, (_, i) => ({ count: 1 + (i % 7), valueBytes: (i * 37) % 900 })));
    for (const interval of [1, 100, 1_000, 4_096, 50_000, 10 * MiB]) {
      const segment = buildSegment(batches, { indexIntervalBytes: interval });
      expectWellFormedIndex(segment, interval);
      expect(segment.index).toEqual(expectedIndex(batches, interval));
    }
  });

  it('takes the summary from the records: first timestamp, max timestamp, last offset of the last batch', () => {
    const a = encodeBatch({ baseOffset: 0, records: [{ ...records(1, 1)[0]!, timestamp: T + 500 }, { ...records(1, 1)[0]!, timestamp: T }] });
    // A compacted batch: offsets 10..19, only 12 and 14 left.
    const b = encodeBatchKeepingOffsets({
      baseOffset: 10,
      lastOffsetDelta: 9,
      records: [12, 14].map((offset) => ({ ...records(1, 3)[0]!, offset, timestamp: T + 900 - offset })),
    });
    const { summary } = buildSegment([a, b]);
    expect(summary).toMatchObject({ baseOffset: 0, endOffset: 20, recordCount: 4, firstTimestamp: T + 500, maxTimestamp: T + 888 });
  });

  it('takes an empty batch (Kafka keeps one for producer state) as covering its offsets with no timestamp', () => {
    // A batch spanning offsets 7..11 with its records all removed.
    const empty = Buffer.from(encodeBatch({ baseOffset: 7, records: records(5, 1) }).subarray(0, 61));
    empty.writeInt32BE(61 - 12, 8);
    empty.writeInt32BE(0, 57);
    empty.writeUInt32BE(kafkajsCrc32c(empty.subarray(21)), 17);
    expect(decodeBatch(empty).records).toEqual([]);
    expect(buildSegment([empty])).toMatchObject({
      index: [{ offset: 7, position: 0, maxTimestamp: -1 }],
      summary: { baseOffset: 7, endOffset: 12, recordCount: 0, bytes: 61, firstTimestamp: -1, maxTimestamp: -1 },
    });
    const before = encodeBatch({ baseOffset: 0, records: records(7, 1, T) });
    const after = encodeBatch({ baseOffset: 12, records: records(2, 1, T + 50) });
    const mixed = buildSegment([before, empty, after], { indexIntervalBytes: 1 });
    expect(mixed.index.map((e) => e.maxTimestamp)).toEqual([T + 6, -1, T + 51]);
    expect(mixed.summary).toMatchObject({ endOffset: 14, recordCount: 9, firstTimestamp: T, maxTimestamp: T + 51 });
    expect(byteRangeForTimestamp(mixed.index, mixed.bytes.length, T + 7)).toEqual({ start: before.length + 61, end: mixed.bytes.length });
  });

  it('accepts gaps between batches and refuses overlaps and disorder with a RangeError', () => {
    const at = (baseOffset: number, count = 3) => encodeBatch({ baseOffset, records: records(count, 4) });
    expect(buildSegment([at(0), at(3), at(100)]).summary.endOffset).toBe(103);
    expect(() => buildSegment([at(0), at(2)])).toThrow(/batch 1 starts at offset 2, before 3/);
    expect(() => buildSegment([at(5), at(5)])).toThrow(RangeError);
    expect(() => buildSegment([at(10), at(0)])).toThrow(RangeError);
    expect(() => buildSegment([at(0), at(3), at(4)])).toThrow(/batch 2/);
    expect(() => buildSegment([])).toThrow(RangeError);
    for (const interval of [0, -1, 1.5, Number.NaN]) {
      expect(() => buildSegment([at(0)], { indexIntervalBytes: interval })).toThrow(RangeError);
    }
  });

  it('refuses a corrupt batch with CorruptRecordError naming its position', () => {
    const batches = batchesOf([{ count: 2, valueBytes: 10 }, { count: 2, valueBytes: 10 }]);
    const flipped = Buffer.from(batches[1]!);
    flipped[flipped.length - 1]! ^= 1;
    expectCorrupt(() => buildSegment([batches[0]!, flipped]), new RegExp(`segment byte ${batches[0]!.length}: .*CRC`));
    expectCorrupt(() => buildSegment([batches[0]!.subarray(0, 70)]), /length/);
    expectCorrupt(() => buildSegment([Buffer.concat(batches)]), /length/); // two batches in one buffer
  });
});

describe('segment index encoding', () => {
  it('round-trips, as Buffer or as a Uint8Array view', () => {
    const batches = batchesOf(Array.from({ length: 300 }, (_, i) => ({ count: 1 + (i % 4), valueBytes: 700 })));
    const { index } = buildSegment(batches, { indexIntervalBytes: 4_000 });
    expect(index.length).toBeGreaterThan(50);
    const encoded = encodeSegmentIndex(index);
    expect(decodeSegmentIndex(encoded)).toEqual(index);
    const padded = new Uint8Array(encoded.length + 10);
    padded.set(encoded, 3);
    expect(decodeSegmentIndex(padded.subarray(3, 3 + encoded.length))).toEqual(index);
    expect(decodeSegmentIndex(encodeSegmentIndex([]))).toEqual([]);
  });

  it('keeps extreme values and falling timestamps', () => {
    const entries: SegmentIndexEntry[] = [
      { offset: 2 ** 52, position: 0, maxTimestamp: -1 },
      { offset: 2 ** 52 + 1, position: 1, maxTimestamp: 2 ** 52 },
      { offset: Number.MAX_SAFE_INTEGER, position: Number.MAX_SAFE_INTEGER, maxTimestamp: -(2 ** 40) },
    ];
    expect(decodeSegmentIndex(encodeSegmentIndex(entries))).toEqual(entries);
  });

  it('writes a few bytes per entry', () => {
    const entries = Array.from({ length: 1_000 }, (_, i) => ({ offset: 5_000_000 + i * 600, position: i * 65_600, maxTimestamp: T + i * 1_000 }));
    const encoded = encodeSegmentIndex(entries);
    // Version, count, a wide first entry, then 2 + 3 + 2 bytes per entry.
    expect(encoded.length).toBeLessThan(7 * 1_000 + 20);
  });

  it('refuses entries it could not decode with a RangeError', () => {
    const e = (offset: number, position: number, maxTimestamp = T) => ({ offset, position, maxTimestamp });
    expect(() => encodeSegmentIndex([e(0, 0), e(0, 10)])).toThrow(/entry 1: offset/);
    expect(() => encodeSegmentIndex([e(5, 0), e(3, 10)])).toThrow(RangeError);
    expect(() => encodeSegmentIndex([e(0, 10), e(1, 10)])).toThrow(/entry 1: position/);
    expect(() => encodeSegmentIndex([e(-1, 0)])).toThrow(RangeError);
    expect(() => encodeSegmentIndex([e(0, -1)])).toThrow(RangeError);
    expect(() => encodeSegmentIndex([e(0.5, 0)])).toThrow(RangeError);
    expect(() => encodeSegmentIndex([e(2 ** 53, 0)])).toThrow(RangeError);
    expect(() => encodeSegmentIndex([e(0, 0, Number.NaN)])).toThrow(RangeError);
    // Each timestamp safe, their difference not.
    expect(() => encodeSegmentIndex([e(0, 0, -(2 ** 52)), e(1, 1, 2 ** 52)])).toThrow(/too far/);
  });

  it('refuses malformed bytes with CorruptRecordError', () => {
    const good = encodeSegmentIndex([
      { offset: 10, position: 0, maxTimestamp: T },
      { offset: 20, position: 500, maxTimestamp: T + 5 },
    ]);
    expect(good[0]).toBe(1); // version
    expect(good[1]).toBe(2 << 1); // entry count
    expectCorrupt(() => decodeSegmentIndex(Buffer.alloc(0)), /no bytes/);
    expectCorrupt(() => decodeSegmentIndex(Buffer.from([2, 0])), /version 2/);
    expectCorrupt(() => decodeSegmentIndex(good.subarray(0, good.length - 1)), /truncated/);
    expectCorrupt(() => decodeSegmentIndex(Buffer.concat([good, Buffer.from([0])])), /1 bytes after/);
    expectCorrupt(() => decodeSegmentIndex(Buffer.from([1, 1])), /-1 entries/);
    expectCorrupt(() => decodeSegmentIndex(Buffer.from([1, 0xfe, 0xff, 0xff, 0xff, 0x0f, 0, 0, 0])), /cannot fit/);
    // The second entry's offset delta set to 0, then to -1.
    const first = encodeSegmentIndex([{ offset: 10, position: 0, maxTimestamp: T }]).length;
    expect(good[first]).toBe(10 << 1);
    const repeated = Buffer.from(good);
    repeated[first] = 0;
    expectCorrupt(() => decodeSegmentIndex(repeated), /entry 1 has offset delta 0/);
    repeated[first] = 1;
    expectCorrupt(() => decodeSegmentIndex(repeated), /entry 1 has offset delta -1/);
    // A first offset and then a delta that together pass 2^53 - 1.
    const wide = Buffer.concat([
      Buffer.from([1, 2 << 1]),
      encodeSegmentIndex([{ offset: Number.MAX_SAFE_INTEGER, position: 0, maxTimestamp: 0 }]).subarray(2),
      Buffer.from([2, 2, 0]),
    ]);
    expectCorrupt(() => decodeSegmentIndex(wide), /entry 1 offset is beyond/);
    expectCorrupt(() => decodeSegmentIndex('not bytes' as unknown as Uint8Array), /not bytes/);
  });
});

describe('byteRangeFor', () => {
  // 60 batches of 10 records, ~5.3 KB each, indexed every 16 KiB (every fourth batch).
  const batches = batchesOf(Array.from({ length: 60 }, () => ({ count: 10, valueBytes: 512 })), 1_000);
  const segment = buildSegment(batches, { indexIntervalBytes: 16 * KiB });
  const { bytes, index } = segment;
  const size = bytes.length;
  const starts = boundaries(batches);
  const decoded = decodeBatches(bytes);

  const recordsIn = (range: { start: number; end: number }) =>
    completeBatches(bytes.subarray(range.start, range.end)).batches.flatMap((b) => b.records.map((r) => r.offset));

  it('starts at the last entry at or below the offset and covers the next span plus maxBytes', () => {
    expect(index.map((e) => e.offset)).toEqual(Array.from({ length: 15 }, (_, k) => 1_000 + 40 * k));
    // The start of the segment.
    // At least 12 bytes past the span, whatever maxBytes: see the compaction gap case.
    expect(byteRangeFor(index, size, 1_000, 0)).toEqual({ start: 0, end: index[1]!.position + 12 });
    expect(byteRangeFor(index, size, 1_000, 100)).toEqual({ start: 0, end: index[1]!.position + 100 });
    // The middle of a batch in the middle of a span: offset 1_255 is in batch 25 (entry 6 at batch 24).
    const middle = byteRangeFor(index, size, 1_255, 1_000);
    expect(middle).toEqual({ start: starts[24], end: index[7]!.position + 1_000 });
    expect(recordsIn(middle)).toContain(1_255);
    // Exactly at an entry.
    expect(byteRangeFor(index, size, 1_240, 12)).toEqual({ start: starts[24], end: starts[28]! + 12 });
    // In the last batch, and past the end: the last span, clamped.
    const last = byteRangeFor(index, size, 1_595, 10_000);
    expect(last).toEqual({ start: index.at(-1)!.position, end: size });
    expect(recordsIn(last)).toContain(1_599);
    expect(byteRangeFor(index, size, 1_600, 10)).toEqual(last);
    expect(byteRangeFor(index, size, 2 ** 50, 10)).toEqual(last);
    // Below the first batch: the first span.
    expect(byteRangeFor(index, size, 3, 100)).toEqual({ start: 0, end: index[1]!.position + 100 });
    // No index at all: from the start.
    expect(byteRangeFor([], size, 1_300, 5)).toEqual({ start: 0, end: size });
  });

  it('holds the batch with every offset, whole, for any maxBytes', () => {
    for (let offset = 990; offset < 1_610; offset++) {
      for (const maxBytes of [0, 1, 5_000]) {
        const range = byteRangeFor(index, size, offset, maxBytes);
        expect(range.start).toBeGreaterThanOrEqual(0);
        expect(range.end).toBeLessThanOrEqual(size);
        expect(starts).toContain(range.start);
        const got = completeBatches(bytes.subarray(range.start, range.end));
        const want = batchFor(decoded, offset);
        if (want) expect(got.batches.map((b) => b.header.baseOffset)).toContain(want.header.baseOffset);
      }
    }
  });

  it('refuses negative sizes with a RangeError', () => {
    expect(() => byteRangeFor(index, -1, 0, 0)).toThrow(RangeError);
    expect(() => byteRangeFor(index, size, 0, -1)).toThrow(RangeError);
    expect(() => byteRangeFor(index, size, 0, Number.NaN)).toThrow(RangeError);
    expect(byteRangeFor(index, size, 0, Infinity)).toEqual({ start: 0, end: size });
  });

  it('reaches the first batch after a compaction gap, whole or by its partial length', () => {
    // Offsets 0..9; 10..49 compacted away; 50..69 keeps 55, 61, 66; then 80..89.
    const a = encodeBatch({ baseOffset: 0, records: records(10, 3_000) });
    const b = encodeBatchKeepingOffsets({
      baseOffset: 50,
      lastOffsetDelta: 19,
      records: [55, 61, 66].map((offset) => ({ ...records(1, 3_000)[0]!, offset })),
    });
    const c = encodeBatch({ baseOffset: 80, records: records(10, 3_000) });
    const gappy = buildSegment([a, b, c], { indexIntervalBytes: 1 });
    expect(gappy.index.map((e) => e.offset)).toEqual([0, 50, 80]);
    /** What a reader does: read the range, then the cut-off batch if nothing at or after `offset` came whole. */
    const read = (offset: number, maxBytes: number) => {
      const range = byteRangeFor(gappy.index, gappy.bytes.length, offset, maxBytes);
      const first = completeBatches(gappy.bytes.subarray(range.start, range.end));
      const offsets = first.batches.flatMap((x) => x.records.map((r) => r.offset));
      if (offsets.some((o) => o >= offset) || first.partialLength === undefined) return offsets;
      const from = range.start + first.consumed;
      const more = completeBatches(gappy.bytes.subarray(from, from + first.partialLength));
      return [...offsets, ...more.batches.flatMap((x) => x.records.map((r) => r.offset))];
    };
    const zeroToNine = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    // 20 is in the gap at the end of the first span: its answer, batch b, starts the next span.
    expect(read(20, 0)).toEqual([...zeroToNine, 55, 61, 66]);
    expect(read(20, b.length)).toEqual([...zeroToNine, 55, 61, 66]);
    const range = byteRangeFor(gappy.index, gappy.bytes.length, 20, 0);
    expect(completeBatches(gappy.bytes.subarray(range.start, range.end)).partialLength).toBe(b.length);
    expect(read(60, 0)).toEqual([55, 61, 66]);
    expect(read(70, 0)).toEqual([55, 61, 66, ...zeroToNine.map((o) => o + 80)]);
    expect(read(75, 0)).toContain(80);
  });

  it('reads under 1 MiB for one record in the middle of a 64 MiB segment, from an index of a few KB', () => {
    const big: Buffer[] = [];
    let bytesSoFar = 0;
    for (let offset = 0; bytesSoFar < 64 * MiB; offset += 1_000) {
      const batch = encodeBatch({ baseOffset: offset, records: records(1_000, 100, T + offset) });
      big.push(batch);
      bytesSoFar += batch.length;
    }
    const built = buildSegment(big);
    expect(built.bytes.length).toBeGreaterThanOrEqual(64 * MiB);
    expect(built.summary.recordCount).toBe(big.length * 1_000);
    // ~111 KB batches: each is more than 64 KiB past the previous, so each gets an entry.
    expect(built.index).toHaveLength(big.length);
    const encoded = encodeSegmentIndex(built.index);
    expect(encoded.length).toBeLessThan(5 * KiB); // 605 entries: 4,239 bytes, about 7 per entry
    expect(decodeSegmentIndex(encoded)).toEqual(built.index);

    const middle = Math.floor(built.summary.endOffset / 2) + 321;
    const range = byteRangeFor(built.index, built.bytes.length, middle, 200);
    expect(range.end - range.start).toBeLessThan(1 * MiB);
    expect(range.end - range.start).toBeLessThan(big[0]!.length + 201);
    const { batches: got } = completeBatches(built.bytes.subarray(range.start, range.end));
    expect(got.flatMap((b) => b.records).find((r) => r.offset === middle)?.timestamp).toBe(T + middle);
  });

  it('keeps the index of a 64 MiB segment of small batches near one entry per 64 KiB', () => {
    // 10-record batches of ~1.2 KB: ~58,000 batches, thinned to ~1,000 entries.
    const small: Buffer[] = [];
    let bytesSoFar = 0;
    for (let offset = 0; bytesSoFar < 64 * MiB; offset += 10) {
      const batch = encodeBatch({ baseOffset: offset, records: records(10, 100, T + offset) });
      small.push(batch);
      bytesSoFar += batch.length;
    }
    const built = buildSegment(small);
    expect(built.index.length).toBeLessThanOrEqual(1_024);
    expect(built.index.length).toBeGreaterThan((64 * MiB) / (DEFAULT_INDEX_INTERVAL_BYTES + small[0]!.length));
    const encoded = encodeSegmentIndex(built.index);
    expect(encoded.length).toBeLessThan(8 * KiB); // 1,015 entries: 7,108 bytes
    const range = byteRangeFor(built.index, built.bytes.length, 300_001, 1);
    expect(range.end - range.start).toBeLessThan(DEFAULT_INDEX_INTERVAL_BYTES + 2 * small[0]!.length);
  });
});

describe('byteRangeForTimestamp', () => {
  // Timestamps rise with offsets, except one late record (T + 10_000) in batch 5.
  const shapes = Array.from({ length: 20 }, () => ({ count: 10, valueBytes: 1_000 }));
  const batches = batchesOf(shapes);
  const L = batches[0]!.length;
  const late = decodeBatch(batches[5]!);
  batches[5] = encodeBatch({
    baseOffset: late.header.baseOffset,
    records: late.records.map((r, i) => (i === 3 ? { ...r, timestamp: T + 10_000 } : r)),
  });
  const segment = buildSegment(batches, { indexIntervalBytes: 3 * L }); // every third batch
  const { bytes, index } = segment;

  const firstAtOrAfter = (timestamp: number) =>
    decodeBatches(bytes).flatMap((b) => b.records).find((r) => r.timestamp >= timestamp)?.offset;

  it('picks the first span whose newest record is at or after the timestamp', () => {
    expect(index.map((e) => e.offset)).toEqual([0, 30, 60, 90, 120, 150, 180]);
    expect(index.map((e) => e.maxTimestamp)).toEqual([T + 29, T + 10_000, T + 89, T + 119, T + 149, T + 179, T + 199]);
    expect(byteRangeForTimestamp(index, bytes.length, T - 5)).toEqual({ start: 0, end: index[1]!.position });
    expect(byteRangeForTimestamp(index, bytes.length, T + 29)).toEqual({ start: 0, end: index[1]!.position });
    expect(byteRangeForTimestamp(index, bytes.length, T + 30)).toEqual({ start: index[1]!.position, end: index[2]!.position });
    expect(byteRangeForTimestamp(index, bytes.length, T + 190)).toEqual({ start: index[1]!.position, end: index[2]!.position });
    expect(byteRangeForTimestamp(index, bytes.length, T + 199)).toEqual({ start: index[1]!.position, end: index[2]!.position });
    expect(byteRangeForTimestamp(index, bytes.length, T + 10_000)).toEqual({ start: index[1]!.position, end: index[2]!.position });
    expect(byteRangeForTimestamp(index, bytes.length, T + 10_001)).toBeNull();
    expect(byteRangeForTimestamp([], bytes.length, T)).toBeNull();
  });

  it('holds the first record at or after every timestamp', () => {
    for (let timestamp = T - 2; timestamp <= T + 202; timestamp++) {
      const range = byteRangeForTimestamp(index, bytes.length, timestamp)!;
      const found = completeBatches(bytes.subarray(range.start, range.end))
        .batches.flatMap((b) => b.records)
        .find((r) => r.timestamp >= timestamp);
      expect(found?.offset).toBe(firstAtOrAfter(timestamp));
    }
  });
});

describe('completeBatches', () => {
  const batches = batchesOf([
    { count: 3, valueBytes: 100 },
    { count: 4, valueBytes: 2_000 },
    { count: 1, valueBytes: 50 },
    { count: 2, valueBytes: 9_000 },
  ]);
  const bytes = Buffer.concat(batches);
  const starts = boundaries(batches);

  it('returns the whole batches and the real length of the one cut off', () => {
    const cut = completeBatches(bytes.subarray(0, starts[1]! + 500));
    expect(cut.batches.map((b) => b.header.baseOffset)).toEqual([0]);
    expect(cut.consumed).toBe(starts[1]);
    expect(cut.partialLength).toBe(batches[1]!.length);
    // Reading exactly that much more gives the batch.
    const rest = completeBatches(bytes.subarray(cut.consumed, cut.consumed + cut.partialLength!));
    expect(rest.batches.map((b) => b.records.length)).toEqual([4]);
    expect(rest.partialLength).toBeUndefined();
    // From the start of a batch, with just its first 12 bytes.
    expect(completeBatches(bytes.subarray(starts[3]!, starts[3]! + 12))).toEqual({ batches: [], consumed: 0, partialLength: batches[3]!.length });
  });

  it('reports no partial length without the 12 header bytes, nor at a batch boundary', () => {
    expect(completeBatches(bytes.subarray(0, starts[2]! + 11))).toMatchObject({ consumed: starts[2] });
    expect(completeBatches(bytes.subarray(0, starts[2]! + 11)).partialLength).toBeUndefined();
    const exact = completeBatches(bytes.subarray(0, starts[3]));
    expect(exact.batches).toHaveLength(3);
    expect(exact.partialLength).toBeUndefined();
    expect(completeBatches(bytes)).toMatchObject({ consumed: bytes.length });
    expect(completeBatches(bytes).batches.map(({ bytes: _, ...decoded }) => decoded)).toEqual(decodeBatches(bytes));
    expect(Buffer.concat(completeBatches(bytes).batches.map((b) => b.bytes))).toEqual(bytes);
    expect(completeBatches(Buffer.alloc(0))).toEqual({ batches: [], consumed: 0 });
  });

  it('reports the right partial length for every cut', () => {
    for (let end = 0; end <= bytes.length; end += 7) {
      const { batches: got, consumed, partialLength } = completeBatches(bytes.subarray(0, end));
      const whole = starts.filter((s, i) => s + batches[i]!.length <= end).length;
      expect(got).toHaveLength(whole);
      expect(consumed).toBe(starts[whole] ?? bytes.length);
      const left = end - consumed;
      expect(partialLength).toBe(left >= 12 ? batches[whole]!.length : undefined);
      got.forEach((batch, i) => {
        expect(batch.header.baseOffset).toBe(readBatchHeader(bytes, starts[i]).baseOffset);
        expect(bytes.readUInt32BE(starts[i]! + 17)).toBe(kafkajsCrc32c(batches[i]!.subarray(21)));
      });
    }
  });

  it('refuses corrupt batches, impossible headers and batches out of order', () => {
    const flipped = Buffer.from(bytes);
    flipped[starts[1]! + 100]! ^= 0x10;
    expectCorrupt(() => completeBatches(flipped), new RegExp(`segment byte ${starts[1]}: .*CRC`));
    // The cut-off batch's header is checked as far as it is present.
    const badMagic = Buffer.from(bytes.subarray(0, starts[1]! + 70));
    badMagic[starts[1]! + 16] = 1;
    expectCorrupt(() => completeBatches(badMagic), /magic/);
    const tooShort = Buffer.from(bytes.subarray(0, starts[1]! + 12));
    tooShort.writeInt32BE(48, starts[1]! + 8);
    expectCorrupt(() => completeBatches(tooShort), /batchLength 48/);
    const negative = Buffer.from(bytes);
    negative.writeBigInt64BE(-1n, 0);
    expectCorrupt(() => completeBatches(negative), /negative baseOffset/);
    const unsafe = Buffer.from(bytes);
    unsafe.writeBigInt64BE(2n ** 60n, starts[2]!);
    expectCorrupt(() => completeBatches(unsafe), /safe integer/);
    // BaseOffset is outside the CRC: moving a batch back over its neighbour is caught here.
    const disorder = Buffer.from(bytes);
    disorder.writeBigInt64BE(2n, starts[1]!);
    expectCorrupt(() => completeBatches(disorder), /batch at offset 2 follows one ending at 2/);
  });
});
