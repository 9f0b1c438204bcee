/**
 * kafkajs-shaped messages to the API's records, kafkajs's compression numbers to the API's
 * codec names, and the API's offsets back to RecordMetadata.
 */
import { Buffer } from 'node:buffer';
import { InvalidRequestError, type SluiceError } from '../core/errors.ts';
import type { Compression } from '../core/http-contract.ts';
import type { Message, RecordMetadata } from './producer-types.ts';
import type { Encoding, ProduceRecord, RecordPosition } from './types.ts';

/**
 * kafkajs's `CompressionTypes`: the codec a send's batches are stored with, numbered as
 * Kafka numbers them in a batch's attributes. The server compresses (records travel as
 * JSON), so no codec needs registering here as kafkajs's `CompressionCodecs` do.
 */
export const CompressionTypes = Object.freeze({ None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const);
export type CompressionTypes = (typeof CompressionTypes)[keyof typeof CompressionTypes];

/** The API's codec names, indexed by CompressionTypes number. */
export const compressionCodecs: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/**
 * A CompressionTypes number as the API's codec name; anything else is refused with
 * `refuse`'s error (a ConfigError for an option, an InvalidRequestError for a send).
 */
export function compressionCodec(name: string, value: unknown, refuse: new (message: string) => SluiceError): Compression {
  const codec = typeof value === 'number' && Number.isInteger(value) ? compressionCodecs[value] : undefined;
  if (codec === undefined) {
    const known = Object.entries(CompressionTypes).map(([k, n]) => `${n} (${k})`).join(', ');
    throw new refuse(`${name} must be a CompressionTypes value: ${known}; got ${String(value)}`);
  }
  return codec;
}

/** One RecordMetadata per partition, in the order the partitions first appear in the send. */
export function recordMetadata(topic: string, positions: readonly RecordPosition[]): RecordMetadata[] {
  const byPartition = new Map<number, number[]>();
  for (const { partition, offset } of positions) {
    const offsets = byPartition.get(partition) ?? [];
    offsets.push(offset);
    byPartition.set(partition, offsets);
  }
  return [...byPartition].map(([partition, offsets]) => ({
    topicName: topic,
    topic,
    partition,
    errorCode: 0,
    baseOffset: String(offsets.reduce((a, b) => Math.min(a, b))),
    offsets,
  }));
}

/**
 * Messages as API records. All text: sent as utf8. Any Buffer among keys, values or header
 * values: the whole send goes as base64, so bytes arrive exactly.
 */
export function toWireRecords(messages: readonly Message[]): { records: ProduceRecord[]; encoding: Encoding } {
  if (!Array.isArray(messages)) throw new InvalidRequestError('messages must be an array');
  messages.forEach(checkMessage);
  const binary = messages.some(
    (m) => Buffer.isBuffer(m.key) || Buffer.isBuffer(m.value) || Object.values(m.headers ?? {}).some((v) => Buffer.isBuffer(v)),
  );
  const encoding: Encoding = binary ? 'base64' : 'utf8';
  const text = (v: string | Buffer): string =>
    binary ? (Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8')).toString('base64') : (v as string);
  const records = messages.map((m): ProduceRecord => {
    const headers = Object.entries(m.headers ?? {}).filter((e): e is [string, string | Buffer] => e[1] !== undefined);
    return {
      ...(m.key === undefined || m.key === null ? {} : { key: text(m.key) }),
      value: m.value === null ? null : text(m.value),
      ...(headers.length > 0 ? { headers: Object.fromEntries(headers.map(([k, v]) => [k, text(v)])) } : {}),
      ...(m.partition === undefined ? {} : { partition: m.partition }),
      ...(m.timestamp === undefined ? {} : { timestamp: Number(m.timestamp) }),
    };
  });
  return { records, encoding };
}

function checkMessage(m: Message, i: number): void {
  const field = `messages[${i}]`;
  const bytesOrText = (v: unknown) => typeof v === 'string' || Buffer.isBuffer(v);
  if (m === null || typeof m !== 'object') throw new InvalidRequestError(`${field} must be an object`);
  if (m.value !== null && !bytesOrText(m.value)) throw new InvalidRequestError(`${field}.value must be a string, a Buffer or null`);
  if (m.key !== undefined && m.key !== null && !bytesOrText(m.key)) throw new InvalidRequestError(`${field}.key must be a string, a Buffer or null`);
  for (const [name, v] of Object.entries(m.headers ?? {})) {
    if (v !== undefined && !bytesOrText(v)) {
      throw new InvalidRequestError(`${field}.headers.${name} must be a string or a Buffer (one value per header)`);
    }
  }
  if (m.partition !== undefined && (!Number.isSafeInteger(m.partition) || m.partition < 0)) {
    throw new InvalidRequestError(`${field}.partition must be a non-negative integer`);
  }
  if (m.timestamp !== undefined && !(Number.isSafeInteger(Number(m.timestamp)) && Number(m.timestamp) >= 0 && `${m.timestamp}`.trim() !== '')) {
    throw new InvalidRequestError(`${field}.timestamp must be milliseconds since the epoch`);
  }
}
