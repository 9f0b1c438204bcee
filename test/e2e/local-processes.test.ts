/**
 * `sluice local` leaves nothing running behind it, however it ends (issue 11):
 *
 *   SIGTERM to `npm start` alone  -> node, DynamoDB Local's JVM and the ports all go
 *   kill -9 of the node process   -> the JVM goes too (its watchdog kills it)
 *   a second runner on one folder -> refused, naming the PID that holds the folder;
 *                                    a lock left by a dead process is taken over
 *
 * Every wait polls for its condition with a deadline; every process a test starts is
 * killed in afterEach, found by the data folder on its command line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { watchdogName } from '../../lib/local/emulators.ts';
import { DataDirLockedError, lockDataDir, lockFileName } from '../../lib/local/lock.ts';
import { isRunning, processes, type Proc } from '../support/processes.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'sluice.js');
const startTimeoutMs = 90_000;
/** What the issue allows for everything to be gone. */
const goneWithinMs = 10_000;

/** The processes of one stack: whatever names its data folder, and the watchdogs of its JVMs. */
function stackProcesses(dataDir: string): Proc[] {
  const all = processes();
  const mine = all.filter((p) => p.args.includes(dataDir));
  const javaPids = new Set(mine.filter((p) => isJava(p.args)).map((p) => String(p.pid)));
  const watchdogs = all.filter((p) => {
    const m = new RegExp(`${watchdogName} (\\d+)$`).exec(p.args);
    return m !== null && javaPids.has(m[1] ?? '');
  });
  return [...mine, ...watchdogs];
}

const isJava = (args: string): boolean => /\bjava\b.*DynamoDBLocal/.test(args);

/** Whether anything listens on 127.0.0.1:port (i.e. we cannot bind it). */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>, detail = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The runner's environment without AWS endpoint overrides, so it starts its own emulators. */
function runnerEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_ENDPOINT_URL')) delete env[key];
  return env;
}

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  stderr(): string;
}

/** What the banner of a started `sluice local` says. */
interface Banner {
  readonly url: string;
  readonly ports: { readonly api: number; readonly dynamodb: number; readonly s3: number };
}

// Cleanup for whatever a test started, even when it fails half way.
let dataDirs: string[] = [];
let started: Running[] = [];
afterEach(async () => {
  for (const run of started) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  for (const dir of dataDirs) {
    for (const p of stackProcesses(dir)) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  await Promise.all(started.map((run) => run.exited));
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  dataDirs = [];
  started = [];
}, 30_000);

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-procs-'));
  dataDirs.push(dir);
  return dir;
}

