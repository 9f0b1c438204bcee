/**
 * The dispatcher: a member of a Sluice consumer group (the SDK's lease-based consumer)
 * that hands each partition's records to a function in batches, Lambda's Kafka event
 * source mapping's way (lib/trigger/delivery.ts), and commits after each success.
 * Partitions go at the same time, each in order: a partition's next batch waits for its
 * previous one. Several dispatchers in one group share the partitions.
 *
 * A batch is what one fetch gave, topped up by further fetches until it holds batchSize
 * records, its event would pass Lambda's 6 MB payload, or the batching window (from the
 * first record) is over.
 */
import type { Consumer, EachBatchPayload } from '../client/index.ts';
import type { Sluice } from '../client/sluice.ts';
import { toKafkaMessage, type KafkaMessage } from '../client/partitions.ts';
import { sleep } from '../core/backoff.ts';
import { SluiceError } from '../core/errors.ts';
import { valueMatches } from '../core/event-filter.ts';
import { triggerSettings, type TriggerOptions, type TriggerSettings } from '../core/trigger-config.ts';
import { deliver, type DeliveryFailure, type DeliveryPorts, type InvocationOutcome } from './delivery.ts';
import { eventBytes, kafkaEvent, type KafkaEvent, type TriggerRecord } from './event.ts';

/** The function the dispatcher feeds: a module in-process locally, a Lambda function on AWS. */
export interface TriggerTarget {
  readonly name: string;
  invoke(event: KafkaEvent): Promise<unknown>;
}

/** Records the function did not take, with whose they were. */
export interface FailureReport extends DeliveryFailure {
  readonly functionName: string;
  readonly group: string;
}

/** Where records the function did not take go: a Sluice topic, an SQS queue, an SNS topic. */
export interface FailureDestination {
  readonly name: string;
  send(failure: FailureReport): Promise<void>;
  /** Sends what is pending, once the dispatcher stopped. */
  close?(): Promise<void>;
}

/** What the dispatcher tells as it goes (the CLI prints it). */
export interface TriggerEvents {
  invoked?(outcome: InvocationOutcome): void;
  gaveUp?(failure: DeliveryFailure, destination: string | undefined): void;
  committed?(topic: string, partition: number, offset: number): void;
  /** A batch failed outside the function (the destination or a commit refused it): it is fetched and delivered again. */
  batchFailed?(topic: string, partition: number, error: unknown): void;
  /** The consumer stopped for good (a grant missing, the topic deleted): nothing more is delivered. */
  crashed?(error: Error): void;
}

/** Lambda's event payload limit, less room for the event's own fields. */
const maxEventBytes = 5_800_000;

export class Dispatcher {
  readonly settings: TriggerSettings;
  private readonly consumer: Consumer;
  private readonly stopping = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  /** When a batch last came in (or the dispatcher started): how long it has been idle. */
  private lastBatchMs = Date.now();
  private invocations = 0;
  /** Why the consumer stopped for good (a grant missing, the topic deleted), if it did. */
  private crashed: Error | undefined;

  constructor(
    private readonly sluice: Sluice,
    options: TriggerOptions,
    private readonly target: TriggerTarget,
    private readonly destination?: FailureDestination,
    private readonly events: TriggerEvents = {},
  ) {
    this.settings = triggerSettings(options, destination !== undefined);
    this.consumer = sluice.consumer({
      groupId: this.settings.group,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      maxRecords: this.settings.batchSize,
      maxWaitTimeInMs: 5_000,
    });
    this.consumer.on('consumer.crash', ({ payload }) => {
      if (payload.restart) return;
      this.crashed = payload.error;
      this.events.crashed?.(payload.error);
    });
  }

