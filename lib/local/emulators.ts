/**
 * The emulators behind `sluice local` and the integration tests: DynamoDB Local (AWS's
 * own emulator, a Java process) and s3rver (an S3 emulator running in this process).
 *
 * A Java child must never outlive us. Every child is tracked in one set, and one set of
 * process hooks (installed on first use) kills what is left:
 *
 *   exit / uncaught error   -> SIGKILL every child (synchronous, the only thing possible)
 *   SIGINT/SIGTERM/SIGHUP   -> if nobody else listens: SIGKILL children, re-raise the
 *                              signal so the default exit still happens; if someone
 *                              else listens (the local runner, vitest), they own the
 *                              shutdown and we wait for their exit.
 *   SIGKILL, OOM kill, ...  -> no hook runs; the watchdog below kills the JVM.
 *
 * The watchdog is a tiny `sh` per JVM whose stdin is a pipe from this process: it blocks
 * reading it, and the kernel closes our end when we die, however we die; `read` then
 * returns and the shell SIGKILLs the JVM. It costs a sleeping shell (about 1 MB), needs
 * nothing but /bin/sh, and works the same on Linux and macOS (prctl's parent-death
 * signal is Linux-only and out of Node's reach). When the JVM ends first we kill the
 * watchdog, so it can never fire at a reused PID.
 *
 * The child runs in its own process group so a terminal's Ctrl-C reaches only Node,
 * which stops the HTTP server before the database goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { createServer as createNetServer, type Socket } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SluiceError } from '../core/errors.ts';

/** An emulator that could not start or died: the message says what to do about it. */
export class EmulatorError extends SluiceError {
  readonly code: string = 'EMULATOR_FAILED';
  readonly status = 500;
}

/** No `java` to run DynamoDB Local with. The message is one line with the fix. */
export class JavaNotFoundError extends EmulatorError {
  override readonly code: string = 'JAVA_NOT_FOUND';
  constructor(java: string, options: { cause?: unknown; tooOld?: boolean } = {}) {
    super(
      `DynamoDB Local needs Java 17 or newer, and '${java}' ${options.tooOld ? 'is older' : 'was not found'}: install it ` +
        `(apt-get install openjdk-17-jre-headless, brew install openjdk@17, or https://adoptium.net) ` +
        `or point AWS_ENDPOINT_URL_DYNAMODB at another DynamoDB`,
      options,
    );
  }
}

