import { decodeOrCorrupt, mutate, mutationArb } from '../support/corrupt.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptRecordError } from '../../lib/core/errors.ts';
import { crc32c } from '../../lib/core/codec/crc32c.ts';
import {
  BATCH_OVERHEAD,
  decodeBatch,
  decodeBatches,
  encodeBatch,
  readBatchHeader,
  setBaseOffset,
} from '../../lib/core/codec/record-batch.ts';
import type { BatchInput, DecodedBatch, RecordInput } from '../../lib/core/codec/record-batch.ts';
import { Writer } from '../../lib/core/codec/varint.ts';

const buffer = (maxLength: number) => fc.uint8Array({ maxLength }).map((bytes) => Buffer.from(bytes));
const nullableBuffer = (maxLength: number) => fc.option(buffer(maxLength), { nil: null, freq: 4 });

const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: nullableBuffer(64),
  value: nullableBuffer(512),
  headers: fc.array(fc.record({ key: fc.string({ unit: 'binary', maxLength: 16 }), value: nullableBuffer(32) }), {
    maxLength: 5,
  }),
  // Any two timestamps in this range differ by a safe integer.
  timestamp: fc.integer({ min: -(2 ** 51), max: 2 ** 51 }),
});

const batchArb = (maxRecords = 10): fc.Arbitrary<BatchInput> =>
  fc.record(
    {
      baseOffset: fc.integer({ min: 0, max: 2 ** 52 }),
      records: fc.array(recordArb, { minLength: 1, maxLength: maxRecords }),
      producerId: fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n),
      producerEpoch: fc.integer({ min: -(2 ** 15), max: 2 ** 15 - 1 }),
      baseSequence: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
    },
    { requiredKeys: ['baseOffset', 'records'] },
  );

/** Runs a decoder: its only allowed failure is CorruptRecordError. */
/** What must hold of anything a decoder returns, whatever bytes it was given. */
function expectSane(batch: DecodedBatch): void {
  const { header, records } = batch;
  expect(records).toHaveLength(header.recordCount);
  let previous = header.baseOffset - 1;
  for (const r of records) {
    expect(Number.isSafeInteger(r.offset)).toBe(true);
    expect(r.offset).toBeGreaterThan(previous);
    expect(r.offset).toBeLessThanOrEqual(header.baseOffset + header.lastOffsetDelta);
    previous = r.offset;
    expect(Number.isSafeInteger(r.timestamp)).toBe(true);
    for (const data of [r.key, r.value, ...r.headers.map((h) => h.value)]) {
      expect(data === null || Buffer.isBuffer(data)).toBe(true);
    }
  }
}

/** Every decoding entry point on the same bytes. */
function decodeEverything(buf: Buffer): void {
  const one = decodeOrCorrupt(() => decodeBatch(buf));
  if (one) expectSane(one);
  const many = decodeOrCorrupt(() => decodeBatches(buf));
  many?.forEach(expectSane);
  decodeOrCorrupt(() => readBatchHeader(buf));
  decodeOrCorrupt(() => readBatchHeader(buf, buf.length >> 1));
}

/** Makes the framing agree with the bytes (length and CRC), so the record parser is reached. */
function reframe(buf: Buffer): Buffer {
  if (buf.length >= 12) buf.writeInt32BE(buf.length - 12, 8);
  if (buf.length >= 21) buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}


/** Mostly the true value, sometimes a little off, sometimes anything. */
const usually = <T>(truth: T, lie: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(truth) }, { weight: 1, arbitrary: lie });
const smallDelta = usually(0, fc.integer({ min: -3, max: 3 }));
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
/** A nullable byte field: true length, null, or a length that lies. */
const fieldArb = fc.record({ data: nullableBuffer(8), lengthDelta: usually(0, fc.integer({ min: -12, max: 4 })) });

/**
 * Records written field by field, each field mostly honest: these get past the CRC and
 * the first framing checks far more often than random bytes do, so the record parser's
 * deeper paths meet bad input.
 */
const roughRecordArb = fc.record({
  lengthDelta: smallDelta,
  attributes: usually(0, fc.integer({ min: -128, max: 127 })),
  timestampDelta: usually(0, fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.maxSafeInteger())),
  /** Added to the previous record's offset delta (-1 before the first). */
  offsetStep: usually(1, fc.oneof(fc.integer({ min: -1, max: 3 }), int32)),
  key: fieldArb,
  value: fieldArb,
  headerCountDelta: smallDelta,
  headers: fc.array(fc.record({ key: fieldArb, value: fieldArb }), { maxLength: 3 }),
  trailing: usually(new Uint8Array(0), fc.uint8Array({ minLength: 1, maxLength: 3 })),
});
type RoughRecord = typeof roughRecordArb extends fc.Arbitrary<infer R> ? R : never;

function writeField(writer: Writer, field: { data: Buffer | null; lengthDelta: number }): void {
  if (field.data === null) writer.varint(-1 + field.lengthDelta);
  else writer.varint(field.data.length + field.lengthDelta).bytes(field.data);
}

