/**
 * The cost scenarios. Each produces a fixed amount of data over HTTP to a one-partition
 * topic of its own, one request at a time; runs the background jobs once, against the
 * server's own storage, with the clock an hour ahead so that everything is due and sealed
 * into S3 segments (sealing is part of what producing costs); runs them once more with
 * nothing left to seal (the fixed cost of a scheduled run); then reads everything back
 * once from offset 0, which the sealed segments now answer. Around each phase it takes the
 * difference of the storage's UsageMeter and the stack's per-command counters.
 *
 * One request at a time, as one Lambda container serves them: the sum of request times
 * is then a (rough, local) proxy for billed Lambda duration, and appends never race.
 */
import { runJobs } from '../../lib/jobs/run.ts';
import { encodeBatch } from '../../lib/core/codec/record-batch.ts';
import type { SealResult } from '../../lib/core/job-report.ts';
import { BenchError, call, callMeasured, type ProduceAnswer } from './http.ts';
import type { BenchOptions } from './options.ts';
import type { Progress } from './progress.ts';
import type { BenchStack } from './stack.ts';
import { valueMaker } from './throughput.ts';
import { metered, type Usage } from './usage.ts';

export type CostScenarioName = 'bulk' | 'small';

export interface CostScenarioSpec {
  readonly name: CostScenarioName;
  readonly recordsPerRequest: number;
  /** Bytes per record value: 1 KiB. */
  readonly valueBytes: number;
  readonly requests: number;
  /** What was asked for; the scenario rounds up to whole requests. */
  readonly targetMiB: number;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/** One hour ahead: every tail item is past the seal delay (2 min) and segmentMs (10 min). */
const jobClockAheadMs = 3_600_000;
/** The API's largest fetch. */
const fetchMaxBytes = 4 * MiB;
const fetchMaxRecords = 10_000;

export function costSpec(name: CostScenarioName, options: BenchOptions): CostScenarioSpec {
  const valueBytes = KiB;
  if (name === 'bulk') {
    // 1,024 records of 1 KiB: 1 MiB of values per request, one batch to one partition.
    return { name, recordsPerRequest: 1024, valueBytes, requests: options.bulkMiB, targetMiB: options.bulkMiB };
  }
  const recordsPerRequest = options.smallRecords;
  return {
    name,
    recordsPerRequest,
    valueBytes,
    requests: Math.ceil((options.smallMiB * MiB) / (recordsPerRequest * valueBytes)),
    targetMiB: options.smallMiB,
  };
}

export interface HttpStats {
  readonly requests: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** API Gateway HTTP API metering: each request in 512 KB increments of its larger body. */
  readonly apiGatewayUnits: number;
  /** The sum of the requests' times (one at a time, so also the phase's wall time, less the client's own work). */
  readonly busySeconds: number;
}

export interface CostPhase {
  readonly usage: Usage;
  readonly seconds: number;
  readonly http?: HttpStats;
}

export interface CostScenarioResult {
  readonly spec: CostScenarioSpec;
  readonly topic: string;
  readonly records: number;
  /** Value bytes produced, and read back once: what a GiB means here. */
  readonly valueBytes: number;
  /** One request's records encoded as a RecordBatch. */
  readonly encodedBatchBytes: number;
  readonly produce: CostPhase;
  /** The job run that sealed everything. */
  readonly seal: CostPhase & { readonly result: SealResult };
  /** A second run with nothing to seal: the fixed cost of each scheduled run, per partition. */
  readonly idleJobRun: CostPhase;
  readonly consume: CostPhase & { readonly fetches: number };
}

interface FetchAnswer {
  records: Array<{ offset: number; value: string | null }>;
  nextOffset: number;
  highWatermark: number;
}

class HttpTally {
  requests = 0;
  requestBytes = 0;
  responseBytes = 0;
  apiGatewayUnits = 0;
  busyMs = 0;

  add(m: { requestBytes: number; responseBytes: number; ms: number }): void {
    this.requests++;
    this.requestBytes += m.requestBytes;
    this.responseBytes += m.responseBytes;
    this.apiGatewayUnits += apiGatewayUnits(m.requestBytes, m.responseBytes);
    this.busyMs += m.ms;
  }

