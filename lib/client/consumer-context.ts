/**
 * What the parts of a consumer (membership, partition loops, committer) share: the client,
 * the checked options, the bookkeeping the public methods change, and the run in force.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { SluiceError } from '../core/errors.ts';
import type { SluiceClient } from './client.ts';
import type { ConsumerSettings, RunConfig, SeekTarget } from './consumer-settings.ts';
import type { ConsumerEvents } from './consumer-types.ts';
import type { Instrumentation, Limiter } from './instrumentation.ts';
import type { PartitionRun } from './partition-run.ts';
import type { PauseState } from './partitions.ts';

export interface ConsumerContext {
  readonly client: SluiceClient;
  readonly settings: ConsumerSettings;
  readonly instrumentation: Instrumentation<ConsumerEvents>;
  /** Subscribed topic → starts from the beginning without a committed offset. */
  readonly subscriptions: Map<string, boolean>;
  readonly pauses: PauseState;
  /** Seeks not applied yet, by partition key. */
  readonly seeks: Map<string, SeekTarget>;
  /** The partitions this member consumes now, by partition key. */
  readonly owned: Map<string, PartitionRun>;
  /** The run() in force (set by each run()). */
  config: RunConfig;
  /** Handlers that may run at once (set by each run()). */
  limiter: Limiter;
  /** From a successful start until shutdown begins. */
  running: boolean;
  /**
   * Something failed for good: report it, stop, and maybe restart. Never awaited from the
   * parts: it waits for them to settle.
   */
  crash(cause: unknown): void;
}

/** Set while user code (a handler or rebalance callback) runs, so disconnect() from it cannot wait on itself. */
export const inUserCode = new AsyncLocalStorage<boolean>();

/** Runs a user's handler or callback, marked as user code. */
export function userCode<T>(fn: () => T | Promise<T>): Promise<T> {
  return inUserCode.run(true, async () => fn());
}

/** An error with this code (the client's typed errors carry the API's codes). */
export function hasCode(error: unknown, code: string): boolean {
  return error instanceof SluiceError && error.code === code;
}
