/**
 * Faults at every storage call of a large-batch append and of a job run (sealing, then
 * retention and garbage collection), against DynamoDB Local and the S3 emulator. Each
 * call in turn fails before it reaches storage, or after it was answered, its reply
 * lost; a few steps of sealing are also hit by a killed process. After each fault, and
 * again after a rerun, every acknowledged record reads back exactly once, byte for byte,
 * at dense offsets in order, and nothing unacknowledged (a staged object whose pointer
 * never landed) is ever read.
 *
 * Each scenario builds its own topic in a container of its own, so scenarios run a few
 * at a time. One `it` covers every call of one operation in one mode; its failure lists
 * every scenario that broke, by call number and name.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordInput, StoredRecord } from '../../lib/core/codec/record-batch.ts';
import type { JobReport } from '../../lib/core/job-report.ts';
import { runJobs, type JobOptions } from '../../lib/jobs/run.ts';
import { UnavailableError } from '../../lib/core/errors.ts';
import type { Storage } from '../../lib/storage/index.ts';
import type { AppendResult } from '../../lib/storage/log.ts';
import { bucketLayout } from '../../lib/storage/tables.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import type { TopicMeta } from '../../lib/storage/topics.ts';
import { FaultInjector, InjectedFault, type CallSelector, type FaultMode, type StorageCall } from '../support/faults.ts';
import type { SealCrashSpec } from '../support/seal-crash.ts';
import { randomName, sameTables, testStorage } from '../support/stack.ts';

const HOUR = 3_600_000;
const modes: readonly FaultMode[] = ['before', 'after'];
/** Scenarios of one `it` that run at once (each on its own topic and container). */
const CONCURRENCY = 4;

/** Jobs run as if an hour had passed: every tail item is old enough to seal, every unreferenced object to collect. */
const jobOptions = (topic: TopicMeta): JobOptions => ({ topic: topic.name, now: () => Date.now() + HOUR, garbageGraceMs: 0 });

// ---------------------------------------------------------------------------------------
// Records, and the ledger of what was acknowledged

/** Recent, distinct timestamps: retention (7 days by default) must not drop anything here. */
const T0 = Date.now() - 60_000;
let clock = 0;

/** Records with binary values, some null keys, headers with binary and null values. */
function batch(count: number, valueBytes: number): RecordInput[] {
  return Array.from({ length: count }, (_, i) => ({
    key: i % 3 === 1 ? null : randomBytes(6),
    value: randomBytes(valueBytes),
    headers: i % 2 === 0 ? [{ key: 'trace', value: randomBytes(4) }, { key: 'none', value: null }] : [],
    timestamp: T0 + clock++,
  }));
}
/** Above the 8 KB inline limit: staged in S3 behind a pointer item. */
const largeBatch = () => batch(4, 2_500);
const smallBatch = () => batch(2, 40);

/** What readers must see: every acknowledged record, at the offset it was acknowledged at (and any append that landed while answering an error). */
class Ledger {
  readonly records: StoredRecord[] = [];

  get end(): number {
    return this.records.length;
  }

  /** An append that answered an error but landed (the log says it may have): readers see it like any other. */
  landed(records: readonly RecordInput[]): void {
    const base = this.end;
    records.forEach((r, i) => this.records.push({ ...r, offset: base + i }));
  }

  /** Offsets are dense: each acknowledgement starts where the previous one ended. */
  ack(result: AppendResult, records: readonly RecordInput[]): void {
    expect(result, 'acknowledged offsets follow the last acknowledged record').toEqual({ baseOffset: this.end, count: records.length });
    records.forEach((r, i) => this.records.push({ ...r, offset: result.baseOffset + i }));
  }
}

async function append(storage: Storage, topic: TopicMeta, ledger: Ledger, records: RecordInput[]): Promise<void> {
  ledger.ack(await storage.log.append(topic.topicId, 0, records), records);
}

