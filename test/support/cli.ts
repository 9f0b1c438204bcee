/** Runs `sluice <argv>` in process, capturing what a person would see. */
import { Readable, Writable } from 'node:stream';
import { main } from '../../lib/cli/main.ts';

function sink(): Writable & { text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => Buffer.concat(chunks).toString() });
}

export interface CliRun {
  readonly stdin?: Readable | string;
  readonly env?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export async function runCli(argv: string[], endpoint: string, options: CliRun = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = sink();
  const stderr = sink();
  const stdin = typeof options.stdin === 'string' ? Readable.from([Buffer.from(options.stdin)]) : (options.stdin ?? Readable.from([]));
  const code = await main(argv, { stdin, stdout, stderr, env: options.env ?? { SLUICE_ENDPOINT: endpoint }, ...(options.signal ? { signal: options.signal } : {}) });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}
