/**
 * Delivers one partition's batch to the function the way Lambda's Kafka event source
 * mapping does, with the function, the commit and the failure destination passed in:
 *
 *   invoke ─► ok ─────────────────────────────► done(last + 1): commit, next batch
 *          ├► ok with batchItemFailures ───────► done(first failed): retry from there
 *          └► error ─► bisect on? split in two, retry each (a split is not a retry)
 *                      else retry after a backoff, until maxRetryAttempts is spent:
 *                      then the records go to the destination and are done
 *
 * Records older than maxRecordAgeMs go to the destination instead of the function. The
 * records before a done() offset are never invoked again by this run; a crash before
 * done() invokes them again (at least once). A partition's records go in order: a chunk
 * waits for the one before it.
 */
import { backoffDelay, sleep } from '../core/backoff.ts';
import type { TriggerSettings } from '../core/trigger-config.ts';
import type { TriggerRecord } from './event.ts';

/** What delivery follows of a trigger's settings. */
export type DeliverySettings = Pick<TriggerSettings, 'maxRetryAttempts' | 'maxRecordAgeMs' | 'bisectBatchOnFunctionError' | 'reportBatchItemFailures' | 'retryBackoff'>;

export type FailureReason = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** Records the function did not take, on their way to the failure destination. */
export interface DeliveryFailure {
  readonly records: readonly TriggerRecord[];
  readonly reason: FailureReason;
  /** The function's last error (its message), if it failed. */
  readonly error?: string;
  /** Invocations of these records that counted against maxRetryAttempts (a bisected batch's do not). */
  readonly attempts: number;
}

export interface DeliveryPorts {
  /** Runs the function on these records; rejects with its error, or answers what it returned. */
  invoke(records: readonly TriggerRecord[]): Promise<unknown>;
  /** Every record before `nextOffset` is done: commit it. */
  done(nextOffset: number): Promise<void>;
  giveUp(failure: DeliveryFailure): Promise<void>;
  /** Told after each invocation, for progress and metrics. */
  report?(outcome: InvocationOutcome): void;
  now(): number;
  /** Stops between invocations (the partition was revoked, the dispatcher stops): the rest stays uncommitted. */
  readonly signal: AbortSignal;
}

export interface InvocationOutcome {
  readonly records: readonly TriggerRecord[];
  readonly ok: boolean;
  /** The offset a partial batch response asked to resume from. */
  readonly failedOffset?: number;
  readonly error?: string;
  readonly attempt: number;
}

interface Chunk {
  readonly records: readonly TriggerRecord[];
  /** Invocations of these records so far that count against maxRetryAttempts. */
  readonly attempts: number;
  /** The offset done once this chunk is: past its last record, or any dropped after it. */
  readonly end: number;
}

/**
 * The function could not be invoked (throttled, the service failing, no answer): not the
 * function's error. As Lambda, it is retried after a backoff without counting an attempt
 * or bisecting; only the records' age ends it.
 */
export class InvokeFailure extends Error {
  override readonly name = 'InvokeFailure';
}

export async function deliver(records: readonly TriggerRecord[], ports: DeliveryPorts, settings: DeliverySettings): Promise<void> {
  const queue: Chunk[] = records.length === 0 ? [] : [{ records, attempts: 0, end: records.at(-1)!.offset + 1 }];
  let invokeFailures = 0;
  while (queue.length > 0) {
    ports.signal.throwIfAborted();
    const chunk = await dropExpired(queue[0]!, ports, settings);
    queue[0] = chunk;
    const { records: live, end } = chunk;
    if (live.length === 0) {
      await ports.done(end);
      queue.shift();
      continue;
    }
    const attempt = chunk.attempts + 1;
    let failedOffset: number | undefined;
    let error: string | undefined;
    try {
      const answer = await ports.invoke(live);
      if (settings.reportBatchItemFailures) failedOffset = firstFailed(answer, live);
    } catch (thrown) {
      // Stopped or revoked while it ran: not the function's failure, and nothing to retry here.
      if (ports.signal.aborted) throw ports.signal.reason;
      if (thrown instanceof InvokeFailure) {
        await sleep(backoffDelay(invokeFailures++, settings.retryBackoff), ports.signal);
        continue;
      }
      error = thrown instanceof Error ? thrown.message : String(thrown);
    }
    invokeFailures = 0;
    ports.report?.({ records: live, ok: error === undefined, ...(failedOffset === undefined ? {} : { failedOffset }), ...(error === undefined ? {} : { error }), attempt });
    if (error === undefined && failedOffset === undefined) {
      await ports.done(end);
      queue.shift();
      continue;
    }
    let retry: Chunk;
    if (error === undefined) {
      // A partial batch response: those before the first failed record are done; the rest
      // is retried, and not bisected (Lambda bisects on a function error only).
      if (failedOffset! > live[0]!.offset) await ports.done(failedOffset!);
      retry = { records: live.filter((r) => r.offset >= failedOffset!), attempts: attempt, end };
    } else if (settings.bisectBatchOnFunctionError && live.length > 1) {
      const half = Math.ceil(live.length / 2);
      const [first, second] = [live.slice(0, half), live.slice(half)];
      queue.splice(0, 1, { records: first, attempts: chunk.attempts, end: second[0]!.offset }, { records: second, attempts: chunk.attempts, end });
      continue;
    } else {
      retry = { ...chunk, attempts: attempt };
    }
    if (settings.maxRetryAttempts >= 0 && retry.attempts > settings.maxRetryAttempts) {
      await ports.giveUp({ records: retry.records, reason: 'RetryAttemptsExhausted', error: error ?? `the function reported offset ${failedOffset} failed`, attempts: retry.attempts });
      await ports.done(end);
      queue.shift();
      continue;
    }
    queue[0] = retry;
    await sleep(backoffDelay(retry.attempts - 1, settings.retryBackoff), ports.signal);
  }
}

/** Hands records past their age to the destination; answers the chunk without them. */
async function dropExpired(chunk: Chunk, ports: DeliveryPorts, settings: DeliverySettings): Promise<Chunk> {
  if (settings.maxRecordAgeMs < 0) return chunk;
  const oldest = ports.now() - settings.maxRecordAgeMs;
  const expired = chunk.records.filter((r) => r.timestamp < oldest);
  if (expired.length === 0) return chunk;
  await ports.giveUp({ records: expired, reason: 'RecordAgeExceeded', attempts: chunk.attempts });
  return { ...chunk, records: chunk.records.filter((r) => r.timestamp >= oldest) };
}

/**
 * The lowest offset a partial batch response names, or undefined for a full success. As
 * Lambda, an identifier that names no record of the batch fails it whole (the first
 * offset). An identifier is the record's offset, as a number or string, or an object with
 * an `offset` (and `partition`).
 */
export function firstFailed(answer: unknown, records: readonly TriggerRecord[]): number | undefined {
  const failures = (answer as { batchItemFailures?: unknown } | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) return undefined;
  // Anything but a list of failures fails the batch whole, as an unreadable identifier does.
  if (!Array.isArray(failures)) return records[0]!.offset;
  const offsets = new Set(records.map((r) => r.offset));
  let lowest: number | undefined;
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const raw = typeof id === 'object' && id !== null ? (id as { offset?: unknown }).offset : id;
    const offset = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : undefined;
    if (offset === undefined || !offsets.has(offset)) return records[0]!.offset;
    lowest = lowest === undefined ? offset : Math.min(lowest, offset);
  }
  return lowest;
}
