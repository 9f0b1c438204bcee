/**
 * The producer, shaped like kafkajs's: `send({ topic, messages })` resolves with one
 * RecordMetadata per partition written. Concurrent sends to a topic are coalesced into one
 * HTTP request after `linger` ms, or sooner once `batchSize` records or `maxBatchBytes`
 * bytes are waiting, and each topic has one request in flight at a time, so sends reach a
 * partition in the order they were made (Kafka's max.in.flight.requests=1), retries included.
 *
 * The producer is idempotent by default, as Kafka's clients are since 3.0: it gets a
 * producer id from the API, numbers each partition's records, and a request that fails
 * with a retriable error (429, 5xx, no answer) is sent again unchanged, so a try that
 * landed before its answer was lost is answered, not appended twice. With
 * `idempotent: false` delivery is at least once: such a retry appends the records again.
 */
import { Buffer } from 'node:buffer';
import { ConfigError, InvalidRequestError, SluiceError } from '../core/errors.ts';
import { validateTopicName } from '../core/topic-config.ts';
import type { SluiceClient } from './client.ts';
import {
  Instrumentation,
  nonNegativeNumber,
  positiveInteger,
  refuseUnknownKeys,
  retryPolicy,
  type InstrumentationEvent,
  type RemoveListener,
  type RetryOptions,
} from './instrumentation.ts';
import { backoffDelay, sleep, type RetryPolicy } from './retry.ts';
import { Sequencer } from './sequencer.ts';
import type { Encoding, ProduceRecord, ProduceRequest, ProduceResponse, RecordPosition } from './types.ts';

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
  /** Accepted for kafkajs compatibility; records travel as JSON. */
  readonly compression?: number;
}

export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly Message[];
}

export interface ProducerBatch {
  readonly topicMessages: readonly TopicMessages[];
  readonly acks?: number;
  readonly timeout?: number;
  readonly compression?: number;
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
  /** How long a send waits for others to share its request (Kafka's linger.ms). @default 5 */
  readonly linger?: number;
  /** Most records in one request; a topic's queue is sent at once when it has this many. @default 1000 */
  readonly batchSize?: number;
  /** Most bytes (JSON) in one request; sent at once when this much is waiting. @default 1048576 */
  readonly maxBatchBytes?: number;
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

const producerEvents = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect', REQUEST: 'producer.network.request' } as const;

/** The most records the API takes in one produce request. */
export const maxRecordsPerRequest = 10_000;

/**
 * How long an idempotent send keeps asking while an earlier try of it may still land
 * (PRODUCE_IN_PROGRESS): past the server's claim timeout (30 s), after which it answers.
 */
const inProgressPatienceMs = 60_000;

export class Producer {
  readonly events = producerEvents;
  private readonly batcher: Batcher;
  private readonly retry: RetryPolicy;
  private readonly instrumentation = new Instrumentation<ProducerEvents>(new Set(Object.values(producerEvents)));
  /** Set unless `idempotent: false`. */
  private readonly sequencer: Sequencer | undefined;
  private closed = false;

  constructor(
    private readonly client: SluiceClient,
    options: ProducerOptions = {},
    defaultRetry?: RetryPolicy,
  ) {
    refuseUnknownKeys('producer', options, ['linger', 'batchSize', 'maxBatchBytes', 'retry', 'idempotent', 'transactionalId', 'allowAutoTopicCreation']);
    if (options.idempotent === false && options.transactionalId !== undefined) {
      throw new ConfigError('a transactionalId needs an idempotent producer: drop idempotent: false');
    }
    if (options.transactionalId !== undefined && (typeof options.transactionalId !== 'string' || options.transactionalId === '')) {
      throw new ConfigError('transactionalId must be a non-empty string');
    }
    this.sequencer = options.idempotent === false ? undefined : new Sequencer(client, options.transactionalId);
    this.retry = retryPolicy(options.retry, defaultRetry);
    this.batcher = new Batcher(
      {
        linger: nonNegativeNumber('linger', options.linger ?? 5),
        batchSize: positiveInteger('batchSize', options.batchSize ?? 1000, maxRecordsPerRequest),
        maxBatchBytes: positiveInteger('maxBatchBytes', options.maxBatchBytes ?? 1024 * 1024),
      },
      (topic, request) => this.transmit(topic, request),
    );
  }

  /** Allows sends again after a disconnect; an idempotent producer gets its producer id and epoch here. */
  async connect(): Promise<void> {
    this.closed = false;
    await this.sequencer?.producer();
    this.instrumentation.emit('producer.connect', null);
  }

  /** Sends whatever is waiting (without lingering), waits for every send to settle, and refuses further sends. */
  async disconnect(): Promise<void> {
    this.closed = true;
    await this.batcher.flush();
    this.instrumentation.emit('producer.disconnect', null);
  }

  /** Sends whatever is waiting now, without lingering, and waits for it to settle. */
  flush(): Promise<void> {
    return this.batcher.flush();
  }

