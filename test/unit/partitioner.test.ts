import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../lib/core/partitioner.ts';

const require = createRequire(import.meta.url);
// kafkajs's Java-compatible default partitioner and its murmur2 (a Long-based port of
// Kafka 0.10.2's Utils.murmur2): the independent implementation we compare against.
type KafkajsPartitioner = (args: {
  topic: string;
  partitionMetadata: Array<{ partitionId: number; leader: number }>;
  message: { key: Buffer; partition?: number | null };
}) => number;
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;
const createKafkajsPartitioner = require('kafkajs/src/producer/partitioners/default/index.js') as () => KafkajsPartitioner;

const utf8 = (text: string) => Buffer.from(text, 'utf8');

function kafkajsPartition(key: Buffer, partitions: number): number {
  const partitioner = createKafkajsPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({ partitionId, leader: 0 }));
  return partitioner({ topic: 't', partitionMetadata, message: { key } });
}

describe('murmur2', () => {
  // Apache Kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j as Kafka does', (input, expected) => {
    expect(murmur2(utf8(input))).toBe(expected);
  });

  it('agrees with kafkajs on every length from 0 to 64 (all tail cases)', () => {
    for (let length = 0; length <= 64; length++) {
      const key = Buffer.from(Array.from({ length }, (_, i) => (i * 37 + 200) & 0xff));
      expect(murmur2(key), `length ${length}`).toBe(kafkajsMurmur2(key));
    }
  });

  it('agrees with kafkajs on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(murmur2(bytes)).toBe(kafkajsMurmur2(Buffer.from(bytes)));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads only the view, not the rest of its ArrayBuffer', () => {
    const whole = utf8('xxfoobarxx');
    expect(murmur2(whole.subarray(2, 8))).toBe(-790332482);
  });
});

describe('partitionForKey', () => {
  it('clears the sign bit rather than taking the absolute value', () => {
    // murmur2("21") is negative: & 0x7fffffff gives 1173551340 (% 7 = 3); Math.abs would give 6.
    expect(partitionForKey(utf8('21'), 7)).toBe(3);
    expect(partitionForKey(utf8('foobar'), 50)).toBe(16);
  });

  it("places keys exactly as kafkajs's Java-compatible default partitioner does", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 10_000 }), (bytes, partitions) => {
        const key = Buffer.from(bytes);
        expect(partitionForKey(key, partitions)).toBe(kafkajsPartition(key, partitions));
      }),
      { numRuns: 2000 },
    );
  });

  it('places string keys by their UTF-8 bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.integer({ min: 1, max: 256 }), (text, partitions) => {
        expect(partitionForKey(utf8(text), partitions)).toBe(kafkajsPartition(utf8(text), partitions));
      }),
      { numRuns: 200 },
    );
  });

  it('always lands inside [0, partitions)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 0x7fffffff }), (key, partitions) => {
        const partition = partitionForKey(key, partitions);
        return Number.isInteger(partition) && partition >= 0 && partition < partitions;
      }),
    );
  });

  it.each([0, -1, 1.5, Number.NaN, 2 ** 31])('refuses %s partitions', (partitions) => {
    expect(() => partitionForKey(utf8('k'), partitions)).toThrow(RangeError);
  });
});
