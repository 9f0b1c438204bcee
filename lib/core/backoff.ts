/** Exponential backoff with full jitter, and a sleep that an AbortSignal cuts short: one copy for client and storage. */

export interface BackoffDelays {
  /** Ceiling of the first retry's delay; each retry doubles it. */
  readonly minDelayMs: number;
  /** Upper bound of any delay, a server's Retry-After included. */
  readonly maxDelayMs: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry): uniform in
 * [0, min(maxDelayMs, minDelayMs * 2^attempt)), so callers that failed together do not
 * come back together ("full jitter"). A server's Retry-After is a floor, capped as well.
 */
export function backoffDelay(attempt: number, delays: BackoffDelays, retryAfterMs = 0, random: () => number = Math.random): number {
  const ceiling = Math.min(delays.maxDelayMs, delays.minDelayMs * 2 ** attempt);
  const jittered = Math.floor(random() * ceiling);
  return Math.min(delays.maxDelayMs, Math.max(jittered, retryAfterMs));
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
