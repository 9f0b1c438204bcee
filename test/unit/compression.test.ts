import { expectCorrupt } from '../support/corrupt.ts';
import { kafkajsDecode, kafkajsEncode } from '../support/kafkajs.ts';
import { createRequire } from 'node:module';
import { createHash, randomBytes } from 'node:crypto';
import * as fzstd from 'fzstd';
import * as lz4napi from 'lz4-napi';
import * as snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { compress, compressionId, decompress, DEFAULT_MAX_UNCOMPRESSED_BYTES, type Compression } from '../../lib/core/codec/compression.ts';
import { crc32c } from '../../lib/core/codec/crc32c.ts';
import { decodeLz4Frame, encodeLz4Frame } from '../../lib/core/codec/lz4-frame.ts';
import { BATCH_OVERHEAD, decodeBatch, decodeBatches, encodeBatch, encodeBatchKeepingOffsets } from '../../lib/core/codec/record-batch.ts';
import type { BatchInput, RecordInput } from '../../lib/core/codec/record-batch.ts';
import { xxh32 } from '../../lib/core/codec/xxh32.ts';
import { CorruptRecordError } from '../../lib/core/errors.ts';

// lz4js: a second, independent LZ4 implementation (frames and its own XXH32).
const require = createRequire(import.meta.url);
const lz4js = require('lz4js') as { compress(src: Uint8Array): Uint8Array; decompress(src: Uint8Array): Uint8Array };
const lz4jsXxh32 = require('lz4js/xxh32.js') as { hash(seed: number, src: Uint8Array, index: number, length: number): number };

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const T = 1_700_000_000_000;
const record = (overrides: Partial<RecordInput> = {}): RecordInput => ({
  key: utf8('key'),
  value: utf8('value'),
  headers: [],
  timestamp: T,
  ...overrides,
});
const VARIED: RecordInput[] = [
  record({ key: utf8('k1'), value: utf8('v1'), headers: [{ key: 'trace', value: utf8('abc') }] }),
  record({ key: null, value: utf8('no key'), timestamp: T + 5 }),
  record({ key: utf8('tombstone'), value: null, timestamp: T - 1_000 }),
  record({ key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: T + 2 ** 33 }),
  record({
    key: randomBytes(300),
    value: Buffer.concat([randomBytes(20_000), Buffer.alloc(50_000, 'a')]), // spans xerial chunks and lz4 blocks
    headers: [
      { key: 'émoji 🚀', value: utf8('ünïcödé ✓') },
      { key: 'dup', value: utf8('1') },
      { key: 'dup', value: null },
    ],
  }),
];
const INPUT: BatchInput = { baseOffset: 42, records: VARIED, producerId: 7n, producerEpoch: 1, baseSequence: 9 };
const EXPECTED = VARIED.map((r, i) => ({ ...r, offset: 42 + i }));
const ENCODED: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The uncompressed records section of INPUT (what every codec compresses). */
const plainSection = (input: BatchInput = INPUT) => encodeBatch(input).subarray(BATCH_OVERHEAD);

