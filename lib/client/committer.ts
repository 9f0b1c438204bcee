/**
 * Commits, one request at a time and in order, under the lease epoch of each partition.
 * Every request ends in an event: COMMIT_OFFSETS for what was committed,
 * COMMIT_OFFSETS_FAILED for what was not. The commits nobody waits on (the auto-commit
 * timer, before a heartbeat, on revoke, after a handler failure or a seek, eachMessage's
 * threshold, after eachBatch, on stop) go through `autoCommit()`, which never rejects: its
 * failures are that event, and the offsets stay uncommitted for the next commit to carry.
 *
 *   commit ──► ok             ──► COMMIT_OFFSETS
 *   commit ──► FENCED         ──► those partitions stop; FAILED for them, COMMIT_OFFSETS for the rest
 *   commit ──► UNKNOWN_MEMBER ──► rejoin; FAILED
 *   commit ──► other error    ──► FAILED; from autoCommit(), a server's non-retriable answer also crashes
 */
import { InvalidRequestError, SluiceError } from '../core/errors.ts';
import { RemoteError } from './errors.ts';
import { hasCode, type ConsumerContext } from './consumer-context.ts';
import type { OffsetsByTopicPartition, TopicPartitionOffset } from './consumer-types.ts';
import { offsetsByTopic, type PartitionRun } from './partition-run.ts';
import { partitionKey } from './partitions.ts';

interface CommitEntry {
  readonly run: PartitionRun;
  readonly offset: number;
  readonly metadata?: string;
}

export class Committer {
  /** The commit still out: the next one waits for it, so commits land in order. */
  private committing: Promise<unknown> = Promise.resolve();
  private lastCommit = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly ctx: ConsumerContext,
    private readonly member: {
      /** The member id to commit as; undefined between sessions. */
      readonly memberId: string | undefined;
      /** The lease is someone else's: stop the partition and never run it at that epoch again. */
      fence(run: PartitionRun): void;
      /** The group no longer knows this member. */
      rejoin(): void;
    },
  ) {}

  /** Commits every held partition's processed offsets each autoCommitIntervalMs (with autoCommit). */
  startTimer(): void {
    this.timer = setInterval(() => void this.autoCommit(this.ctx.owned.values()), this.ctx.config.autoCommitIntervalMs);
  }

  stopTimer(): void {
    clearInterval(this.timer);
  }

  /**
   * With autoCommit, commits these partitions' processed offsets. Never rejects: a failure
   * is a COMMIT_OFFSETS_FAILED event. kafkajs commits inside its fetch loop, where a
   * non-retriable error bails out to a crash; here too a server's non-retriable answer
   * (a deleted topic, a refused request) crashes the consumer, since no later commit
   * could succeed. FENCED and UNKNOWN_MEMBER are handled (the partitions stop, the member
   * rejoins) and a retriable failure is retried by the next commit, so neither crashes.
   */
  async autoCommit(runs: Iterable<PartitionRun>): Promise<void> {
    if (!this.ctx.config.autoCommit) return;
    try {
      await this.commitResolved([...runs]);
    } catch (error) {
      if (this.ctx.running && error instanceof RemoteError && !error.retriable && !hasCode(error, 'FENCED') && !hasCode(error, 'UNKNOWN_MEMBER')) {
        this.ctx.crash(error);
      }
    }
  }

  /** Commits the processed offsets of these partitions that are not committed yet. */
  private commitResolved(runs: readonly PartitionRun[]): Promise<void> {
    return this.commit(() => runs.flatMap((run) => (run.uncommitted === undefined ? [] : [{ run, offset: run.uncommitted }])));
  }

  /**
   * Commits offsets (each the next offset to read) of partitions this member holds. Rejects
   * with FENCED if a lease was lost (those partitions stop), or if a partition is not held.
   */
  async commitOffsets(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    const entries = offsets.map((o) => {
      const run = this.ctx.owned.get(partitionKey(o));
      if (!run || run.fenced) {
        throw new InvalidRequestError(`partition ${o.topic}/${o.partition} is not assigned to this consumer`);
      }
      const offset = Number(o.offset);
      if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidRequestError(`offset ${String(o.offset)} is not a valid offset`);
      return { run, offset, ...(o.metadata == null ? {} : { metadata: o.metadata }) };
    });
    if (entries.length > 0) await this.commit(() => entries);
  }

  /** eachBatch's commitOffsetsIfNecessary: these offsets, or the processed ones once the interval or threshold is reached. */
  async commitIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void> {
    if (offsets) {
      await this.commitOffsets(offsets.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: p.offset }))));
      return;
    }
    if (!this.ctx.config.autoCommit) return;
    const runs = [...this.ctx.owned.values()];
    if (Date.now() - this.lastCommit >= this.ctx.config.autoCommitIntervalMs || runs.some((r) => this.thresholdReached(r))) {
      await this.commitResolved(runs);
    }
  }

  /** autoCommitThreshold messages processed and not committed. */
  thresholdReached(run: PartitionRun): boolean {
    const threshold = this.ctx.config.autoCommitThreshold;
    return threshold !== undefined && run.resolved !== undefined && run.resolved - (run.committed ?? 0) >= threshold;
  }

  /**
   * One commit request, after any commit still out. A FENCED answer stops the fenced
   * partitions; UNKNOWN_MEMBER starts a rejoin. Errors reject, after their event.
   */
  private commit(entries: () => readonly CommitEntry[]): Promise<void> {
    const next = this.committing.then(async () => {
      const list = entries();
      if (list.length === 0) return;
      const memberId = this.member.memberId;
      if (memberId === undefined) {
        const error = new InvalidRequestError('the consumer is not in the group: nothing can be committed');
        this.failed(list, '', error);
        throw error;
      }
      const offsets = list.map(({ run, offset, metadata }) => ({
        topic: run.topic,
        partition: run.partition,
        offset,
        leaseEpoch: run.assignment.leaseEpoch,
        ...(metadata === undefined ? {} : { metadata }),
      }));
      try {
        await this.ctx.client.commitOffsets(this.ctx.settings.groupId, { memberId, offsets });
      } catch (error) {
        let refused = list;
        if (hasCode(error, 'FENCED')) {
          const fenced = fencedKeys(error as SluiceError, list.map((e) => e.run.key));
          refused = list.filter((e) => fenced.has(e.run.key));
          for (const { run } of refused) this.member.fence(run);
          this.committed(list.filter((e) => !fenced.has(e.run.key)), memberId);
        } else if (hasCode(error, 'UNKNOWN_MEMBER')) {
          this.member.rejoin();
        }
        this.failed(refused, memberId, error);
        throw error;
      }
      this.committed(list, memberId);
    });
    this.committing = next.catch(() => undefined);
    return next;
  }

  private committed(list: readonly CommitEntry[], memberId: string): void {
    if (list.length === 0) return;
    for (const { run, offset } of list) run.committed = offset;
    this.lastCommit = Date.now();
    this.ctx.instrumentation.emit('consumer.commit_offsets', {
      groupId: this.ctx.settings.groupId,
      memberId,
      groupGenerationId: 0,
      topics: offsetsByTopic(list),
    });
  }

  private failed(list: readonly CommitEntry[], memberId: string, cause: unknown): void {
    const error = cause instanceof Error ? cause : new Error(String(cause));
    this.ctx.instrumentation.emit('consumer.commit_offsets_failed', {
      groupId: this.ctx.settings.groupId,
      memberId,
      topics: offsetsByTopic(list),
      error,
      retriable: error instanceof SluiceError && error.retriable,
    });
  }
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
