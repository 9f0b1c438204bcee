import { expectCorrupt } from '../support/corrupt.ts';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BATCH_OVERHEAD,
  decodeBatch,
  decodeBatches,
  encodeBatch,
  encodeBatchKeepingOffsets,
  readBatchHeader,
  recordSize,
  setBaseOffset,
} from '../../lib/core/codec/record-batch.ts';
import type {
  BatchInput,
  BatchKeepingOffsetsInput,
  RecordHeader,
  RecordInput,
  StoredRecord,
} from '../../lib/core/codec/record-batch.ts';
import { Reader, sizeOfVarint, sizeOfVarlong, Writer } from '../../lib/core/codec/varint.ts';
import {
  kafkajsCrc32c,
  kafkajsDecode,
  kafkajsEncode,
  KafkajsDecoder,
  KafkajsEncoder,
  kafkajsHeaderOrder,
  kafkajsRecord,
  kafkajsRecordBatch,
  Long,
  toKafkajsHeaders,
} from '../support/kafkajs.ts';

const utf8 = (text: string) => Buffer.from(text, 'utf8');

/** Recomputes the CRC (with kafkajs's implementation) after a deliberate edit. */
function reseal(buf: Buffer): Buffer {
  buf.writeUInt32BE(kafkajsCrc32c(buf.subarray(21)), 17);
  return buf;
}


const record = (overrides: Partial<RecordInput> = {}): RecordInput => ({
  key: utf8('key'),
  value: utf8('value'),
  headers: [],
  timestamp: 1_700_000_000_000,
  ...overrides,
});

const T = 1_700_000_000_000;
const VARIED: RecordInput[] = [
  record({ key: utf8('k1'), value: utf8('v1'), timestamp: T, headers: [{ key: 'trace', value: utf8('abc') }] }),
  record({ key: null, value: utf8('no key'), timestamp: T + 5 }),
  record({ key: utf8('tombstone'), value: null, timestamp: T - 1_000 }), // earlier than the first
  record({ key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: T + 2 ** 33 }), // delta beyond int32
  record({
    key: randomBytes(300),
    value: randomBytes(20_000),
    timestamp: T,
    headers: [
      { key: 'émoji 🚀', value: utf8('ünïcödé ✓') },
      { key: '', value: Buffer.alloc(0) },
      { key: 'dup', value: utf8('1') },
      { key: 'dup', value: utf8('2') },
    ],
  }),
];