/** INPUT's batch with its records section replaced by `section` under codec `id`, CRC and length fixed. */
function batchWith(id: number, section: Buffer, input: BatchInput = INPUT): Buffer {
  const buf = Buffer.concat([encodeBatch(input).subarray(0, BATCH_OVERHEAD), section]);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt16BE(id, 21);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

/** Splits our xerial frame into its raw Snappy blocks. */
function xerialBlocks(frame: Buffer): Buffer[] {
  expect(frame.subarray(0, 16).toString('hex')).toBe('82534e415050590000000001' + '00000001');
  const blocks: Buffer[] = [];
  for (let at = 16; at < frame.length; ) {
    const size = frame.readInt32BE(at);
    blocks.push(frame.subarray(at + 4, at + 4 + size));
    at += 4 + size;
  }
  return blocks;
}

function xerialOf(blocks: Buffer[]): Buffer {
  const header = Buffer.from('82534e41505059000000000100000001', 'hex');
  return Buffer.concat([
    header,
    ...blocks.flatMap((block) => {
      const size = Buffer.alloc(4);
      size.writeInt32BE(block.length);
      return [size, block];
    }),
  ]);
}

/** An LZ4 frame by hand: FLG/BD as given, HC from lz4js's XXH32, then the blocks and the end mark. */
function lz4Frame(flg: number, bd: number, blocks: Buffer[], extra: Buffer = Buffer.alloc(0)): Buffer {
  const descriptor = Buffer.concat([Buffer.from([flg, bd]), extra]);
  const hc = (lz4jsXxh32.hash(0, descriptor, 0, descriptor.length) >>> 8) & 0xff;
  return Buffer.concat([Buffer.from('04224d18', 'hex'), descriptor, Buffer.from([hc]), ...blocks, Buffer.alloc(4)]);
}

function storedBlock(data: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeUInt32LE((0x80000000 | data.length) >>> 0);
  return Buffer.concat([size, data]);
}

/** A 32-bit LCG: bytes that are the same on every run, so a fixture can hold what another lz4 made of them. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => (state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0);
}

/** `size` bytes of incompressible noise. */
function noise(size: number, seed: number): Buffer {
  const next = lcg(seed);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = next() >>> 24;
  return bytes;
}

/** `size` bytes of JSON lines as a producer sends them: the same fields, their values varying. */
function jsonText(size: number, seed: number): Buffer {
  const next = lcg(seed);
  const pick = (n: number) => Math.floor((next() / 2 ** 32) * n);
  const lines: string[] = [];
  for (let length = 0, id = 0; length < size; id++) {
    const line = JSON.stringify({
      id,
      request: next().toString(16) + next().toString(16),
      user: `user-${pick(5_000)}`,
      event: ['click', 'view', 'purchase', 'signup', 'logout'][pick(5)],
      ts: T + id * 137 + pick(100),
      amount: pick(100_000) / 100,
      country: ['DE', 'US', 'FR', 'JP', 'BR', 'IN'][pick(6)],
      session: { page: `/products/${pick(800)}`, referrer: pick(2) ? 'https://www.example.com/search?q=shoes' : null, ms: pick(3_000) },
      ok: pick(10) < 9,
    });
    lines.push(line);
    length += line.length + 1;
  }
  return Buffer.from(lines.join('\n')).subarray(0, size);
}

/** The blocks of a frame without checksums, as (stored, data size); the frame must end at the end mark. */
function lz4Blocks(frame: Buffer): { stored: boolean; size: number }[] {
  const blocks: { stored: boolean; size: number }[] = [];
  for (let at = 7; ; ) {
    const word = frame.readUInt32LE(at);
    at += 4;
    if (word === 0) {
      expect(at).toBe(frame.length);
      return blocks;
    }
    blocks.push({ stored: word >>> 31 === 1, size: word & 0x7fffffff });
    at += word & 0x7fffffff;
  }
}

describe('compressed batches round-trip', () => {
  for (const codec of ENCODED) {
    it(`${codec}: encodeBatch then decodeBatch gives the records back`, () => {
      const buf = encodeBatch({ ...INPUT, compression: codec });
      const { header, records } = decodeBatch(buf);
      expect(header.attributes & 7).toBe(compressionId(codec));
      expect(header.recordCount).toBe(VARIED.length);
      expect(header.producerId).toBe(7n);
      expect(records).toEqual(EXPECTED);
      if (codec !== 'none') expect(buf.length).toBeLessThan(encodeBatch(INPUT).length);
      expect(decodeBatches(Buffer.concat([buf, encodeBatch({ ...INPUT, baseOffset: 47, compression: codec })])).flatMap((b) => b.records)).toHaveLength(10);
    });

    it(`${codec}: encodeBatchKeepingOffsets keeps gaps`, () => {
      const kept = [EXPECTED[0]!, EXPECTED[2]!, EXPECTED[4]!];
      const buf = encodeBatchKeepingOffsets({ baseOffset: 42, lastOffsetDelta: 6, records: kept, compression: codec });
      const { header, records } = decodeBatch(buf);
      expect(header.lastOffsetDelta).toBe(6);
      expect(records).toEqual(kept);
    });
  }

  it('takes a compression level (gzip, zstd)', () => {
    for (const codec of ['gzip', 'zstd'] as const) {
      const fast = encodeBatch({ ...INPUT, compression: codec, compressionLevel: 1 });
      expect(decodeBatch(fast).records).toEqual(EXPECTED);
    }
  });

  it('refuses a codec Kafka does not have', () => {
    expect(() => encodeBatch({ ...INPUT, compression: 'brotli' as Compression })).toThrow(RangeError);
    expect(() => compress('brotli' as Compression, plainSection())).toThrow(/unknown compression brotli/);
  });
});

describe('gzip against kafkajs', () => {
  it('reads a batch kafkajs compressed with its gzip codec', async () => {
    // kafkajs cannot write a null header value.
    const records = VARIED.map((r) => ({ ...r, headers: r.headers.map((h) => ({ key: h.key, value: h.value ?? Buffer.alloc(0) })) }));
    const buf = await kafkajsEncode({ ...INPUT, records }, 1);
    expect(buf.readInt16BE(21) & 7).toBe(1);
    expect(decodeBatch(buf).records).toEqual(records.map((r, i) => ({ ...r, offset: 42 + i })));
  });

  it('writes gzip batches kafkajs decodes to the same records', async () => {
    const batch = await kafkajsDecode(encodeBatch({ ...INPUT, compression: 'gzip' }));
    expect(batch.records.map((r) => [r.offset, r.key, r.value])).toEqual(EXPECTED.map((r) => [String(r.offset), r.key, r.value]));
  });

  it('writes the same bytes as kafkajs (both node:zlib at level 6)', async () => {
    const input = { ...INPUT, records: VARIED.slice(0, 4) };
    expect(encodeBatch({ ...input, compression: 'gzip' }).toString('hex')).toBe((await kafkajsEncode(input, 1)).toString('hex'));
  });
});

describe('snappy against the snappy package (napi-rs, C++ snappy)', () => {
  it('our xerial chunks are raw blocks it decodes, of at most 32 KiB each', () => {
    const frame = encodeBatch({ ...INPUT, compression: 'snappy' }).subarray(BATCH_OVERHEAD);
    const blocks = xerialBlocks(frame);
    expect(blocks.length).toBe(Math.ceil(plainSection().length / 32_768));
    const parts = blocks.map((b) => snappy.uncompressSync(b) as Buffer);
    for (const part of parts.slice(0, -1)) expect(part.length).toBe(32_768);
    expect(Buffer.concat(parts).equals(plainSection())).toBe(true);
  });

  it('reads its raw block, and xerial frames of its blocks', () => {
    const section = plainSection();
    expect(decodeBatch(batchWith(2, snappy.compressSync(section))).records).toEqual(EXPECTED);
    const chunks = [section.subarray(0, 10_000), section.subarray(10_000, 60_000), section.subarray(60_000)];
    expect(decodeBatch(batchWith(2, xerialOf(chunks.map((c) => snappy.compressSync(c))))).records).toEqual(EXPECTED);
  });

  it('refuses a truncated or garbled block', () => {
    const block = snappy.compressSync(plainSection());
    expectCorrupt(() => decodeBatch(batchWith(2, block.subarray(0, block.length - 5))), /snappy/);
    expectCorrupt(() => decodeBatch(batchWith(2, xerialOf([block]).subarray(0, 30))), /snappy/);
  });
});

describe('zstd against fzstd (pure JS decoder)', () => {
  it('fzstd decodes what we write', () => {
    for (const level of [undefined, 1, 19]) {
      const frame = encodeBatch({ ...INPUT, compression: 'zstd', compressionLevel: level }).subarray(BATCH_OVERHEAD);
      expect(Buffer.from(fzstd.decompress(frame)).equals(plainSection())).toBe(true);
    }
  });

  it('refuses garbage after the magic', () => {
    const frame = compress('zstd', plainSection());
    frame.fill(0xa5, 8, 40);
    expectCorrupt(() => decodeBatch(batchWith(4, frame)), /zstd/);
  });
});

describe('lz4 frames', () => {
  it('reads frames from lz4-napi (lz4_flex), with and without checksums', () => {
    const section = plainSection();
    for (const options of [undefined, { contentChecksum: true, blockChecksums: true }]) {
      const frame = lz4napi.compressFrameSync(section, options);
      expect(frame.length).toBeLessThan(section.length);
      expect(decodeBatch(batchWith(3, frame)).records).toEqual(EXPECTED);
    }
  });

  it('reads a hand-built frame: stored blocks, content size, a 4 MiB block maximum', () => {
    const section = plainSection();
    const size = Buffer.alloc(8);
    size.writeBigUInt64LE(BigInt(section.length));
    const frame = lz4Frame(0x68, 0x70, [storedBlock(section.subarray(0, 100)), storedBlock(section.subarray(100))], size);
    expect(decodeBatch(batchWith(3, frame)).records).toEqual(EXPECTED);
    size.writeBigUInt64LE(BigInt(section.length + 1));
    expectCorrupt(() => decodeBatch(batchWith(3, lz4Frame(0x68, 0x70, [storedBlock(section)], size))), /content size/);
  });

  it('refuses lz4js frames (dependent blocks, as Kafka does), and reads them marked independent', () => {
    const section = plainSection({ baseOffset: 0, records: VARIED.slice(0, 4) });
    const frame = Buffer.from(lz4js.compress(section));
    expect(frame[4]! & 0x20).toBe(0);
    expectCorrupt(() => decodeBatch(batchWith(3, frame, { baseOffset: 0, records: VARIED.slice(0, 4) })), /dependent blocks/);
    // One block: independent in fact. Set the flag and recompute HC.
    frame[4] = frame[4]! | 0x20;
    frame[6] = (lz4jsXxh32.hash(0, frame, 4, 2) >>> 8) & 0xff;
    expect(decodeBatch(batchWith(3, frame, { baseOffset: 0, records: VARIED.slice(0, 4) })).records).toHaveLength(4);
  });

  it('checks the header, block and content checksums', () => {
    const frame = lz4napi.compressFrameSync(plainSection(), { contentChecksum: true, blockChecksums: true });
    const hc = Buffer.from(frame);
    hc[6] = hc[6]! ^ 1;
    expectCorrupt(() => decodeBatch(batchWith(3, hc)), /header checksum/);
    const content = Buffer.from(frame);
    content[content.length - 1] = content[content.length - 1]! ^ 1;
    expectCorrupt(() => decodeBatch(batchWith(3, content)), /content checksum/);
    const block = Buffer.from(frame);
    block[12] = block[12]! ^ 1;
    expectCorrupt(() => decodeBatch(batchWith(3, block)), /checksum|lz4/);
  });

  it('refuses reserved bits, dictionary ids, bad block sizes and trailing bytes', () => {
    const data = storedBlock(plainSection());
    expectCorrupt(() => decodeBatch(batchWith(3, lz4Frame(0x62, 0x70, [data]))), /reserved/);
    expectCorrupt(() => decodeBatch(batchWith(3, lz4Frame(0x61, 0x70, [data]))), /dictionary/);
    expectCorrupt(() => decodeBatch(batchWith(3, lz4Frame(0x60, 0x30, [data]))), /block maximum size/);
    expectCorrupt(() => decodeBatch(batchWith(3, lz4Frame(0x60, 0x40, [data]))), /over the frame's maximum/);
    expectCorrupt(() => decodeBatch(batchWith(3, Buffer.concat([lz4Frame(0x60, 0x70, [data]), Buffer.from([0])]))), /after the frame/);
  });
});

describe('lz4 frames we write', () => {
  const KAFKA_HEADER = '04224d18604082'; // magic, FLG 0x60, BD 0x40 (64 KiB), HC: what Kafka's producer writes
  const KIB64 = 65_536;
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  /** lz4-napi, lz4js and our decoder all give `input` back from `frame`. */
  function expectDecodedByAll(frame: Buffer, input: Buffer): void {
    expect(lz4napi.decompressFrameSync(frame).equals(input)).toBe(true);
    expect(Buffer.from(lz4js.decompress(frame)).equals(input)).toBe(true);
    expect(decodeLz4Frame(frame, input.length).equals(input)).toBe(true);
  }

  it("has Kafka's header: the checksum over FLG and BD only, not the v0-era one over the magic too", () => {
    const frame = encodeLz4Frame(Buffer.alloc(0));
    expect(frame.toString('hex')).toBe(KAFKA_HEADER + '00000000');
    expect(frame[6]).toBe((lz4jsXxh32.hash(0, frame, 4, 2) >>> 8) & 0xff);
    expect(frame[6]).not.toBe((lz4jsXxh32.hash(0, frame, 0, 6) >>> 8) & 0xff);
  });

  const SIZES: [string, () => Buffer][] = [
    ['empty input', () => Buffer.alloc(0)],
    ['1 byte', () => Buffer.from([0x2a])],
    ['exactly 64 KiB', () => jsonText(KIB64, 1)],
    ['64 KiB + 1', () => jsonText(KIB64 + 1, 1)],
    ['1 MiB of JSON text', () => jsonText(1 << 20, 1)],
    ['1 MiB of random bytes', () => randomBytes(1 << 20)],
  ];
  for (const [name, make] of SIZES) {
    it(`${name}: lz4-napi, lz4js and we decode it byte for byte, in 64 KiB blocks`, () => {
      const input = make();
      const frame = encodeLz4Frame(input);
      expect(frame.subarray(0, 7).toString('hex')).toBe(KAFKA_HEADER);
      expectDecodedByAll(frame, input);
      const blocks = lz4Blocks(frame);
      expect(blocks).toHaveLength(Math.ceil(input.length / KIB64));
      for (const block of blocks) expect(block.size).toBeLessThanOrEqual(KIB64);
    });
  }

  it('stores a block that does not shrink: 1 byte, random bytes (input + 11 bytes + 4 a block)', () => {
    expect(encodeLz4Frame(Buffer.from([0x2a])).toString('hex')).toBe(KAFKA_HEADER + '01000080' + '2a' + '00000000');
    const random = randomBytes(1 << 20);
    const frame = encodeLz4Frame(random);
    expect(lz4Blocks(frame)).toEqual(Array.from({ length: 16 }, () => ({ stored: true, size: KIB64 })));
    expect(frame.length).toBe(random.length + 11 + 16 * 4);
  });

  it('compresses 1 MiB of JSON records more than 3 to 1, every block', () => {
    const input = jsonText(1 << 20, 1);
    const frame = encodeLz4Frame(input);
    expect(lz4Blocks(frame).every((b) => !b.stored)).toBe(true);
    expect(frame.length).toBeLessThan(input.length / 3);
  });

  it('64 KiB is one block, 64 KiB + 1 is two, the second a stored byte', () => {
    const input = jsonText(KIB64 + 1, 1);
    expect(lz4Blocks(encodeLz4Frame(input.subarray(0, KIB64))).map((b) => b.stored)).toEqual([false]);
    const blocks = lz4Blocks(encodeLz4Frame(input));
    expect(blocks).toHaveLength(2);
    expect(blocks[1]).toEqual({ stored: true, size: 1 });
  });

  it("at a block's edges (its last 12 and 5 bytes, stored or not) writes the reference lz4's bytes", () => {
    // Each expected frame is what lz4 1.9.4 (lz4 -1 -B4 -BI --no-frame-crc) wrote for the input,
    // spelled as block size, then token, literal length bytes, literals, offset, match length bytes.
    const hex = (bytes: Buffer) => bytes.toString('hex');
    const x = (n: number) => '78'.repeat(n);
    const noise29 = noise(29, 7);
    const late = Buffer.concat([noise29, noise29.subarray(2, 8), noise(5, 8)]); // 6 bytes from 2 again at 29: end - 11
    const inTime = Buffer.concat([noise29.subarray(0, 28), noise29.subarray(2, 8), noise(6, 8)]); // ... at 28: end - 12
    const even = Buffer.concat([noise29.subarray(0, 28), noise29.subarray(2, 7), noise(7, 8)]); // compresses to 40 bytes of 40
    const a = noise(20, 9);
    const twice = Buffer.concat([a, a.subarray(0, 8), a.subarray(10, 16), noise(6, 8)]); // a match at 20, the next at 28
    const cases: [string, Buffer, string][] = [
      ['12 bytes: too short for a match, stored', Buffer.alloc(12, 'x'), '0c000080' + x(12)],
      ['13 bytes: 1 literal, a match of 7, 5 literals', Buffer.alloc(13, 'x'), '0a000000' + '13' + x(1) + '0100' + '50' + x(5)],
      ['64 bytes: a match of 58 (15 + 39 + 4)', Buffer.alloc(64, 'x'), '0b000000' + '1f' + x(1) + '0100' + '27' + '50' + x(5)],
      ['a match starting 11 bytes from the end is not taken', late, '28000080' + hex(late)],
      ['one starting 12 bytes from the end is', inTime, '27000000' + 'f2' + '0d' + hex(inTime.subarray(0, 28)) + '1a00' + '60' + hex(inTime.subarray(34))],
      ['a block compressing leaves as large is stored', even, '28000080' + hex(even)],
      ['a match right after a match, 12 bytes from the end', twice, '22000000' + 'f4' + '05' + hex(a) + '1400' + '02' + '1200' + '60' + hex(twice.subarray(34))],
    ];
    for (const [name, input, blocks] of cases) expect(encodeLz4Frame(input).toString('hex'), name).toBe(KAFKA_HEADER + blocks + '00000000');
  });

  it('writes the very bytes the reference lz4 writes (1.9.4: lz4 -1 -B4 -BI --no-frame-crc)', () => {
    // JSON, noise that fills a block (stored), a run (match lengths past 255), a short noise
    // run (literal lengths past 15), JSON again; the fixture is the reference's output.
    const input = Buffer.concat([jsonText(150_000, 1), noise(140_000, 2), Buffer.alloc(5_000, 0x61), noise(300, 3), jsonText(20_000, 4)]);
    expect(sha256(input)).toBe('e2b931360e9128fab0b7223f005be9eac3dbbf927ca5ca39374d7c4c6a8b94fb');
    const frame = encodeLz4Frame(input);
    const blocks = lz4Blocks(frame);
    expect(blocks.some((b) => b.stored) && blocks.some((b) => !b.stored)).toBe(true);
    expect(frame.length).toBe(193_176);
    expect(sha256(frame)).toBe('3dfc958db0f3d9aa0365c8086851662d6124d9d3ec46d601ad7061a652752be4');
  });

  it('an lz4 batch holds a frame lz4-napi and lz4js decode to the records section', () => {
    const section = encodeBatch({ ...INPUT, compression: 'lz4' }).subarray(BATCH_OVERHEAD);
    expect(section.subarray(0, 7).toString('hex')).toBe(KAFKA_HEADER);
    expectDecodedByAll(section, plainSection());
    expect(compress('lz4', plainSection()).equals(section)).toBe(true);
  });
});

describe('xxh32', () => {
  it('matches lz4js and the reference value', () => {
    expect(xxh32(Buffer.alloc(0))).toBe(0x02cc5d05);
    for (let n = 0; n < 100; n++) {
      const bytes = randomBytes(n);
      expect(xxh32(bytes)).toBe(lz4jsXxh32.hash(0, bytes, 0, n) >>> 0);
    }
  });
});

describe('decompression bombs', () => {
  const HUGE = 64 * 1024 * 1024;
  /** `decode` refuses within 2 s and without the resident set growing by 100 MB. */
  function expectRefusedCheaply(decode: () => unknown): void {
    const rss = process.memoryUsage().rss;
    const started = performance.now();
    expectCorrupt(decode, /limit/);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 1024 * 1024);
  }

  it('refuses 64 MiB of gzip, zstd, snappy and lz4 zeros past the default 16 MiB limit', () => {
    const zeros = Buffer.alloc(HUGE);
    const rawSnappyBlock = Buffer.from([0x80, 0x80, 0x80, 0x20, 0x00]); // declares 64 MiB
    const chunk = snappy.compressSync(zeros.subarray(0, 32_768));
    const bombs: [number, Buffer][] = [
      [1, compress('gzip', zeros)],
      [4, compress('zstd', zeros)],
      [2, rawSnappyBlock],
      [2, xerialOf(Array.from({ length: HUGE / 32_768 }, () => chunk))],
      [3, lz4napi.compressFrameSync(zeros)],
    ];
    for (const [id, section] of bombs) {
      expect(section.length).toBeLessThan(4 * 1024 * 1024);
      expectRefusedCheaply(() => decodeBatch(batchWith(id, section)));
    }
  });

  it('applies maxUncompressedBytes exactly, for every codec', () => {
    const section = plainSection();
    const sections: [number, Buffer][] = [
      [1, compress('gzip', section)],
      [2, compress('snappy', section)],
      [3, lz4napi.compressFrameSync(section)],
      [3, compress('lz4', section)],
      [4, compress('zstd', section)],
    ];
    for (const [id, compressed] of sections) {
      const buf = batchWith(id, compressed);
      expect(decodeBatch(buf, { maxUncompressedBytes: section.length }).records).toEqual(EXPECTED);
      expectCorrupt(() => decodeBatch(buf, { maxUncompressedBytes: section.length - 1 }), /limit|declare/);
      expectCorrupt(() => decodeBatches(buf, { maxUncompressedBytes: 100 }), /limit|declare/);
    }
    expect(DEFAULT_MAX_UNCOMPRESSED_BYTES).toBe(16 * 1024 * 1024);
  });
});

describe('decompress', () => {
  it('turns every decompressor failure into CorruptRecordError', () => {
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      for (const bytes of [Buffer.alloc(0), randomBytes(64), Buffer.from('28b52ffd04224d1882534e41', 'hex')]) {
        try {
          decompress(codec, bytes, 1_000);
        } catch (error) {
          expect(error).toBeInstanceOf(CorruptRecordError);
        }
      }
    }
  });
});
