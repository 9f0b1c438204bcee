/**
 * One partition a consumer holds, under one lease: where its loop reads, what it has
 * processed and committed, and the switches that stop or wake it.
 */
import type { OffsetsByTopicPartition } from './consumer-types.ts';
import { Signal } from './instrumentation.ts';
import { byTopic, partitionKey } from './partitions.ts';
import type { GroupAssignment, TopicPartition } from './types.ts';

/** One partition this member holds, and its loop's positions. */
export class PartitionRun {
  readonly key: string;
  /** Next offset to fetch; undefined until known. */
  position: number | undefined;
  /** Next offset to commit (last processed + 1); undefined: nothing processed. */
  resolved: number | undefined;
  committed: number | null;
  stopped = false;
  /** A commit found the lease someone else's: nothing more is committed under it. */
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

  /** The processed offset a commit should carry; undefined if there is none or it is committed. */
  get uncommitted(): number | undefined {
    return this.fenced || this.resolved === undefined || this.resolved === this.committed ? undefined : this.resolved;
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

/** Offsets by topic in the shape of kafkajs's commit payloads (offsets as strings). */
export function offsetsByTopic(list: ReadonlyArray<{ run: TopicPartition; offset: number }>): OffsetsByTopicPartition['topics'] {
  return byTopic(list.map((e) => e.run)).map((t) => ({
    topic: t.topic,
    partitions: t.partitions.map((partition) => ({
      partition,
      offset: String(list.find((e) => e.run.topic === t.topic && e.run.partition === partition)!.offset),
    })),
  }));
}

/** The processed offsets of these partitions that are not committed yet (eachBatch's uncommittedOffsets). */
export function uncommitted(runs: Iterable<PartitionRun>): OffsetsByTopicPartition {
  const list = [...runs].flatMap((run) => (run.uncommitted === undefined ? [] : [{ run, offset: run.uncommitted }]));
  return { topics: offsetsByTopic(list) };
}

/** Just the topic and partition (an assignment carries more). */
export function topicPartition(tp: TopicPartition): TopicPartition {
  return { topic: tp.topic, partition: tp.partition };
}
