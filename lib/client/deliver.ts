/**
 * Hands one fetch's records of a partition to the app: to eachMessage one by one, or to
 * eachBatch at once with kafkajs's helpers, and moves the partition's positions on as
 * they are processed. A record counts as processed only once its handler returned (or
 * eachBatch resolved it), which is what at-least-once commits rest on.
 */
import type { Committer } from './committer.ts';
import { userCode, type ConsumerContext } from './consumer-context.ts';
import type { BatchProcessPayload, EachBatchPayload, EachMessagePayload } from './consumer-types.ts';
import { uncommitted, type PartitionRun } from './partition-run.ts';
import { makeBatch, toKafkaMessage, type Batch, type KafkaMessage } from './partitions.ts';
import type { FetchResponse } from './types.ts';

type Topics = ReadonlyArray<{ topic: string; partitions?: number[] }>;

export class Delivery {
  constructor(
    private readonly ctx: ConsumerContext,
    private readonly committer: Committer,
    private readonly controls: {
      /** The handlers' heartbeat(): one now if one is due. */
      heartbeat(): Promise<void>;
      pause(topics: Topics): void;
      resume(topics: Topics): void;
    },
  ) {}

  /** Hands these records to the run's handler; rejects with the handler's error. */
  async deliver(run: PartitionRun, answer: FetchResponse): Promise<void> {
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
    this.ctx.instrumentation.emit('consumer.start_batch_process', info);
    const { eachMessage, eachBatch } = this.ctx.config;
    if (eachMessage) await this.eachMessage(run, messages, eachMessage);
    else await this.eachBatch(run, batch, eachBatch!);
    this.ctx.instrumentation.emit('consumer.end_batch_process', { ...info, duration: Date.now() - started });
  }

  private async eachMessage(run: PartitionRun, messages: readonly KafkaMessage[], handler: (payload: EachMessagePayload) => Promise<void>): Promise<void> {
    const { topic, partition } = run;
    for (const message of messages) {
      if (this.stale(run)) break;
      await userCode(() => handler({ topic, partition, message, heartbeat: () => this.controls.heartbeat(), pause: () => this.pause(run) }));
      const next = Number(message.offset) + 1;
      run.position = next;
      run.resolved = next;
      if (this.committer.thresholdReached(run)) await this.committer.autoCommit([run]);
      if (this.ctx.pauses.isPaused(topic, partition)) break;
    }
  }

  private async eachBatch(run: PartitionRun, batch: Batch, handler: (payload: EachBatchPayload) => Promise<void>): Promise<void> {
    const start = run.position;
    await userCode(() =>
      handler({
        batch,
        resolveOffset: (offset) => {
          const next = Number(offset) + 1;
          // Still counted while the partition is being revoked (the revoke waits for this
          // handler, then commits what it resolved); not once a seek moved it.
          if (Number.isSafeInteger(next) && !this.ctx.seeks.has(run.key) && !run.fenced) run.resolved = Math.max(run.resolved ?? next, next);
        },
        heartbeat: () => this.controls.heartbeat(),
        pause: () => this.pause(run),
        commitOffsetsIfNecessary: (offsets) => this.committer.commitIfNecessary(offsets),
        uncommittedOffsets: () => uncommitted(this.ctx.owned.values()),
        isRunning: () => this.ctx.running && !run.stopped,
        isStale: () => this.stale(run),
      }),
    );
    if (this.ctx.config.eachBatchAutoResolve && !this.stale(run)) run.resolved = Math.max(run.resolved ?? 0, Number(batch.lastOffset()) + 1);
    // Without a resolved offset past the batch start, the same records are fetched again (kafkajs).
    if (!this.stale(run) && run.resolved !== undefined && (start === undefined || run.resolved > start)) run.position = run.resolved;
    await this.committer.autoCommit([run]);
  }

  /** Revoked, or moved by a seek: the rest of this batch is not to be handled. */
  private stale(run: PartitionRun): boolean {
    return run.stopped || this.ctx.seeks.has(run.key);
  }

  /** The handlers' pause(): this partition, after the current message; returns its resume. */
  private pause(run: PartitionRun): () => void {
    const topics = [{ topic: run.topic, partitions: [run.partition] }];
    this.controls.pause(topics);
    return () => this.controls.resume(topics);
  }
}
