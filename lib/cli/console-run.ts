/** What both console consumers (by partition, and as a group member) are given, and what stops them. */
import type { CliIo, Output } from './io.ts';
import type { ConsumedRecord } from './format.ts';

export interface Run {
  readonly maxMessages: number;
  readonly timeoutMs: number | undefined;
  readonly render: (record: ConsumedRecord) => string | Buffer;
  readonly io: CliIo;
  readonly out: Output;
}

/**
 * What ends a console consumer besides its message limit: Ctrl-C (the io signal), or
 * --timeout-ms without a new record (call resetIdle on each one).
 */
export function stopper(run: Run): { stop: AbortController; resetIdle: () => void; dispose: () => void } {
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  run.io.signal?.addEventListener('abort', onInterrupt, { once: true });
  if (run.io.signal?.aborted) stop.abort();
  let idle: NodeJS.Timeout | undefined;
  const resetIdle = (): void => {
    if (run.timeoutMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => stop.abort(), run.timeoutMs);
  };
  const dispose = (): void => {
    clearTimeout(idle);
    run.io.signal?.removeEventListener('abort', onInterrupt);
  };
  return { stop, resetIdle, dispose };
}
