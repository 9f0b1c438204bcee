import { vi } from 'vitest';

/** Polls `check` every 250 ms until it holds or `ms` pass; the last failure is thrown. */
export function eventually(check: () => Promise<void> | void, ms: number): Promise<void> {
  return vi.waitFor(check, { timeout: ms, interval: 250 });
}