/** A record as a short line: every byte goes into the digest, so equal lines mean equal records. */
function describeRecord(r: StoredRecord): string {
  const hex = (b: Buffer | null) => (b === null ? 'null' : `${b.length}:${createHash('sha256').update(b).digest('hex').slice(0, 16)}`);
  const headers = r.headers.map((h) => `${h.key}=${hex(h.value)}`).join(',');
  return `@${r.offset} t=${r.timestamp} k=${hex(r.key)} v=${hex(r.value)} h=[${headers}]`;
}

/** Reads the partition from offset 0 until a fetch finds nothing. */
async function readAll(storage: Storage, topic: TopicMeta, maxRecords: number): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let offset = 0;
  for (let reads = 0; reads < 1_000; reads++) {
    const res = await storage.log.read(topic.topicId, 0, offset, { maxRecords, maxBytes: 4 << 20 });
    if (res.records.length === 0) return out;
    out.push(...res.records);
    offset = res.nextOffset;
  }
  throw new Error('the read never reached the end of the partition');
}

/** The ledger, exactly: once each, in order, byte for byte (keys, values, headers, timestamps). */
function expectLedger(read: readonly StoredRecord[], ledger: Ledger, who: string): void {
  expect(read.map(describeRecord), who).toEqual(ledger.records.map(describeRecord));
  read.forEach((r, i) => {
    const want = ledger.records[i]!;
    const same = (a: Buffer | null, b: Buffer | null) => (a === null ? b === null : b !== null && a.equals(b));
    expect(same(r.key, want.key) && same(r.value, want.value), `${who}: bytes of record ${i}`).toBe(true);
    expect(r.headers.every((h, j) => h.key === want.headers[j]!.key && same(h.value, want.headers[j]!.value)), `${who}: headers of ${i}`).toBe(true);
  });
}

/**
 * What readers see: the container that wrote (and ran jobs), with its caches warm, in
 * one long fetch; and a cold container in small fetches that cross every boundary.
 */
async function expectReadsBack(storage: Storage, topic: TopicMeta, ledger: Ledger, when: string): Promise<void> {
  expectLedger(await readAll(storage, topic, 5_000), ledger, `${when}, same container`);
  const cold = sameTables(storage.config);
  try {
    expectLedger(await readAll(cold, topic, 13), ledger, `${when}, cold container`);
    expect(await cold.log.bounds(topic.topicId, 0), `${when}, bounds`).toEqual({ logStartOffset: 0, highWatermark: ledger.end });
  } finally {
    cold.destroy();
  }
}

// ---------------------------------------------------------------------------------------
// What is stored

async function objectKeys(storage: Storage, topic: TopicMeta, folder: string): Promise<string[]> {
  return (await storage.segments.listObjects(`${folder}${topic.topicId}/0/`)).map((o) => o.key).sort();
}

async function tailItems(storage: Storage, topic: TopicMeta) {
  const items = [];
  for await (const item of storage.tail.scanForward(partitionKey(topic.topicId, 0), 0, () => 100)) items.push(item);
  return items;
}

/**
 * Everything acknowledged is sealed: the tail is empty, segments tile [0, end) with no
 * overlap or hole, and the bucket holds exactly the objects the segment index names.
 */
async function expectFullySealed(storage: Storage, topic: TopicMeta, end: number): Promise<void> {
  const pk = partitionKey(topic.topicId, 0);
  expect(await tailItems(storage, topic), 'tail after sealing').toEqual([]);
  expect(await storage.partitions.get(pk)).toMatchObject({ sealedOffset: end, logStartOffset: 0 });
  const segments = await storage.segments.list(pk);
  expect(segments.map((s) => s.baseOffset), 'segments tile the log').toEqual([0, ...segments.slice(0, -1).map((s) => s.endOffset)]);
  expect(segments.at(-1)?.endOffset, 'segments end at the log end').toBe(end);
  expect(segments.reduce((n, s) => n + s.recordCount, 0)).toBe(end);
  expect(await objectKeys(storage, topic, bucketLayout.staged), 'staged objects left').toEqual([]);
  expect(await objectKeys(storage, topic, bucketLayout.segments), 'segment objects').toEqual(segments.map((s) => s.key).sort());
}

