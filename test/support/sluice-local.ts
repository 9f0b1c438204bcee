/**
 * `sluice local` as a user starts it, in a child process on a free port with a data folder
 * of its own, for tests that drive it from outside (shell commands, curl, other projects).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../lib/local/emulators.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface SluiceLocal {
  readonly port: number;
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  /** Its Kafka protocol listener, e.g. `127.0.0.1:41235`. */
  readonly bootstrapServer: string;
  /** What the runner printed so far, for failure messages. */
  output(): string;
  /** SIGTERM (it stops its emulators), SIGKILL after 30 s; then removes the data folder. */
  stop(): Promise<void>;
}

/** This environment without AWS endpoint overrides, so the runner starts its own emulators. */
export function withoutAwsEndpoints(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const key of Object.keys(copy)) if (key.startsWith('AWS_ENDPOINT_URL')) delete copy[key];
  return copy;
}

/** Starts `node bin/sluice.js local` and resolves once GET /v1/topics answers 200. */
export async function startSluiceLocal(options: { timeoutMs?: number; args?: readonly string[] } = {}): Promise<SluiceLocal> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-local-'));
  const port = await freePort();
  const kafkaPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['local', '--port', String(port), '--kafka-port', String(kafkaPort), '--data-dir', dataDir, ...(options.args ?? ['--jobs-interval-ms', '0'])];
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'sluice.js'), ...args], {
    cwd: repoRoot,
    env: withoutAwsEndpoints(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  void exited.then(() => (running = false));

  const stop = async (): Promise<void> => {
    if (running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!running) {
      await stop();
      throw new Error(`sluice local exited early; its output:\n${output}`);
    }
    const answer = await fetch(`${url}/v1/topics`).catch(() => undefined);
    if (answer?.status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`sluice local did not answer within ${timeoutMs} ms; its output:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { port, url, bootstrapServer: `127.0.0.1:${kafkaPort}`, output: () => output, stop };
}

export interface SluiceGateway {
  readonly bootstrapServer: string;
  output(): string;
  /** SIGTERM; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `sluice gateway` on the emulators of a running sluice local (their endpoints read
 * from its banner), as a second gateway over the same storage; resolves once it listens.
 */
export async function startSluiceGateway(local: SluiceLocal, args: readonly string[] = []): Promise<SluiceGateway> {
  const endpoint = (name: string) => new RegExp(`^  ${name} +(http://\\S+)`, 'm').exec(local.output())?.[1];
  const [dynamodb, s3] = [endpoint('DynamoDB'), endpoint('S3')];
  if (!dynamodb || !s3) throw new Error(`no emulator endpoints in sluice local's banner:\n${local.output()}`);
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'sluice.js'), 'gateway', '--port', '0', ...args], {
    cwd: repoRoot,
    env: {
      ...withoutAwsEndpoints(),
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb,
      AWS_ENDPOINT_URL_S3: s3,
      // The S3 emulator's only key; DynamoDB Local takes any.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (output += s));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const server = /bootstrap server +(\S+)/.exec(output)?.[1];
    if (server) return { bootstrapServer: server, output: () => output, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`sluice gateway did not start; its output:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
