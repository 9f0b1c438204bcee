/**
 * The member's side of the lease-based group (DESIGN.md, "Coordination model"): join,
 * heartbeat on a timer, bring the running partitions to the set each answer names,
 * rejoin when the group forgot the member, and leave.
 *
 *   join      ──► {A0,A1} ──► loops A0, A1 start (after onPartitionsAssigned)
 *   heartbeat ──► {A0}    ──► A1 stops, commits, onPartitionsRevoked
 *   heartbeat ──► 404     ──► all stop, commit (best effort), join again
 *   no answer for a whole session ──► all stop until an answer names partitions again
 */
import { SluiceError } from '../core/errors.ts';
import type { Committer } from './committer.ts';
import { hasCode, userCode, type ConsumerContext } from './consumer-context.ts';
import { PartitionRun, topicPartition } from './partition-run.ts';
import { byTopic, diffAssignments, leaseKey, partitionKey } from './partitions.ts';
import { backoffDelay, sleep } from './retry.ts';
import type { GroupAssignment, TopicPartition } from './types.ts';

export class Membership {
  /** Undefined between sessions. */
  memberId: string | undefined;
  private heartbeatIntervalMs = 10_000;
  private lastHeartbeat = 0;
  /** Aborts the session's requests (join and heartbeat) on shutdown. */
  private session = new AbortController();
  private heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  /** The set the last heartbeat (or join) answered. */
  private target: readonly GroupAssignment[] = [];
  /** Leases a commit found fenced: never run again at that epoch. */
  private readonly fencedLeases = new Set<string>();
  private reconciling: Promise<void> = Promise.resolve();
  private beating: Promise<void> | undefined;
  private rejoining: Promise<void> | undefined;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly committer: () => Committer,
    /** Starts a partition's loop; resolves when it has ended. */
    private readonly consume: (run: PartitionRun) => Promise<void>,
  ) {}

  /** Joins, starts the partitions of the answer, and heartbeats from then on. Rejects if the join fails for good. */
  async start(): Promise<void> {
    this.session = new AbortController();
    await this.join();
    this.scheduleHeartbeat();
  }

  /** Stops every partition (committing what was processed) and leaves the group. */
  async leave(): Promise<void> {
    clearTimeout(this.heartbeatTimer);
    this.session.abort(new Error('consumer stopping'));
    for (const run of this.ctx.owned.values()) run.stop();
    await this.reconciling;
    await this.rejoining;
    await this.beating;
    // A failed commit is an event already; this catches an onPartitionsRevoked that threw.
    await this.revoke([...this.ctx.owned.values()]).catch(() => undefined);
    const memberId = this.memberId;
    this.memberId = undefined;
    if (memberId !== undefined) await this.ctx.client.leaveGroup(this.ctx.settings.groupId, memberId).catch(() => undefined);
  }

  /** Sends a heartbeat now if one is due (the handlers' heartbeat()). */
  beatIfDue(): Promise<void> {
    return Date.now() - this.lastHeartbeat >= this.heartbeatIntervalMs ? this.beat() : Promise.resolve();
  }

  /** The lease is someone else's: stop at once and never run this epoch again. */
  fence(run: PartitionRun): void {
    run.fenced = true;
    run.stop();
    this.fencedLeases.add(leaseKey(run.assignment));
    void this.scheduleReconcile();
  }

  /** The member is gone (expired or removed): give up every partition, then join afresh. */
  rejoin(): void {
    if (this.rejoining || !this.ctx.running) return;
    this.rejoining = (async () => {
      this.target = [];
      await this.scheduleReconcile();
      this.memberId = undefined;
      if (this.ctx.running) await this.join();
    })()
      // Not awaiting the crash: it waits for this rejoin to settle.
      .catch((error) => this.ctx.crash(error))
      .finally(() => {
        this.rejoining = undefined;
      });
  }

  /** Joins (retrying what can succeed later) and starts the partitions of the answer. */
  private async join(): Promise<void> {
    const { groupId, sessionTimeoutMs, instanceId, retry } = this.ctx.settings;
    for (let attempt = 0; ; attempt++) {
      const started = Date.now();
      try {
        const answer = await this.ctx.client.joinGroup(
          groupId,
          { topics: [...this.ctx.subscriptions.keys()], sessionTimeoutMs, ...(instanceId === undefined ? {} : { instanceId }) },
          { signal: this.session.signal },
        );
        this.memberId = answer.memberId;
        this.heartbeatIntervalMs = this.ctx.settings.heartbeatIntervalMs ?? answer.heartbeatIntervalMs ?? Math.floor(sessionTimeoutMs / 3);
        this.lastHeartbeat = Date.now();
        this.ctx.instrumentation.emit('consumer.group_join', {
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
        if (!this.ctx.running) throw error;
        if (!(error instanceof SluiceError) || !error.retriable || attempt >= retry.retries) throw error;
        await sleep(backoffDelay(attempt, retry), this.session.signal);
      }
    }
  }

  private scheduleHeartbeat(): void {
    if (!this.ctx.running) return;
    this.heartbeatTimer = setTimeout(() => {
      void this.beat().finally(() => this.scheduleHeartbeat());
    }, this.heartbeatIntervalMs);
  }

  /** One heartbeat, after committing what was processed (the answer may move partitions away). */
  private beat(): Promise<void> {
    if (!this.ctx.running || this.memberId === undefined || this.rejoining) return Promise.resolve();
    this.beating ??= (async () => {
      const memberId = this.memberId!;
      await this.committer().autoCommit(this.ctx.owned.values());
      try {
        const answer = await this.ctx.client.heartbeat(this.ctx.settings.groupId, memberId, { signal: this.session.signal });
        if (!this.ctx.running || this.memberId !== memberId || this.rejoining) return;
        this.lastHeartbeat = Date.now();
        this.ctx.instrumentation.emit('consumer.heartbeat', { groupId: this.ctx.settings.groupId, memberId, groupGenerationId: 0 });
        this.target = answer.assignments;
        void this.scheduleReconcile();
      } catch (error) {
        if (!this.ctx.running) return;
        if (hasCode(error, 'UNKNOWN_MEMBER')) {
          this.rejoin();
        } else if (Date.now() - this.lastHeartbeat > this.ctx.settings.sessionTimeoutMs) {
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

  private scheduleReconcile(): Promise<void> {
    // Not awaiting the crash: it waits for this chain to settle.
    const next = this.reconciling.then(() => this.reconcile()).catch((error) => this.ctx.crash(error));
    this.reconciling = next;
    return next;
  }

  /** Brings the running partitions to the target set: revoked ones first, as Kafka's listener order. */
  private async reconcile(): Promise<void> {
    const { owned } = this.ctx;
    const target = this.target.filter((a) => !this.fencedLeases.has(leaseKey(a)));
    for (const key of this.fencedLeases) if (!this.target.some((a) => leaseKey(a) === key)) this.fencedLeases.delete(key);
    const { assigned, revoked } = diffAssignments(
      [...owned.values()].map((r) => r.assignment),
      this.ctx.running ? target : [],
    );
    if (assigned.length === 0 && revoked.length === 0) return;
    this.ctx.instrumentation.emit('consumer.rebalancing', {
      groupId: this.ctx.settings.groupId,
      memberId: this.memberId ?? '',
      assigned: assigned.map(topicPartition),
      revoked: revoked.map(topicPartition),
    });
    await this.revoke(revoked.map((a) => owned.get(partitionKey(a))).filter((r): r is PartitionRun => r !== undefined));
    if (!this.ctx.running || assigned.length === 0) return;
    await this.callback(this.ctx.config.onPartitionsAssigned, assigned.map(topicPartition));
    for (const assignment of assigned) {
      if (!this.ctx.running) break;
      const run = new PartitionRun(assignment);
      owned.set(run.key, run);
      run.done = this.consume(run);
    }
  }

  /** Stops these partitions, waits for their handlers, commits what they processed, then tells the app. */
  private async revoke(runs: readonly PartitionRun[]): Promise<void> {
    if (runs.length === 0) return;
    for (const run of runs) {
      run.stop();
      if (this.ctx.owned.get(run.key) === run) this.ctx.owned.delete(run.key);
    }
    await Promise.all(runs.map((r) => r.done));
    await this.committer().autoCommit(runs);
    await this.callback(this.ctx.config.onPartitionsRevoked, runs.map(topicPartition));
  }

  private async callback(fn: ((partitions: TopicPartition[]) => void | Promise<void>) | undefined, partitions: TopicPartition[]): Promise<void> {
    if (fn && partitions.length > 0) await userCode(() => fn(partitions));
  }
}