  /**
   * Appends `messages` to `topic`, in order; resolves once all are written, with one entry
   * per partition. Rejects with the API's error (e.g. TOPIC_NOT_FOUND, RECORD_TOO_LARGE);
   * a send larger than one request goes out as several in a row, and if one fails the
   * earlier ones stay written.
   */
  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.closed) throw new ConfigError('the producer is disconnected: connect() it again to send');
    if (record === null || typeof record !== 'object') throw new InvalidRequestError('send() takes { topic, messages }');
    const topic = validateTopicName(record.topic, 'topic');
    const { records, encoding } = toWireRecords(record.messages);
    const positions = await this.batcher.add(topic, records, encoding);
    return recordMetadata(topic, positions);
  }

  /** Several topics' messages at once (kafkajs's sendBatch); each topic batches as with send(). */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (!Array.isArray(batch?.topicMessages)) throw new InvalidRequestError('sendBatch() takes { topicMessages: [{ topic, messages }] }');
    const results = await Promise.all(batch.topicMessages.map((t) => this.send({ topic: t.topic, messages: t.messages })));
    return results.flat();
  }

  isIdempotent(): boolean {
    return this.sequencer !== undefined;
  }

  on<K extends keyof ProducerEvents & string>(type: K, listener: (event: InstrumentationEvent<ProducerEvents[K]>) => void): RemoveListener {
    return this.instrumentation.on(type, listener);
  }

  /**
   * One request, sent again unchanged after retriable failures with backoff and full
   * jitter. When idempotent, sequenced first; a failure that leaves unknown whether it
   * landed starts the sequences over under a new epoch.
   */
  private async transmit(topic: string, plain: ProduceRequest): Promise<ProduceResponse> {
    const request = this.sequencer ? await this.sequencer.sequence(topic, plain) : plain;
    const first = Date.now();
    for (let attempt = 0; ; ) {
      const started = Date.now();
      try {
        const response = await this.client.produce(topic, request);
        this.instrumentation.emit('producer.network.request', { topic, records: request.records.length, attempt, duration: Date.now() - started });
        this.sequencer?.landed(topic, request);
        return response;
      } catch (error) {
        this.instrumentation.emit('producer.network.request', {
          topic,
          records: request.records.length,
          attempt,
          duration: Date.now() - started,
          error: error instanceof SluiceError ? error.code : String(error),
        });
        if (this.sequencer && error instanceof SluiceError && error.code === 'PRODUCE_IN_PROGRESS' && Date.now() - first < inProgressPatienceMs) {
          // Not a failure: an earlier try may still land. Ask again when the server says.
          await sleep(1000);
          continue;
        }
        if (!(error instanceof SluiceError) || !error.retriable || attempt >= this.retry.retries) {
          if (this.sequencer && !refusedWhole(error) && !(error instanceof SluiceError && error.code === 'FENCED')) this.sequencer.reset();
          throw error;
        }
        await sleep(backoffDelay(attempt++, this.retry));
      }
    }
  }
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

// --- Batching -------------------------------------------------------------------------

export interface BatcherOptions {
  readonly linger: number;
  readonly batchSize: number;
  readonly maxBatchBytes: number;
}

/** Sends one request; the producer's is client.produce with retries. */
export type Transmit = (topic: string, request: ProduceRequest) => Promise<ProduceResponse>;

/** One send waiting in (or partly through) a topic's queue. */
interface Entry {
  readonly records: readonly ProduceRecord[];
  readonly sizes: readonly number[];
  readonly encoding: Encoding;
  /** Index of the first record not yet put in a request. */
  next: number;
  readonly positions: RecordPosition[];
  settled: boolean;
  readonly done: Promise<unknown>;
  resolve(positions: RecordPosition[]): void;
  reject(error: unknown): void;
}

/** Records start..end of one send, in one request. */
interface Slice {
  readonly entry: Entry;
  readonly start: number;
  readonly end: number;
}

interface TopicQueue {
  /** Sends with records not yet in a request, oldest first. */
  readonly entries: Entry[];
  unsentRecords: number;
  unsentBytes: number;
  inFlight: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The queue has waited long enough: send at the next chance. */
  due: boolean;
}

/** `{"records":[],"encoding":"base64"}` */
const requestOverheadBytes = 40;

/**
 * Per-topic request batching. A send's records go into a queue; the queue is sent when
 * `linger` ms have passed since it became non-empty, or at once when it holds
 * `batchSize` records or `maxBatchBytes` bytes. One request per topic is in flight at a
 * time; what queues meanwhile goes out as soon as it completes. A request carries whole
 * sends where they fit (a larger send is split into consecutive requests) and only sends
 * of one encoding.
 */