describe('encodeBatch against kafkajs', () => {
  it('writes the same bytes for one simple record', async () => {
    const input: BatchInput = { baseOffset: 0, records: [record()] };
    expect(encodeBatch(input).toString('hex')).toBe((await kafkajsEncode(input)).toString('hex'));
  });

  it('writes the same bytes for null keys and values, negative and wide timestamp deltas, unicode and repeated headers', async () => {
    const input: BatchInput = { baseOffset: 1234, records: VARIED };
    expect(encodeBatch(input).equals(await kafkajsEncode(input))).toBe(true);
  });

  it('writes the same bytes with producer fields and a large base offset', async () => {
    const input: BatchInput = {
      baseOffset: 2 ** 40 + 7,
      records: VARIED,
      producerId: 9_876_543_210n,
      producerEpoch: 3,
      baseSequence: 42,
    };
    expect(encodeBatch(input).equals(await kafkajsEncode(input))).toBe(true);
  });

  it('writes the same bytes for a 1 MiB value', async () => {
    const input: BatchInput = { baseOffset: 5, records: [record({ value: randomBytes(1 << 20) })] };
    const ours = encodeBatch(input);
    expect(ours.length).toBeGreaterThan(1 << 20);
    expect(ours.equals(await kafkajsEncode(input))).toBe(true);
    expect(decodeBatch(ours).records[0]!.value!.equals(input.records[0]!.value!)).toBe(true);
  });

  it('writes the same bytes for arbitrary records', async () => {
    const header = fc.record({ key: fc.string({ unit: 'binary', maxLength: 12 }), value: fc.uint8Array({ maxLength: 20 }) });
    const rec = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 200 }), { nil: null }),
      headers: fc.array(header, { maxLength: 4 }),
      timestamp: fc.integer({ min: -(2 ** 40), max: 2 ** 45 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(rec, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
        async (records, baseOffset, producerId) => {
          const input: BatchInput = {
            baseOffset,
            producerId,
            records: records.map((r) => ({
              key: r.key && Buffer.from(r.key),
              value: r.value && Buffer.from(r.value),
              timestamp: r.timestamp,
              headers: kafkajsHeaderOrder(r.headers.map((h) => ({ key: h.key, value: Buffer.from(h.value) }))),
            })),
          };
          expect(encodeBatch(input).toString('hex')).toBe((await kafkajsEncode(input)).toString('hex'));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('defaults to the Java producer values: leader epoch, producer id, epoch and sequence all -1', () => {
    const header = readBatchHeader(encodeBatch({ baseOffset: 0, records: [record()] }));
    expect(header.producerId).toBe(-1n);
    expect(header.producerEpoch).toBe(-1);
    expect(header.baseSequence).toBe(-1);
    expect(encodeBatch({ baseOffset: 0, records: [record()] }).readInt32BE(12)).toBe(-1);
  });

  it('refuses invalid input with a RangeError', () => {
    expect(() => encodeBatch({ baseOffset: 0, records: [] })).toThrow(RangeError);
    expect(() => encodeBatch({ baseOffset: -1, records: [record()] })).toThrow(RangeError);
    expect(() => encodeBatch({ baseOffset: 2 ** 53, records: [record()] })).toThrow(RangeError);
    expect(() => encodeBatch({ baseOffset: Number.MAX_SAFE_INTEGER, records: [record(), record()] })).toThrow(RangeError);
    expect(() => encodeBatch({ baseOffset: 0, records: [record({ timestamp: 2 ** 53 })] })).toThrow(RangeError);
    expect(() => encodeBatch({ baseOffset: 0, records: [record({ timestamp: 1.5 })] })).toThrow(RangeError);
    // Each timestamp is safe, their difference is not.
    const wide = [record({ timestamp: -(2 ** 52) }), record({ timestamp: 2 ** 52 })];
    expect(() => encodeBatch({ baseOffset: 0, records: wide })).toThrow(/record 1: timestamp .* too far/);
    expect(() => encodeBatch({ baseOffset: 0, records: [record()], producerEpoch: 2 ** 15 })).toThrow(RangeError);
    expect(() => encodeBatch({ baseOffset: 0, records: [record()], producerId: 2n ** 63n })).toThrow(RangeError);
  });
});

describe('decodeBatch', () => {
  it('reads a kafkajs-encoded batch', async () => {
    const input: BatchInput = { baseOffset: 77, records: VARIED, producerId: 5n, producerEpoch: 1, baseSequence: 9 };
    const buf = await kafkajsEncode(input);
    const { header, records } = decodeBatch(buf);
    expect(header).toEqual({
      baseOffset: 77,
      batchLength: buf.length - 12,
      attributes: 0,
      lastOffsetDelta: VARIED.length - 1,
      firstTimestamp: T,
      maxTimestamp: T + 2 ** 33,
      producerId: 5n,
      producerEpoch: 1,
      baseSequence: 9,
      recordCount: VARIED.length,
    });
    expect(records).toEqual(VARIED.map((r, i) => ({ ...r, offset: 77 + i })));
  });

  it('writes batches kafkajs decodes to the same records', async () => {
    const withNullHeader = [...VARIED, record({ headers: [{ key: 'nothing', value: null }] })];
    const buf = encodeBatch({ baseOffset: 2 ** 33, records: withNullHeader, producerId: 11n, producerEpoch: 2, baseSequence: 100 });
    const batch = await kafkajsDecode(buf);
    expect(batch.firstOffset).toBe(String(2 ** 33));
    expect(batch.partitionLeaderEpoch).toBe(-1);
    expect(batch.lastOffsetDelta).toBe(withNullHeader.length - 1);
    expect(batch.firstTimestamp).toBe(String(T));
    expect(batch.maxTimestamp).toBe(String(T + 2 ** 33));
    expect([batch.producerId, batch.producerEpoch, batch.firstSequence]).toEqual(['11', 2, 100]);
    expect(batch.records).toHaveLength(withNullHeader.length);
    batch.records.forEach((decoded, i) => {
      const original = withNullHeader[i]!;
      expect(decoded.offset).toBe(String(2 ** 33 + i));
      expect(decoded.timestamp).toBe(String(original.timestamp));
      expect(decoded.key).toEqual(original.key);
      expect(decoded.value).toEqual(original.value);
      expect({ ...decoded.headers }).toEqual({ ...toKafkajsHeaders(original.headers) });
    });
  });

  it('round-trips null keys and values, empty and unicode headers, binary values', () => {
    const records: RecordInput[] = [
      record({ key: null, value: null, headers: [] }),
      record({ key: Buffer.from([0, 255, 0]), value: Buffer.from([0xff, 0xfe, 0, 0x80]), headers: [{ key: '', value: null }] }),
      record({ headers: [{ key: '日本語 ключ', value: Buffer.from([0]) }, { key: '𝄞', value: Buffer.alloc(0) }] }),
    ];
    const decoded = decodeBatch(encodeBatch({ baseOffset: 10, records }));
    expect(decoded.records).toEqual(records.map((r, i) => ({ ...r, offset: 10 + i })));
    expect(decoded.records[0]!.key).toBeNull();
    expect(decoded.records[1]!.value).toEqual(Buffer.from([0xff, 0xfe, 0, 0x80]));
    expect(decoded.records[1]!.headers[0]!.value).toBeNull();
  });

  it('takes every record timestamp from maxTimestamp in a log-append-time batch', () => {
    const buf = encodeBatch({ baseOffset: 0, records: VARIED });
    buf.writeInt16BE(0x08, 21);
    const { records } = decodeBatch(reseal(buf));
    expect(records.map((r) => r.timestamp)).toEqual(VARIED.map(() => T + 2 ** 33));
  });

  it('reads a compressed batch, and refuses the unknown codec ids 5-7', async () => {
    const buf = await kafkajsEncode({ baseOffset: 0, records: [record()] }, 1);
    expect(decodeBatch(buf).records).toEqual([{ ...record(), offset: 0 }]);
    for (const id of [5, 6, 7]) {
      const unknown = Buffer.from(buf);
      unknown.writeInt16BE(id, 21);
      expectCorrupt(() => decodeBatch(reseal(unknown)), new RegExp(`codec id ${id}`));
    }
  });

  it('refuses a control batch and unknown attribute bits', () => {
    const control = encodeBatch({ baseOffset: 0, records: [record()] });
    control.writeInt16BE(0x20, 21);
    expectCorrupt(() => decodeBatch(reseal(control)), /control/);
    const unknown = encodeBatch({ baseOffset: 0, records: [record()] });
    unknown.writeInt16BE(0x40, 21);
    expectCorrupt(() => decodeBatch(reseal(unknown)), /attribute/);
  });

  it('accepts a transactional (non-control) batch', () => {
    const buf = encodeBatch({ baseOffset: 0, records: [record()] });
    buf.writeInt16BE(0x10, 21);
    expect(decodeBatch(reseal(buf)).records).toHaveLength(1);
  });

  it('detects a flipped byte anywhere in the CRC-covered range, and in the CRC itself', () => {
    const buf = encodeBatch({ baseOffset: 3, records: VARIED.slice(0, 4) });
    for (let at = 17; at < buf.length; at++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const copy = Buffer.from(buf);
        copy[at]! ^= mask;
        expectCorrupt(() => decodeBatch(copy));
      }
    }
  });

  it('rejects a wrong magic byte and a batch length that disagrees with the buffer', () => {
    const buf = encodeBatch({ baseOffset: 0, records: [record()] });
    const magic = Buffer.from(buf);
    magic[16] = 1;
    expectCorrupt(() => decodeBatch(magic), /magic 1/);
    expectCorrupt(() => decodeBatch(buf.subarray(0, buf.length - 1)), /length/);
    expectCorrupt(() => decodeBatch(Buffer.concat([buf, Buffer.alloc(1)])), /length/);
    const length = Buffer.from(buf);
    length.writeInt32BE(length.readInt32BE(8) + 1, 8);
    expectCorrupt(() => decodeBatch(length), /length/);
  });

  // The cases below keep the CRC valid, so the record framing checks are what fail.
  // One record {key "k", value "v", no headers, delta 0} has an 8-byte body at byte 62.
  const simple = () => encodeBatch({ baseOffset: 0, records: [record({ key: utf8('k'), value: utf8('v') })] });

  it('checks each record length against its contents', () => {
    const base = simple();
    expect(base[61]).toBe(8 << 1); // zigzag(8)
    const longer = Buffer.from(base);
    longer[61] = 9 << 1;
    expectCorrupt(() => decodeBatch(reseal(longer)), /record 0 declares 9 bytes/);
    const shorter = Buffer.from(base);
    shorter[61] = 7 << 1;
    expectCorrupt(() => decodeBatch(reseal(shorter)));
    const negative = Buffer.from(base);
    negative[61] = 1; // zigzag(-1)
    expectCorrupt(() => decodeBatch(reseal(negative)), /record 0 declares -1/);
    // A spare byte inside the record: everything parses, but not to the declared end.
    const spare = Buffer.concat([base, Buffer.from([0])]);
    spare[61] = 9 << 1;
    spare.writeInt32BE(spare.length - 12, 8);
    expectCorrupt(() => decodeBatch(reseal(spare)), /record 0 declares 9 bytes but uses 8/);
  });

  it('checks the record count against the records present', () => {
    const base = simple();
    expect(base.readInt32BE(57)).toBe(1);
    for (const count of [0, 2, -1, 0x7fffffff]) {
      const copy = Buffer.from(base);
      copy.writeInt32BE(count, 57);
      expectCorrupt(() => decodeBatch(reseal(copy)));
    }
  });

  it('rejects negative key, value and header lengths other than -1', () => {
    const base = simple();
    expect(base[65]).toBe(1 << 1); // key length
    const key = Buffer.from(base);
    key[65] = 3; // zigzag(-2)
    expectCorrupt(() => decodeBatch(reseal(key)), /key has length -2/);
    expect(base[69]).toBe(0); // header count
    const headers = Buffer.from(base);
    headers[69] = 1; // zigzag(-1)
    expectCorrupt(() => decodeBatch(reseal(headers)), /-1 headers/);
  });

  it('requires increasing offset deltas within lastOffsetDelta', () => {
    const base = encodeBatch({ baseOffset: 0, records: [record({ key: utf8('k'), value: utf8('v') }), record({ key: utf8('k'), value: utf8('v') })] });
    expect(base[73]).toBe(1 << 1); // second record's offset delta
    const repeated = Buffer.from(base);
    repeated[73] = 0;
    expectCorrupt(() => decodeBatch(reseal(repeated)), /offset delta 0 after 0/);
    const lastDelta = Buffer.from(base);
    lastDelta.writeInt32BE(0, 23);
    expectCorrupt(() => decodeBatch(reseal(lastDelta)), /offset delta 1/);
    // A gap (as compaction leaves) is fine.
    const gap = Buffer.from(base);
    gap[73] = 3 << 1;
    gap.writeInt32BE(3, 23);
    expect(decodeBatch(reseal(gap)).records.map((r) => r.offset)).toEqual([0, 3]);
  });

  it('refuses offsets and timestamps beyond the safe integer range', () => {
    const offset = simple();
    offset.writeBigInt64BE(2n ** 53n, 0); // outside the CRC: no reseal needed
    expectCorrupt(() => decodeBatch(offset), /baseOffset/);
    const timestamp = simple();
    timestamp.writeBigInt64BE(2n ** 60n, 27);
    expectCorrupt(() => decodeBatch(reseal(timestamp)), /firstTimestamp/);
    const negative = simple();
    negative.writeBigInt64BE(-1n, 0);
    expectCorrupt(() => decodeBatch(negative), /negative baseOffset/);
    // Both header timestamps are safe, but first + delta of the second record is not.
    const sum = encodeBatch({ baseOffset: 0, records: [record({ timestamp: 0 }), record({ timestamp: 5 })] });
    sum.writeBigInt64BE(BigInt(Number.MAX_SAFE_INTEGER - 2), 27);
    sum.writeBigInt64BE(BigInt(Number.MAX_SAFE_INTEGER - 2), 35);
    expectCorrupt(() => decodeBatch(reseal(sum)), /record 1 timestamp/);
  });

  it('returns views into the input rather than copies', () => {
    const buf = encodeBatch({ baseOffset: 0, records: [record({ value: utf8('shared') })] });
    const value = decodeBatch(buf).records[0]!.value!;
    expect(value.buffer).toBe(buf.buffer);
  });
});

/** kafkajs with explicit offset deltas and lastOffsetDelta: what a compacted batch is. */
async function kafkajsEncodeKeepingOffsets(input: BatchKeepingOffsetsInput): Promise<Buffer> {
  const first = input.records[0]!.timestamp;
  const batch = await kafkajsRecordBatch({
    compression: 0,
    firstOffset: Long.fromValue(input.baseOffset),
    firstTimestamp: first,
    maxTimestamp: Math.max(...input.records.map((r) => r.timestamp)),
    partitionLeaderEpoch: -1,
    lastOffsetDelta: input.lastOffsetDelta,
    transactional: false,
    producerId: Long.fromValue(input.producerId ?? -1n),
    producerEpoch: input.producerEpoch ?? -1,
    firstSequence: input.baseSequence ?? -1,
    records: input.records.map((r) =>
      kafkajsRecord({
        offsetDelta: r.offset - input.baseOffset,
        timestampDelta: r.timestamp - first,
        key: r.key,
        value: r.value,
        headers: toKafkajsHeaders(r.headers),
      }),
    ),
  });
  return batch.buffer;
}

describe('encodeBatchKeepingOffsets', () => {
  const at = (offset: number, overrides: Partial<RecordInput> = {}): StoredRecord => ({ ...record(overrides), offset });
  const GAPPY: StoredRecord[] = [
    at(102, { key: utf8('a'), timestamp: T + 10 }),
    at(103, { key: null, value: null, timestamp: T - 50 }),
    at(107, { headers: [{ key: 'h', value: utf8('x') }], timestamp: T + 2 ** 33 }),
  ];

  it('keeps the original offsets, the offset range and the producer fields', () => {
    const input: BatchKeepingOffsetsInput = {
      baseOffset: 100,
      lastOffsetDelta: 9,
      records: GAPPY,
      producerId: 77n,
      producerEpoch: 4,
      baseSequence: 1_000,
    };
    const buf = encodeBatchKeepingOffsets(input);
    const { header, records } = decodeBatch(buf);
    expect(records).toEqual(GAPPY);
    expect(header).toMatchObject({
      baseOffset: 100,
      lastOffsetDelta: 9,
      recordCount: 3,
      firstTimestamp: T + 10, // the first kept record's, as encodeBatch does
      maxTimestamp: T + 2 ** 33,
      producerId: 77n,
      producerEpoch: 4,
      baseSequence: 1_000,
    });
  });

  it('writes the same bytes as kafkajs given the same offset deltas', async () => {
    const input: BatchKeepingOffsetsInput = { baseOffset: 100, lastOffsetDelta: 9, records: GAPPY, producerId: 5n, producerEpoch: 0, baseSequence: 7 };
    expect(encodeBatchKeepingOffsets(input).equals(await kafkajsEncodeKeepingOffsets(input))).toBe(true);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.nat({ max: 1_000 }),
        fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 45 }), { minLength: 8, maxLength: 8 }),
        async (deltas, baseOffset, slack, timestamps) => {
          deltas.sort((a, b) => a - b);
          const input: BatchKeepingOffsetsInput = {
            baseOffset,
            lastOffsetDelta: Math.min(2 ** 31 - 1, deltas.at(-1)! + slack),
            records: deltas.map((d, i) => at(baseOffset + d, { value: randomBytes(i * 7), timestamp: timestamps[i]! })),
          };
          expect(encodeBatchKeepingOffsets(input).toString('hex')).toBe((await kafkajsEncodeKeepingOffsets(input)).toString('hex'));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes what encodeBatch writes when no record is missing', () => {
    const records = VARIED.map((r, i) => ({ ...r, offset: 40 + i }));
    const kept = encodeBatchKeepingOffsets({ baseOffset: 40, lastOffsetDelta: VARIED.length - 1, records, producerId: 3n });
    expect(kept.equals(encodeBatch({ baseOffset: 40, records: VARIED, producerId: 3n }))).toBe(true);
  });

  it('rewrites a decoded batch keeping only some records, as compaction does', async () => {
    const original = decodeBatch(encodeBatch({ baseOffset: 500, records: VARIED, producerId: 9n, producerEpoch: 1, baseSequence: 20 }));
    const { header } = original;
    const kept = original.records.filter((_, i) => i % 2 === 1);
    const buf = encodeBatchKeepingOffsets({ ...header, records: kept });
    const decoded = decodeBatch(buf);
    expect(decoded.records).toEqual(kept);
    expect(decoded.records.map((r) => r.offset)).toEqual([501, 503]);
    expect(decoded.header.baseOffset + decoded.header.lastOffsetDelta).toBe(504);
    // kafkajs reads it back with the same absolute offsets.
    expect((await kafkajsDecode(buf)).records.map((r) => r.offset)).toEqual(['501', '503']);
  });

  it('refuses invalid input with a RangeError', () => {
    const ok = (records: StoredRecord[], baseOffset = 10, lastOffsetDelta = 5) => () =>
      encodeBatchKeepingOffsets({ baseOffset, lastOffsetDelta, records });
    expect(ok([at(10), at(15)])).not.toThrow();
    expect(ok([])).toThrow(RangeError);
    expect(ok([at(9)])).toThrow(/record 0: offset 9/);
    expect(ok([at(16)])).toThrow(/record 0: offset 16/);
    expect(ok([at(11), at(11)])).toThrow(/record 1: offset 11/);
    expect(ok([at(12), at(11)])).toThrow(RangeError);
    expect(ok([at(11.5)])).toThrow(RangeError);
    expect(ok([at(10)], 10, -1)).toThrow(/lastOffsetDelta/);
    expect(ok([at(10)], 10, 2 ** 31)).toThrow(/lastOffsetDelta/);
    expect(ok([at(10)], -1, 20)).toThrow(/baseOffset/);
    expect(ok([at(Number.MAX_SAFE_INTEGER)], Number.MAX_SAFE_INTEGER - 4, 5)).toThrow(/baseOffset/);
    expect(ok([at(10, { timestamp: 2 ** 53 })])).toThrow(/timestamp/);
    const records = [at(10)];
    expect(() => encodeBatchKeepingOffsets({ baseOffset: 10, lastOffsetDelta: 0, records, producerEpoch: 2 ** 15 })).toThrow(RangeError);
    expect(() => encodeBatchKeepingOffsets({ baseOffset: 10, lastOffsetDelta: 0, records, baseSequence: 2 ** 31 })).toThrow(RangeError);
    expect(() => encodeBatchKeepingOffsets({ baseOffset: 10, lastOffsetDelta: 0, records, producerId: 2n ** 63n })).toThrow(RangeError);
  });
});

