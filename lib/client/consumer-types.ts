/**
 * The consumer's options, handler payloads and events: kafkajs's shapes (ConsumerConfig,
 * ConsumerRunConfig, EachMessagePayload, EachBatchPayload, consumer events), with
 * Sluice's lease-based group in place of Kafka's rebalance protocol.
 */
import type { RetryOptions } from './instrumentation.ts';
import type { Batch, KafkaMessage } from './partitions.ts';
import type { TopicPartition } from './types.ts';

export interface ConsumerRetryOptions extends RetryOptions {
  /**
   * Asked after a crash with a retriable cause (a handler that kept failing, an unreachable
   * API): true restarts the consumer after `initialRetryTime`. @default always true, as kafkajs
   */
  readonly restartOnFailure?: (error: Error) => Promise<boolean>;
}

export interface ConsumerOptions {
  readonly groupId: string;
  /** Missing heartbeats this long drops the member and frees its partitions (1000..300000). @default 30000 */
  readonly sessionTimeoutMs?: number;
  /** @default the join answer's, or a third of the session timeout */
  readonly heartbeatIntervalMs?: number;
  /** Commit processed offsets automatically. @default true */
  readonly autoCommit?: boolean;
  /** With eachMessage, commit at least this often. @default 5000 */
  readonly autoCommitIntervalMs?: number;
  /** With eachMessage, also commit once a partition has this many processed, uncommitted messages. */
  readonly autoCommitThreshold?: number;
  /** Long-poll time of a fetch at the end of a partition (the server caps it). @default 5000 */
  readonly maxWaitTimeInMs?: number;
  /** Most records per fetch, so per eachBatch. @default 500 */
  readonly maxRecords?: number;
  /** Most bytes per fetch. @default 1048576 */
  readonly maxBytesPerPartition?: number;
  /** Static membership: a restarted consumer with the same id gets its partitions back. */
  readonly instanceId?: string;
  /** Handler retries and restarts. @default { retries: 5, initialRetryTime: 300, maxRetryTime: 30000 } or the Sluice-wide retry */
  readonly retry?: ConsumerRetryOptions;
  /** kafkajs's name of sessionTimeoutMs. */
  readonly sessionTimeout?: number;
  /** kafkajs's name of heartbeatIntervalMs. */
  readonly heartbeatInterval?: number;
}

export interface ConsumerSubscribeTopics {
  readonly topics: ReadonlyArray<string | RegExp>;
  /** Where a partition without a committed offset starts: earliest (true) or latest. @default false */
  readonly fromBeginning?: boolean;
}

export interface ConsumerSubscribeTopic {
  readonly topic: string | RegExp;
  readonly fromBeginning?: boolean;
}

export interface EachMessagePayload {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
  /** Heartbeats run on a timer; this sends one now if one is due. */
  heartbeat(): Promise<void>;
  /** Pauses this partition after this message; returns its resume. */
  pause(): () => void;
}

export interface OffsetsByTopicPartition {
  readonly topics: ReadonlyArray<{ readonly topic: string; readonly partitions: ReadonlyArray<{ partition: number; offset: string }> }>;
}

export interface EachBatchPayload {
  readonly batch: Batch;
  /** Marks `offset` processed: the next commit for this partition is offset + 1. */
  resolveOffset(offset: string | number): void;
  heartbeat(): Promise<void>;
  pause(): () => void;
  /** Commits `offsets`, or the resolved offsets if the auto-commit interval or threshold is reached. */
  commitOffsetsIfNecessary(offsets?: OffsetsByTopicPartition): Promise<void>;
  uncommittedOffsets(): OffsetsByTopicPartition;
  isRunning(): boolean;
  /** True once the partition was revoked, or seek() moved it: stop processing this batch. */
  isStale(): boolean;
}

