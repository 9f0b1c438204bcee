/** The producer's public types, kafkajs's names: messages, records, options and events. */
import type { Buffer } from 'node:buffer';
import type { RetryOptions } from './instrumentation.ts';
import type { CompressionTypes } from './messages.ts';

/** Header values: text or bytes (kafkajs's IHeaders without arrays: a Sluice header has one value). */
export type MessageHeaders = Readonly<Record<string, string | Buffer | undefined>>;

/** A message to send, as in kafkajs. */
export interface Message {
  /** Records with the same key go to the same partition (murmur2, as Kafka's Java client). */
  readonly key?: string | Buffer | null;
  /** null is a tombstone. */
  readonly value: string | Buffer | null;
  readonly headers?: MessageHeaders;
  /** Unset: by key hash, or (keyless) one partition per request, rotating. */
  readonly partition?: number;
  /** Create time in ms since the epoch (kafkajs gives it as a string); unset: the server's clock. */
  readonly timestamp?: string | number;
}

export interface ProducerRecord {
  readonly topic: string;
  readonly messages: readonly Message[];
  /** Accepted for kafkajs compatibility; every send is acknowledged once durably written. */
  readonly acks?: number;
  /** Accepted for kafkajs compatibility; the request timeout is the client's. */
  readonly timeout?: number;
  /**
   * The codec the server stores this send's batches with (kafkajs's CompressionTypes;
   * records travel as JSON either way); a topic whose compression.type names a codec
   * overrides it. Sends with different codecs never share a request.
   * @default the producer's `compression`
   */
  readonly compression?: CompressionTypes;
}

export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly Message[];
}

export interface ProducerBatch {
  readonly topicMessages: readonly TopicMessages[];
  readonly acks?: number;
  readonly timeout?: number;
  /** As ProducerRecord's, for every topic of the batch. @default the producer's `compression` */
  readonly compression?: CompressionTypes;
}

/** Where a send's messages landed in one partition: kafkajs's RecordMetadata. */
export interface RecordMetadata {
  readonly topicName: string;
  /** Same as topicName. */
  readonly topic: string;
  readonly partition: number;
  /** Always 0: a failed send rejects instead. */
  readonly errorCode: 0;
  /** Offset of the send's first message in this partition, as a string like kafkajs's. */
  readonly baseOffset: string;
  /** Offsets of the send's messages in this partition, in send order. */
  readonly offsets: readonly number[];
}

export interface ProducerOptions {
  /**
   * How long a send waits for others to share its request, counted from the oldest
   * waiting send (Kafka's linger.ms); flush() and disconnect() do not wait. @default 20
   */
  readonly linger?: number;
  /** Most records in one request (the API's limit); a topic's queue is sent at once when it has this many. @default 10000 */
  readonly batchSize?: number;
  /** Most bytes (JSON) in one request; sent at once when this much is waiting. @default 1048576 */
  readonly maxBatchBytes?: number;
  /**
   * The codec of a send that names none (kafkajs's CompressionTypes); the server uses it
   * when the topic's compression.type is 'producer', the default.
   * @default CompressionTypes.None
   */
  readonly compression?: CompressionTypes;
  /**
   * Retries of a request after a retriable error (429, 5xx, no answer), with exponential
   * backoff and jitter. Safe when idempotent; otherwise a retry after a lost answer may
   * duplicate records.
   * @default { retries: 5, initialRetryTime: 300, maxRetryTime: 30000 } or the Sluice-wide retry
   */
  readonly retry?: RetryOptions;
  /**
   * Exactly once per send, retries included (producer id, epoch and per-partition
   * sequences). Records then get their partition here, by key hash (murmur2, as the server
   * would) or one partition per request when keyless, which needs the topic's partition
   * count (GET /v1/topics/{topic}). @default true
   */
  readonly idempotent?: boolean;
  /**
   * A stable id for this producer across restarts: a new instance with the same id gets
   * the next epoch, and the older one is fenced (its sends fail with FENCED).
   */
  readonly transactionalId?: string;
  /** Accepted for kafkajs compatibility; Sluice never creates a topic on send. */
  readonly allowAutoTopicCreation?: boolean;
}

export interface ProducerEvents {
  'producer.connect': null;
  'producer.disconnect': null;
  /** One HTTP produce request (each try), with its outcome. */
  'producer.network.request': {
    readonly topic: string;
    readonly records: number;
    readonly attempt: number;
    readonly duration: number;
    readonly error?: string;
  };
}

