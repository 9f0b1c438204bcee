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
 * stops it at once; the other member restarts it from the last committed offset.
 *
 *   heartbeat ──► {A0,A1} ──► loops A0, A1 run
 *   heartbeat ──► {A0}    ──► A1 stops before its next message, commits, onPartitionsRevoked
 *   heartbeat ──► 404     ──► all stop, commit (best effort), join again
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ConfigError, InvalidRequestError, SluiceError } from '../core/errors.ts';
import { validateGroupId } from '../core/topic-config.ts';
import type { SluiceClient } from './client.ts';
import {
  Instrumentation,
  Limiter,
  nonNegativeNumber,
  positiveInteger,
  refuseUnknownKeys,
  retryPolicy,
  Signal,
  type InstrumentationEvent,
  type RemoveListener,
} from './instrumentation.ts';
import {
  consumerEvents,
  consumerKeys,
  runKeys,
  type BatchProcessPayload,
  type ConsumerEvents,
  type ConsumerOptions,
  type ConsumerSubscribeTopic,
  type ConsumerSubscribeTopics,
  type OffsetsByTopicPartition,
  type RunOptions,
  type TopicPartitionOffset,
} from './consumer-types.ts';
import { byTopic, diffAssignments, leaseKey, makeBatch, partitionKey, PauseState, toKafkaMessage, type TopicPartitions } from './partitions.ts';
import { backoffDelay, sleep, type RetryPolicy } from './retry.ts';
import type { FetchResponse, GroupAssignment, GroupDescription, OffsetSpec, TopicPartition } from './types.ts';

export type * from './consumer-types.ts';