describe('decodeBatches', () => {
  it('reads concatenated batches in order', () => {
    const a = encodeBatch({ baseOffset: 0, records: VARIED.slice(0, 2) });
    const b = encodeBatch({ baseOffset: 2, records: VARIED.slice(2, 3) });
    const c = encodeBatch({ baseOffset: 3, records: VARIED.slice(3) });
    const batches = decodeBatches(Buffer.concat([a, b, c]));
    expect(batches.map((x) => x.header.baseOffset)).toEqual([0, 2, 3]);
    expect(batches.flatMap((x) => x.records.map((r) => r.offset))).toEqual([0, 1, 2, 3, 4]);
    expect(batches.flatMap((x) => x.records)).toEqual(VARIED.map((r, i) => ({ ...r, offset: i })));
  });

  it('returns nothing for no bytes and refuses a truncated last batch', () => {
    expect(decodeBatches(Buffer.alloc(0))).toEqual([]);
    const a = encodeBatch({ baseOffset: 0, records: [record()] });
    const b = encodeBatch({ baseOffset: 1, records: [record()] });
    const both = Buffer.concat([a, b]);
    expectCorrupt(() => decodeBatches(both.subarray(0, both.length - 1)), /truncated/);
    expectCorrupt(() => decodeBatches(both.subarray(0, a.length + 30)), /truncated/);
  });
});

