/**
 * What a user does: start `sluice local`, then create, produce, consume and describe with
 * the `sluice` command, each one a child process as from a shell; finally stop the runner
 * with SIGTERM and check that it left no Java process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { freePort } from '../../lib/local/emulators.ts';
import { isRunning, processes } from '../support/processes.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'sluice.js');

const startTimeoutMs = 90_000;

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The runner's environment without AWS endpoint overrides, so it starts its own emulators. */
function runnerEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('AWS_ENDPOINT_URL')) delete env[key];
  return env;
}

/** Every process below `pid`. */
function descendants(pid: number): { pid: number; args: string }[] {
  const all = processes();
  const found: { pid: number; args: string }[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop();
    for (const p of all.filter((q) => q.ppid === parent)) {
      found.push(p);
      parents.push(p.pid);
    }
  }
  return found;
}

async function until(what: string, timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('sluice CLI against sluice local', () => {
  let dataDir: string;
  let url: string;
  let runner: ChildProcess;
  let runnerOutput = '';
  let runnerExit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let javaPids: number[] = [];
  const topic = `e2e-${randomUUID().slice(0, 8)}`;

  /** Runs `sluice <args> --endpoint <url>` as a child process, feeding it `input`. */
  function sluice(args: string[], input = ''): Promise<Result> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, ...args, '--endpoint', url], { cwd: root, stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      child.stdin.end(input);
    });
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    runner = spawn(process.execPath, [bin, 'local', '--port', String(port), '--kafka-port', '0', '--data-dir', dataDir], {
      cwd: root,
      env: runnerEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    runner.stdout?.setEncoding('utf8').on('data', (s: string) => (runnerOutput += s));
    runner.stderr?.setEncoding('utf8').on('data', (s: string) => (runnerOutput += s));
    runnerExit = new Promise((resolve) => runner.once('exit', (code, signal) => resolve({ code, signal })));
    let exited = false;
    void runnerExit.then(() => (exited = true));
    try {
      await until(`${url}/v1/topics to answer`, startTimeoutMs, async () => {
        if (exited) throw new Error('sluice local exited early');
        const answer = await fetch(`${url}/v1/topics`).catch(() => undefined);
        return answer?.status === 200;
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}; its output:\n${runnerOutput}`);
    }
  }, startTimeoutMs + 30_000);

  afterAll(async () => {
    if (runner && runner.exitCode === null && runner.signalCode === null) {
      runner.kill('SIGKILL');
      await runnerExit;
    }
    for (const pid of javaPids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  // 150 keyed lines in one pipe (--key-separator), 50 unkeyed in another: 200 records.
  const keyed = Array.from({ length: 150 }, (_, i) => ({ key: `user-${i % 7}`, value: `keyed-${i}` }));
  const unkeyed = Array.from({ length: 50 }, (_, i) => `plain-${i}`);

  test('topics create makes a topic with 3 partitions', async () => {
    const created = await sluice(['topics', 'create', '--topic', topic, '--partitions', '3', '--config', 'retention.ms=86400000']);
    expect(created).toEqual({ code: 0, stdout: `Created topic ${topic}.\n`, stderr: '' });
    const listed = await sluice(['topics', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toContain(topic);
  });

  test('produce sends 200 piped lines', async () => {
    const withKeys = await sluice(['produce', '--topic', topic, '--key-separator', ':'], keyed.map((r) => `${r.key}:${r.value}\n`).join(''));
    expect(withKeys).toEqual({ code: 0, stdout: '', stderr: '' });
    const plain = await sluice(['produce', '--topic', topic], unkeyed.join('\n') + '\n');
    expect(plain).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  test('consume --from-beginning reads all 200, keys in their produced order', async () => {
    const result = await sluice(['consume', '--topic', topic, '--from-beginning', '--max-messages', '200', '--timeout-ms', '30000', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Processed a total of 200 messages\n');
    const records = result.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { topic: string; partition: number; offset: number; key: string | null; value: string });
    expect(records).toHaveLength(200);
    expect(new Set(records.map((r) => r.topic))).toEqual(new Set([topic]));

    const seenLines = records.map((r) => (r.key === null ? r.value : `${r.key}:${r.value}`)).sort();
    const sentLines = [...keyed.map((r) => `${r.key}:${r.value}`), ...unkeyed].sort();
    expect(seenLines).toEqual(sentLines);

    // Per partition: dense offsets from 0, printed in offset order.
    for (const partition of [0, 1, 2]) {
      const offsets = records.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    // Per key: one partition, and the order it was produced in.
    for (const key of new Set(keyed.map((r) => r.key))) {
      const mine = records.filter((r) => r.key === key);
      expect(new Set(mine.map((r) => r.partition)).size).toBe(1);
      expect(mine.map((r) => r.value)).toEqual(keyed.filter((r) => r.key === key).map((r) => r.value));
    }
  });

  test('topics describe shows 3 partitions whose high watermarks sum to 200', async () => {
    const { code, stdout, stderr } = await sluice(['topics', 'describe', '--topic', topic]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const [header, ...partitions] = stdout.trimEnd().split('\n');
    expect(header).toMatch(new RegExp(`^Topic: ${topic}\\tTopicId: [0-9a-f-]{36}\\tPartitionCount: 3\\tConfigs: .*retention\\.ms=86400000`));
    expect(partitions).toHaveLength(3);
    const highWatermarks = partitions.map((line) => Number(/\tHighWatermark: (\d+)$/.exec(line)?.[1]));
    expect(highWatermarks.reduce((a, b) => a + b, 0)).toBe(200);
  });

  test('jobs run reports what it did (nothing is old enough to seal yet) and the records stay readable', async () => {
    const { code, stdout, stderr } = await sluice(['jobs', 'run', '--topic', topic]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    const waiting = lines.slice(0, -1).map((line) => /^(.+)-(\d): (\d+) record\(s\) unsealed, due at ((?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d) \(segment\.ms\)$/.exec(line));
    // Each partition with records says what waits and when: sealed at segment.ms after its first append.
    expect(waiting.length).toBeGreaterThan(0);
    expect(waiting.every((m) => m !== null && m[1] === topic)).toBe(true);
    expect(waiting.reduce((n, m) => n + Number(m![3]), 0)).toBe(200);
    expect(lines.at(-1)).toBe(
      `3 partition(s): 0 segment(s) sealed (0 records), 0 dropped by retention, 0 record(s) compacted away, 0 orphan object(s) removed, ${waiting.length} left for later`,
    );
    const consumed = await sluice(['consume', '--topic', topic, '--from-beginning', '--max-messages', '200']);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trimEnd().split('\n')).toHaveLength(200);
  });

  test('topics alter --partitions with the current count is refused in one line, exit 1', async () => {
    expect(await sluice(['topics', 'alter', '--topic', topic, '--partitions', '3'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `sluice: topic '${topic}' has 3 partition(s); --partitions must be larger (partitions only grow), not 3\n`,
    });
  });

  test('a consumer group that reads nothing commits its start positions (groups describe shows them)', async () => {
    const group = `e2e-group-${randomUUID().slice(0, 8)}`;
    expect(await sluice(['consume', '--topic', topic, '--group', group, '--from-beginning', '--max-messages', '0'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'Processed a total of 0 messages\n',
    });
    const { code, stdout } = await sluice(['groups', 'describe', '--group', group]);
    expect(code).toBe(0);
    const rows = stdout.trimEnd().split('\n').filter((line) => line.startsWith(group)).map((line) => line.split(/\s+/));
    expect(rows.map((r) => [r[2], r[3]])).toEqual([['0', '0'], ['1', '0'], ['2', '0']]);
  });

  test('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(await sluice(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('an unknown topic is a one-line error and exit 1', async () => {
    const missing = `missing-${randomUUID().slice(0, 8)}`;
    expect(await sluice(['topics', 'describe', '--topic', missing])).toEqual({
      code: 1,
      stdout: '',
      stderr: `sluice: TOPIC_NOT_FOUND: topic '${missing}' does not exist\n`,
    });
  });

  test('SIGTERM stops sluice local and leaves no Java process behind', async () => {
    const java = (args: string): boolean => /\bjava\b|DynamoDBLocal/.test(args);
    javaPids = descendants(runner.pid!)
      .filter((p) => java(p.args))
      .map((p) => p.pid);
    expect(javaPids.length, `no java process under sluice local:\n${runnerOutput}`).toBeGreaterThan(0);

    runner.kill('SIGTERM');
    const exit = await Promise.race([
      runnerExit,
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000)),
    ]);
    expect(exit, runnerOutput).toEqual({ code: 0, signal: null });
    await until('the Java processes to end', 10_000, () =>
      javaPids.every((pid) => !isRunning(pid)) && !processes().some((p) => java(p.args) && p.args.includes(dataDir)),
    );
  }, 60_000);
});