export class Batcher {
  private readonly topics = new Map<string, TopicQueue>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly options: BatcherOptions,
    private readonly transmit: Transmit,
  ) {}

  /** Queues one send's records; resolves with their positions in the order given. */
  add(topic: string, records: readonly ProduceRecord[], encoding: Encoding): Promise<RecordPosition[]> {
    if (records.length === 0) return Promise.resolve([]);
    const sizes = records.map((r) => Buffer.byteLength(JSON.stringify(r)) + 1);
    let resolve!: (positions: RecordPosition[]) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<RecordPosition[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = {
      records,
      sizes,
      encoding,
      next: 0,
      positions: new Array<RecordPosition>(records.length),
      settled: false,
      done: promise.then(
        () => undefined,
        () => undefined,
      ),
      resolve,
      reject,
    };
    const queue = this.queue(topic);
    queue.entries.push(entry);
    queue.unsentRecords += records.length;
    queue.unsentBytes += sizes.reduce((a, b) => a + b, 0);
    this.pump(topic, queue);
    return promise;
  }

  /** Sends everything queued without lingering; resolves when every send so far has settled. */
  async flush(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const [topic, queue] of this.topics) {
      pending.push(...queue.entries.map((e) => e.done));
      queue.due = true;
      this.pump(topic, queue);
    }
    await Promise.all([...pending, ...this.inFlight]);
  }

  private queue(topic: string): TopicQueue {
    let queue = this.topics.get(topic);
    if (!queue) {
      queue = { entries: [], unsentRecords: 0, unsentBytes: 0, inFlight: false, timer: undefined, due: false };
      this.topics.set(topic, queue);
    }
    return queue;
  }

  private pump(topic: string, queue: TopicQueue): void {
    if (queue.inFlight || queue.entries.length === 0) return;
    const full = queue.unsentRecords >= this.options.batchSize || queue.unsentBytes + requestOverheadBytes >= this.options.maxBatchBytes;
    if (!full && !queue.due) {
      queue.timer ??= setTimeout(() => {
        queue.timer = undefined;
        queue.due = true;
        this.pump(topic, queue);
      }, this.options.linger);
      return;
    }
    if (queue.timer !== undefined) clearTimeout(queue.timer);
    queue.timer = undefined;
    queue.due = false;
    const slices = this.take(queue);
    queue.inFlight = true;
    const request = this.sendSlices(topic, queue, slices).finally(() => {
      this.inFlight.delete(request);
      queue.inFlight = false;
      // What queued meanwhile has waited for this request: no further linger.
      if (queue.entries.length > 0) queue.due = true;
      else if (this.topics.get(topic) === queue) this.topics.delete(topic);
      this.pump(topic, queue);
    });
    this.inFlight.add(request);
  }

  /** The next request's slices: a prefix of the queue, whole sends where they fit. */
  private take(queue: TopicQueue): Slice[] {
    const slices: Slice[] = [];
    const encoding = queue.entries[0]!.encoding;
    let count = 0;
    let bytes = requestOverheadBytes;
    for (const entry of queue.entries) {
      if (entry.encoding !== encoding) break;
      const start = entry.next;
      let end = start;
      while (
        end < entry.records.length &&
        count < this.options.batchSize &&
        (count === 0 || bytes + entry.sizes[end]! <= this.options.maxBatchBytes)
      ) {
        bytes += entry.sizes[end]!;
        count++;
        end++;
      }
      if (end > start) {
        slices.push({ entry, start, end });
        entry.next = end;
      }
      if (end < entry.records.length) break;
    }
    for (const slice of slices) this.unqueue(queue, slice.entry, slice.start, slice.end);
    return slices;
  }

  /** Takes records start..end of an entry off the queue's counts, and a fully taken entry off the queue. */
  private unqueue(queue: TopicQueue, entry: Entry, start: number, end: number): void {
    queue.unsentRecords -= end - start;
    for (let i = start; i < end; i++) queue.unsentBytes -= entry.sizes[i]!;
    if (end === entry.records.length) {
      const at = queue.entries.indexOf(entry);
      if (at >= 0) queue.entries.splice(at, 1);
    }
  }

  private async sendSlices(topic: string, queue: TopicQueue, slices: readonly Slice[]): Promise<void> {
    const live = slices.filter((s) => !s.entry.settled);
    if (live.length === 0) return;
    const records = live.flatMap((s) => s.entry.records.slice(s.start, s.end));
    let response: ProduceResponse;
    try {
      response = await this.transmit(topic, { records, encoding: live[0]!.entry.encoding });
    } catch (error) {
      if (live.length > 1 && refusedWhole(error)) {
        // The API validates a request whole and appends nothing of a refused one, so each
        // send can go again alone: only the one at fault fails.
        for (const slice of live) await this.sendSlices(topic, queue, [slice]);
        return;
      }
      for (const slice of live) this.fail(queue, slice.entry, error);
      return;
    }
    let i = 0;
    for (const { entry, start, end } of live) {
      for (let k = start; k < end; k++) entry.positions[k] = response.offsets[i++]!;
      if (end === entry.records.length && !entry.settled) {
        entry.settled = true;
        entry.resolve(entry.positions);
      }
    }
  }

  /** Rejects a send and drops whatever of it has not been sent yet. */
  private fail(queue: TopicQueue, entry: Entry, error: unknown): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.next < entry.records.length) {
      this.unqueue(queue, entry, entry.next, entry.records.length);
      entry.next = entry.records.length;
    }
    entry.reject(error);
  }
}

/** 400 and 413 answers mean the request was refused whole, before anything was appended. */
function refusedWhole(error: unknown): boolean {
  return error instanceof SluiceError && (error.status === 400 || error.status === 413);
}