function run(command: string, args: string[]): Running {
  const child = spawn(command, args, { cwd: root, env: runnerEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    output += s;
    stderr += s;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  const running: Running = { child, exited, output: () => output, stderr: () => stderr };
  started.push(running);
  return running;
}

/** `node bin/sluice.js local --port 0 --data-dir <dir>`: no npm or shell in between. */
function sluiceLocal(dir: string): Running {
  return run(process.execPath, [bin, 'local', '--port', '0', '--kafka-port', '0', '--data-dir', dir, '--jobs-interval-ms', '0']);
}

/** Waits for the banner and reads the three ports from it. */
async function banner(running: Running): Promise<Banner> {
  let exited = false;
  void running.exited.then(() => (exited = true));
  const pattern = /running at (http:\/\/127\.0\.0\.1:(\d+))[\s\S]*DynamoDB\s+http:\/\/127\.0\.0\.1:(\d+)[\s\S]*S3\s+http:\/\/127\.0\.0\.1:(\d+)/;
  await until('the banner of sluice local', startTimeoutMs, () => {
    if (exited) throw new Error(`sluice local exited before it was ready:\n${running.output()}`);
    return pattern.test(running.output());
  }, () => `; its output:\n${running.output()}`);
  const m = pattern.exec(running.output()) as RegExpExecArray;
  return { url: m[1] as string, ports: { api: Number(m[2]), dynamodb: Number(m[3]), s3: Number(m[4]) } };
}

/** The node and java processes of a running stack, found by its data folder. */
function nodeAndJava(dir: string): { node: Proc; java: Proc } {
  const mine = stackProcesses(dir);
  // `node bin/sluice.js local ...` (from npm) or `/path/to/node /abs/bin/sluice.js local ...`; not `sh -c node ...`.
  const node = mine.find((p) => /^(\S*\/)?node\s+\S*sluice\.js local/.test(p.args));
  const java = mine.find((p) => isJava(p.args));
  if (!node || !java) throw new Error(`expected a node and a java process for ${dir}, found:\n${mine.map((p) => p.args).join('\n')}`);
  return { node, java };
}

async function allGone(dir: string, ports: Banner['ports'], pids: number[]): Promise<boolean> {
  if (pids.some(isRunning) || stackProcesses(dir).length > 0) return false;
  const free = await Promise.all([ports.api, ports.dynamodb, ports.s3].map(portFree));
  return free.every(Boolean);
}

function describeLeft(dir: string): () => string {
  return () => `; still there:\n${stackProcesses(dir).map((p) => `${p.pid} ${p.args}`).join('\n')}`;
}

describe('sluice local leaves no process behind', () => {
  test('SIGTERM to the `npm start` process alone stops node and DynamoDB Local and frees the ports', async () => {
    const dir = dataDir();
    const npm = run('npm', ['start', '--', '--port', '0', '--data-dir', dir, '--jobs-interval-ms', '0']);
    const { ports } = await banner(npm);
    const { node, java } = nodeAndJava(dir);
    expect(node.pid).not.toBe(npm.child.pid);

    npm.child.kill('SIGTERM');
    await until('npm, node, java and the ports to be gone', goneWithinMs, () => allGone(dir, ports, [npm.child.pid!, node.pid, java.pid]), describeLeft(dir));
    expect(npm.output()).toContain('stopped');
    expect(existsSync(join(dir, lockFileName))).toBe(false);
  }, startTimeoutMs + 30_000);

  test('kill -9 of the node process takes DynamoDB Local with it', async () => {
    const dir = dataDir();
    const runner = sluiceLocal(dir);
    const { ports } = await banner(runner);
    const { node, java } = nodeAndJava(dir);
    expect(node.pid).toBe(runner.child.pid);
    expect(processes().some((p) => p.args.endsWith(`${watchdogName} ${java.pid}`))).toBe(true);

    process.kill(node.pid, 'SIGKILL');
    await until('the JVM and its watchdog to be gone', goneWithinMs, () => allGone(dir, ports, [node.pid, java.pid]), describeLeft(dir));
    // The lock stays (nothing ran to remove it), naming the dead process: stale.
    expect(readFileSync(join(dir, lockFileName), 'utf8').trim()).toBe(String(node.pid));
  }, startTimeoutMs + 30_000);
});

describe('one sluice local per data folder', () => {
  test('a second sluice local on the same folder exits 1 with one line naming the holder, and the first keeps running', async () => {
    const dir = dataDir();
    const first = sluiceLocal(dir);
    const { url } = await banner(first);
    const { java } = nodeAndJava(dir);

    const second = sluiceLocal(dir);
    const exit = await Promise.race([second.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    expect(exit, second.output()).toEqual({ code: 1, signal: null });
    const pid = first.child.pid!;
    expect(second.stderr()).toBe(
      `sluice local: data folder ${dir} is in use by process ${pid} (another sluice local? its lock is ${join(dir, lockFileName)}): ` +
        `stop it or choose another --data-dir\n`,
    );
    expect(second.output()).not.toContain('starting DynamoDB Local');
    // Still one JVM on these files, and the first runner still serves.
    expect(stackProcesses(dir).filter((p) => isJava(p.args)).map((p) => p.pid)).toEqual([java.pid]);
    expect(isRunning(pid)).toBe(true);
    expect((await fetch(`${url}/v1/topics`)).status).toBe(200);
    expect(readFileSync(join(dir, lockFileName), 'utf8').trim()).toBe(String(pid));

    first.child.kill('SIGTERM');
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, lockFileName))).toBe(false);
  }, startTimeoutMs + 60_000);

  test('a lock naming a dead process is taken over, and released on exit', async () => {
    const dir = dataDir();
    const dead = deadPid();
    writeFileSync(join(dir, lockFileName), `${dead}\n`);
    const runner = sluiceLocal(dir);
    await banner(runner);
    expect(readFileSync(join(dir, lockFileName), 'utf8').trim()).toBe(String(runner.child.pid));

    runner.child.kill('SIGTERM');
    expect(await runner.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, lockFileName))).toBe(false);
  }, startTimeoutMs + 30_000);
});

describe('lockDataDir', () => {
  test('holds the folder for one live process and names it to the next', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    expect(readFileSync(lock.path, 'utf8')).toBe(`${process.pid}\n`);
    const error = (() => {
      try {
        lockDataDir(dir, process.ppid);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DataDirLockedError);
    expect((error as DataDirLockedError).holderPid).toBe(process.pid);
    expect((error as Error).message).not.toContain('\n');
    lock.release();
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    lockDataDir(dir, process.ppid).release();
  });

  test('takes over a lock whose process is dead, or that names no process', () => {
    for (const content of [`${deadPid()}\n`, '', 'garbage']) {
      const dir = dataDir();
      writeFileSync(join(dir, lockFileName), content);
      const lock = lockDataDir(dir);
      expect(readFileSync(lock.path, 'utf8')).toBe(`${process.pid}\n`);
      lock.release();
    }
  });

  test('release leaves a lock that another process took over', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    writeFileSync(lock.path, `${process.ppid}\n`);
    lock.release();
    expect(readFileSync(lock.path, 'utf8')).toBe(`${process.ppid}\n`);
  });
});

/** The PID of a process that has exited (and been reaped). */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  expect(isRunning(pid)).toBe(false);
  return pid;
}