/** A dead or failed job run's lease, aged past its expiry: what the next scheduled run would find minutes later. */
async function expireLease(storage: Storage, topic: TopicMeta): Promise<void> {
  try {
    await storage.clients.dynamodb.send(
      new UpdateItemCommand({
        TableName: storage.config.tables.partitions,
        Key: { pk: { S: partitionKey(topic.topicId, 0) } },
        UpdateExpression: 'SET leaseExpires = :past',
        ConditionExpression: 'attribute_exists(leaseOwner)',
        ExpressionAttributeValues: { ':past': { N: '0' } },
      }),
    );
  } catch (err) {
    if (!(err instanceof ConditionalCheckFailedException)) throw err;
  }
}

const skipped = (report: JobReport) => report.partitions.some((p) => p.skipped);

// ---------------------------------------------------------------------------------------
// Running many scenarios

/** Runs every scenario (a few at once) and fails once, listing each scenario that failed and why. */
async function runScenarios<T>(scenarios: readonly T[], name: (s: T) => string, run: (s: T) => Promise<void>): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < scenarios.length) {
      const scenario = scenarios[next++]!;
      try {
        await run(scenario);
      } catch (err) {
        failures.push(`${name(scenario)}: ${(err as Error).message.split('\n').slice(0, 12).join('\n    ')}`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  expect(failures, `${failures.length} of ${scenarios.length} scenarios failed`).toEqual([]);
}

const describeCall = (c: StorageCall) => `call ${c.index} (${c.label})`;

/** The faulty run hit the call the clean run made at that position. */
function expectFiredAt(fired: StorageCall | undefined, expected: StorageCall): void {
  expect(fired?.label, 'the fault hit the call the clean run made there').toBe(expected.label);
}

let base: Storage;
beforeAll(async () => {
  // The sealer that deletes tail items has the most steps to fail between; the one whose
  // items expire runs a subset of them (seal.test.ts covers it).
  base = await testStorage({}, { tailCleanup: 'delete' });
});
afterAll(() => base.destroy());

// ---------------------------------------------------------------------------------------

describe('a fault at each storage call of a large-batch append', () => {
  /**
   * A topic with records acknowledged (inline and staged), and the container that will
   * append the large batch: the writer itself (its offset cache is warm: PutObject, then
   * the pointer's PutItem) or a cold one (which also reads the log end first).
   */
  async function produceSetup(warm: boolean) {
    const writer = sameTables(base.config);
    const topic = await writer.topics.create(randomName('produce'), 1);
    const ledger = new Ledger();
    await append(writer, topic, ledger, smallBatch());
    await append(writer, topic, ledger, largeBatch());
    await append(writer, topic, ledger, smallBatch());
    const producer = warm ? writer : sameTables(base.config);
    const close = () => {
      writer.destroy();
      if (producer !== writer) producer.destroy();
    };
    return { writer, producer, topic, ledger, close };
  }

  for (const warm of [true, false]) {
    const container = warm ? 'the writing container (cached next offset)' : 'a cold container';
    let recorded: StorageCall[] = [];

    it(`from ${container}: a clean append makes these calls`, async () => {
      const { producer, topic, ledger, close } = await produceSetup(warm);
      const faults = new FaultInjector(producer);
      const records = largeBatch();
      const { value, calls } = await faults.recording(() => producer.log.append(topic.topicId, 0, records));
      ledger.ack(value, records);
      recorded = calls;
      expect(calls.map((c) => c.label)).toEqual([
        'PutObjectCommand staged/',
        ...(warm ? [] : ['QueryCommand log', 'GetItemCommand partitions']),
        'PutItemCommand log',
      ]);
      close();
    });

    for (const mode of modes) {
      it(`from ${container}: each call failing ${mode === 'before' ? 'before it reaches storage' : 'with its reply lost'}`, async () => {
        expect(recorded.length, 'the clean run recorded its calls').toBeGreaterThan(0);
        // An append that fails may be retried by its producer or given up: both, where it failed.
        const scenarios = recorded.flatMap((call) => [
          { call, retry: true },
          { call, retry: false },
        ]);
        let ran = 0;
        await runScenarios(
          scenarios,
          (s) => `${mode} ${describeCall(s.call)}${s.retry ? ', retried' : ', given up'}`,
          async ({ call, retry }) => {
            const { writer, producer, topic, ledger, close } = await produceSetup(warm);
            try {
              const faults = new FaultInjector(producer);
              const records = largeBatch();
              const run = await faults.failing({ at: call.index, mode }, () => producer.log.append(topic.topicId, 0, records));
              expectFiredAt(run.fired, call);
              // A failed pointer put is ambiguous and retried inside the append; any other call's error reaches the caller.
              expect(run.outcome.ok, 'the append answered').toBe(call.label === 'PutItemCommand log');
              if (run.outcome.ok) {
                // Our log retried the put itself (an ambiguous error): acknowledged once.
                if (!retry) return; // the same as the retried variant
                ran++;
                ledger.ack(run.outcome.value, records);
              } else {
                ran++;
                expect(run.outcome.error).toBeInstanceOf(InjectedFault);
                // The code's promise: an append that throws has not landed (a pointer put
                // that fails is retried at the same offset inside the append, so the error
                // can only come from before it).
                expect((await tailItems(writer, topic)).length, 'tail items after the failed append').toBe(3);
                await expectReadsBack(writer, topic, ledger, 'after the failed append');
                // The staged object is there (if its PUT landed) and nothing points to it.
                const putLanded = call.index > 0 || mode === 'after';
                const referenced = (await tailItems(writer, topic)).flatMap((i) => (i.object ? [i.object] : []));
                const orphans = (await objectKeys(writer, topic, bucketLayout.staged)).filter((k) => !referenced.includes(k));
                expect(orphans, 'staged objects without a pointer').toHaveLength(putLanded ? 1 : 0);
                if (retry) await append(producer, topic, ledger, records);
              }
              // Appends go on at the next dense offset, from both containers.
              await append(producer, topic, ledger, smallBatch());
              await append(writer, topic, ledger, smallBatch());
              await expectReadsBack(writer, topic, ledger, 'after the append');

              const jobs = sameTables(base.config);
              try {
                await runJobs(jobs, jobOptions(topic));
                await expectReadsBack(writer, topic, ledger, 'after sealing');
                await expectReadsBack(jobs, topic, ledger, 'after sealing, jobs container');
                // The orphan is collected, never sealed: the bucket holds the segment alone.
                await expectFullySealed(jobs, topic, ledger.end);
              } finally {
                jobs.destroy();
              }
            } finally {
              close();
            }
          },
        );
        console.log(`large-batch append from ${container}, faults ${mode}: ${ran} scenarios`);
      });
    }
  }

  for (const mode of modes) {
    const how = mode === 'before' ? 'before reaching DynamoDB' : 'with its reply lost';
    it(`an append whose every pointer put fails ${how} answers UNAVAILABLE; it landed ${mode === 'before' ? 'nowhere' : 'exactly once'}`, async () => {
      await runScenarios(
        [true, false],
        (retry) => (retry ? 'retried by the producer' : 'given up'),
        async (retry) => {
          const { writer, topic, ledger, close } = await produceSetup(true);
          const producer = sameTables(base.config, { log: { maxAppendAttempts: 3 } });
          try {
            const faults = new FaultInjector(producer);
            const records = largeBatch();
            const run = await faults.failing({ at: { label: 'PutItemCommand log' }, mode, times: 3 }, () =>
              producer.log.append(topic.topicId, 0, records),
            );
            expect(run.struck.map((c) => c.label)).toEqual(Array(3).fill('PutItemCommand log'));
            expect(run.outcome.ok ? undefined : run.outcome.error).toBeInstanceOf(UnavailableError);
            // 'before': no try reached the table. 'after': the first try landed, the next
            // two met it, and all three replies were lost.
            if (mode === 'after') ledger.landed(records);
            await expectReadsBack(writer, topic, ledger, 'after the failed append');
            const referenced = (await tailItems(writer, topic)).flatMap((i) => (i.object ? [i.object] : []));
            const orphans = (await objectKeys(writer, topic, bucketLayout.staged)).filter((k) => !referenced.includes(k));
            expect(orphans, 'staged objects without a pointer').toHaveLength(mode === 'before' ? 1 : 0);
            // Without an idempotent producer a retry after 'after' is a second copy, at offsets of its own.
            if (retry) await append(producer, topic, ledger, records);
            await append(writer, topic, ledger, smallBatch());
            await expectReadsBack(writer, topic, ledger, 'after the append');
            await runJobs(writer, jobOptions(topic));
            await expectReadsBack(writer, topic, ledger, 'after sealing');
            await expectFullySealed(writer, topic, ledger.end);
          } finally {
            producer.destroy();
            close();
          }
        },
      );
    });
  }

  it('an orphan too young for the run that sealed its partition is collected by a later run, the partition idle by then', async () => {
    const { writer, topic, ledger, close } = await produceSetup(true);
    try {
      const faults = new FaultInjector(writer);
      // The staged PUT lands, its reply is lost; the producer gives up.
      const run = await faults.failing({ at: { label: 'PutObjectCommand staged/' }, mode: 'after' }, () =>
        writer.log.append(topic.topicId, 0, largeBatch()),
      );
      expect(run.outcome.ok).toBe(false);
      // A quarter of an hour later the tail is due (segmentMs): it is sealed, and the
      // orphan, younger than the hour of grace, stays.
      await runJobs(writer, { topic: topic.name, now: () => Date.now() + HOUR / 4 });
      expect(await objectKeys(writer, topic, bucketLayout.staged), 'the orphan, within its grace').toHaveLength(1);
      await expectReadsBack(writer, topic, ledger, 'after sealing');
      // Two hours later nothing else has happened: the orphan is past its grace.
      await runJobs(writer, { topic: topic.name, now: () => Date.now() + 2 * HOUR });
      await expectFullySealed(writer, topic, ledger.end);
    } finally {
      close();
    }
  });
});

// ---------------------------------------------------------------------------------------

/**
 * A topic with 28 tail items, inline and staged mixed: more than the 25 items one
 * BatchWriteItem deletes, so tail deletion takes two calls. With `priorSegment`, its first
 * records are sealed beforehand, so the faulty run seals above 0, after an existing segment.
 */
async function sealSetup(storage: Storage, priorSegment = true): Promise<{ topic: TopicMeta; ledger: Ledger }> {
  const topic = await storage.topics.create(randomName('seal'), 1);
  const ledger = new Ledger();
  if (priorSegment) {
    await append(storage, topic, ledger, smallBatch());
    await append(storage, topic, ledger, largeBatch());
    await runJobs(storage, jobOptions(topic));
  }
  for (let i = 0; i < 28; i++) {
    await append(storage, topic, ledger, i % 9 === 4 ? largeBatch() : batch(1 + (i % 3), 30));
  }
  return { topic, ledger };
}

/**
 * Reruns the jobs with no fault until the tail is sealed, at most three times. A run that
 * finds the lease held (only allowed when the failed run could not release it) waits out
 * its expiry, as the next scheduled run would.
 */
async function rerunJobs(storage: Storage, topic: TopicMeta, leaseMayBeHeld: boolean): Promise<void> {
  for (let runs = 0; runs < 3; runs++) {
    const report = await runJobs(storage, jobOptions(topic));
    if (skipped(report)) {
      expect(leaseMayBeHeld, 'a rerun skipped: the failed run left its lease held').toBe(true);
      await expireLease(storage, topic);
    } else if ((await tailItems(storage, topic)).length === 0) {
      return;
    }
  }
}

/** The calls that carry sealing's steps (the rest read, or belong to retention and garbage collection). */
const sealingSteps = new Set([
  'GetObjectCommand staged/',
  'PutObjectCommand segments/',
  'PutItemCommand segments',
  'UpdateItemCommand partitions SET sealedOffset',
  'BatchWriteItemCommand log',
  'DeleteObjectsCommand staged/',
]);

describe('a fault at each storage call of a job run that seals', () => {
  const variants = [
    { name: 'above an existing segment', priorSegment: true, allCalls: true },
    { name: 'from offset 0', priorSegment: false, allCalls: false },
  ];
  for (const { name, priorSegment, allCalls } of variants) {
    let recorded: StorageCall[] = [];

    it(`${name}: a clean run seals the tail into a segment; these are its calls`, async () => {
      const storage = sameTables(base.config);
      const faults = new FaultInjector(storage);
      const { topic, ledger } = await sealSetup(storage, priorSegment);
      const { value: report, calls } = await faults.recording(() => runJobs(storage, jobOptions(topic)));
      recorded = calls;
      expect(report.partitions[0]!.seal).toMatchObject({ segments: 1, tailItemsDeleted: 28 });
      const labels = calls.map((c) => c.label);
      for (const step of sealingSteps) expect(labels, 'the sealing steps').toContain(step);
      expect(labels.filter((l) => l === 'BatchWriteItemCommand log'), 'tail deletion in two calls').toHaveLength(2);
      await expectReadsBack(storage, topic, ledger, 'after a clean seal');
      await expectFullySealed(storage, topic, ledger.end);
      if (allCalls) console.log(`a sealing job run makes ${calls.length} calls:\n  ${calls.map(describeCall).join('\n  ')}`);
      storage.destroy();
    });

    for (const mode of modes) {
      const which = allCalls ? 'each call' : 'each call of a sealing step';
      it(`${name}: ${which} failing ${mode === 'before' ? 'before it reaches storage' : 'with its reply lost'}; then a rerun`, async () => {
        expect(recorded.length, 'the clean run recorded its calls').toBeGreaterThan(0);
        const scenarios = allCalls ? recorded : recorded.filter((c) => sealingSteps.has(c.label));
        await runScenarios(
          scenarios,
          (call) => `${mode} ${describeCall(call)}`,
          async (call) => {
            const storage = sameTables(base.config);
            try {
              const faults = new FaultInjector(storage);
              const { topic, ledger } = await sealSetup(storage, priorSegment);
              const run = await faults.failing({ at: call.index, mode }, () => runJobs(storage, jobOptions(topic)));
              expectFiredAt(run.fired, call);
              expect(run.outcome.ok, 'the faulty run reports its failure').toBe(false);
              // Readers see the tail or the segment, never both, never neither.
              await expectReadsBack(storage, topic, ledger, 'between the fault and the rerun');

              // Only a fault on the lease calls themselves leaves it held (a thrown run releases it in `finally`).
              const leaseMayBeHeld =
                (call.label === 'UpdateItemCommand partitions SET leaseOwner' && mode === 'after') ||
                (call.label === 'UpdateItemCommand partitions REMOVE leaseOwner' && mode === 'before');
              await rerunJobs(storage, topic, leaseMayBeHeld);
              await expectReadsBack(storage, topic, ledger, 'after the rerun');
              await expectFullySealed(storage, topic, ledger.end);
              // Appends go on at the sealed end, and read on from the segments into the tail.
              await append(storage, topic, ledger, smallBatch());
              expectLedger(await readAll(storage, topic, 5_000), ledger, 'after appending again');
            } finally {
              storage.destroy();
            }
          },
        );
        console.log(`sealing job run ${name}, faults ${mode}: ${scenarios.length} scenarios`);
      });
    }
  }

  it.each([
    ['the segment index put landed (reply lost)', { label: 'PutItemCommand segments' }, 'after'],
    ['advancing sealedOffset never happened', { label: 'UpdateItemCommand partitions SET sealedOffset' }, 'before'],
  ] as const)(
    'a segment item left by a failed run, when %s, does not block sealing once more of the tail is due',
    async (_, at, mode) => {
      const storage = sameTables(base.config);
      try {
        const faults = new FaultInjector(storage);
        const { topic, ledger } = await sealSetup(storage);
        const run = await faults.failing({ at, mode }, () => runJobs(storage, jobOptions(topic)));
        expect(run.fired?.label).toBe(at.label);
        // Minutes pass before the next run: more appends, now old enough to seal too.
        for (let i = 0; i < 3; i++) await append(storage, topic, ledger, i === 1 ? largeBatch() : smallBatch());
        await expectReadsBack(storage, topic, ledger, 'before the rerun');
        await rerunJobs(storage, topic, false);
        await expectReadsBack(storage, topic, ledger, 'after the rerun');
        await expectFullySealed(storage, topic, ledger.end);
      } finally {
        storage.destroy();
      }
    },
  );
});

// ---------------------------------------------------------------------------------------

/** Runs the jobs in a child process that SIGKILLs itself at the selected call. */
function crashingJobRun(spec: SealCrashSpec): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/seal-crash.ts', JSON.stringify(spec)], {
      cwd: process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('a job run killed (SIGKILL) at a step of sealing, then a rerun', () => {
  const steps: ReadonlyArray<readonly [string, Exclude<CallSelector, number>, FaultMode]> = [
    ['after the segment object PUT', { label: 'PutObjectCommand segments/' }, 'after'],
    ['before the segment index put', { label: 'PutItemCommand segments' }, 'before'],
    ['after the segment index put', { label: 'PutItemCommand segments' }, 'after'],
    ['after advancing sealedOffset', { label: 'UpdateItemCommand partitions SET sealedOffset' }, 'after'],
    ['in the middle of tail deletions', { label: 'BatchWriteItemCommand log', occurrence: 1 }, 'after'],
    ['after the tail items went, before their staged objects', { label: 'DeleteObjectsCommand staged/' }, 'before'],
  ];

  it(`at ${steps.length} steps: readers see every record once, and the next run finishes the seal`, async () => {
    await runScenarios(
      steps,
      ([name]) => name,
      async ([, at, mode]) => {
        const storage = sameTables(base.config);
        try {
          const { topic, ledger } = await sealSetup(storage);
          const child = await crashingJobRun({ config: storage.config, topic: topic.name, at, mode, clockShiftMs: HOUR, garbageGraceMs: 0 });
          expect({ signal: child.signal, stderr: child.stderr, stdout: child.stdout }, 'the job process was killed').toMatchObject({ signal: 'SIGKILL' });
          const note = child.stderr.split('\n').find((line) => line.startsWith('{"killedAt"'));
          expect(JSON.parse(note ?? '{}'), 'where it died').toMatchObject({ killedAt: { label: at.label }, mode });
          await expectReadsBack(storage, topic, ledger, 'after the crash');
          // The dead run never released its lease: the next run waits it out.
          await rerunJobs(storage, topic, true);
          await expectReadsBack(storage, topic, ledger, 'after the rerun');
          await expectFullySealed(storage, topic, ledger.end);
        } finally {
          storage.destroy();
        }
      },
    );
  });
});