/** A running emulator. */
export interface Emulator {
  /** Base URL for the AWS SDK's `endpoint`, e.g. `http://127.0.0.1:8000`. */
  readonly endpoint: string;
  /** Stops it; resolves once it is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** DynamoDB Local: also its process id and a promise that settles when it exits, for any reason. */
export interface DynamoDbLocal extends Emulator {
  readonly pid: number;
  /** Resolves when the Java process has exited (after stop() or on its own). */
  readonly exited: Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Folder for the database file; undefined keeps everything in memory. */
  readonly dataDir?: string;
  /** @default a free port */
  readonly port?: number;
  /** The Java launcher. @default 'java' (found on PATH) */
  readonly java?: string;
  /** How long to wait for the first answer. @default 60 s */
  readonly startTimeoutMs?: number;
  /** Gives up starting (and kills the process) when aborted. */
  readonly signal?: AbortSignal;
}

/** Where the postinstall script (scripts/install-dynamodb-local.mjs) puts the jar: below the package root. */
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const dynamoDbLocalDir = join(packageRoot, 'node_modules', '.cache', 'dynamodb-local');

const host = '127.0.0.1';
const stopGraceMs = 5_000;
/** DynamoDB Local allows any browser origin by default; this one matches no page. */
const corsOrigin = 'https://sluice.invalid';

/** Starts DynamoDB Local and resolves once it answers requests. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const jar = join(dynamoDbLocalDir, 'DynamoDBLocal.jar');
  if (!existsSync(jar)) {
    throw new EmulatorError(
      `DynamoDB Local is not installed (${jar} is missing): run 'node scripts/install-dynamodb-local.mjs' in ${packageRoot}`,
    );
  }
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  // A port we picked can be taken between our check and Java's bind; try again then.
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    // Otherwise whatever holds the port would answer our readiness poll for a Java that
    // is about to die of a bind error. Java binds the wildcard address, so probe that.
    if (!(await isBindable(port))) {
      if (attempt < attempts) continue;
      throw new PortInUseError(`DynamoDB Local could not listen on port ${port}: it is already in use`);
    }
    try {
      return await launchDynamoDbLocal(jar, port, options);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof PortInUseError)) throw error;
    }
  }
}

class PortInUseError extends EmulatorError {}

async function launchDynamoDbLocal(jar: string, port: number, options: DynamoDbLocalOptions): Promise<DynamoDbLocal> {
  const java = options.java ?? 'java';
  const args = [
    `-Djava.library.path=${join(dynamoDbLocalDir, 'DynamoDBLocal_lib')}`,
    '-jar', jar,
    '-port', String(port),
    // One database whatever the credentials and region of a client: without it the
    // file is per access key and region, and data seems to vanish when either changes.
    '-sharedDb',
    '-disableTelemetry',
    '-cors', corsOrigin,
    ...(options.dataDir === undefined ? ['-inMemory'] : ['-dbPath', options.dataDir]),
  ];
  const child = spawn(java, args, {
    cwd: options.dataDir ?? dynamoDbLocalDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
  // At once, in the same tick as the spawn: there is no moment with an unwatched JVM
  // that our death could leave behind.
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
  const output = new TailBuffer(4_096);
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));

  const spawned = new Promise<void>((resolveSpawn, reject) => {
    child.once('spawn', () => resolveSpawn());
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'ENOENT' ? new JavaNotFoundError(java, { cause: error }) : error);
    });
  });
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', () => {
      children.delete(child);
      stopWatchdog(watchdog);
      resolveExit();
    });
    // Failing to spawn emits 'error' and no 'exit'.
    child.once('error', () => resolveExit());
  });
  await spawned;
  children.add(child);
  installExitHooks();

  const endpoint = `http://${host}:${port}`;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
        await exited;
        clearTimeout(timer);
      }
    })();
    return stopping;
  };

  try {
    await waitUntilReady(endpoint, exited, options.startTimeoutMs ?? 60_000, options.signal);
  } catch (error) {
    await stop();
    if (options.signal?.aborted) throw new EmulatorError('DynamoDB Local: start aborted', { cause: error });
    const tail = output.text();
    if (/BindException|Address already in use/.test(tail)) {
      throw new PortInUseError(`DynamoDB Local could not listen on port ${port}: it is already in use`);
    }
    if (/UnsupportedClassVersionError/.test(tail)) {
      throw new JavaNotFoundError(java, { tooOld: true });
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new EmulatorError(`DynamoDB Local ${reason}${tail ? `; its output ends with: ${oneLine(tail)}` : ''}`, {
      cause: error,
    });
  }
  return { endpoint, pid: child.pid ?? -1, exited, stop };
}

/** `$0` of the watchdog shell, so `ps` shows what it is: `... sluice-watchdog <java pid>`. */
export const watchdogName = 'sluice-watchdog';

/** Starts the shell that SIGKILLs `pid` once our end of its stdin closes (see the top of this file). */
function startWatchdog(pid: number): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined;
  const watchdog = spawn('/bin/sh', ['-c', 'read -r _; kill -9 "$1" 2>/dev/null', watchdogName, String(pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    // Its own session: a terminal's Ctrl-C or hangup must not take it before the JVM.
    detached: true,
  });
  // Without a shell there is no watchdog; the hooks still cover every death but SIGKILL.
  watchdog.once('error', () => watchdogs.delete(watchdog));
  watchdog.once('exit', () => watchdogs.delete(watchdog));
  watchdogs.add(watchdog);
  // It must never keep this process alive, nor be written to.
  watchdog.unref();
  (watchdog.stdin as Socket | null)?.unref();
  return watchdog;
}

/** The JVM is gone: end its watchdog without letting it fire. */
function stopWatchdog(watchdog: ChildProcess | undefined): void {
  if (!watchdog || watchdog.exitCode !== null || watchdog.signalCode !== null) return;
  try {
    watchdog.kill('SIGKILL');
  } catch {
    // Already gone.
  }
  watchdogs.delete(watchdog);
}

/** Polls ListTables until any HTTP answer comes back, the process dies or time runs out. */
async function waitUntilReady(
  endpoint: string,
  exited: Promise<void>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  let dead = false;
  void exited.then(() => (dead = true));
  const aborted = new Promise<void>((resolveAbort) => signal?.addEventListener('abort', () => resolveAbort(), { once: true }));
  const deadline = Date.now() + timeoutMs;
  while (!dead) {
    signal?.throwIfAborted();
    if (Date.now() > deadline) throw new Error(`did not answer within ${timeoutMs} ms`);
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
        body: '{}',
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(2_000)]) : AbortSignal.timeout(2_000),
      });
      await response.arrayBuffer();
      // Unsigned, so 400 MissingAuthenticationToken: the server is up and parsing requests.
      if (response.status < 500) return;
    } catch {
      // Not listening yet.
    }
    await Promise.race([exited, aborted, sleep(100)]);
  }
  throw new Error('exited while starting');
}

