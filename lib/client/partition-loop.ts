/**
 * One partition's loop, from its assignment until it stops: apply a pending seek, wait
 * while paused, long-poll the next records, hand them to the handler, back off after a
 * failure. Each pass looks at the partition's state again, so a seek, pause or stop
 * between two steps takes effect before the next records are handed over.
 *
 *   seek pending? ──► apply it (committed with autoCommit, as kafkajs)
 *   paused?       ──► wait for resume()
 *   fetch         ──► records │ again (interrupted, offset reset) │ retriable: back off │ other: crash
 *   handler       ──► done: positions move on │ failed: commit what was processed, back off,
 *                                                        crash once the retries are spent
 */
import { SluiceError } from '../core/errors.ts';
import type { Committer } from './committer.ts';
import { hasCode, type ConsumerContext } from './consumer-context.ts';
import type { SeekTarget } from './consumer-settings.ts';
import type { PartitionRun } from './partition-run.ts';
import { backoffDelay, sleep, type RetryPolicy } from './retry.ts';
import type { FetchResponse } from './types.ts';

/** A handler kept failing through every retry; the crash event carries it (restart: true, as kafkajs). */
export class HandlerRetriesExceededError extends Error {
  constructor(
    readonly retryCount: number,
    cause: unknown,
  ) {
    super(`the message handler failed ${retryCount + 1} times: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = new.target.name;
  }
}

/** What a fetch came to, so the loop decides without a try around it. */
type Fetched =
  | { readonly kind: 'records'; readonly answer: FetchResponse }
  /** Stopped, interrupted (a seek or pause), or the position was reset: look again. */
  | { readonly kind: 'again' }
  | { readonly kind: 'retriable'; readonly error: unknown }
  | { readonly kind: 'fatal'; readonly error: unknown };

const again: Fetched = { kind: 'again' };

/** Consecutive failures and the backoff after each; a stop of the partition cuts the wait short. */
class Backoff {
  failures = 0;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly signal: AbortSignal,
  ) {}

  async wait(): Promise<void> {
    await sleep(backoffDelay(this.failures++, this.policy), this.signal).catch(() => undefined);
  }

  reset(): void {
    this.failures = 0;
  }
}

export class PartitionLoop {
  constructor(
    private readonly ctx: ConsumerContext,
    private readonly committer: Committer,
    /** Hands one fetch's records to the handler; rejects with the handler's error. */
    private readonly deliver: (run: PartitionRun, answer: FetchResponse) => Promise<void>,
  ) {}

  /** One partition's loop: fetch, hand to the handler, advance; until the partition stops. */
  async consume(run: PartitionRun): Promise<void> {
    const { retry } = this.ctx.settings;
    const fetchFailures = new Backoff(retry, run.stopController.signal);
    const handlerFailures = new Backoff(retry, run.stopController.signal);
    while (!run.stopped) {
      if (!(await this.applySeek(run, fetchFailures))) continue;
      if (this.paused(run)) {
        await run.wake.wait();
        continue;
      }
      const fetched = await this.fetch(run);
      if (fetched.kind === 'again') continue;
      if (fetched.kind === 'retriable') {
        await fetchFailures.wait();
        continue;
      }
      if (fetched.kind === 'fatal') {
        this.ctx.crash(fetched.error);
        return;
      }
      fetchFailures.reset();
      // Revoked, moved or paused while the fetch was out: these records are not ours to hand over.
      if (!this.deliverable(run)) continue;
      const { answer } = fetched;
      if (answer.records.length === 0) {
        run.position = answer.nextOffset;
        continue;
      }
      const before = run.position;
      const handled = await this.handle(run, answer);
      if (!handled.failed) {
        handlerFailures.reset();
        // eachBatch resolved nothing: the same records come again (kafkajs), but not at once.
        if (run.position === before && this.deliverable(run)) await this.pace(run);
        continue;
      }
      if (run.stopped) return;
      await this.keepProcessed(run);
      if (handlerFailures.failures >= retry.retries) {
        this.ctx.crash(new HandlerRetriesExceededError(handlerFailures.failures, handled.error));
        return;
      }
      await handlerFailures.wait();
    }
  }

  /** Applies a pending seek(); false: not now (its offset lookup failed, or a newer seek came). */
  private async applySeek(run: PartitionRun, failures: Backoff): Promise<boolean> {
    const seek = this.ctx.seeks.get(run.key);
    if (seek === undefined) return true;
    let offset: number;
    try {
      offset = await this.startOffset(run, seek);
    } catch {
      await failures.wait();
      return false;
    }
    // A newer seek came meanwhile: that one wins.
    if (this.ctx.seeks.get(run.key) !== seek) return false;
    this.ctx.seeks.delete(run.key);
    run.position = offset;
    // It counts as processed up to there (committed with autoCommit, as kafkajs).
    run.resolved = offset;
    void this.committer.autoCommit([run]);
    return true;
  }

  private paused(run: PartitionRun): boolean {
    return this.ctx.pauses.isPaused(run.topic, run.partition);
  }

  /** Not stopped, moved by a seek, or paused: records fetched now may go to the handler. */
  private deliverable(run: PartitionRun): boolean {
    return !run.stopped && !this.ctx.seeks.has(run.key) && !this.paused(run);
  }

  /** Long-polls the next records from the position (found first from the committed offset or the reset policy). */
  private async fetch(run: PartitionRun): Promise<Fetched> {
    const controller = new AbortController();
    run.fetchController = controller;
    try {
      run.position ??= await this.startOffset(run, run.committed ?? (this.ctx.subscriptions.get(run.topic) ? 'earliest' : 'latest'));
      const { maxWaitTimeInMs, maxRecords, maxBytes } = this.ctx.settings;
      const answer = await this.ctx.client.fetchRecords(
        run.topic,
        run.partition,
        { offset: run.position, waitMs: maxWaitTimeInMs, maxRecords, maxBytes, encoding: 'base64' },
        { signal: controller.signal },
      );
      return { kind: 'records', answer };
    } catch (error) {
      if (run.stopped || controller.signal.aborted) return again;
      if (hasCode(error, 'OFFSET_OUT_OF_RANGE')) {
        // Retention passed the position (or the log is shorter): the reset policy decides.
        run.position = undefined;
        run.committed = null;
        return again;
      }
      return { kind: error instanceof SluiceError && error.retriable ? 'retriable' : 'fatal', error };
    } finally {
      run.fetchController = undefined;
    }
  }

  /** Runs the handler in its turn (partitionsConsumedConcurrently). */
  private async handle(run: PartitionRun, answer: FetchResponse): Promise<{ failed: false } | { failed: true; error: unknown }> {
    try {
      await this.ctx.limiter.run(() => this.deliver(run, answer));
      return { failed: false };
    } catch (error) {
      return { failed: true, error };
    }
  }

  /** After a handler failure: what was processed before it is committed; the rest is fetched again. */
  private async keepProcessed(run: PartitionRun): Promise<void> {
    if (run.resolved !== undefined && (run.position === undefined || run.resolved > run.position)) run.position = run.resolved;
    await this.committer.autoCommit([run]);
  }

  /** Waits a little before the same records again; a seek, resume or stop cuts the wait short. */
  private async pace(run: PartitionRun): Promise<void> {
    const woken = new AbortController();
    void run.wake.wait().then(() => woken.abort());
    const signal = AbortSignal.any([run.stopController.signal, woken.signal]);
    await sleep(Math.min(this.ctx.settings.maxWaitTimeInMs, 1000), signal).catch(() => undefined);
  }

  /** The committed offset, or the earliest or latest offset now. */
  private async startOffset(run: PartitionRun, spec: SeekTarget): Promise<number> {
    if (typeof spec === 'number') return spec;
    return (await this.ctx.client.offsetFor(run.topic, run.partition, spec, { signal: run.stopController.signal })).offset;
  }
}