  /** Joins the group and starts delivering; resolves once joined. */
  async start(): Promise<void> {
    const { topic, startingPosition } = this.settings;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topic], fromBeginning: startingPosition === 'earliest' });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Every partition this member holds at once, as Lambda runs one invocation per partition.
      partitionsConsumedConcurrently: 1_000,
      ...(typeof startingPosition === 'object' ? { onPartitionsAssigned: (partitions) => this.startAt(partitions, startingPosition.timestamp) } : {}),
      eachBatch: (payload) => this.batch(payload),
    });
  }

  /**
   * On AWS: delivers until no batch has come for `idleMs` or `timeToStop()` says so (the
   * function's time runs short), then stops. Answers the invocations made; rejects if the
   * consumer stopped for good.
   */
  async runUntilIdle(idleMs: number, timeToStop: () => boolean, checkEveryMs = 1_000): Promise<number> {
    this.lastBatchMs = Date.now();
    while ((this.inFlight.size > 0 || Date.now() - this.lastBatchMs < idleMs) && !this.crashed) {
      if (timeToStop()) break;
      await sleep(checkEveryMs);
    }
    await this.stop();
    // A consumer that stopped for good is no idle one: the run fails, and its alarm says so.
    if (this.crashed) throw this.crashed;
    return this.invocations;
  }

  /** Lets the invocations in flight finish, commits them, and leaves the group. */
  async stop(): Promise<void> {
    this.stopping.abort(new Error('the dispatcher is stopping'));
    // Invocations in flight finish and are committed while their partitions are still held;
    // leaving the group first would revoke them and refuse the commit.
    await Promise.allSettled([...this.inFlight]);
    await this.consumer.disconnect();
  }

  /** Partitions the group has no offset for start at the first record at or after `timestamp`. */
  private async startAt(partitions: ReadonlyArray<{ topic: string; partition: number }>, timestamp: number): Promise<void> {
    // A group not there yet has committed nothing; any other failure must not read as that.
    const described = await this.sluice.client.describeGroup(this.settings.group).catch((error: unknown) => {
      if (error instanceof SluiceError && error.code === 'GROUP_NOT_FOUND') return undefined;
      throw error;
    });
    const committed = new Set((described?.partitions ?? []).filter((p) => p.committedOffset !== null).map((p) => `${p.topic}#${p.partition}`));
    for (const { topic, partition } of partitions) {
      if (committed.has(`${topic}#${partition}`)) continue;
      const { offset } = await this.sluice.client.offsetFor(topic, partition, timestamp);
      this.consumer.seek({ topic, partition, offset });
    }
  }

  private batch(payload: EachBatchPayload): Promise<void> {
    this.lastBatchMs = Date.now();
    const running = this.deliverBatch(payload);
    this.inFlight.add(running);
    return running.finally(() => this.inFlight.delete(running));
  }

  private async deliverBatch({ batch, resolveOffset, isStale }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    const stale = new AbortController();
    const signal = AbortSignal.any([this.stopping.signal, stale.signal]);
    const ports: DeliveryPorts = {
      invoke: (chunk) => {
        if (isStale()) stale.abort(new Error(`${topic}-${partition} was revoked`));
        signal.throwIfAborted();
        return this.target.invoke(kafkaEvent(chunk, this.settings.bootstrapServers));
      },
      done: async (next) => {
        resolveOffset(next - 1);
        // A partition being revoked is no longer ours to commit: the consumer commits what
        // was resolved as it lets go, and the rest is the next owner's.
        if (isStale()) {
          stale.abort(new Error(`${topic}-${partition} was revoked`));
          return;
        }
        await this.consumer.commitOffsets([{ topic, partition, offset: next }]);
        this.events.committed?.(topic, partition, next);
      },
      giveUp: async (failure) => {
        await this.destination?.send({ ...failure, functionName: this.target.name, group: this.settings.group });
        this.events.gaveUp?.(failure, this.destination?.name);
      },
      report: (outcome) => {
        this.invocations++;
        this.events.invoked?.(outcome);
      },
      now: () => Date.now(),
      signal,
    };
    try {
      const records = await this.fill(batch.messages.map((m) => triggerRecord(topic, partition, m)), signal, isStale);
      const wanted = records.filter((r) => valueMatches(this.settings.filters, r.value));
      await deliver(wanted, ports, this.settings);
      // Records the filters left out are committed as Lambda commits them, delivered or not.
      if (records.length > 0 && wanted.at(-1) !== records.at(-1)) await ports.done(records.at(-1)!.offset + 1);
    } catch (error) {
      // Stopped or revoked between invocations: what is not committed is the next owner's.
      // Anything else fails the batch, which the consumer fetches and hands over again.
      if (signal.aborted) return;
      this.events.batchFailed?.(topic, partition, error);
      throw error;
    }
  }

  /** Tops a batch up with further fetches until it is full, would be too large, or its window is over. */
  private async fill(records: TriggerRecord[], signal: AbortSignal, isStale: () => boolean): Promise<TriggerRecord[]> {
    const { batchSize, batchingWindowMs, topic } = this.settings;
    // Long polls of at most a second, so a revoke does not wait out the window.
    const until = Date.now() + batchingWindowMs;
    let bytes = records.reduce((sum, r) => sum + eventBytes(r), 0);
    while (records.length > 0 && records.length < batchSize && bytes < maxEventBytes && Date.now() < until && !signal.aborted && !isStale()) {
      const last = records.at(-1)!;
      const answer = await this.sluice.client.fetchRecords(
        topic,
        last.partition,
        { offset: last.offset + 1, waitMs: Math.max(0, Math.min(1_000, until - Date.now())), maxRecords: batchSize - records.length, encoding: 'base64' },
        { signal },
      );
      for (const fetched of answer.records) {
        const record = triggerRecord(topic, last.partition, toKafkaMessage(fetched));
        if (bytes + eventBytes(record) > maxEventBytes) return records;
        records.push(record);
        bytes += eventBytes(record);
      }
    }
    return records;
  }
}

function triggerRecord(topic: string, partition: number, m: KafkaMessage): TriggerRecord {
  return { topic, partition, offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value, headers: m.headers };
}