export interface S3EmulatorOptions {
  /** Folder holding the buckets and objects. */
  readonly dataDir: string;
  /** @default a free port */
  readonly port?: number;
}

/** The part of s3rver (a Koa app, untyped) that is used here. */
interface S3rverApp {
  callback(): (request: IncomingMessage, response: ServerResponse) => void;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverApp;

/**
 * Starts s3rver on 127.0.0.1, storing in `dataDir`. It accepts only the access key id
 * `S3RVER` (secret `S3RVER`), does not check SigV4 signatures and ignores If-None-Match.
 */
export async function startS3Emulator(options: S3EmulatorOptions): Promise<Emulator> {
  mkdirSync(options.dataDir, { recursive: true });
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const app = new S3rver({ directory: options.dataDir, silent: true, vhostBuckets: false });
  // Our own server rather than s3rver's run(): its listen() leaves a bind error unhandled.
  const server = createServer(app.callback());
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new EmulatorError(`the S3 emulator could not listen on port ${options.port}: it is already in use`)
          : new EmulatorError(`the S3 emulator could not start: ${error.message}`, { cause: error }),
      );
    });
    server.listen(options.port ?? 0, host, () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: `http://${host}:${port}`,
    stop: () => (stopping ??= closeServer(server)),
  };
}

function closeServer(server: HttpServer): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
}

/** Whether a listener on every interface could take `port` right now. */
function isBindable(port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const probe = createNetServer();
    probe.once('error', () => resolveProbe(false));
    probe.listen({ port, exclusive: true }, () => probe.close(() => resolveProbe(true)));
  });
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

// --- children that must not outlive us -------------------------------------------------

const children = new Set<ChildProcess>();
const watchdogs = new Set<ChildProcess>();
let hooksInstalled = false;

function killChildren(): void {
  // The JVMs first, then their watchdogs, which then have nothing left to do.
  for (const child of [...children, ...watchdogs]) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  children.clear();
  watchdogs.clear();
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killChildren);
  // A monitor, so Node's own handling of the uncaught error (print, exit 1) is unchanged.
  process.on('uncaughtExceptionMonitor', killChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (process.listenerCount(signal) > 1) return;
      killChildren();
      process.removeListener(signal, onSignal);
      try {
        process.kill(process.pid, signal);
      } catch {
        process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
      }
    };
    process.on(signal, onSignal);
  }
}

class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }
  text(): string {
    return Buffer.concat(this.chunks).subarray(-this.limit).toString('utf8').trim();
  }
}

function oneLine(text: string): string {
  return text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean).slice(-6).join(' | ');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
