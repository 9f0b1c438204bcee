/** Bounded retries with exponential backoff and full jitter. */

export interface RetryPolicy {
  /** Retries after the first try; 0 turns retrying off. */
  readonly retries: number;
  /** Ceiling of the first retry's delay; each retry doubles it. */
  readonly minDelayMs: number;
  /** Upper bound of any delay, a server's Retry-After included. */
  readonly maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 3, minDelayMs: 100, maxDelayMs: 2_000 };

/**
 * Delay before retry number `attempt` (0 for the first retry): uniform in
 * [0, min(maxDelayMs, minDelayMs * 2^attempt)), so clients that failed together do not
 * come back together ("full jitter"). A server's Retry-After is a floor, capped as well.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs = 0,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** attempt);
  const jittered = Math.floor(random() * ceiling);
  return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterMs));
}

/** Reads a Retry-After header given in seconds; dates and junk count as none. */
export function parseRetryAfter(header: string | null): number {
  if (header === null || !/^\d+$/.test(header.trim())) return 0;
  return Number(header.trim()) * 1000;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
