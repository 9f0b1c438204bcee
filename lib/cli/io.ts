/** The streams and environment a command runs with, given by bin/sluice.js or a test. */
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { OutputClosedError } from './errors.ts';

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Read for SLUICE_ENDPOINT only. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on SIGINT: a consumer stops and reports, a producer sends what it has read. */
  readonly signal?: AbortSignal;
}

/**
 * Writes to a stream with backpressure: waits for `drain` when the stream's buffer is
 * full, so a fast consumer cannot buffer without bound behind a slow reader. Once the
 * stream fails (EPIPE when the reader went away) every write throws OutputClosedError.
 */
export class Output {
  private failure: unknown;

  constructor(private readonly stream: Writable) {
    stream.on('error', (error) => {
      this.failure ??= error;
    });
  }

  async write(chunk: string | Uint8Array): Promise<void> {
    if (this.failure !== undefined || this.stream.destroyed) throw new OutputClosedError(this.failure);
    if (this.stream.write(chunk)) return;
    try {
      await once(this.stream, 'drain');
    } catch (error) {
      throw new OutputClosedError(error);
    }
  }

  async line(text: string): Promise<void> {
    await this.write(`${text}\n`);
  }
}

/** Resolves on Ctrl-C (the io signal); never, without one. */
export function untilInterrupted(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) resolve();
    signal?.addEventListener('abort', () => resolve(), { once: true });
  });
}
