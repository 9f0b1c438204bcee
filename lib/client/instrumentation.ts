/**
 * What the SDK's producer, consumer and admin share: kafkajs-style instrumentation events,
 * retry options in kafkajs's names, option checking and small async helpers.
 */
import { ConfigError } from '../core/errors.ts';
import type { RetryPolicy } from './retry.ts';

/** An event as kafkajs emits it: a running id, its type, when, and a payload. */
export interface InstrumentationEvent<T> {
  readonly id: number;
  readonly type: string;
  readonly timestamp: number;
  readonly payload: T;
}

/** Removes the listener that `on()` added. */
export type RemoveListener = () => void;

/**
 * A typed event emitter: `on()` returns its own remover, as kafkajs's does. A listener
 * that throws is ignored: instrumentation must not break consuming or producing.
 */
export class Instrumentation<Events extends object> {
  private nextId = 0;
  private readonly listeners = new Map<string, Set<(event: InstrumentationEvent<unknown>) => void>>();

  constructor(private readonly known: ReadonlySet<string>) {}

  on<K extends keyof Events & string>(type: K, listener: (event: InstrumentationEvent<Events[K]>) => void): RemoveListener {
    if (!this.known.has(type)) {
      throw new ConfigError(`unknown event '${type}' (known: ${[...this.known].join(', ')})`);
    }
    const set = this.listeners.get(type) ?? new Set();
    const wrapped = listener as (event: InstrumentationEvent<unknown>) => void;
    set.add(wrapped);
    this.listeners.set(type, set);
    return () => set.delete(wrapped);
  }

  emit<K extends keyof Events & string>(type: K, payload: Events[K]): void {
    const set = this.listeners.get(type);
    if (!set || set.size === 0) return;
    const event: InstrumentationEvent<Events[K]> = { id: this.nextId++, type, timestamp: Date.now(), payload };
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch {
        // A listener's own failure is its business.
      }
    }
  }
}

/** Retry settings in kafkajs's names (its `retry` option), all in milliseconds. */
export interface RetryOptions {
  /** Retries after the first try; 0 turns retrying off. */
  readonly retries?: number;
  /** Ceiling of the first retry's delay; each retry doubles it (with full jitter). */
  readonly initialRetryTime?: number;
  /** Largest delay between two tries. */
  readonly maxRetryTime?: number;
}

/** kafkajs's defaults: 5 retries from 300 ms up to 30 s. */
export const defaultSdkRetry: RetryPolicy = { retries: 5, minDelayMs: 300, maxDelayMs: 30_000 };

/** kafkajs-style retry options over defaults, as the client's policy. */
export function retryPolicy(options: RetryOptions | undefined, defaults: RetryPolicy = defaultSdkRetry): RetryPolicy {
  if (options !== undefined) refuseUnknownKeys('retry', options, ['retries', 'initialRetryTime', 'maxRetryTime', 'restartOnFailure']);
  return {
    retries: nonNegativeInteger('retry.retries', options?.retries ?? defaults.retries),
    minDelayMs: nonNegativeNumber('retry.initialRetryTime', options?.initialRetryTime ?? defaults.minDelayMs),
    maxDelayMs: nonNegativeNumber('retry.maxRetryTime', options?.maxRetryTime ?? defaults.maxDelayMs),
  };
}

/** Unknown option keys are refused, which catches typos and options Sluice does not have. */
export function refuseUnknownKeys(what: string, options: object, known: readonly string[], hint = ''): void {
  if (options === null || typeof options !== 'object') throw new ConfigError(`${what} must be an object`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new ConfigError(`unknown ${what} option '${key}' (known: ${known.join(', ')})${hint}`);
    }
  }
}

export function nonNegativeNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new ConfigError(`${name} must be a non-negative number`);
  return value;
}

export function nonNegativeInteger(name: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) throw new ConfigError(`${name} must be a non-negative integer`);
  return value as number;
}

export function positiveInteger(name: string, value: unknown, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw new ConfigError(`${name} must be an integer from 1 to ${max}`);
  }
  return value as number;
}

/** A wake-up: `wait()` resolves at the next `notify()`; all waiters share one promise. */
export class Signal {
  private pending: { promise: Promise<void>; resolve: () => void } | undefined;

  wait(): Promise<void> {
    if (!this.pending) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.pending = { promise, resolve };
    }
    return this.pending.promise;
  }

  notify(): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve();
  }
}

/** At most `limit` tasks at a time; the others wait their turn in order. */
export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    // A finishing task hands its slot straight to the next waiter, so a newcomer cannot
    // slip in between and exceed the limit.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }
}
