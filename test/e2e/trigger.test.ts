/**
 * `sluice trigger` as a user runs it: a child process against a running `sluice local`,
 * delivering a topic to a handler module (test/e2e/trigger-handlers/) the way Lambda's
 * Kafka event source mapping would, stopped with Ctrl-C (SIGINT). Each handler appends
 * one JSON line per invocation to the file TRIGGER_LOG names: that is how these tests
 * see what was delivered, in which batches and in which order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { readmeBlocks } from '../support/readme.ts';
import { repoRoot, startSluiceLocal, withoutAwsEndpoints, type SluiceLocal } from '../support/sluice-local.ts';

const bin = join(repoRoot, 'bin', 'sluice.js');
const handlers = 'test/e2e/trigger-handlers';

interface LoggedRecord {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** One invocation as the handler logged it (trigger-handlers/log.mjs). */
interface Invocation {
  readonly tag: string | null;
  readonly eventSource: string;
  readonly bootstrapServers: string;
  readonly functionName: string;
  readonly remainingMs: number;
  readonly requestId: string;
  readonly records: readonly LoggedRecord[];
  readonly outcome: 'started' | 'ok' | 'threw' | { readonly failed: number };
}

interface GroupAnswer {
  state: string;
  members: Array<{ memberId: string; assignments: Array<{ topic: string; partition: number }> }>;
  partitions: Array<{ topic: string; partition: number; committedOffset: number | null; highWatermark: number; lag: number | null; owner: string | null }>;
  totalLag: number;
}

