/**
 * The group consumer, shaped like kafkajs's: `subscribe`, then `run({ eachMessage })` or
 * `run({ eachBatch })`. Membership is lease-based (DESIGN.md, "Coordination model"): the
 * consumer joins, heartbeats on a timer, and each heartbeat answers the partitions it
 * holds now. The difference to the set it runs starts and stops per-partition loops, each
 * long-polling its partition from the committed offset (or the reset policy).
 *
 * At least once: an offset is committed only after its message was processed (after each
 * eachBatch, every `autoCommitIntervalMs` for eachMessage, before each heartbeat, when a
 * partition is revoked, and on disconnect), under the lease epoch of the assignment. A
 * commit refused as FENCED means another member holds the partition now: the consumer
 * stops it at once; the other member restarts it from the last committed offset. A commit
 * that fails is never silent: it is a COMMIT_OFFSETS_FAILED event, and its offsets go with
 * the next commit.
 *
 *   heartbeat ──► {A0,A1} ──► loops A0, A1 run
 *   heartbeat ──► {A0}    ──► A1 stops before its next message, commits, onPartitionsRevoked
 *   heartbeat ──► 404     ──► all stop, commit (best effort), join again
 *
 * This class is the kafkajs-shaped surface and the lifecycle (start, stop, crash and
 * restart). The work is done by its parts, which share a ConsumerContext:
 * Membership (membership.ts: join, heartbeats, assignment changes, leave), PartitionLoop
 * (partition-loop.ts: one loop per partition), Delivery (deliver.ts: the handlers) and
 * Committer (committer.ts).
 */
import { ConfigError, InvalidRequestError, SluiceError } from '../core/errors.ts';
import type { SluiceClient } from './client.ts';
import { Committer } from './committer.ts';
import { inUserCode, type ConsumerContext } from './consumer-context.ts';
import { checkRunOptions, consumerSettings, idleRunConfig, runConfig, seekTarget } from './consumer-settings.ts';
import {
  consumerEvents,
  type ConsumerEvents,
  type ConsumerOptions,
  type ConsumerSubscribeTopic,
  type ConsumerSubscribeTopics,
  type RunOptions,
  type TopicPartitionOffset,
} from './consumer-types.ts';
import { Delivery } from './deliver.ts';
import { Instrumentation, Limiter, type InstrumentationEvent, type RemoveListener } from './instrumentation.ts';
import { Membership } from './membership.ts';
import { HandlerRetriesExceededError, PartitionLoop } from './partition-loop.ts';
import { byTopic, partitionKey, PauseState, type TopicPartitions } from './partitions.ts';
import type { RetryPolicy } from './retry.ts';
import type { GroupDescription } from './types.ts';

export type * from './consumer-types.ts';
export { HandlerRetriesExceededError } from './partition-loop.ts';

export class Consumer {
  readonly events = consumerEvents;
  private readonly ctx: ConsumerContext;
  private readonly membership: Membership;
  private readonly committer: Committer;
  private stopRequested = false;
  private crashing = false;
  private shuttingDown: Promise<void> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(client: SluiceClient, options: ConsumerOptions, defaultRetry?: RetryPolicy) {
    const settings = consumerSettings(options, defaultRetry);
    this.ctx = {
      client,
      settings,
      instrumentation: new Instrumentation<ConsumerEvents>(new Set(Object.values(consumerEvents))),
      subscriptions: new Map(),
      pauses: new PauseState(),
      seeks: new Map(),
      owned: new Map(),
      config: idleRunConfig,
      limiter: new Limiter(1),
      running: false,
      crash: (cause) => void this.crash(cause),
    };
    this.membership = new Membership(this.ctx, () => this.committer, (run) => loop.consume(run));
    this.committer = new Committer(this.ctx, this.membership);
    const delivery = new Delivery(this.ctx, this.committer, {
      heartbeat: () => this.membership.beatIfDue(),
      pause: (topics) => this.pause(topics),
      resume: (topics) => this.resume(topics),
    });
    const loop = new PartitionLoop(this.ctx, this.committer, (run, answer) => delivery.deliver(run, answer));
  }

  /** Nothing to open over HTTP; kept for kafkajs code. */
  async connect(): Promise<void> {
    this.ctx.instrumentation.emit('consumer.connect', null);
  }

