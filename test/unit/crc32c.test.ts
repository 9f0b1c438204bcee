import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../lib/core/codec/crc32c.ts';
import { kafkajsCrc32c } from '../support/kafkajs.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);
const range = (n: number, f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i));

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789', 'ascii'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test patterns', () => {
    expect(crc32c(range(32, () => 0x00))).toBe(0x8a9136aa);
    expect(crc32c(range(32, () => 0xff))).toBe(0x62a8ab43);
    expect(crc32c(range(32, (i) => i))).toBe(0x46dd794e);
    expect(crc32c(range(32, (i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('is 0 for no bytes and unsigned otherwise', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // 0xff bytes give a CRC with the top bit set: it must come back positive.
    const crc = crc32c(bytes(0xff, 0xff, 0xff, 0xff));
    expect(crc).toBeGreaterThan(0x7fffffff);
    expect(crc).toBe(kafkajsCrc32c(Buffer.from([0xff, 0xff, 0xff, 0xff])));
  });

  it('agrees with kafkajs on every length around the 8-byte stride', () => {
    const data = randomBytes(300);
    for (let length = 0; length <= 300; length++) {
      const slice = data.subarray(0, length);
      expect(crc32c(slice), `length ${length}`).toBe(kafkajsCrc32c(slice));
    }
  });

  it('agrees with kafkajs on unaligned views into a larger buffer', () => {
    const data = randomBytes(4096);
    for (let start = 0; start < 16; start++) {
      const view = new Uint8Array(data.buffer, data.byteOffset + start, 1000 + start);
      expect(crc32c(view)).toBe(kafkajsCrc32c(Buffer.from(view)));
    }
  });

  it('agrees with kafkajs on 1 MiB of random bytes', () => {
    const data = randomBytes(1 << 20);
    expect(crc32c(data)).toBe(kafkajsCrc32c(data));
  });

  it('changes when any single bit changes', () => {
    const data = Buffer.from(randomBytes(64));
    const original = crc32c(data);
    for (let bit = 0; bit < data.length * 8; bit++) {
      data[bit >> 3]! ^= 1 << (bit & 7);
      expect(crc32c(data)).not.toBe(original);
      data[bit >> 3]! ^= 1 << (bit & 7);
    }
  });
});