interface Trigger {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Ctrl-C, as a person stops it (once; again: the same answer); resolves with how it exited. */
  interrupt(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The lines a handler logged so far (a line still being written is left for the next look). */
function invocations(file: string): Invocation[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Invocation);
}

const offsetsOf = (invocation: Invocation) => invocation.records.map((r) => r.offset);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('sluice trigger against sluice local', () => {
  let local: SluiceLocal;
  let scratch: string;
  const started = new Set<Trigger>();

  beforeAll(async () => {
    local = await startSluiceLocal();
    scratch = mkdtempSync(join(tmpdir(), 'sluice-trigger-'));
  }, 120_000);

  afterAll(async () => {
    for (const trigger of started) {
      if (trigger.child.exitCode === null && trigger.child.signalCode === null) trigger.child.kill('SIGKILL');
    }
    await local?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  const names = (what: string) => {
    const id = randomUUID().slice(0, 8);
    return { topic: `${what}-${id}`, group: `${what}-group-${id}`, log: join(scratch, `${what}-${id}.jsonl`) };
  };

  async function createTopic(name: string, partitions: number): Promise<void> {
    const response = await fetch(`${local.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, partitions }) });
    expect(response.status, await response.clone().text()).toBe(201);
  }

  async function produce(topic: string, records: ReadonlyArray<{ partition: number; key: string; value: string; headers?: Record<string, string> }>): Promise<void> {
    const response = await fetch(`${local.url}/v1/topics/${topic}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    expect(response.status, await response.clone().text()).toBe(200);
  }

  async function describeGroup(group: string): Promise<GroupAnswer> {
    const response = await fetch(`${local.url}/v1/groups/${group}`);
    expect(response.status).toBe(200);
    return (await response.json()) as GroupAnswer;
  }

  /** Starts `sluice trigger <args> --endpoint <local>`; resolves once it has joined the group. */
  async function startTrigger(args: readonly string[], env: Record<string, string>): Promise<Trigger> {
    const child = spawn(process.execPath, [bin, 'trigger', ...args, '--endpoint', local.url], {
      cwd: repoRoot,
      env: { ...withoutAwsEndpoints(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const trigger: Trigger = {
      child,
      stdout: () => stdout,
      stderr: () => stderr,
      interrupt: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        try {
          return await exited;
        } finally {
          clearTimeout(timer);
        }
      },
    };
    started.add(trigger);
    await eventually(() => {
      if (child.exitCode !== null) throw new Error(`sluice trigger exited with ${child.exitCode}:\n${stdout}${stderr}`);
      expect(stdout).toContain('(Ctrl-C to stop)');
    }, 30_000);
    return trigger;
  }

  /** `sluice trigger <args>` run to its end (for refusals). */
  function runTrigger(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bin, 'trigger', ...args, '--endpoint', local.url], { cwd: repoRoot, env: withoutAwsEndpoints(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
      child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  const fast = ['--batching-window-ms', '100', '--starting-position', 'earliest'];

  it('delivers every record of a 3-partition topic, in order per partition, in batches of at most --batch-size, and commits after each success', async () => {
    const { topic, group, log } = names('orders');
    await createTopic(topic, 3);
    const keyed = (from: number, to: number) => range(from, to).map((i) => ({ partition: i % 3, key: `k${i}`, value: `v${i}` }));
    await produce(topic, keyed(0, 300));

    const trigger = await startTrigger(
      ['--topic', topic, '--group', group, '--handler', `./${handlers}/record.mjs`, '--batch-size', '25', '--timeout-ms', '20000', ...fast],
      { TRIGGER_LOG: log },
    );
    try {
      const delivered = () => new Set(invocations(log).flatMap((inv) => inv.records.map((r) => r.value)));
      await eventually(() => expect(delivered().size).toBe(300), 30_000);
      // Produced while it runs: delivered too.
      await produce(topic, keyed(300, 360));
      await eventually(() => expect(delivered().size).toBe(360), 30_000);
      // Committed as it goes, not only when it stops.
      await eventually(async () => expect((await describeGroup(group)).totalLag).toBe(0), 15_000);
    } finally {
      await trigger.interrupt();
    }
    expect(await trigger.interrupt()).toEqual({ code: 0, signal: null });

    const all = invocations(log);
    for (const inv of all) {
      // Lambda's self-managed Kafka event: records under "<topic>-<partition>", one partition per invocation here.
      expect(inv.eventSource).toBe('SelfManagedKafka');
      expect(new Set(inv.records.map((r) => r.group))).toEqual(new Set([`${topic}-${inv.records[0]!.partition}`]));
      expect(inv.records.every((r) => r.topic === topic && r.partition === inv.records[0]!.partition)).toBe(true);
      // Each record as produced: key and value decoded from the event's base64.
      for (const r of inv.records) expect([r.partition, r.key, r.value]).toEqual([Number(r.key!.slice(1)) % 3, r.key, `v${r.key!.slice(1)}`]);
      expect(inv.records.length).toBeGreaterThan(0);
      expect(inv.records.length).toBeLessThanOrEqual(25);
      expect(inv.functionName).toBe('record');
      expect(inv.remainingMs).toBeGreaterThan(0);
      expect(inv.remainingMs).toBeLessThanOrEqual(20_000);
    }
    // A backlog fills batches to --batch-size.
    expect(Math.max(...all.map((inv) => inv.records.length))).toBe(25);
    expect(new Set(all.map((inv) => inv.requestId)).size).toBe(all.length);

    const described = await describeGroup(group);
    for (const partition of [0, 1, 2]) {
      // In order: each invocation carries consecutive offsets and starts where the one before it ended.
      // One calm dispatcher: nothing is invoked twice ("committed after each success").
      const offsets = all.filter((inv) => inv.records[0]!.partition === partition).flatMap(offsetsOf);
      expect(offsets).toEqual(range(0, 120));
      expect(described.partitions.find((p) => p.partition === partition)).toMatchObject({ topic, committedOffset: 120, highWatermark: 120, lag: 0 });
    }
    // It left the group when stopped.
    expect(described.members).toEqual([]);
    expect(described.state).toBe('Empty');

    // Its output: one line per invocation, as the handler saw them.
    const lines = trigger.stdout().trim().split('\n');
    expect(lines[0]).toBe(`delivering ${topic} to record as group ${group} (Ctrl-C to stop)`);
    const expected = all.map((inv) => `${topic}-${inv.records[0]!.partition} ${inv.records[0]!.offset}..${inv.records.at(-1)!.offset} (${inv.records.length}) attempt 1: ok`);
    expect(lines.slice(1).sort()).toEqual(expected.sort());
    expect(trigger.stderr()).toBe('');
  }, 90_000);

  it('with --bisect, isolates a poison record, retries it --max-retries times, sends it to the DLQ topic with its failure, and delivers everything after it', async () => {
    const { topic, group, log } = names('payments');
    const dlq = `${topic}.dlq`;
    await createTopic(topic, 1);
    await createTopic(dlq, 1);
    await produce(
      topic,
      range(0, 20).map((i) => ({ partition: 0, key: `p${i}`, value: i === 9 ? 'poison' : `v${i}`, headers: { trace: `t-${i}` } })),
    );

    const trigger = await startTrigger(
      ['--topic', topic, '--group', group, '--handler', `./${handlers}/poison.mjs#handler`, '--bisect', '--max-retries', '2', '--dlq-topic', dlq, ...fast],
      { TRIGGER_LOG: log },
    );
    try {
      await eventually(() => {
        const ok = invocations(log).filter((inv) => inv.outcome === 'ok');
        expect(new Set(ok.flatMap(offsetsOf))).toEqual(new Set(range(0, 20).filter((o) => o !== 9)));
        expect(trigger.stdout()).toContain(`sent to topic ${dlq}`);
      }, 30_000);
      await eventually(async () => expect((await describeGroup(group)).partitions[0]).toMatchObject({ committedOffset: 20, lag: 0 }), 15_000);
    } finally {
      await trigger.interrupt();
    }
    expect(await trigger.interrupt()).toEqual({ code: 0, signal: null });

    const all = invocations(log);
    // Only batches holding the poison record failed; alone, it was invoked 1 + 2 times.
    expect(all.filter((inv) => inv.outcome === 'threw').every((inv) => offsetsOf(inv).includes(9))).toBe(true);
    expect(all.filter((inv) => inv.outcome === 'ok').every((inv) => !offsetsOf(inv).includes(9))).toBe(true);
    expect(all.filter((inv) => offsetsOf(inv).join() === '9').map((inv) => inv.outcome)).toEqual(['threw', 'threw', 'threw']);
    // The others were taken in order, once each, those after the poison record too.
    expect(all.filter((inv) => inv.outcome === 'ok').flatMap(offsetsOf)).toEqual(range(0, 20).filter((o) => o !== 9));

    const out = trigger.stdout();
    expect(out.match(/sent to/g)).toHaveLength(1);
    expect(out).toContain(`${topic}-0: 1 record(s) from offset 9 sent to topic ${dlq} (RetryAttemptsExhausted)\n`);
    for (const attempt of [1, 2, 3]) expect(out).toContain(`${topic}-0 9..9 (1) attempt ${attempt}: failed: poison record at offset 9\n`);

    const answer = await fetch(`${local.url}/v1/topics/${dlq}/partitions/0/records?offset=0`);
    const { records } = (await answer.json()) as { records: Array<{ key: string; value: string; headers: Record<string, string> }> };
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ key: 'p9', value: 'poison' });
    expect(records[0]!.headers).toEqual({
      trace: 't-9',
      'sluice.dlq.topic': topic,
      'sluice.dlq.partition': '0',
      'sluice.dlq.offset': '9',
      'sluice.dlq.reason': 'RetryAttemptsExhausted',
      'sluice.dlq.error': expect.stringContaining('poison record at offset 9') as unknown as string,
      'sluice.dlq.attempts': '3',
      'sluice.dlq.function': 'poison',
      'sluice.dlq.group': group,
    });
    expect((await describeGroup(group)).partitions).toEqual([expect.objectContaining({ partition: 0, committedOffset: 20, highWatermark: 20, lag: 0 })]);
  }, 90_000);

  it('a partial batch response resumes from the first failed record, without the records before it again', async () => {
    const { topic, group, log } = names('invoices');
    const marker = join(scratch, `${topic}.marker`);
    await createTopic(topic, 1);
    await produce(
      topic,
      range(0, 12).map((i) => ({ partition: 0, key: `i${i}`, value: i === 5 ? 'fail-once' : `v${i}` })),
    );

    const trigger = await startTrigger(['--topic', topic, '--group', group, '--handler', `./${handlers}/partial.mjs`, ...fast], {
      TRIGGER_LOG: log,
      TRIGGER_MARKER: marker,
    });
    try {
      await eventually(() => expect(invocations(log).at(-1)?.records.at(-1)?.offset).toBe(11), 30_000);
      await eventually(async () => expect((await describeGroup(group)).partitions[0]).toMatchObject({ committedOffset: 12, lag: 0 }), 15_000);
    } finally {
      await trigger.interrupt();
    }
    expect(await trigger.interrupt()).toEqual({ code: 0, signal: null });

    const all = invocations(log);
    const failedAt = all.findIndex((inv) => typeof inv.outcome === 'object');
    expect(all[failedAt]!.outcome).toEqual({ failed: 5 });
    // The failing batch held records before the failed one, so resuming right matters.
    expect(offsetsOf(all[failedAt]!)[0]).toBeLessThan(5);
    // The next invocation starts at exactly the failed record, and goes on from there.
    expect(offsetsOf(all[failedAt + 1]!)[0]).toBe(5);
    expect(all.slice(failedAt + 1).flatMap(offsetsOf)).toEqual(range(5, 12));
    // Records before it: once each, never again.
    expect(all.flatMap(offsetsOf).filter((o) => o < 5)).toEqual(range(0, 5));
    expect(trigger.stdout()).toMatch(new RegExp(`^${topic}-0 \\d+\\.\\.\\d+ \\(\\d+\\) attempt 1: failed from offset 5$`, 'm'));
    expect(trigger.stdout()).toMatch(new RegExp(`^${topic}-0 5\\.\\.\\d+ \\(\\d+\\) attempt 2: ok$`, 'm'));
    expect((await describeGroup(group)).partitions).toEqual([expect.objectContaining({ committedOffset: 12, highWatermark: 12, lag: 0 })]);
  }, 90_000);

  it('with --filter, delivers only the records whose value a pattern matches, and commits past the others', async () => {
    const { topic, group, log } = names('events');
    await createTopic(topic, 1);
    const kinds = ['order', 'refund', 'order', 'quote', 'quote'];
    await produce(
      topic,
      kinds.map((type, i) => ({ partition: 0, key: `e${i}`, value: JSON.stringify({ type, amount: i * 10 }) })),
    );
    const filters = ['--filter', '{"value":{"type":["order"]}}', '--filter', '{"value":{"type":["refund"],"amount":[{"numeric":[">",5]}]}}'];
    const trigger = await startTrigger(['--topic', topic, '--group', group, '--handler', `./${handlers}/record.mjs`, ...fast, ...filters], { TRIGGER_LOG: log });
    try {
      // The last two are quotes: the group's offset must still reach the end.
      await eventually(async () => expect((await describeGroup(group)).partitions[0]).toMatchObject({ committedOffset: 5, lag: 0 }), 30_000);
    } finally {
      await trigger.interrupt();
    }
    expect(invocations(log).flatMap(offsetsOf)).toEqual([0, 1, 2]);
  }, 60_000);

  it('two dispatchers in one group share the partitions and together deliver every record', async () => {
    const { topic, group } = names('clicks');
    const logs = { a: join(scratch, `${topic}-a.jsonl`), b: join(scratch, `${topic}-b.jsonl`) };
    await createTopic(topic, 4);
    const records = (from: number, to: number) => range(from, to).map((i) => ({ partition: i % 4, key: `c${i}`, value: `v${i}` }));
    await produce(topic, records(0, 200));

    const args = ['--topic', topic, '--group', group, '--handler', `./${handlers}/record.mjs`, '--batch-size', '20', ...fast];
    // If one fails to start, afterAll ends the other.
    const a = await startTrigger(args, { TRIGGER_LOG: logs.a, TRIGGER_TAG: 'a' });
    const b = await startTrigger(args, { TRIGGER_LOG: logs.b, TRIGGER_TAG: 'b' });
    try {
      // Fair shares: two members, two partitions each, every partition owned once.
      let owners = new Map<number, string>();
      await eventually(async () => {
        const described = await describeGroup(group);
        expect(described.members).toHaveLength(2);
        const [first, second] = described.members.map((m) => m.assignments.map((x) => x.partition).sort());
        expect(first!.length).toBeGreaterThan(0);
        expect(second!.length).toBeGreaterThan(0);
        expect([...first!, ...second!].sort()).toEqual([0, 1, 2, 3]);
        owners = new Map(described.partitions.map((p) => [p.partition, p.owner!]));
      }, 45_000);
      await produce(topic, records(200, 280));
      const delivered = () => [...invocations(logs.a), ...invocations(logs.b)];
      await eventually(() => expect(new Set(delivered().flatMap((inv) => inv.records.map((r) => r.value))).size).toBe(280), 30_000);
      await eventually(async () => expect((await describeGroup(group)).totalLag).toBe(0), 15_000);

      // The records produced once the group settled went to their partition's owner only:
      // each dispatcher delivered some, on partitions disjoint from the other's.
      const late = (tag: string) => new Set(delivered().filter((inv) => inv.tag === tag && inv.records.some((r) => r.offset >= 50)).map((inv) => inv.records[0]!.partition));
      const [lateA, lateB] = [late('a'), late('b')];
      expect(lateA.size).toBeGreaterThan(0);
      expect(lateB.size).toBeGreaterThan(0);
      expect([...lateA, ...lateB].sort()).toEqual([0, 1, 2, 3]);
      const ownerOf = (partitions: Set<number>) => new Set([...partitions].map((p) => owners.get(p)));
      expect(ownerOf(lateA).size).toBe(1);
      expect(ownerOf(lateB).size).toBe(1);
      // Within each dispatcher, a partition's records went in order.
      for (const tag of ['a', 'b']) {
        for (const p of [0, 1, 2, 3]) {
          const offsets = delivered().filter((inv) => inv.tag === tag && inv.records[0]!.partition === p).flatMap(offsetsOf);
          expect(offsets).toEqual([...offsets].sort((x, y) => x - y));
        }
      }
    } finally {
      await Promise.all([a.interrupt(), b.interrupt()]);
    }
    expect(await a.interrupt()).toEqual({ code: 0, signal: null });
    expect(await b.interrupt()).toEqual({ code: 0, signal: null });
    const described = await describeGroup(group);
    expect(described.members).toEqual([]);
    expect(described.partitions.map((p) => [p.partition, p.committedOffset, p.lag])).toEqual([0, 1, 2, 3].map((p) => [p, 70, 0]));
  }, 120_000);

  it('Ctrl-C while a failing record is retried without end stops at once, leaves that record uncommitted, and a restart resumes from it', async () => {
    const { topic, group, log } = names('refunds');
    await createTopic(topic, 1);
    await produce(
      topic,
      range(0, 6).map((i) => ({ partition: 0, key: `r${i}`, value: i === 3 ? 'poison' : `v${i}` })),
    );
    // No --max-retries and no DLQ: Lambda's default, retried until the record expires.
    let stopMs = Infinity;
    const failing = await startTrigger(['--topic', topic, '--group', group, '--handler', `./${handlers}/poison.mjs`, '--bisect', ...fast], { TRIGGER_LOG: log });
    try {
      await eventually(() => expect(invocations(log).filter((inv) => offsetsOf(inv).join() === '3').length).toBeGreaterThanOrEqual(3), 30_000);
    } finally {
      const interrupted = Date.now();
      await failing.interrupt();
      stopMs = Date.now() - interrupted;
    }
    expect(await failing.interrupt()).toEqual({ code: 0, signal: null });
    // Not after the backoff (it doubles to 30 s): at once.
    expect(stopMs).toBeLessThan(5_000);
    expect(failing.stdout()).not.toMatch(/sent to|skipped/);
    expect((await describeGroup(group)).partitions).toEqual([expect.objectContaining({ committedOffset: 3, lag: 3 })]);

    // The handler fixed, the same group goes on from the failed record: nothing before it again, nothing lost.
    const before = invocations(log).length;
    const fixed = await startTrigger(['--topic', topic, '--group', group, '--handler', `./${handlers}/record.mjs`, ...fast], { TRIGGER_LOG: log });
    try {
      await eventually(() => expect(invocations(log).slice(before).flatMap(offsetsOf)).toEqual([3, 4, 5]), 30_000);
    } finally {
      await fixed.interrupt();
    }
    expect(await fixed.interrupt()).toEqual({ code: 0, signal: null });
    expect(invocations(log).slice(before).map((inv) => inv.records.map((r) => r.value))).toEqual([['poison', 'v4', 'v5']]);
    expect((await describeGroup(group)).partitions).toEqual([expect.objectContaining({ committedOffset: 6, lag: 0 })]);
  }, 90_000);

  // Leaving the group first would revoke the partition and refuse the commit: the
  // dispatcher waits for its invocations in flight, commits them, then leaves.
  it('Ctrl-C while an invocation is in flight lets it finish and commits it before leaving', async () => {
    const { topic, group, log } = names('shipments');
    await createTopic(topic, 1);
    await produce(
      topic,
      range(0, 4).map((i) => ({ partition: 0, key: `s${i}`, value: `v${i}` })),
    );
    const trigger = await startTrigger(['--topic', topic, '--group', group, '--handler', `./${handlers}/slow.mjs`, ...fast], {
      TRIGGER_LOG: log,
      TRIGGER_SLEEP_MS: '2000',
    });
    try {
      await eventually(() => expect(invocations(log).map((inv) => inv.outcome)).toEqual(['started']), 30_000);
    } finally {
      await trigger.interrupt();
    }
    expect(await trigger.interrupt()).toEqual({ code: 0, signal: null });
    // It finished (the handler logged its end, the CLI its success) ...
    expect(invocations(log).map((inv) => [inv.outcome, offsetsOf(inv)])).toEqual([
      ['started', [0, 1, 2, 3]],
      ['ok', [0, 1, 2, 3]],
    ]);
    expect(trigger.stdout()).toContain(`${topic}-0 0..3 (4) attempt 1: ok\n`);
    // ... and was committed before the dispatcher left.
    expect((await describeGroup(group)).partitions).toEqual([expect.objectContaining({ committedOffset: 4, highWatermark: 4, lag: 0 })]);
  }, 60_000);

  it('runs the README’s handler example as written', async () => {
    const [example] = readmeBlocks(repoRoot).filter((b) => b.marker === 'handler');
    expect(example, 'the README marks its handler example').toBeDefined();
    const file = join(scratch, 'billing.mjs');
    writeFileSync(file, example!.code);
    const { topic, group } = names('readme');
    await createTopic(topic, 1);
    await produce(topic, [{ partition: 0, key: 'order-1', value: '{"id":1}' }]);
    const trigger = await startTrigger(['--topic', topic, '--group', group, '--handler', file, '--starting-position', 'earliest'], {});
    await eventually(() => expect(trigger.stdout()).toContain(`${topic}-0 0..0 (1) attempt 1: ok`), 30_000);
    expect(await trigger.interrupt()).toEqual({ code: 0, signal: null });
    // The handler's console.log goes to the dispatcher's stdout, as to a function's log.
    expect(trigger.stdout()).toContain(`billing got ${topic}-0@0: {"id":1}`);
  }, 60_000);

  it('refuses a missing --handler, a module without the export, a bad --batch-size and a missing DLQ topic with one line on stderr', async () => {
    const base = ['--topic', 'nope', '--group', 'nope'];
    const [missing, noExport, noModule, badSize, noDlq] = await Promise.all([
      runTrigger(base),
      runTrigger([...base, '--handler', `./${handlers}/record.mjs#nothing`]),
      runTrigger([...base, '--handler', `./${handlers}/absent.mjs`]),
      runTrigger([...base, '--handler', `./${handlers}/record.mjs`, '--batch-size', '0']),
      runTrigger([...base, '--handler', `./${handlers}/record.mjs`, '--dlq-topic', 'no-such-dlq']),
    ]);
    const [badFilter, notJson] = await Promise.all([
      runTrigger([...base, '--handler', `./${handlers}/record.mjs`, '--filter', '{"key":{"a":["b"]}}']),
      runTrigger([...base, '--handler', `./${handlers}/record.mjs`, '--filter', '{value']),
    ]);
    expect(badFilter).toMatchObject({ code: 2, stdout: '' });
    expect(badFilter.stderr).toMatch(/^sluice: filters\[0\] must be an object with one key, value[^\n]*\n$/);
    expect(notJson).toMatchObject({ code: 2, stdout: '' });
    expect(notJson.stderr).toMatch(/^sluice: --filter must be a JSON pattern[^\n]*\n$/);
    // A DLQ topic that is not there would fail every give-up: refused before anything is read.
    expect(noDlq).toMatchObject({ code: 1, stdout: '' });
    expect(noDlq.stderr).toMatch(/^sluice: TOPIC_NOT_FOUND: [^\n]*no-such-dlq[^\n]*\n$/);
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toMatch(/^sluice: missing required --handler.*\n$/);
    expect(noExport).toEqual({ code: 1, stdout: '', stderr: `sluice: ./${handlers}/record.mjs has no function export 'nothing'\n` });
    expect(noModule).toMatchObject({ code: 1, stdout: '' });
    expect(noModule.stderr).toMatch(new RegExp(`^sluice: cannot load handler module \\./${handlers}/absent\\.mjs: [^\\n]+\\n$`));
    expect(badSize).toMatchObject({ code: 2, stdout: '' });
    expect(badSize.stderr).toMatch(/^sluice: [^\n]*--batch-size[^\n]*\n$/);
  }, 60_000);
});
