/**
 * kafkajs's own protocol code, loaded from its sources: the independent implementation the
 * codec and segment tests check ours against.
 */
import { createRequire } from 'node:module';
import type { BatchInput, RecordHeader } from '../../lib/core/codec/record-batch.ts';

const require = createRequire(import.meta.url);

/** kafkajs's CRC-32C. */
export const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buf: Buffer) => number;

// kafkajs's RecordBatch v2 encoder and decoder.
export type KafkajsLong = { toString(): string };
export type KafkajsEncoderT = { buffer: Buffer; writeVarInt(v: number): KafkajsEncoderT; writeVarLong(v: unknown): KafkajsEncoderT };
export type KafkajsHeaders = Record<string, Buffer | null | Array<Buffer | null>>;
export type KafkajsDecodedBatch = {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: Array<{ offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers: KafkajsHeaders }>;
};
export const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number | bigint | string): KafkajsLong };
export const KafkajsEncoder = require('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoderT;
export const KafkajsDecoder = require('kafkajs/src/protocol/decoder.js') as new (buf: Buffer) => {
  readVarInt(): number;
  readVarLong(): KafkajsLong;
};
export const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => unknown;
export const { RecordBatch: kafkajsRecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (args: object) => Promise<KafkajsEncoderT>;
};
export const kafkajsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: InstanceType<typeof KafkajsDecoder>,
) => Promise<KafkajsDecodedBatch>;

/** kafkajs takes headers as an object (repeated keys as arrays); a null prototype keeps "__proto__" a key. */
export function toKafkajsHeaders(headers: readonly RecordHeader[]): KafkajsHeaders {
  const object: KafkajsHeaders = Object.create(null);
  for (const { key, value } of headers) {
    const existing = object[key];
    if (existing === undefined) object[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else object[key] = [existing, value];
  }
  return object;
}

/** The order kafkajs writes an object's headers in (Object.keys order, arrays expanded). */
export function kafkajsHeaderOrder(headers: readonly RecordHeader[]): RecordHeader[] {
  const object = toKafkajsHeaders(headers);
  return Object.keys(object).flatMap((key) => {
    const value = object[key]!;
    return Array.isArray(value) ? value.map((v) => ({ key, value: v })) : [{ key, value }];
  });
}

/** Encodes the batch with kafkajs, given the producer defaults we promise (all -1). */
export async function kafkajsEncode(input: BatchInput, compression = 0): Promise<Buffer> {
  const first = input.records[0]!.timestamp;
  const batch = await kafkajsRecordBatch({
    compression,
    firstOffset: Long.fromValue(input.baseOffset),
    firstTimestamp: first,
    maxTimestamp: Math.max(...input.records.map((r) => r.timestamp)),
    partitionLeaderEpoch: -1,
    lastOffsetDelta: input.records.length - 1,
    transactional: false,
    producerId: Long.fromValue(input.producerId ?? -1n),
    producerEpoch: input.producerEpoch ?? -1,
    firstSequence: input.baseSequence ?? -1,
    records: input.records.map((r, i) =>
      kafkajsRecord({
        offsetDelta: i,
        timestampDelta: r.timestamp - first,
        key: r.key,
        value: r.value,
        headers: toKafkajsHeaders(r.headers),
      }),
    ),
  });
  return batch.buffer;
}

export async function kafkajsDecode(buf: Buffer): Promise<KafkajsDecodedBatch> {
  return kafkajsDecodeBatch(new KafkajsDecoder(buf));
}