export interface RunOptions {
  readonly eachMessage?: (payload: EachMessagePayload) => Promise<void>;
  readonly eachBatch?: (payload: EachBatchPayload) => Promise<void>;
  /** Overrides the consumer's autoCommit. */
  readonly autoCommit?: boolean;
  /** Overrides the consumer's autoCommitIntervalMs (kafkajs's name). */
  readonly autoCommitInterval?: number | null;
  readonly autoCommitThreshold?: number | null;
  /** Resolve a batch's last offset when eachBatch returns. @default true */
  readonly eachBatchAutoResolve?: boolean;
  /** Partitions whose handlers may run at the same time (one at a time within a partition). @default 1 */
  readonly partitionsConsumedConcurrently?: number;
  /** Called before newly assigned partitions are fetched: a place to seek(). */
  readonly onPartitionsAssigned?: (partitions: TopicPartition[]) => void | Promise<void>;
  /** Called after revoked partitions stopped and their processed offsets were committed. */
  readonly onPartitionsRevoked?: (partitions: TopicPartition[]) => void | Promise<void>;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read (a processed message's offset + 1), as kafkajs: a string or a number. */
  readonly offset: string | number;
  readonly metadata?: string | null;
}

export interface BatchProcessPayload {
  readonly topic: string;
  readonly partition: number;
  readonly highWatermark: string;
  readonly offsetLag: string;
  readonly offsetLagLow: string;
  readonly batchSize: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
}

export interface ConsumerEvents {
  'consumer.connect': null;
  'consumer.disconnect': null;
  'consumer.stop': null;
  'consumer.group_join': {
    readonly groupId: string;
    readonly memberId: string;
    readonly duration: number;
    /** Topic to partitions, as kafkajs's IMemberAssignment. */
    readonly memberAssignment: Record<string, number[]>;
    readonly isLeader: false;
    readonly leaderId: '';
    readonly groupProtocol: 'lease';
  };
  'consumer.heartbeat': { readonly groupId: string; readonly memberId: string; readonly groupGenerationId: 0 };
  'consumer.commit_offsets': {
    readonly groupId: string;
    readonly memberId: string;
    readonly groupGenerationId: 0;
    readonly topics: OffsetsByTopicPartition['topics'];
  };
  /**
   * A commit request failed (Sluice's own event; kafkajs has none). The commits the
   * consumer makes by itself report failures only here; commitOffsets() also rejects.
   */
  'consumer.commit_offsets_failed': {
    readonly groupId: string;
    /** '' if the member was between sessions (nothing was sent). */
    readonly memberId: string;
    /** The offsets not committed, in COMMIT_OFFSETS's shape (after FENCED, the fenced partitions only). */
    readonly topics: OffsetsByTopicPartition['topics'];
    readonly error: Error;
    /** The same commit may succeed later: the offsets stay uncommitted and the next commit carries them. */
    readonly retriable: boolean;
  };
  /** The set of partitions changed: what started and what stopped. */
  'consumer.rebalancing': {
    readonly groupId: string;
    readonly memberId: string;
    readonly assigned: TopicPartition[];
    readonly revoked: TopicPartition[];
  };
  'consumer.crash': { readonly error: Error; readonly groupId: string; readonly restart: boolean };
  'consumer.start_batch_process': BatchProcessPayload;
  'consumer.end_batch_process': BatchProcessPayload & { readonly duration: number };
}

export const consumerEvents = {
  CONNECT: 'consumer.connect',
  DISCONNECT: 'consumer.disconnect',
  STOP: 'consumer.stop',
  GROUP_JOIN: 'consumer.group_join',
  HEARTBEAT: 'consumer.heartbeat',
  COMMIT_OFFSETS: 'consumer.commit_offsets',
  COMMIT_OFFSETS_FAILED: 'consumer.commit_offsets_failed',
  REBALANCING: 'consumer.rebalancing',
  CRASH: 'consumer.crash',
  START_BATCH_PROCESS: 'consumer.start_batch_process',
  END_BATCH_PROCESS: 'consumer.end_batch_process',
} as const;

export const consumerKeys = [
  'groupId',
  'sessionTimeoutMs',
  'heartbeatIntervalMs',
  'autoCommit',
  'autoCommitIntervalMs',
  'autoCommitThreshold',
  'maxWaitTimeInMs',
  'maxRecords',
  'maxBytesPerPartition',
  'instanceId',
  'retry',
  'sessionTimeout',
  'heartbeatInterval',
];

export const runKeys = [
  'eachMessage',
  'eachBatch',
  'autoCommit',
  'autoCommitInterval',
  'autoCommitThreshold',
  'eachBatchAutoResolve',
  'partitionsConsumedConcurrently',
  'onPartitionsAssigned',
  'onPartitionsRevoked',
];