describe('readBatchHeader', () => {
  it('reads the header at a position without the rest of the batch', () => {
    const a = encodeBatch({ baseOffset: 0, records: [record()] });
    const b = encodeBatch({ baseOffset: 1, records: VARIED, producerId: 8n });
    const joined = Buffer.concat([a, b]);
    const header = readBatchHeader(joined.subarray(0, a.length + BATCH_OVERHEAD), a.length);
    expect(header.baseOffset).toBe(1);
    expect(header.recordCount).toBe(VARIED.length);
    expect(header.batchLength).toBe(b.length - 12);
    expect(header.producerId).toBe(8n);
  });

  it('refuses fewer than BATCH_OVERHEAD bytes and another magic', () => {
    const buf = encodeBatch({ baseOffset: 0, records: [record()] });
    expectCorrupt(() => readBatchHeader(buf.subarray(0, BATCH_OVERHEAD - 1)), /truncated/);
    expectCorrupt(() => readBatchHeader(buf, buf.length - 10), /truncated/);
    const v1 = Buffer.from(buf);
    v1[16] = 1;
    expectCorrupt(() => readBatchHeader(v1), /magic/);
  });
});

describe('setBaseOffset', () => {
  it('moves a batch to another offset and keeps its CRC valid', () => {
    const buf = encodeBatch({ baseOffset: 0, records: VARIED });
    const before = Buffer.from(buf.subarray(8));
    setBaseOffset(buf, 1_000_000_000_000);
    expect(buf.subarray(8).equals(before)).toBe(true);
    const { header, records } = decodeBatch(buf);
    expect(header.baseOffset).toBe(1_000_000_000_000);
    expect(records.map((r) => r.offset)).toEqual(VARIED.map((_, i) => 1_000_000_000_000 + i));
  });

  it('refuses an offset that would push the last record beyond 2^53 - 1', () => {
    const buf = encodeBatch({ baseOffset: 0, records: VARIED });
    expect(() => setBaseOffset(buf, Number.MAX_SAFE_INTEGER)).toThrow(RangeError);
    expect(() => setBaseOffset(buf, -1)).toThrow(RangeError);
    setBaseOffset(buf, Number.MAX_SAFE_INTEGER - (VARIED.length - 1));
    expect(decodeBatch(buf).records.at(-1)!.offset).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('recordSize', () => {
  it('is the size of a batch holding only that record', () => {
    expect(BATCH_OVERHEAD).toBe(61);
    for (const r of [...VARIED, record({ key: null, value: null })]) {
      expect(recordSize(r)).toBe(encodeBatch({ baseOffset: 0, records: [r] }).length);
      expect(recordSize(r)).toBe(encodeBatch({ baseOffset: 2 ** 50, records: [r] }).length);
    }
  });

  it('counts header keys in UTF-8 bytes, not UTF-16 units', () => {
    const ascii = recordSize(record({ headers: [{ key: 'ab', value: null }] }));
    const rocket = recordSize(record({ headers: [{ key: '🚀', value: null }] })); // 2 units, 4 bytes
    expect(rocket - ascii).toBe(2);
  });
});

describe('varint codec', () => {
  const kafkajsVarint = (v: number) => new KafkajsEncoder().writeVarInt(v).buffer;
  const kafkajsVarlong = (v: number | bigint) => new KafkajsEncoder().writeVarLong(Long.fromValue(v)).buffer;
  const INT32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  const SAFE = fc.maxSafeInteger().chain((n) => fc.constantFrom(n, -n));

  it('writes varints and varlongs as kafkajs does, and reads them back', () => {
    fc.assert(
      fc.property(INT32, (v) => {
        const ours = new Writer(1).varint(v).finish();
        expect(ours.equals(kafkajsVarint(v))).toBe(true);
        expect(sizeOfVarint(v)).toBe(ours.length);
        const reader = new Reader(ours);
        expect(reader.varint()).toBe(v);
        expect(reader.remaining).toBe(0);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(INT32, fc.maxSafeInteger(), fc.integer({ min: -(2 ** 40), max: 2 ** 40 })), (v) => {
        const ours = new Writer(1).varlong(v).finish();
        expect(ours.toString('hex')).toBe(kafkajsVarlong(v).toString('hex'));
        expect(sizeOfVarlong(v)).toBe(ours.length);
        expect(new Reader(ours).varlong()).toBe(v);
      }),
    );
  });

  it('handles the int32 and safe-integer edges', () => {
    for (const v of [0, -1, 1, 63, -64, 64, -(2 ** 31), 2 ** 31 - 1]) {
      expect(new Reader(new Writer().varint(v).finish()).varint()).toBe(v);
    }
    for (const v of [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 31, -(2 ** 31) - 1, 2 ** 52, -(2 ** 52) - 1]) {
      const bytes = new Writer().varlong(v).finish();
      expect(bytes.equals(kafkajsVarlong(v))).toBe(true);
      expect(new Reader(bytes).varlong()).toBe(v);
    }
    fc.assert(fc.property(SAFE, (v) => new Reader(new Writer().varlong(v).finish()).varlong() === v));
  });

  it('refuses to write values outside the range', () => {
    expect(() => new Writer().varint(2 ** 31)).toThrow(RangeError);
    expect(() => new Writer().varint(0.5)).toThrow(RangeError);
    expect(() => new Writer().varlong(2 ** 53)).toThrow(RangeError);
    expect(() => new Writer().int64(2 ** 53)).toThrow(RangeError);
  });

  it('refuses varlongs beyond +-(2^53 - 1), over-long and truncated encodings', () => {
    expectCorrupt(() => new Reader(kafkajsVarlong(2n ** 53n)).varlong(), /safe integer/);
    expectCorrupt(() => new Reader(kafkajsVarlong(-(2n ** 53n))).varlong(), /safe integer/);
    expectCorrupt(() => new Reader(kafkajsVarlong(2n ** 62n)).varlong(), /safe integer/);
    expectCorrupt(() => new Reader(Buffer.from([0x80, 0x80])).varlong(), /truncated/);
    expectCorrupt(() => new Reader(Buffer.alloc(11, 0x80)).varlong(), /over-long/);
    expectCorrupt(() => new Reader(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])).varint(), /over-long/);
    expectCorrupt(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x1f])).varint(), /over-long/);
    expect(new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])).varint()).toBe(-(2 ** 31));
    expectCorrupt(() => new Reader(Buffer.from([0x80])).varint(), /truncated/);
    expectCorrupt(() => new Reader(Buffer.alloc(0)).varint(), /truncated/);
  });

  it('reads kafkajs varlongs up to the safe range', () => {
    fc.assert(
      fc.property(SAFE, (v) => {
        const decoder = new KafkajsDecoder(new Writer().varlong(v).finish());
        expect(decoder.readVarLong().toString()).toBe(String(v));
      }),
    );
  });

  it('bounds-checks fixed-width reads and int64 ranges', () => {
    const buf = Buffer.alloc(8);
    expectCorrupt(() => new Reader(buf, 5).int32(), /truncated int32/);
    expectCorrupt(() => new Reader(buf, 0, 4).int64(), /truncated/);
    expectCorrupt(() => new Reader(buf, 6).bytes(3), /truncated/);
    buf.writeBigInt64BE(-(2n ** 53n));
    expectCorrupt(() => new Reader(buf).int64(), /safe integer/);
    buf.writeBigInt64BE(-(2n ** 53n) + 1n);
    expect(new Reader(buf).int64()).toBe(-Number.MAX_SAFE_INTEGER);
    buf.writeBigInt64BE(-(2n ** 63n));
    expect(new Reader(buf).bigInt64()).toBe(-(2n ** 63n));
    expectCorrupt(() => new Reader(buf).int64(), /safe integer/);
    fc.assert(
      fc.property(SAFE, (v) => {
        const bytes = new Writer().int64(v).finish();
        expect(bytes.readBigInt64BE(0)).toBe(BigInt(v));
        return new Reader(bytes).int64() === v;
      }),
    );
  });

  it('grows its buffer as needed', () => {
    const writer = new Writer(1);
    const chunk = randomBytes(1000);
    for (let i = 0; i < 10; i++) writer.bytes(chunk).varint(i - 5);
    expect(writer.length).toBe(10 * 1001);
    const reader = new Reader(writer.finish());
    for (let i = 0; i < 10; i++) {
      expect(reader.bytes(1000).equals(chunk)).toBe(true);
      expect(reader.varint()).toBe(i - 5);
    }
  });
});