  stats(): HttpStats {
    const { requests, requestBytes, responseBytes, apiGatewayUnits: units } = this;
    return { requests, requestBytes, responseBytes, apiGatewayUnits: units, busySeconds: this.busyMs / 1000 };
  }
}

/**
 * API Gateway meters HTTP API requests in 512 KB increments. Which body it measures is not
 * spelled out where we looked, so this counts the larger of request and response: it can
 * only overstate, and only the consume side, where answers are up to 4 MiB.
 */
export function apiGatewayUnits(requestBytes: number, responseBytes: number): number {
  return Math.max(1, Math.ceil(Math.max(requestBytes, responseBytes) / (512 * KiB)));
}

export async function runCostScenario(
  stack: BenchStack,
  spec: CostScenarioSpec,
  signal: AbortSignal,
  progress: Progress,
): Promise<CostScenarioResult> {
  const topic = `cost-${spec.name}-${Date.now().toString(36)}`;
  const topicUrl = `${stack.url}/v1/topics/${topic}`;
  await call('create topic', `${stack.url}/v1/topics`, {
    method: 'POST',
    body: JSON.stringify({ name: topic, partitions: 1 }),
    signal,
  });
  const records = spec.requests * spec.recordsPerRequest;
  const value = valueMaker(spec.valueBytes);

  // --- produce -------------------------------------------------------------------------
  const produceHttp = new HttpTally();
  progress.start(`${spec.name}: produce`, records);
  let started = performance.now();
  const produce = await metered(stack, async () => {
    for (let i = 0; i < spec.requests && !signal.aborted; i++) {
      const first = i * spec.recordsPerRequest;
      const parts = new Array<string>(spec.recordsPerRequest);
      for (let j = 0; j < spec.recordsPerRequest; j++) parts[j] = `{"partition":0,"value":"${value(first + j)}"}`;
      const body = `{"records":[${parts.join(',')}]}`;
      const m = await callMeasured<ProduceAnswer>(`${spec.name} produce request ${i + 1}`, `${topicUrl}/records`, { method: 'POST', body, signal });
      const offsets = m.answer.offsets;
      if (offsets?.length !== spec.recordsPerRequest || offsets[0]?.offset !== first) {
        throw new BenchError(`${spec.name} produce request ${i + 1} got offsets starting at ${offsets?.[0]?.offset ?? 'none'}, expected ${first}`);
      }
      produceHttp.add(m);
      progress.add(spec.recordsPerRequest);
    }
  });
  if (signal.aborted) throw signal.reason;
  const produceSeconds = (performance.now() - started) / 1000;
  progress.done(`${spec.name}: produced ${fmt(records)} records (${fmt(spec.requests)} requests) in ${produceSeconds.toFixed(1)} s`);

  // --- seal: the background jobs, once, then once more with nothing to do --------------
  const now = () => Date.now() + jobClockAheadMs;
  progress.note(`${spec.name}: sealing...`);
  started = performance.now();
  const seal = await metered(stack, () => runJobs(stack.storage, { topic, now }));
  const sealSeconds = (performance.now() - started) / 1000;
  const sealed = seal.result.partitions[0]?.seal;
  if (!sealed || sealed.records !== records || sealed.tailItemsDeleted !== spec.requests) {
    throw new BenchError(
      `the job run sealed ${sealed?.records ?? 0} of ${records} records and deleted ${sealed?.tailItemsDeleted ?? 0} of ` +
        `${spec.requests} tail items; the consume phase would not read from segments only`,
    );
  }
  progress.done(`${spec.name}: sealed into ${sealed.segments} segment(s) in ${sealSeconds.toFixed(1)} s`);
  started = performance.now();
  const idle = await metered(stack, () => runJobs(stack.storage, { topic, now }));
  const idleSeconds = (performance.now() - started) / 1000;
  if ((idle.result.partitions[0]?.seal?.segments ?? 0) !== 0) throw new BenchError('the second job run sealed something');

  // --- consume, once, from offset 0 ------------------------------------------------------
  const consumeHttp = new HttpTally();
  progress.start(`${spec.name}: consume`, records);
  started = performance.now();
  let received = 0;
  const consume = await metered(stack, async () => {
    let offset = 0;
    while (offset < records && !signal.aborted) {
      const what = `${spec.name} fetch at offset ${offset}`;
      const query = `offset=${offset}&maxRecords=${fetchMaxRecords}&maxBytes=${fetchMaxBytes}`;
      const m = await callMeasured<FetchAnswer>(what, `${topicUrl}/partitions/0/records?${query}`, { method: 'GET', signal });
      if (m.answer.records.length === 0) throw new BenchError(`${what} answered no records, but the partition ends at ${records}`);
      for (const record of m.answer.records) {
        if (record.offset !== offset) throw new BenchError(`${what}: expected offset ${offset}, got ${record.offset}`);
        if (record.value?.length !== spec.valueBytes) throw new BenchError(`${what}: record ${offset} has a ${record.value?.length ?? 'null'}-byte value`);
        offset++;
      }
      received += m.answer.records.length;
      consumeHttp.add(m);
      progress.add(m.answer.records.length);
    }
  });
  if (signal.aborted) throw signal.reason;
  const consumeSeconds = (performance.now() - started) / 1000;
  progress.done(`${spec.name}: consumed ${fmt(received)} records in ${fmt(consumeHttp.requests)} fetches, ${consumeSeconds.toFixed(1)} s`);
  if (received !== records) throw new BenchError(`${spec.name}: read back ${received} of ${records} records`);

  return {
    spec,
    topic,
    records,
    valueBytes: records * spec.valueBytes,
    encodedBatchBytes: encodedBatchBytes(spec.recordsPerRequest, spec.valueBytes),
    produce: { usage: produce.usage, seconds: produceSeconds, http: produceHttp.stats() },
    seal: { usage: seal.usage, seconds: sealSeconds, result: sealed },
    idleJobRun: { usage: idle.usage, seconds: idleSeconds },
    consume: { usage: consume.usage, seconds: consumeSeconds, http: consumeHttp.stats(), fetches: consumeHttp.requests },
  };
}

/** The bytes `count` keyless records with `valueBytes`-byte values encode to as one RecordBatch. */
export function encodedBatchBytes(count: number, valueBytes: number): number {
  const value = valueMaker(valueBytes);
  const now = Date.now();
  const records = Array.from({ length: count }, (_, i) => ({
    key: null,
    value: Buffer.from(value(i + 1_000_000)),
    headers: [],
    timestamp: now,
  }));
  return encodeBatch({ baseOffset: 0, records }).length;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
