/**
 * A trigger's configuration: what the dispatcher (lib/trigger) is told, checked against
 * Lambda's event source mapping bounds and defaults; and, on AWS, the one environment
 * variable the SluiceTrigger construct writes and the dispatcher function reads back.
 */
import { ConfigError } from './errors.ts';
import type { BackoffDelays } from './backoff.ts';
import { checkFilterPatterns, type FilterPattern } from './event-filter.ts';

export type StartingPosition = 'earliest' | 'latest' | { readonly timestamp: number };

export interface TriggerOptions {
  readonly topic: string;
  readonly group: string;
  /** Most records per invocation (Lambda's BatchSize, 1..10000). @default 100 */
  readonly batchSize?: number;
  /** Longest wait for a batch to fill, from its first record (Lambda's MaximumBatchingWindowInSeconds, 0..300 s). @default 500 */
  readonly batchingWindowMs?: number;
  /** Where a partition without a committed offset starts. @default 'latest' */
  readonly startingPosition?: StartingPosition;
  /** Retries of a failed batch, -1 without end (10 with a failure destination, as Lambda). @default -1 */
  readonly maxRetryAttempts?: number;
  /** Records older than this (60 s to 7 days) go to the failure destination instead, -1 for any age. @default -1 */
  readonly maxRecordAgeMs?: number;
  /** Split a failed batch in two and retry each half. @default false */
  readonly bisectBatchOnFunctionError?: boolean;
  /** Honour a `batchItemFailures` answer. @default true */
  readonly reportBatchItemFailures?: boolean;
  /** The event's `bootstrapServers`. @default '' */
  readonly bootstrapServers?: string;
  /** A lapsed dispatcher's partitions move to the others after this. @default 30000 */
  readonly sessionTimeoutMs?: number;
  /** Backoff between retries of a failed batch. @default 500 ms doubling to 30 s */
  readonly retryBackoff?: BackoffDelays;
  /** Lambda's filter criteria on the value (lib/core/event-filter.ts): records no pattern matches are committed, not delivered. @default none */
  readonly filters?: readonly FilterPattern[];
}

export interface TriggerSettings {
  readonly topic: string;
  readonly group: string;
  readonly batchSize: number;
  readonly batchingWindowMs: number;
  readonly startingPosition: StartingPosition;
  readonly maxRetryAttempts: number;
  readonly maxRecordAgeMs: number;
  readonly bisectBatchOnFunctionError: boolean;
  readonly reportBatchItemFailures: boolean;
  readonly bootstrapServers: string;
  readonly sessionTimeoutMs: number;
  readonly retryBackoff: BackoffDelays;
  readonly filters: readonly FilterPattern[];
}

/** The options checked, with Lambda's bounds and defaults; a bad one is a ConfigError naming it. */
export function triggerSettings(options: TriggerOptions, hasDestination: boolean): TriggerSettings {
  const integer = (name: string, value: number | undefined, fallback: number, min: number, max: number, also?: number): number => {
    const v = value ?? fallback;
    if (!Number.isSafeInteger(v) || ((v < min || v > max) && v !== also)) {
      throw new ConfigError(`${name} must be an integer in [${min}, ${max}]${also === undefined ? '' : ` or ${also}`}, not ${String(value)}`);
    }
    return v;
  };
  if (typeof options.topic !== 'string' || options.topic === '') throw new ConfigError('a trigger needs a topic');
  if (typeof options.group !== 'string' || options.group === '') throw new ConfigError('a trigger needs a consumer group');
  const start = options.startingPosition ?? 'latest';
  if (start !== 'earliest' && start !== 'latest' && !(typeof start === 'object' && start !== null && Number.isSafeInteger(start.timestamp) && start.timestamp >= 0)) {
    throw new ConfigError(`startingPosition must be 'earliest', 'latest' or { timestamp }, not ${JSON.stringify(start)}`);
  }
  const retries = integer('maxRetryAttempts', options.maxRetryAttempts, -1, 0, 10_000, -1);
  return {
    topic: options.topic,
    group: options.group,
    batchSize: integer('batchSize', options.batchSize, 100, 1, 10_000),
    batchingWindowMs: integer('batchingWindowMs', options.batchingWindowMs, 500, 0, 300_000),
    startingPosition: start,
    maxRetryAttempts: retries === -1 && hasDestination ? 10 : retries,
    maxRecordAgeMs: integer('maxRecordAgeMs', options.maxRecordAgeMs, -1, 60_000, 604_800_000, -1),
    bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? false,
    reportBatchItemFailures: options.reportBatchItemFailures ?? true,
    bootstrapServers: options.bootstrapServers ?? '',
    sessionTimeoutMs: integer('sessionTimeoutMs', options.sessionTimeoutMs, 30_000, 1_000, 300_000),
    retryBackoff: options.retryBackoff ?? { minDelayMs: 500, maxDelayMs: 30_000 },
    filters: options.filters === undefined ? [] : checkFilterPatterns(options.filters),
  };
}

/** Where records the function did not take go, on AWS. */
export type TriggerDestinationConfig =
  | { readonly type: 'topic'; readonly topic: string }
  | { readonly type: 'sqs'; readonly queueUrl: string }
  | { readonly type: 'sns'; readonly topicArn: string };

/** What the dispatcher function runs: written by SluiceTrigger, read once at its start. */
export interface TriggerDeployment {
  /** Names the trigger: the `trigger` dimension of its metrics. */
  readonly name: string;
  /** The Sluice API the dispatcher reads and commits through (signed, IAM). */
  readonly endpoint: string;
  /** The function to invoke, by name or ARN. */
  readonly functionName: string;
  readonly destination?: TriggerDestinationConfig;
  readonly options: TriggerOptions;
  /** Stop after this long with nothing to deliver; the schedule starts it again. */
  readonly idleMs: number;
  /** Stop taking batches when the dispatcher function has this little time left, so the batch in flight ends before it does. */
  readonly stopMarginMs: number;
}

export const triggerEnvName = 'SLUICE_TRIGGER';

/** Reads SLUICE_TRIGGER back; what is missing or malformed is a ConfigError, so a bad deployment fails at its first start. */
export function triggerDeploymentFromEnv(env: Readonly<Record<string, string | undefined>>): TriggerDeployment {
  const text = env[triggerEnvName];
  if (text === undefined) throw new ConfigError(`${triggerEnvName} is not set`);
  let parsed: Partial<TriggerDeployment>;
  try {
    parsed = JSON.parse(text) as Partial<TriggerDeployment>;
  } catch {
    throw new ConfigError(`${triggerEnvName} is not JSON`);
  }
  if (typeof parsed.name !== 'string' || typeof parsed.endpoint !== 'string' || typeof parsed.functionName !== 'string' || typeof parsed.options !== 'object' || parsed.options === null) {
    throw new ConfigError(`${triggerEnvName} needs name, endpoint, functionName and options`);
  }
  for (const key of ['idleMs', 'stopMarginMs'] as const) {
    if (!Number.isSafeInteger(parsed[key]) || parsed[key]! < 0) throw new ConfigError(`${triggerEnvName}.${key} must be a whole number of ms`);
  }
  const destination = parsed.destination;
  if (destination !== undefined && !['topic', 'sqs', 'sns'].includes(destination.type)) throw new ConfigError(`${triggerEnvName}.destination.type must be topic, sqs or sns`);
  triggerSettings(parsed.options, destination !== undefined);
  return parsed as TriggerDeployment;
}
