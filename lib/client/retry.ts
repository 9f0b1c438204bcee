/** Bounded retries: how many, and the backoff between them (lib/core/backoff.ts). */
import type { BackoffDelays } from '../core/backoff.ts';

export { backoffDelay, sleep } from '../core/backoff.ts';

export interface RetryPolicy extends BackoffDelays {
  /** Retries after the first try; 0 turns retrying off. */
  readonly retries: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 3, minDelayMs: 100, maxDelayMs: 2_000 };

/** Reads a Retry-After header given in seconds; dates and junk count as none. */
export function parseRetryAfter(header: string | null): number {
  if (header === null || !/^\d+$/.test(header.trim())) return 0;
  return Number(header.trim()) * 1000;
}
