/**
 * The producer, shaped like kafkajs's: `send({ topic, messages })` resolves with one
 * RecordMetadata per partition written. Concurrent sends to a topic are coalesced into one
 * HTTP request `linger` ms after the oldest of them (as Kafka's linger.ms), or sooner once
 * `batchSize` records or `maxBatchBytes` bytes are waiting, and each topic has one request
 * in flight at a time, so sends reach a partition in the order they were made (Kafka's
 * max.in.flight.requests=1), retries included.
 *
 * The producer is idempotent by default, as Kafka's clients are since 3.0: it gets a
 * producer id from the API, numbers each partition's records, and a request that fails
 * with a retriable error (429, 5xx, no answer) is sent again unchanged, so a try that
 * landed before its answer was lost is answered, not appended twice. With
 * `idempotent: false` delivery is at least once: such a retry appends the records again.
 *
 * `compression` (kafkajs's CompressionTypes, producer-wide or per send) names the codec the
 * server stores a send's batches with, unless the topic's compression.type overrides it.
 * Records travel as JSON either way; the server compresses.
 */
import { ConfigError, InvalidRequestError, SluiceError } from '../core/errors.ts';
import type { Compression } from '../core/http-contract.ts';
import { validateTopicName } from '../core/topic-config.ts';
import { Batcher, refusedWhole } from './batcher.ts';
import type { SluiceClient } from './client.ts';
import { Instrumentation, nonNegativeNumber, positiveInteger, refuseUnknownKeys, retryPolicy, type InstrumentationEvent, type RemoveListener } from './instrumentation.ts';
import { compressionCodec, recordMetadata, toWireRecords } from './messages.ts';
import type { Message, ProducerBatch, ProducerEvents, ProducerOptions, ProducerRecord, RecordMetadata } from './producer-types.ts';
import { backoffDelay, sleep, type RetryPolicy } from './retry.ts';
import { Sequencer } from './sequencer.ts';
import type { ProduceRequest, ProduceResponse } from './types.ts';

const producerEvents = { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect', REQUEST: 'producer.network.request' } as const;

/** The most records the API takes in one produce request. */
const maxRecordsPerRequest = 10_000;
/**
 * Kafka's is 5 ms; a Sluice request costs an API Gateway request, a Lambda invocation and
 * a storage write whatever it carries, so a longer linger pays: it caps a steady stream at
 * 50 requests a second per topic, each carrying 20 ms of sends.
 */
const defaultLingerMs = 20;

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
  /** The codec of a send that names none. */
  private readonly compression: Compression;
  private closed = false;

  constructor(
    private readonly client: SluiceClient,
    options: ProducerOptions = {},
    defaultRetry?: RetryPolicy,
  ) {
    refuseUnknownKeys('producer', options, ['linger', 'batchSize', 'maxBatchBytes', 'compression', 'retry', 'idempotent', 'transactionalId', 'allowAutoTopicCreation']);
    this.compression = options.compression === undefined ? 'none' : compressionCodec('compression', options.compression, ConfigError);
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
        linger: nonNegativeNumber('linger', options.linger ?? defaultLingerMs),
        batchSize: positiveInteger('batchSize', options.batchSize ?? maxRecordsPerRequest, maxRecordsPerRequest),
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
    const compression = record.compression === undefined ? this.compression : compressionCodec('compression', record.compression, InvalidRequestError);
    const { records, encoding } = toWireRecords(record.messages);
    const positions = await this.batcher.add(topic, records, encoding, compression);
    return recordMetadata(topic, positions);
  }

  /** Several topics' messages at once (kafkajs's sendBatch), with one compression; each topic batches as with send(). */
  async sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    if (!Array.isArray(batch?.topicMessages)) throw new InvalidRequestError('sendBatch() takes { topicMessages: [{ topic, messages }] }');
    const compression = batch.compression === undefined ? {} : { compression: batch.compression };
    const results = await Promise.all(batch.topicMessages.map((t) => this.send({ topic: t.topic, messages: t.messages, ...compression })));
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
