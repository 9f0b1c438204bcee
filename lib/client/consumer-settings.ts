/**
 * The consumer's options, checked once: the consumer() options as settings, the run()
 * options as the run's configuration (run() may override the auto-commit options), and a
 * seek()'s offset as a target.
 */
import { ConfigError, InvalidRequestError } from '../core/errors.ts';
import { validateGroupId } from '../core/topic-config.ts';
import { consumerKeys, runKeys, type ConsumerOptions, type EachBatchPayload, type EachMessagePayload, type RunOptions } from './consumer-types.ts';
import { nonNegativeNumber, positiveInteger, refuseUnknownKeys, retryPolicy } from './instrumentation.ts';
import type { RetryPolicy } from './retry.ts';
import type { TopicPartition } from './types.ts';

/** The consumer() options, checked and with their defaults. */
export interface ConsumerSettings {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  /** undefined: the join answer's, or a third of the session timeout. */
  readonly heartbeatIntervalMs: number | undefined;
  readonly autoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly autoCommitThreshold: number | undefined;
  readonly maxWaitTimeInMs: number;
  readonly maxRecords: number;
  readonly maxBytes: number;
  readonly instanceId: string | undefined;
  readonly retry: RetryPolicy;
  readonly restartOnFailure: ((error: Error) => Promise<boolean>) | undefined;
}

/** Checks the consumer() options; a bad or unknown one is a ConfigError. */
export function consumerSettings(options: ConsumerOptions, defaultRetry?: RetryPolicy): ConsumerSettings {
  if (options === null || typeof options !== 'object') throw new ConfigError('consumer() takes { groupId, ... }');
  refuseUnknownKeys('consumer', options, consumerKeys);
  const groupId = validateGroupId(options.groupId, 'groupId');
  const sessionTimeoutMs = positiveInteger('sessionTimeoutMs', options.sessionTimeoutMs ?? options.sessionTimeout ?? 30_000);
  const heartbeat = options.heartbeatIntervalMs ?? options.heartbeatInterval;
  if (heartbeat !== undefined && positiveInteger('heartbeatIntervalMs', heartbeat) >= sessionTimeoutMs) {
    throw new ConfigError(`heartbeatIntervalMs (${heartbeat}) must be below sessionTimeoutMs (${sessionTimeoutMs}); a third of it is usual`);
  }
  return {
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
    retry: retryPolicy(options.retry, defaultRetry),
    restartOnFailure: options.retry?.restartOnFailure,
  };
}

/** What run() was given, checked, with the consumer's auto-commit settings filled in. */
export interface RunConfig {
  readonly eachMessage: ((payload: EachMessagePayload) => Promise<void>) | undefined;
  readonly eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  readonly eachBatchAutoResolve: boolean;
  readonly autoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly autoCommitThreshold: number | undefined;
  readonly partitionsConsumedConcurrently: number;
  readonly onPartitionsAssigned: ((partitions: TopicPartition[]) => void | Promise<void>) | undefined;
  readonly onPartitionsRevoked: ((partitions: TopicPartition[]) => void | Promise<void>) | undefined;
}

/** What the parts read before the first run() (kafkajs's defaults; nothing is consumed yet). */
export const idleRunConfig: RunConfig = {
  eachMessage: undefined,
  eachBatch: undefined,
  eachBatchAutoResolve: true,
  autoCommit: true,
  autoCommitIntervalMs: 5000,
  autoCommitThreshold: undefined,
  partitionsConsumedConcurrently: 1,
  onPartitionsAssigned: undefined,
  onPartitionsRevoked: undefined,
};

/** The first checks of run(): no unknown option, and exactly one handler. */
export function checkRunOptions(options: RunOptions): void {
  refuseUnknownKeys('run', options, runKeys);
  if ((options.eachMessage === undefined) === (options.eachBatch === undefined)) {
    throw new ConfigError('run() takes one handler: eachMessage or eachBatch');
  }
}

/** The run() options (checked by checkRunOptions) over the consumer's settings. */
export function runConfig(options: RunOptions, settings: ConsumerSettings): RunConfig {
  const interval = options.autoCommitInterval ?? settings.autoCommitIntervalMs;
  const threshold = options.autoCommitThreshold ?? settings.autoCommitThreshold;
  return {
    eachMessage: options.eachMessage,
    eachBatch: options.eachBatch,
    eachBatchAutoResolve: options.eachBatchAutoResolve ?? true,
    autoCommit: options.autoCommit ?? settings.autoCommit,
    autoCommitIntervalMs: positiveInteger('autoCommitInterval', interval),
    autoCommitThreshold: threshold === undefined ? undefined : positiveInteger('autoCommitThreshold', threshold),
    partitionsConsumedConcurrently: positiveInteger('partitionsConsumedConcurrently', options.partitionsConsumedConcurrently ?? 1),
    onPartitionsAssigned: options.onPartitionsAssigned,
    onPartitionsRevoked: options.onPartitionsRevoked,
  };
}

/** Where a seek() moves a partition: an offset, or its earliest or latest offset when applied. */
export type SeekTarget = number | 'earliest' | 'latest';

/** A seek()'s offset: digits, or '-2'/'earliest' and '-1'/'latest' as kafkajs takes them. */
export function seekTarget(offset: string | number): SeekTarget {
  const text = String(offset);
  if (text === '-2' || text === 'earliest') return 'earliest';
  if (text === '-1' || text === 'latest') return 'latest';
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  throw new InvalidRequestError(`offset ${text} is not a valid offset`);
}
