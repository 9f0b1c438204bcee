/**
 * The event Lambda gives a function for a self-managed Kafka event source (MSK's differs
 * only in `eventSource` and an `eventSourceArn`): records grouped under
 * "<topic>-<partition>", key and value in base64 (absent when null, as Lambda leaves
 * them), header values as arrays of bytes. A handler written for MSK, or Powertools'
 * Kafka utility, reads it unchanged.
 */
import { Buffer } from 'node:buffer';

/** One record as the dispatcher holds it: the SDK's message with where it came from. */
export interface TriggerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Create time, ms since the epoch. */
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
}

export interface KafkaEventRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: 'CREATE_TIME';
  readonly key?: string;
  readonly value?: string;
  readonly headers: ReadonlyArray<Readonly<Record<string, number[]>>>;
}

export interface KafkaEvent {
  readonly eventSource: 'SelfManagedKafka';
  /** Comma-separated, as Lambda gives them. */
  readonly bootstrapServers: string;
  readonly records: Readonly<Record<string, readonly KafkaEventRecord[]>>;
}

export function kafkaEvent(records: readonly TriggerRecord[], bootstrapServers: string): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const r of records) {
    (grouped[`${r.topic}-${r.partition}`] ??= []).push({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      timestampType: 'CREATE_TIME',
      ...(r.key === null ? {} : { key: r.key.toString('base64') }),
      ...(r.value === null ? {} : { value: r.value.toString('base64') }),
      headers: Object.entries(r.headers).map(([name, bytes]) => ({ [name]: [...bytes] })),
    });
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped };
}

/** Bytes a record adds to the event's JSON, near enough to keep an invocation under Lambda's 6 MB. */
export function eventBytes(r: TriggerRecord): number {
  const base64 = (b: Buffer | null) => (b === null ? 0 : Math.ceil(b.length / 3) * 4);
  // A header name is JSON-escaped UTF-8; a header byte is up to four characters ("255,").
  const headers = Object.entries(r.headers).reduce((sum, [name, bytes]) => sum + Buffer.byteLength(JSON.stringify(name)) + 6 + bytes.length * 4, 0);
  return 160 + r.topic.length + base64(r.key) + base64(r.value) + headers;
}
