/**
 * The consumer's pure parts: what changed between two assignment sets, which partitions
 * are paused, and fetched records in kafkajs's message and batch shapes.
 */
import { Buffer } from 'node:buffer';
import type { FetchedRecord, GroupAssignment, TopicPartition } from './types.ts';

/** A message as eachMessage and eachBatch see it: kafkajs's, with bytes as Buffers and int64s as strings. */
export interface KafkaMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer>>;
  /** Create time in ms since the epoch. */
  readonly timestamp: string;
  readonly offset: string;
  /** Always 0 (no compression or transaction flags). */
  readonly attributes: number;
}

/** Partitions of one topic (kafkajs's TopicPartitions). */
export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: number[];
}

/** `topic#partition`: the key of a partition in maps. */
export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}#${tp.partition}`;
}

/** `topic#partition@epoch`: one lease of a partition. */
export function leaseKey(a: Pick<GroupAssignment, 'topic' | 'partition' | 'leaseEpoch'>): string {
  return `${partitionKey(a)}@${a.leaseEpoch}`;
}

export interface AssignmentDiff {
  /** Leases in `next` that `current` lacks: start consuming them. */
  readonly assigned: GroupAssignment[];
  /** Leases in `current` that `next` lacks: stop consuming them. */
  readonly revoked: Array<Pick<GroupAssignment, 'topic' | 'partition' | 'leaseEpoch'>>;
}

/**
 * What changed from the set a consumer runs to the set a heartbeat answered. A partition
 * held at a new epoch is both revoked and assigned: the lease was lost and taken again
 * in between, so someone else may have moved its committed offset, and the consumer must
 * restart it from what the answer says.
 */
export function diffAssignments(
  current: Iterable<Pick<GroupAssignment, 'topic' | 'partition' | 'leaseEpoch'>>,
  next: readonly GroupAssignment[],
): AssignmentDiff {
  const now = new Map<string, Pick<GroupAssignment, 'topic' | 'partition' | 'leaseEpoch'>>();
  for (const a of current) now.set(leaseKey(a), a);
  const wanted = new Map(next.map((a) => [leaseKey(a), a]));
  return {
    assigned: [...wanted].filter(([key]) => !now.has(key)).map(([, a]) => a),
    revoked: [...now].filter(([key]) => !wanted.has(key)).map(([, a]) => a),
  };
}

/** Groups partitions by topic, in first-seen order, each topic's partitions sorted. */
export function byTopic(partitions: Iterable<TopicPartition>): TopicPartitions[] {
  const topics = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    const list = topics.get(topic) ?? [];
    list.push(partition);
    topics.set(topic, list);
  }
  return [...topics].map(([topic, list]) => ({ topic, partitions: list.sort((a, b) => a - b) }));
}

/**
 * kafkajs's pause bookkeeping: a whole topic (with exceptions resumed since) or single
 * partitions of it.
 */
export class PauseState {
  /** Topics paused whole, each with the partitions resumed since. */
  private readonly whole = new Map<string, Set<number>>();
  private readonly single = new Map<string, Set<number>>();

  pause(items: ReadonlyArray<{ topic: string; partitions?: readonly number[] }>): void {
    for (const { topic, partitions } of items) {
      if (partitions === undefined) {
        this.whole.set(topic, new Set());
        this.single.delete(topic);
      } else if (this.whole.has(topic)) {
        for (const p of partitions) this.whole.get(topic)!.delete(p);
      } else {
        const set = this.single.get(topic) ?? new Set();
        for (const p of partitions) set.add(p);
        this.single.set(topic, set);
      }
    }
  }

  resume(items: ReadonlyArray<{ topic: string; partitions?: readonly number[] }>): void {
    for (const { topic, partitions } of items) {
      if (partitions === undefined) {
        this.whole.delete(topic);
        this.single.delete(topic);
      } else if (this.whole.has(topic)) {
        for (const p of partitions) this.whole.get(topic)!.add(p);
      } else {
        const set = this.single.get(topic);
        for (const p of partitions) set?.delete(p);
        if (set?.size === 0) this.single.delete(topic);
      }
    }
  }

  isPaused(topic: string, partition: number): boolean {
    const resumed = this.whole.get(topic);
    if (resumed) return !resumed.has(partition);
    return this.single.get(topic)?.has(partition) ?? false;
  }

  /** Paused partitions among `known` (a topic paused whole lists the partitions it covers now). */
  paused(known: Iterable<TopicPartition>): TopicPartitions[] {
    const list: TopicPartition[] = [];
    const seen = new Set<string>();
    const add = (tp: TopicPartition) => {
      if (!seen.has(partitionKey(tp))) list.push(tp);
      seen.add(partitionKey(tp));
    };
    for (const tp of known) if (this.isPaused(tp.topic, tp.partition)) add(tp);
    for (const [topic, set] of this.single) for (const partition of set) add({ topic, partition });
    return byTopic(list);
  }
}

/** A fetched record (fetched with base64 encoding) as a kafkajs message. */
export function toKafkaMessage(record: FetchedRecord): KafkaMessage {
  const bytes = (text: string | null) => (text === null ? null : Buffer.from(text, 'base64'));
  return {
    key: bytes(record.key),
    value: bytes(record.value),
    headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    timestamp: String(record.timestamp),
    offset: String(record.offset),
    attributes: 0,
  };
}

/** kafkajs's Batch: one fetch's messages of one partition, with lag helpers. */
export interface Batch {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly messages: KafkaMessage[];
  isEmpty(): boolean;
  firstOffset(): string | null;
  lastOffset(): string;
  /** Messages after this batch's last one: highWatermark - 1 - lastOffset. */
  offsetLag(): string;
  /** Messages after this batch's first one: highWatermark - 1 - firstOffset. */
  offsetLagLow(): string;
}

export function makeBatch(topic: string, partition: number, highWatermark: number, messages: KafkaMessage[]): Batch {
  const first = messages.length === 0 ? null : Number(messages[0]!.offset);
  const last = messages.length === 0 ? highWatermark - 1 : Number(messages[messages.length - 1]!.offset);
  return {
    topic,
    partition,
    highWatermark: String(highWatermark),
    messages,
    isEmpty: () => messages.length === 0,
    firstOffset: () => (first === null ? null : String(first)),
    lastOffset: () => String(last),
    offsetLag: () => String(Math.max(0, highWatermark - 1 - last)),
    offsetLagLow: () => String(Math.max(0, highWatermark - 1 - (first ?? last))),
  };
}