/** A handler kept failing through every retry; the crash event carries it (restart: true, as kafkajs). */
export class HandlerRetriesExceededError extends Error {
  constructor(
    readonly retryCount: number,
    cause: unknown,
  ) {
    super(`the message handler failed ${retryCount + 1} times: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = new.target.name;
  }
}

/** Set while user code (a handler or rebalance callback) runs, so disconnect() from it cannot wait on itself. */
const inUserCode = new AsyncLocalStorage<boolean>();

/** One partition this member holds, and its loop's positions. */
class PartitionRun {
  readonly key: string;
  /** Next offset to fetch; undefined until known. */
  position: number | undefined;
  /** Next offset to commit (last processed + 1); undefined: nothing processed. */
  resolved: number | undefined;
  committed: number | null;
  stopped = false;
  fenced = false;
  /** Resolves when the loop has ended (its in-flight handler finished). */
  done: Promise<void> = Promise.resolve();
  readonly wake = new Signal();
  readonly stopController = new AbortController();
  fetchController: AbortController | undefined;

  constructor(readonly assignment: GroupAssignment) {
    this.key = partitionKey(assignment);
    this.committed = assignment.committedOffset;
  }

  get topic(): string {
    return this.assignment.topic;
  }

  get partition(): number {
    return this.assignment.partition;
  }

  stop(): void {
    this.stopped = true;
    this.stopController.abort(new Error('partition stopped'));
    this.interrupt();
  }

  /** Ends a long poll early and wakes a paused loop, to look at its state again. */
  interrupt(): void {
    this.fetchController?.abort(new Error('interrupted'));
    this.wake.notify();
  }
}

interface Settings {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number | undefined;
  readonly autoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly autoCommitThreshold: number | undefined;
  readonly maxWaitTimeInMs: number;
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly instanceId: string | undefined;
}

export class Consumer {
  readonly events = consumerEvents;
  private readonly settings: Settings;
  private readonly retry: RetryPolicy;
  private readonly restartOnFailure: ((error: Error) => Promise<boolean>) | undefined;
  private readonly instrumentation = new Instrumentation<ConsumerEvents>(new Set(Object.values(consumerEvents)));
  /** Subscribed topic → starts from the beginning without a committed offset. */
  private readonly subscriptions = new Map<string, boolean>();
  private readonly pauses = new PauseState();
  /** Seeks not applied yet, by partition key. */
  private readonly seeks = new Map<string, number | 'earliest' | 'latest'>();

  // Run state.
  private config: Required<Pick<RunOptions, 'eachBatchAutoResolve'>> & RunOptions & { autoCommit: boolean; autoCommitIntervalMs: number; autoCommitThreshold: number | undefined } =
    { eachBatchAutoResolve: true, autoCommit: true, autoCommitIntervalMs: 5000, autoCommitThreshold: undefined };
  private limiter = new Limiter(1);
  private running = false;
  private stopRequested = false;
  private session = new AbortController();
  private memberId: string | undefined;
  private heartbeatIntervalMs = 10_000;
  private lastHeartbeat = 0;
  private lastCommit = 0;
  private readonly owned = new Map<string, PartitionRun>();
  /** The set the last heartbeat (or join) answered. */
  private target: readonly GroupAssignment[] = [];
  /** Leases a commit found fenced: never run again at that epoch. */
  private readonly fencedLeases = new Set<string>();
  private reconciling: Promise<void> = Promise.resolve();
  private committing: Promise<unknown> = Promise.resolve();
  private beating: Promise<void> | undefined;
  private rejoining: Promise<void> | undefined;
  private shuttingDown: Promise<void> | undefined;
  private crashing = false;
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  private commitTimer: ReturnType<typeof setInterval> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly client: SluiceClient,
    options: ConsumerOptions,
    defaultRetry?: RetryPolicy,
  ) {
    if (options === null || typeof options !== 'object') throw new ConfigError('consumer() takes { groupId, ... }');
    refuseUnknownKeys('consumer', options, consumerKeys);
    const groupId = validateGroupId(options.groupId, 'groupId');
    const sessionTimeoutMs = positiveInteger('sessionTimeoutMs', options.sessionTimeoutMs ?? options.sessionTimeout ?? 30_000);
    const heartbeat = options.heartbeatIntervalMs ?? options.heartbeatInterval;
    if (heartbeat !== undefined && positiveInteger('heartbeatIntervalMs', heartbeat) >= sessionTimeoutMs) {
      throw new ConfigError(`heartbeatIntervalMs (${heartbeat}) must be below sessionTimeoutMs (${sessionTimeoutMs}); a third of it is usual`);
    }
    this.settings = {
      groupId,
      sessionTimeoutMs,
      heartbeatIntervalMs: heartbeat,
      autoCommit: options.autoCommit ?? true,
      autoCommitIntervalMs: positiveInteger('autoCommitIntervalMs', options.autoCommitIntervalMs ?? 5000),
      autoCommitThreshold: options.autoCommitThreshold === undefined ? undefined : positiveInteger('autoCommitThreshold', options.autoCommitThreshold),
      maxWaitTimeInMs: nonNegativeNumber('maxWaitTimeInMs', options.maxWaitTimeInMs ?? 5000),
      maxRecords: positiveInteger('maxRecords', options.maxRecords ?? 500, 10_000),
      maxBytes: positiveInteger('maxBytesPerPartition', options.maxBytesPerPartition ?? 1024 * 1024),
      instanceId: options.instanceId === undefined ? undefined : validateGroupId(options.instanceId, 'instanceId'),
    };
    this.retry = retryPolicy(options.retry, defaultRetry);
    this.restartOnFailure = options.retry?.restartOnFailure;
  }

  /** Nothing to open over HTTP; kept for kafkajs code. */
  async connect(): Promise<void> {
    this.instrumentation.emit('consumer.connect', null);
  }

  /**
   * Adds topics (names, or patterns matched against the topics that exist now). Call
   * before run(); `fromBeginning` applies to partitions without a committed offset.
   */
  async subscribe(subscription: ConsumerSubscribeTopics | ConsumerSubscribeTopic): Promise<void> {
    if (this.running) throw new ConfigError('subscribe() before run(): the consumer is running');
    const topics = 'topics' in subscription ? subscription.topics : [subscription.topic];
    if (!Array.isArray(topics) || topics.some((t) => typeof t !== 'string' && !(t instanceof RegExp))) {
      throw new ConfigError('subscribe() takes { topics: [names or RegExps], fromBeginning? }');
    }
    const patterns = topics.filter((t): t is RegExp => t instanceof RegExp);
    const existing = patterns.length === 0 ? [] : (await this.client.listTopics()).topics.map((t) => t.name);
    for (const topic of topics) {
      const names = typeof topic === 'string' ? [topic] : existing.filter((name) => topic.test(name));
      for (const name of names) this.subscriptions.set(name, subscription.fromBeginning ?? false);
    }
  }

  /**
   * Joins the group and starts consuming; resolves once joined (consuming goes on in the
   * background until disconnect()). Rejects if the join fails for good (e.g. a topic
   * that does not exist).
   */
  async run(options: RunOptions = {}): Promise<void> {
    if (this.running || this.shuttingDown) throw new ConfigError('the consumer is running already');
    refuseUnknownKeys('run', options, runKeys);
    if ((options.eachMessage === undefined) === (options.eachBatch === undefined)) {
      throw new ConfigError('run() takes one handler: eachMessage or eachBatch');
    }
    if (this.subscriptions.size === 0) throw new ConfigError('subscribe() to at least one topic before run()');
    const interval = options.autoCommitInterval ?? this.settings.autoCommitIntervalMs;
    const threshold = options.autoCommitThreshold ?? this.settings.autoCommitThreshold;
    this.config = {
      ...options,
      eachBatchAutoResolve: options.eachBatchAutoResolve ?? true,
      autoCommit: options.autoCommit ?? this.settings.autoCommit,
      autoCommitIntervalMs: positiveInteger('autoCommitInterval', interval),
      autoCommitThreshold: threshold === undefined ? undefined : positiveInteger('autoCommitThreshold', threshold),
    };
    this.limiter = new Limiter(positiveInteger('partitionsConsumedConcurrently', options.partitionsConsumedConcurrently ?? 1));
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
    this.instrumentation.emit('consumer.disconnect', null);
  }

  /**
   * Commits offsets (each the next offset to read) of partitions this member holds. Rejects
   * with FENCED if a lease was lost (those partitions stop), or if a partition is not held.
   */
  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const entries = offsets.map((o) => {
      const run = this.owned.get(partitionKey(o));
      if (!run || run.fenced) {
        throw new InvalidRequestError(`partition ${o.topic}/${o.partition} is not assigned to this consumer`);
      }
      const offset = Number(o.offset);
      if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidRequestError(`offset ${String(o.offset)} is not a valid offset`);
      return { run, offset, ...(o.metadata == null ? {} : { metadata: o.metadata }) };
    });
    if (entries.length > 0) await this.commit(() => entries);
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
    const text = String(offset);
    let target: number | 'earliest' | 'latest';
    if (text === '-2' || text === 'earliest') target = 'earliest';
    else if (text === '-1' || text === 'latest') target = 'latest';
    else if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) target = Number(text);
    else throw new InvalidRequestError(`offset ${text} is not a valid offset`);
    this.seeks.set(partitionKey({ topic, partition }), target);
    this.owned.get(partitionKey({ topic, partition }))?.interrupt();
  }

  /** Stops fetching these topics (or some of their partitions) until resume(). */
  pause(topics: ReadonlyArray<{ topic: string; partitions?: number[] }>): void {
    this.pauses.pause(topics);
    for (const run of this.owned.values()) if (this.pauses.isPaused(run.topic, run.partition)) run.interrupt();
  }

  resume(topics: ReadonlyArray<{ topic: string; partitions?: number[] }>): void {
    this.pauses.resume(topics);
    for (const run of this.owned.values()) run.wake.notify();
  }

  paused(): TopicPartitions[] {
    return this.pauses.paused(this.owned.values());
  }

  /** The partitions this member consumes now. */
  assignment(): TopicPartitions[] {
    return byTopic(this.owned.values());
  }

  /** The group as the API describes it: members, partitions, committed offsets and lag. */
  describeGroup(): Promise<GroupDescription> {
    return this.client.describeGroup(this.settings.groupId);
  }

  on<K extends keyof ConsumerEvents & string>(type: K, listener: (event: InstrumentationEvent<ConsumerEvents[K]>) => void): RemoveListener {
    return this.instrumentation.on(type, listener);
  }

  // --- Membership ---------------------------------------------------------------------

  private async start(): Promise<void> {
    this.running = true;
    this.session = new AbortController();
    try {
      await this.join();
    } catch (error) {
      this.running = false;
      throw error;
    }
    this.scheduleHeartbeat();
    this.commitTimer = setInterval(() => {
      if (this.config.autoCommit) this.commitResolved([...this.owned.values()]).catch(() => undefined);
    }, this.config.autoCommitIntervalMs);
  }

  /** Joins (retrying what can succeed later) and starts the partitions of the answer. */
  private async join(): Promise<void> {
    const { groupId, sessionTimeoutMs, instanceId } = this.settings;
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      try {
        const answer = await this.client.joinGroup(
          groupId,
          { topics: [...this.subscriptions.keys()], sessionTimeoutMs, ...(instanceId === undefined ? {} : { instanceId }) },
          { signal: this.session.signal },
        );
        this.memberId = answer.memberId;
        this.heartbeatIntervalMs = this.settings.heartbeatIntervalMs ?? answer.heartbeatIntervalMs ?? Math.floor(sessionTimeoutMs / 3);
        this.lastHeartbeat = Date.now();
        this.instrumentation.emit('consumer.group_join', {
          groupId,
          memberId: answer.memberId,
          duration: Date.now() - started,
          memberAssignment: Object.fromEntries(byTopic(answer.assignments).map((t) => [t.topic, t.partitions])),
          isLeader: false,
          leaderId: '',
          groupProtocol: 'lease',
        });
        this.target = answer.assignments;
        await this.scheduleReconcile();
        return;
      } catch (error) {
        if (!this.running) throw error;
        if (!(error instanceof SluiceError) || !error.retriable || attempt >= this.retry.retries) throw error;
        await sleep(backoffDelay(attempt, this.retry), this.session.signal);
      }
    }
  }

  private scheduleHeartbeat(): void {
    if (!this.running) return;
    this.heartbeatTimer = setTimeout(() => {
      void this.beat().finally(() => this.scheduleHeartbeat());
    }, this.heartbeatIntervalMs);
  }

  /** One heartbeat, after committing what was processed (the answer may move partitions away). */
  private beat(): Promise<void> {
    if (!this.running || this.memberId === undefined || this.rejoining) return Promise.resolve();
    this.beating ??= (async () => {
      const memberId = this.memberId!;
      if (this.config.autoCommit) await this.commitResolved([...this.owned.values()]).catch(() => undefined);
      try {
        const answer = await this.client.heartbeat(this.settings.groupId, memberId, { signal: this.session.signal });
        if (!this.running || this.memberId !== memberId || this.rejoining) return;
        this.lastHeartbeat = Date.now();
        this.instrumentation.emit('consumer.heartbeat', { groupId: this.settings.groupId, memberId, groupGenerationId: 0 });
        this.target = answer.assignments;
        void this.scheduleReconcile();
      } catch (error) {
        if (!this.running) return;
        if (hasCode(error, 'UNKNOWN_MEMBER')) {
          this.rejoin();
        } else if (Date.now() - this.lastHeartbeat > this.settings.sessionTimeoutMs) {
          // The session has run out: the leases may be someone else's now. Stop consuming
          // until a heartbeat or a new join says what is ours.
          this.target = [];
          void this.scheduleReconcile();
        }
      }
    })().finally(() => {
      this.beating = undefined;
    });
    return this.beating;
  }

  private beatIfDue(): Promise<void> {
    return Date.now() - this.lastHeartbeat >= this.heartbeatIntervalMs ? this.beat() : Promise.resolve();
  }

  /** The member is gone (expired or removed): give up every partition, then join afresh. */
  private rejoin(): void {
    if (this.rejoining || !this.running) return;
    this.rejoining = (async () => {
      this.target = [];
      await this.scheduleReconcile();
      this.memberId = undefined;
      if (this.running) await this.join();
    })()
      // Not awaiting the crash: it waits for this rejoin to settle.
      .catch((error) => void this.crash(error))
      .finally(() => {
        this.rejoining = undefined;
      });
  }

  private scheduleReconcile(): Promise<void> {
    // Not awaiting the crash: it waits for this chain to settle.
    const next = this.reconciling.then(() => this.reconcile()).catch((error) => void this.crash(error));
    this.reconciling = next;
    return next;
  }

  /** Brings the running partitions to the target set: revoked ones first, as Kafka's listener order. */
  private async reconcile(): Promise<void> {
    const target = this.target.filter((a) => !this.fencedLeases.has(leaseKey(a)));
    for (const key of this.fencedLeases) if (!this.target.some((a) => leaseKey(a) === key)) this.fencedLeases.delete(key);
    const { assigned, revoked } = diffAssignments(
      [...this.owned.values()].map((r) => r.assignment),
      this.running ? target : [],
    );
    if (assigned.length === 0 && revoked.length === 0) return;
    this.instrumentation.emit('consumer.rebalancing', {
      groupId: this.settings.groupId,
      memberId: this.memberId ?? '',
      assigned: assigned.map(topicPartition),
      revoked: revoked.map(topicPartition),
    });
    await this.revoke(revoked.map((a) => this.owned.get(partitionKey(a))).filter((r): r is PartitionRun => r !== undefined));
    if (!this.running || assigned.length === 0) return;
    await this.callback(this.config.onPartitionsAssigned, assigned.map(topicPartition));
    for (const assignment of assigned) {
      if (!this.running) break;
      const run = new PartitionRun(assignment);
      this.owned.set(run.key, run);
      run.done = this.consume(run);
    }
  }

  /** Stops these partitions, waits for their handlers, commits what they processed, then tells the app. */
  private async revoke(runs: readonly PartitionRun[]): Promise<void> {
    if (runs.length === 0) return;
    for (const run of runs) {
      run.stop();
      if (this.owned.get(run.key) === run) this.owned.delete(run.key);
    }
    await Promise.all(runs.map((r) => r.done));
    if (this.config.autoCommit) await this.commitResolved(runs).catch(() => undefined);
    await this.callback(this.config.onPartitionsRevoked, runs.map(topicPartition));
  }

  private async callback(fn: ((partitions: TopicPartition[]) => void | Promise<void>) | undefined, partitions: TopicPartition[]) {
    if (fn && partitions.length > 0) await inUserCode.run(true, async () => fn(partitions));
  }

  /** Stops everything and leaves: used by stop() and after a crash. Safe to call twice. */
  private shutdown(): Promise<void> {
    if (!this.running) return this.shuttingDown ?? Promise.resolve();
    this.running = false;
    this.shuttingDown = (async () => {
      clearTimeout(this.heartbeatTimer);
      clearInterval(this.commitTimer);
      this.session.abort(new Error('consumer stopping'));
      for (const run of this.owned.values()) run.stop();
      await this.reconciling;
      await this.rejoining;
      await this.beating;
      await this.revoke([...this.owned.values()]).catch(() => undefined);
      const memberId = this.memberId;
      this.memberId = undefined;
      if (memberId !== undefined) await this.client.leaveGroup(this.settings.groupId, memberId).catch(() => undefined);
      this.instrumentation.emit('consumer.stop', null);
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
      const error = cause instanceof Error ? cause : new Error(String(cause));
      let restart = error instanceof HandlerRetriesExceededError || (error instanceof SluiceError && error.retriable);
      if (restart && this.restartOnFailure) restart = await this.restartOnFailure(error).catch(() => true);
      this.instrumentation.emit('consumer.crash', { error, groupId: this.settings.groupId, restart });
      await this.shutdown().catch(() => undefined);
      if (restart && !this.stopRequested) {
        this.restartTimer = setTimeout(() => {
          if (this.stopRequested || this.running || this.shuttingDown) return;
          this.start().catch((e) => this.crash(e));
        }, this.retry.minDelayMs);
      }
    } finally {
      this.crashing = false;
    }
  }

  // --- Partitions ---------------------------------------------------------------------

  /** One partition's loop: fetch, hand to the handler, advance; until the partition stops. */
  private async consume(run: PartitionRun): Promise<void> {
    let fetchFailures = 0;
    let handlerFailures = 0;
    while (!run.stopped) {
      const seek = this.seeks.get(run.key);
      if (seek !== undefined) {
        let offset: number;
        try {
          offset = await this.startOffset(run, seek);
        } catch {
          if (run.stopped) break;
          await sleep(backoffDelay(fetchFailures++, this.retry), run.stopController.signal).catch(() => undefined);
          continue;
        }
        // A newer seek came meanwhile: that one wins.
        if (this.seeks.get(run.key) !== seek) continue;
        this.seeks.delete(run.key);
        run.position = offset;
        this.sought(run, offset);
      }
      if (this.pauses.isPaused(run.topic, run.partition)) {
        await run.wake.wait();
        continue;
      }
      const controller = new AbortController();
      run.fetchController = controller;
      let answer: FetchResponse;
      try {
        run.position ??= await this.startOffset(run, run.committed ?? (this.subscriptions.get(run.topic) ? 'earliest' : 'latest'));
        answer = await this.client.fetchRecords(
          run.topic,
          run.partition,
          { offset: run.position, waitMs: this.settings.maxWaitTimeInMs, maxRecords: this.settings.maxRecords, maxBytes: this.settings.maxBytes, encoding: 'base64' },
          { signal: controller.signal },
        );
        fetchFailures = 0;
      } catch (error) {
        if (run.stopped) break;
        if (controller.signal.aborted) continue; // a seek or pause: look again
        if (hasCode(error, 'OFFSET_OUT_OF_RANGE')) {
          // Retention passed the position (or the log is shorter): the reset policy decides.
          run.position = undefined;
          run.committed = null;
          continue;
        }
        if (error instanceof SluiceError && error.retriable) {
          await sleep(backoffDelay(fetchFailures++, this.retry), run.stopController.signal).catch(() => undefined);
          continue;
        }
        void this.crash(error);
        return;
      } finally {
        run.fetchController = undefined;
      }
      // Revoked, moved or paused while the fetch was out: these records are not ours to hand over.
      if (run.stopped) break;
      if (this.seeks.has(run.key) || this.pauses.isPaused(run.topic, run.partition)) continue;
      if (answer.records.length === 0) {
        run.position = answer.nextOffset;
        continue;
      }
      try {
        const before = run.position;
        await this.limiter.run(() => this.process(run, answer));
        handlerFailures = 0;
        if (run.position === before && !run.stopped && !this.seeks.has(run.key) && !this.pauses.isPaused(run.topic, run.partition)) {
          // eachBatch resolved nothing: the same records come again (kafkajs), but not in a
          // tight loop; a seek, resume or stop cuts the wait short.
          const woken = new AbortController();
          void run.wake.wait().then(() => woken.abort());
          await sleep(Math.min(this.settings.maxWaitTimeInMs, 1000), AbortSignal.any([run.stopController.signal, woken.signal])).catch(() => undefined);
        }
      } catch (error) {
        if (run.stopped) break;
        // What was processed before the failure is committed; the rest is fetched again.
        if (run.resolved !== undefined && (run.position === undefined || run.resolved > run.position)) run.position = run.resolved;
        if (this.config.autoCommit) await this.commitResolved([run]).catch(() => undefined);
        if (handlerFailures >= this.retry.retries) {
          void this.crash(new HandlerRetriesExceededError(handlerFailures, error));
          return;
        }
        await sleep(backoffDelay(handlerFailures++, this.retry), run.stopController.signal).catch(() => undefined);
      }
    }
  }

  /** A seek to `offset` was applied: it counts as processed up to there (committed with autoCommit, as kafkajs). */
  private sought(run: PartitionRun, offset: number): void {
    run.resolved = offset;
    if (this.config.autoCommit) this.commitResolved([run]).catch(() => undefined);
  }

  /** The committed offset, or the earliest or latest offset now. */
  private async startOffset(run: PartitionRun, spec: number | 'earliest' | 'latest'): Promise<number> {
    if (typeof spec === 'number') return spec;
    const at: OffsetSpec = spec;
    return (await this.client.offsetFor(run.topic, run.partition, at, { signal: run.stopController.signal })).offset;
  }

  private async process(run: PartitionRun, answer: FetchResponse): Promise<void> {
    if (run.stopped) return;
    const { topic, partition } = run;
    const messages = answer.records.map(toKafkaMessage);
    const batch = makeBatch(topic, partition, answer.highWatermark, messages);
    const info: BatchProcessPayload = {
      topic,
      partition,
      highWatermark: batch.highWatermark,
      offsetLag: batch.offsetLag(),
      offsetLagLow: batch.offsetLagLow(),
      batchSize: messages.length,
      firstOffset: batch.firstOffset() ?? batch.lastOffset(),
      lastOffset: batch.lastOffset(),
    };
    const started = Date.now();
    this.instrumentation.emit('consumer.start_batch_process', info);
    const pause = () => {
      this.pause([{ topic, partitions: [partition] }]);
      return () => this.resume([{ topic, partitions: [partition] }]);
    };
    const stale = () => run.stopped || this.seeks.has(run.key);
    if (this.config.eachMessage) {
      const eachMessage = this.config.eachMessage;
      for (const message of messages) {
        if (stale()) break;
        await inUserCode.run(true, () => eachMessage({ topic, partition, message, heartbeat: () => this.beatIfDue(), pause }));
        const next = Number(message.offset) + 1;
        run.position = next;
        run.resolved = next;
        if (this.config.autoCommit && this.thresholdReached(run)) await this.commitResolved([run]).catch(() => undefined);
        if (this.pauses.isPaused(topic, partition)) break;
      }
    } else {
      const eachBatch = this.config.eachBatch!;
      const start = run.position;
      await inUserCode.run(true, () =>
        eachBatch({
          batch,
          resolveOffset: (offset) => {
            const next = Number(offset) + 1;
            if (Number.isSafeInteger(next) && !stale()) run.resolved = Math.max(run.resolved ?? next, next);
          },
          heartbeat: () => this.beatIfDue(),
          pause,
          commitOffsetsIfNecessary: (offsets) => this.commitIfNecessary(offsets),
          uncommittedOffsets: () => uncommitted(this.owned.values()),
          isRunning: () => this.running && !run.stopped,
          isStale: stale,
        }),
      );
      if (this.config.eachBatchAutoResolve && !stale()) run.resolved = Math.max(run.resolved ?? 0, Number(batch.lastOffset()) + 1);
      // Without a resolved offset past the batch start, the same records are fetched again (kafkajs).
      if (!stale() && run.resolved !== undefined && (start === undefined || run.resolved > start)) run.position = run.resolved;
      if (this.config.autoCommit) await this.commitResolved([run]).catch(() => undefined);
    }
    this.instrumentation.emit('consumer.end_batch_process', { ...info, duration: Date.now() - started });
  }

  private thresholdReached(run: PartitionRun): boolean {
    const threshold = this.config.autoCommitThreshold;
    return threshold !== undefined && run.resolved !== undefined && run.resolved - (run.committed ?? 0) >= threshold;
  }

  private async commitIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void> {
    if (offsets) {
      await this.commitOffsets(offsets.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset }))));
      return;
    }
    if (!this.config.autoCommit) return;
    const runs = [...this.owned.values()];
    if (Date.now() - this.lastCommit >= this.config.autoCommitIntervalMs || runs.some((r) => this.thresholdReached(r))) {
      await this.commitResolved(runs);
    }
  }

  // --- Commits ------------------------------------------------------------------------

  /** Commits the processed offsets of these partitions that are not committed yet. */
  private commitResolved(runs: readonly PartitionRun[]): Promise<void> {
    return this.commit(() =>
      runs.filter((r) => !r.fenced && r.resolved !== undefined && r.resolved !== r.committed).map((run) => ({ run, offset: run.resolved! })),
    );
  }

  /**
   * One commit request, after any commit still out (so commits land in order). A FENCED
   * answer stops the fenced partitions; UNKNOWN_MEMBER starts a rejoin. Errors reject.
   */
  private commit(entries: () => ReadonlyArray<{ run: PartitionRun; offset: number; metadata?: string }>): Promise<void> {
    const next = this.committing.then(async () => {
      const list = entries();
      const memberId = this.memberId;
      if (list.length === 0) return;
      if (memberId === undefined) throw new InvalidRequestError('the consumer is not in the group: nothing can be committed');
      const offsets = list.map(({ run, offset, metadata }) => ({
        topic: run.topic,
        partition: run.partition,
        offset,
        leaseEpoch: run.assignment.leaseEpoch,
        ...(metadata === undefined ? {} : { metadata }),
      }));
      let failed: Set<string> | undefined;
      try {
        await this.client.commitOffsets(this.settings.groupId, { memberId, offsets });
      } catch (error) {
        if (hasCode(error, 'FENCED')) {
          failed = fencedKeys(error as SluiceError, list.map((e) => e.run.key));
          for (const { run } of list) if (failed.has(run.key)) this.fence(run);
        } else if (hasCode(error, 'UNKNOWN_MEMBER')) {
          this.rejoin();
        }
        this.noteCommitted(list.filter((e) => failed !== undefined && !failed.has(e.run.key)), memberId);
        throw error;
      }
      this.noteCommitted(list, memberId);
    });
    this.committing = next.catch(() => undefined);
    return next;
  }

  private noteCommitted(list: ReadonlyArray<{ run: PartitionRun; offset: number }>, memberId: string): void {
    if (list.length === 0) return;
    for (const { run, offset } of list) run.committed = offset;
    this.lastCommit = Date.now();
    this.instrumentation.emit('consumer.commit_offsets', {
      groupId: this.settings.groupId,
      memberId,
      groupGenerationId: 0,
      topics: byTopic(list.map((e) => e.run)).map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((partition) => ({
          partition,
          offset: String(list.find((e) => e.run.topic === t.topic && e.run.partition === partition)!.offset),
        })),
      })),
    });
  }

  /** The lease is someone else's: stop at once and never run this epoch again. */
  private fence(run: PartitionRun): void {
    run.fenced = true;
    run.stop();
    this.fencedLeases.add(leaseKey(run.assignment));
    void this.scheduleReconcile();
  }
}

function topicPartition(tp: TopicPartition): TopicPartition {
  return { topic: tp.topic, partition: tp.partition };
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof SluiceError && error.code === code;
}

/** The partitions a FENCED answer names as not committed (all of them if it names none). */
function fencedKeys(error: SluiceError, all: readonly string[]): Set<string> {
  const results = error.details.results;
  if (!Array.isArray(results)) return new Set(all);
  return new Set(
    results
      .filter((r): r is { topic: string; partition: number; error: string } => typeof r === 'object' && r !== null && typeof r.error === 'string')
      .map((r) => partitionKey(r)),
  );
}

function uncommitted(runs: Iterable<PartitionRun>): OffsetsByTopicPartition {
  const list = [...runs].filter((r) => !r.fenced && r.resolved !== undefined && r.resolved !== r.committed);
  return {
    topics: byTopic(list).map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map((partition) => ({
        partition,
        offset: String(list.find((r) => r.topic === t.topic && r.partition === partition)!.resolved),
      })),
    })),
  };
}