  /**
   * Adds topics (names, or patterns matched against the topics that exist now). Call
   * before run(); `fromBeginning` applies to partitions without a committed offset.
   */
  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.ctx.running) throw new ConfigError('subscribe() before run(): the consumer is running');
    const topics = 'topics' in subscription ? subscription.topics : [subscription.topic];
    if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string' && !(t instanceof RegExp))) {
      throw new ConfigError('subscribe() takes { topics: [names or RegExps], fromBeginning? }');
    }
    const patterns = topics.filter((t): t is RegExp => t instanceof RegExp);
    const existing = patterns.length === 0 ? [] : (await this.ctx.client.listTopics()).topics.map((t) => t.name);
    for (const topic of topics) {
      const names = typeof topic === 'string' ? [topic] : existing.filter((name) => topic.test(name));
      for (const name of names) this.ctx.subscriptions.set(name, subscription.fromBeginning ?? false);
    }
  }

  /**
   * Joins the group and starts consuming; resolves once joined (consuming goes on in the
   * background until disconnect()). Rejects if the join fails for good (e.g. a topic
   * that does not exist).
   */
  async run(options: RunOptions = {}): Promise<void> {
    if (this.ctx.running || this.shuttingDown) throw new ConfigError('the consumer is running already');
    checkRunOptions(options);
    if (this.ctx.subscriptions.size === 0) throw new ConfigError('subscribe() to at least one topic before run()');
    this.ctx.config = runConfig(options, this.ctx.settings);
    this.ctx.limiter = new Limiter(this.ctx.config.partitionsConsumedConcurrently);
    this.stopRequested = false;
    await this.start();
  }

  /** Stops fetching, lets in-flight handlers finish, commits what they processed and leaves the group. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    clearTimeout(this.restartTimer);
    const stopping = this.shutdown();
    // From inside a handler, waiting would wait for that handler: let it finish instead.
    if (inUserCode.getStore()) {
      stopping.catch(() => undefined);
      return;
    }
    await stopping;
  }

  /** stop(), then the disconnect event; the consumer can run() again later. */
  async disconnect(): Promise<void> {
    await this.stop();
    this.ctx.instrumentation.emit('consumer.disconnect', null);
  }

  /**
   * Commits offsets (each the next offset to read) of partitions this member holds. Rejects
   * with FENCED if a lease was lost (those partitions stop), or if a partition is not held.
   */
  commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    return this.committer.commitOffsets(offsets);
  }

  /**
   * Moves a partition's next fetch to `offset` ('-2' or 'earliest', '-1' or 'latest'
   * also work); messages of a batch in progress are skipped. With autoCommit the sought
   * offset is committed, as kafkajs does. A partition not held yet applies it when assigned.
   */
  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string | number }): void {
    if (typeof topic !== 'string' || !Number.isSafeInteger(partition) || partition < 0) {
      throw new InvalidRequestError('seek() takes { topic, partition, offset }');
    }
    this.ctx.seeks.set(partitionKey({ topic, partition }), seekTarget(offset));
    this.ctx.owned.get(partitionKey({ topic, partition }))?.interrupt();
  }

  /** Stops fetching these topics (or some of their partitions) until resume(). */
  pause(topics: ReadonlyArray<{ topic: string; partitions?: number[] }>): void {
    this.ctx.pauses.pause(topics);
    for (const run of this.ctx.owned.values()) if (this.ctx.pauses.isPaused(run.topic, run.partition)) run.interrupt();
  }

  resume(topics: ReadonlyArray<{ topic: string; partitions?: number[] }>): void {
    this.ctx.pauses.resume(topics);
    for (const run of this.ctx.owned.values()) run.wake.notify();
  }

  paused(): TopicPartitions[] {
    return this.ctx.pauses.paused(this.ctx.owned.values());
  }

  /** The partitions this member consumes now. */
  assignment(): TopicPartitions[] {
    return byTopic(this.ctx.owned.values());
  }

  /** The group as the API describes it: members, partitions, committed offsets and lag. */
  describeGroup(): Promise<GroupDescription> {
    return this.ctx.client.describeGroup(this.ctx.settings.groupId);
  }

  on<K extends keyof ConsumerEvents & string>(type: K, listener: (event: InstrumentationEvent<ConsumerEvents[K]>) => void): RemoveListener {
    return this.ctx.instrumentation.on(type, listener);
  }

  // --- Lifecycle ----------------------------------------------------------------------

  private async start(): Promise<void> {
    this.ctx.running = true;
    try {
      await this.membership.start();
    } catch (error) {
      this.ctx.running = false;
      throw error;
    }
    this.committer.startTimer();
  }

  /** Stops everything and leaves: used by stop() and after a crash. Safe to call twice. */
  private shutdown(): Promise<void> {
    if (!this.ctx.running) return this.shuttingDown ?? Promise.resolve();
    this.ctx.running = false;
    this.shuttingDown = (async () => {
      this.committer.stopTimer();
      await this.membership.leave();
      this.ctx.instrumentation.emit('consumer.stop', null);
    })().finally(() => {
      this.shuttingDown = undefined;
    });
    return this.shuttingDown;
  }

  /**
   * Something failed for good: report it, stop, and restart later if the cause may pass
   * (kafkajs's rule: a retriable error or a handler out of retries, unless
   * restartOnFailure says no).
   */
  private async crash(cause: unknown): Promise<void> {
    if (this.crashing || this.stopRequested) return;
    this.crashing = true;
    try {
      const { groupId, retry, restartOnFailure } = this.ctx.settings;
      const error = cause instanceof Error ? cause : new Error(String(cause));
      let restart = error instanceof HandlerRetriesExceededError || (error instanceof SluiceError && error.retriable);
      if (restart && restartOnFailure) restart = await restartOnFailure(error).catch(() => true);
      this.ctx.instrumentation.emit('consumer.crash', { error, groupId, restart });
      await this.shutdown().catch(() => undefined);
      if (restart && !this.stopRequested) {
        this.restartTimer = setTimeout(() => {
          if (this.stopRequested || this.ctx.running || this.shuttingDown) return;
          this.start().catch((e) => this.crash(e));
        }, retry.minDelayMs);
      }
    } finally {
      this.crashing = false;
    }
  }
}
