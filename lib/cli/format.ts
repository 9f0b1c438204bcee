/** How `sluice consume` prints a record: Kafka's DefaultMessageFormatter, or JSON lines. */
import { isUtf8 } from 'node:buffer';
import type { FetchedRecord } from '../client/client.ts';

/** A fetched record with its bytes decoded (fetched as base64, so binary survives). */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyArray<readonly [string, Buffer]>;
}

export function decodeRecord(topic: string, partition: number, record: FetchedRecord): ConsumedRecord {
  const bytes = (text: string | null | undefined): Buffer | null => (text == null ? null : Buffer.from(text, 'base64'));
  return {
    topic,
    partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: bytes(record.key),
    value: bytes(record.value),
    headers: Object.entries(record.headers ?? {}).map(([name, value]) => [name, Buffer.from(value, 'base64')] as const),
  };
}

/** The console consumer's `print.*` and separator properties. */
export interface TextFormat {
  readonly printTimestamp: boolean;
  readonly printPartition: boolean;
  readonly printOffset: boolean;
  readonly printHeaders: boolean;
  readonly printKey: boolean;
  readonly printValue: boolean;
  /** Between printed fields (Kafka's key.separator), default tab. */
  readonly keySeparator: string;
  readonly lineSeparator: string;
  readonly headersSeparator: string;
  readonly headersKeySeparator: string;
  /** Printed for a null key, value or header value. */
  readonly nullLiteral: string;
}

export const defaultTextFormat: TextFormat = {
  printTimestamp: false,
  printPartition: false,
  printOffset: false,
  printHeaders: false,
  printKey: false,
  printValue: true,
  keySeparator: '\t',
  lineSeparator: '\n',
  headersSeparator: ',',
  headersKeySeparator: ':',
  nullLiteral: 'null',
};

/**
 * Fields in Kafka's order, joined by the key separator:
 * `CreateTime:<ms>  Partition:<p>  Offset:<o>  <headers>  <key>  <value>`; headers as
 * `name:value,...` or `NO_HEADERS`. Bytes are written as they are.
 */
export function formatText(record: ConsumedRecord, format: TextFormat): Buffer {
  const fields: Buffer[] = [];
  const text = (s: string): Buffer => Buffer.from(s);
  const orNull = (bytes: Buffer | null): Buffer => bytes ?? text(format.nullLiteral);
  if (format.printTimestamp) fields.push(text(`CreateTime:${record.timestamp}`));
  if (format.printPartition) fields.push(text(`Partition:${record.partition}`));
  if (format.printOffset) fields.push(text(`Offset:${record.offset}`));
  if (format.printHeaders) {
    if (record.headers.length === 0) fields.push(text('NO_HEADERS'));
    else {
      const parts: Buffer[] = [];
      record.headers.forEach(([name, value], i) => {
        if (i > 0) parts.push(text(format.headersSeparator));
        parts.push(text(name + format.headersKeySeparator), value);
      });
      fields.push(Buffer.concat(parts));
    }
  }
  if (format.printKey) fields.push(orNull(record.key));
  if (format.printValue) fields.push(orNull(record.value));
  const separator = text(format.keySeparator);
  const parts: Buffer[] = [];
  fields.forEach((field, i) => {
    if (i > 0) parts.push(separator);
    parts.push(field);
  });
  parts.push(text(format.lineSeparator));
  return Buffer.concat(parts);
}

/**
 * One JSON object per line: `{topic, partition, offset, timestamp, key, value, headers}`
 * with text fields; a record with any non-UTF-8 bytes gets all of them in base64 and
 * `"encoding": "base64"`, the API's own convention.
 */
export function formatJson(record: ConsumedRecord): string {
  const all = [record.key, record.value, ...record.headers.map(([, v]) => v)];
  const text = all.every((bytes) => bytes === null || isUtf8(bytes));
  const encoding = text ? 'utf8' : 'base64';
  const show = (bytes: Buffer | null): string | null => (bytes === null ? null : bytes.toString(encoding));
  return JSON.stringify({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    key: show(record.key),
    value: show(record.value),
    headers: Object.fromEntries(record.headers.map(([name, value]) => [name, show(value)])),
    ...(text ? {} : { encoding }),
  }) + '\n';
}