function roughBatch(records: RoughRecord[], countDelta: number, lastDeltaSlack: number, attributes: number, cut: number): Buffer {
  let offsetDelta = -1;
  const offsetDeltas = records.map((r) => {
    const next = offsetDelta + r.offsetStep;
    offsetDelta = next >= -(2 ** 31) && next < 2 ** 31 ? next : r.offsetStep;
    return offsetDelta;
  });
  const writer = new Writer();
  writer.int64(0).int32(0).int32(-1).int8(2).uint32(0).int16(attributes).int32(Math.max(offsetDelta, 0) + lastDeltaSlack);
  writer.int64(1_000).int64(2_000).int64(-1n).int16(-1).int32(-1).int32(records.length + countDelta);
  records.forEach((r, i) => {
    const body = new Writer().int8(r.attributes).varlong(r.timestampDelta).varint(offsetDeltas[i]!);
    writeField(body, r.key);
    writeField(body, r.value);
    body.varint(r.headers.length + r.headerCountDelta);
    for (const h of r.headers) {
      // A null header key is itself a lie the decoder must catch.
      writeField(body, h.key);
      writeField(body, h.value);
    }
    body.bytes(r.trailing);
    const bytes = body.finish();
    writer.varint(bytes.length + r.lengthDelta).bytes(bytes);
  });
  const buf = writer.finish();
  return reframe(Buffer.from(buf.subarray(0, Math.max(0, buf.length - cut))));
}

describe('record batch properties', () => {
  it('round-trips arbitrary records', () => {
    fc.assert(
      fc.property(batchArb(), (input) => {
        const buf = encodeBatch(input);
        const { header, records } = decodeBatch(buf);
        expect(records).toEqual(input.records.map((r, i) => ({ ...r, offset: input.baseOffset + i })));
        expect(header.baseOffset).toBe(input.baseOffset);
        expect(header.batchLength).toBe(buf.length - 12);
        expect(header.recordCount).toBe(input.records.length);
        expect(header.lastOffsetDelta).toBe(input.records.length - 1);
        expect(header.firstTimestamp).toBe(input.records[0]!.timestamp);
        expect(header.maxTimestamp).toBe(Math.max(...input.records.map((r) => r.timestamp)));
        expect(header.producerId).toBe(input.producerId ?? -1n);
        expect(header.producerEpoch).toBe(input.producerEpoch ?? -1);
        expect(header.baseSequence).toBe(input.baseSequence ?? -1);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips concatenated batches, and survives a move to another base offset', () => {
    fc.assert(
      fc.property(fc.array(batchArb(4), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 2 ** 50 }), (inputs, moveTo) => {
        const buffers = inputs.map(encodeBatch);
        setBaseOffset(buffers[0]!, moveTo);
        const decoded = decodeBatches(Buffer.concat(buffers));
        expect(decoded).toHaveLength(inputs.length);
        decoded.forEach((batch, b) => {
          const base = b === 0 ? moveTo : inputs[b]!.baseOffset;
          expect(batch.records.map((r) => r.offset)).toEqual(inputs[b]!.records.map((_, i) => base + i));
          expect(batch.records.map((r) => r.value)).toEqual(inputs[b]!.records.map((r) => r.value));
        });
      }),
      { numRuns: 200 },
    );
  });
});

describe('decoders on hostile bytes return or throw CorruptRecordError, nothing else', () => {
  it('arbitrary bytes', () => {
    fc.assert(fc.property(buffer(300), (buf) => decodeEverything(buf)), { numRuns: 2000 });
  });

  it('arbitrary bytes behind a plausible header (magic 2, matching length and CRC)', () => {
    const byteArb = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x00, 0x01, 0x02, 0x04, 0x7f, 0x80, 0xff));
    fc.assert(
      fc.property(
        fc.array(byteArb, { maxLength: 200 }),
        fc.integer({ min: -2, max: 6 }),
        fc.integer({ min: 0, max: 8 }),
        fc.constantFrom(0, 0x08, 0x10),
        (body, recordCount, lastOffsetDelta, attributes) => {
          const buf = Buffer.alloc(BATCH_OVERHEAD + body.length);
          buf[16] = 2;
          buf.writeInt16BE(attributes, 21);
          buf.writeInt32BE(lastOffsetDelta, 23);
          buf.writeInt32BE(recordCount, 57);
          buf.set(body, BATCH_OVERHEAD);
          decodeEverything(reframe(buf));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('batches whose records lie about their lengths, counts and offsets', () => {
    fc.assert(
      fc.property(
        fc.array(roughRecordArb, { maxLength: 4 }),
        smallDelta,
        usually(0, fc.integer({ min: -2, max: 5 })),
        fc.constantFrom(0, 0x08, 0x10),
        usually(0, fc.integer({ min: 1, max: 6 })),
        (records, countDelta, lastDeltaSlack, attributes, cut) => {
          decodeEverything(roughBatch(records, countDelta, lastDeltaSlack, attributes, cut));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutated and truncated valid batches, with and without a fixed-up CRC', () => {
    fc.assert(
      fc.property(batchArb(4), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean(), (input, mutations, fixFraming) => {
        const original = encodeBatch(input);
        const mutated = mutate(original, mutations);
        decodeEverything(fixFraming ? reframe(mutated) : mutated);
        // A mutation the CRC covers must never decode silently unless the framing was redone.
        if (!fixFraming && mutated.length === original.length && !mutated.subarray(16).equals(original.subarray(16))) {
          expect(decodeOrCorrupt(() => decodeBatch(mutated))).toBeUndefined();
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('mutations inside a segment of several batches', () => {
    fc.assert(
      fc.property(fc.array(batchArb(3), { minLength: 2, maxLength: 4 }), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (inputs, mutations) => {
        decodeEverything(mutate(Buffer.concat(inputs.map(encodeBatch)), mutations));
      }),
      { numRuns: 1000 },
    );
  });

  it('setBaseOffset on arbitrary bytes', () => {
    fc.assert(
      fc.property(buffer(100), fc.integer({ min: 0, max: 2 ** 40 }), (buf, offset) => {
        decodeOrCorrupt(() => setBaseOffset(buf, offset));
      }),
      { numRuns: 500 },
    );
  });
});
