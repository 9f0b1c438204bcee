/**
 * The cost scenarios. Each produces a fixed amount of data to a one-partition topic of its
 * own; runs the background jobs once, against the server's own storage, with the clock an
 * hour ahead so that everything is due and sealed into S3 segments (sealing is part of
 * what producing costs); runs them once more with nothing left to seal (the fixed cost of
 * a scheduled run); then reads everything back once from offset 0 over HTTP, which the
 * sealed segments now answer. Around each phase it takes the difference of the storage's
 * UsageMeter and the stack's per-command counters.
 *
 * bulk and small (this file) produce over raw HTTP, one request at a time, as one Lambda
 * container serves them: the sum of request times is then a (rough, local) proxy for
 * billed Lambda duration, and appends never race. small's JSON variants (small-json.ts)
 * produce through the SDK producer instead and share the seal and consume phases here
 * (sealAndConsume).
 */
import { runJobs } from '../../lib/jobs/run.ts';
import { encodeBatch } from '../../lib/core/codec/record-batch.ts';
import type { SealResult } from '../../lib/core/job-report.ts';
import { BenchError, call, callMeasured, type Measured, type ProduceAnswer } from './http.ts';
import type { BenchOptions } from './options.ts';
import type { Progress } from './progress.ts';
import type { BenchStack } from './stack.ts';
import { valueMaker } from './throughput.ts';
import { metered, type Usage } from './usage.ts';

export type CostScenarioName = 'bulk' | 'small';

/** A raw-HTTP cost scenario: fixed requests of `recordsPerRequest` values of `valueBytes`. */
export interface CostScenarioSpec {
  readonly kind: 'raw';
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
    return { kind: 'raw', name, recordsPerRequest: 1024, valueBytes, requests: options.bulkMiB, targetMiB: options.bulkMiB };
  }
  const recordsPerRequest = options.smallRecords;
  return {
    kind: 'raw',
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
  readonly spec: CostScenarioSpec | JsonScenarioSpec;
  readonly topic: string;
  readonly records: number;
  /** Value bytes produced, and read back once: what a GiB means here. */
  readonly valueBytes: number;
  /** What Kinesis on-demand bills in for the same records: each value rounded up to the next 1 KB. */
  readonly kinesisBilledBytes: number;
  /** Batches appended: produce requests that carried records (one partition, so one batch each). */
  readonly batches: number;
  /** bulk and small: one request's records encoded as an uncompressed RecordBatch (computed here); JSON: as stored (below). */
  readonly encodedBatchBytes: number;
  /** The batches' average size as stored, compressed if they were: the segment bytes sealed, per batch. */
  readonly storedBatchBytes: number;
  readonly produce: CostPhase;
  /** The job run that sealed everything. */
  readonly seal: SealPhase;
  /** A second run with nothing to seal: the fixed cost of each scheduled run, per partition. */
  readonly idleJobRun: CostPhase;
  readonly consume: ConsumePhase;
  /** The JSON variants only: how the SDK producer's requests came out. */
  readonly sdk?: SdkProduceStats;
}

export type SealPhase = CostPhase & { readonly result: SealResult };
export type ConsumePhase = CostPhase & { readonly fetches: number };

/** small's JSON variants: realistic JSON values sent through the SDK producer with one codec (small-json.ts). */
export interface JsonScenarioSpec {
  readonly kind: 'json';
  /** smallJsonNone, smallJsonGzip, ...: also the stable names of the --json headline figures. */
  readonly name: string;
  /** The producer's `compression` (kafkajs's CompressionTypes), named as the API's produce body names it. */
  readonly codec: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
  /** Concurrent application loops, each awaiting producer.send() of `recordsPerSend` records. */
  readonly senders: number;
  readonly recordsPerSend: number;
  /** The generator's seed (json-records.ts). */
  readonly seed: number;
  /** What was asked for; the scenario rounds up to whole sends. */
  readonly targetMiB: number;
}

export interface SdkProduceStats {
  readonly sends: number;
  /** HTTP requests that appended records (POST .../records), retries included. */
  readonly produceRequests: number;
  /** The producer's other requests (its producer id, the topic's partition count). */
  readonly otherRequests: number;
  /** Values over 1 KiB, which Kinesis bills as 2 KB or more. */
  readonly recordsOver1KiB: number;
}

interface FetchAnswer {
  records: Array<{ offset: number; value: string | null }>;
  nextOffset: number;
  highWatermark: number;
}

export class HttpTally {
  requests = 0;
  requestBytes = 0;
  responseBytes = 0;
  apiGatewayUnits = 0;
  busyMs = 0;

  add(m: Pick<Measured<unknown>, 'requestBytes' | 'responseBytes' | 'ms'>): void {
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

/** A fresh one-partition topic with the default config, named after the scenario. */
export async function createCostTopic(stack: BenchStack, name: string, signal: AbortSignal): Promise<string> {
  const topic = `cost-${name}-${Date.now().toString(36)}`;
  await call('create topic', `${stack.url}/v1/topics`, { method: 'POST', body: JSON.stringify({ name: topic, partitions: 1 }), signal });
  return topic;
}

export async function runCostScenario(
  stack: BenchStack,
  spec: CostScenarioSpec,
  signal: AbortSignal,
  progress: Progress,
): Promise<CostScenarioResult> {
  const topic = await createCostTopic(stack, spec.name, signal);
  const topicUrl = `${stack.url}/v1/topics/${topic}`;
  const records = spec.requests * spec.recordsPerRequest;
  const value = valueMaker(spec.valueBytes);

  // --- produce -------------------------------------------------------------------------
  const produceHttp = new HttpTally();
  progress.start(`${spec.name}: produce`, records);
  const started = performance.now();
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

  const phases = await sealAndConsume(stack, {
    name: spec.name,
    topic,
    records,
    batches: spec.requests,
    signal,
    progress,
    check: (offset, value) => (value?.length === spec.valueBytes ? undefined : `record ${offset} has a ${value?.length ?? 'null'}-byte value`),
  });
  const encoded = encodedBatchBytes(spec.recordsPerRequest, spec.valueBytes);
  return {
    spec,
    topic,
    records,
    valueBytes: records * spec.valueBytes,
    kinesisBilledBytes: records * kinesisRecordBytes(spec.valueBytes),
    batches: spec.requests,
    encodedBatchBytes: encoded,
    storedBatchBytes: phases.seal.result.bytes / spec.requests,
    produce: { usage: produce.usage, seconds: produceSeconds, http: produceHttp.stats() },
    ...phases,
  };
}

export interface SealAndConsumeInput {
  readonly name: string;
  readonly topic: string;
  /** Records in the partition, from offset 0. */
  readonly records: number;
  /** Batches appended, each a tail item the job run must seal. */
  readonly batches: number;
  readonly signal: AbortSignal;
  readonly progress: Progress;
  /** Why the record at `offset` is wrong, or undefined when it is what was produced. */
  readonly check: (offset: number, value: string | null) => string | undefined;
}

/**
 * The phases every cost scenario shares once its records are in the tail: the job run that
 * seals them all (the clock an hour ahead), a second run with nothing to seal, and one read
 * of everything from offset 0 over HTTP, each record checked.
 */
export async function sealAndConsume(
  stack: BenchStack,
  input: SealAndConsumeInput,
): Promise<{ seal: SealPhase; idleJobRun: CostPhase; consume: ConsumePhase }> {
  const { name, topic, records, batches, signal, progress } = input;
  const topicUrl = `${stack.url}/v1/topics/${topic}`;

  // --- seal: the background jobs, once, then once more with nothing to do --------------
  const now = () => Date.now() + jobClockAheadMs;
  progress.note(`${name}: sealing...`);
  let started = performance.now();
  const seal = await metered(stack, () => runJobs(stack.storage, { topic, now }));
  const sealSeconds = (performance.now() - started) / 1000;
  const sealed = seal.result.partitions[0]?.seal;
  // Sealed tail items are deleted by the sealer, or left to expire by TTL (tailItemsDeleted 0):
  // either way reads below the sealed end come from segments.
  if (!sealed || sealed.records !== records || sealed.batches !== batches || (sealed.tailItemsDeleted !== 0 && sealed.tailItemsDeleted !== batches)) {
    throw new BenchError(
      `the job run sealed ${sealed?.records ?? 0} of ${records} records and ${sealed?.batches ?? 0} of ${batches} batches ` +
        `(${sealed?.tailItemsDeleted ?? 0} tail items deleted); the consume phase would not read from segments only`,
    );
  }
  progress.done(`${name}: sealed into ${sealed.segments} segment(s) in ${sealSeconds.toFixed(1)} s`);
  started = performance.now();
  const idle = await metered(stack, () => runJobs(stack.storage, { topic, now }));
  const idleSeconds = (performance.now() - started) / 1000;
  if ((idle.result.partitions[0]?.seal?.segments ?? 0) !== 0) throw new BenchError('the second job run sealed something');

  // --- consume, once, from offset 0 ------------------------------------------------------
  const consumeHttp = new HttpTally();
  progress.start(`${name}: consume`, records);
  started = performance.now();
  let received = 0;
  const consume = await metered(stack, async () => {
    let offset = 0;
    while (offset < records && !signal.aborted) {
      const what = `${name} fetch at offset ${offset}`;
      const query = `offset=${offset}&maxRecords=${fetchMaxRecords}&maxBytes=${fetchMaxBytes}`;
      const m = await callMeasured<FetchAnswer>(what, `${topicUrl}/partitions/0/records?${query}`, { method: 'GET', signal });
      if (m.answer.records.length === 0) throw new BenchError(`${what} answered no records, but the partition ends at ${records}`);
      for (const record of m.answer.records) {
        if (record.offset !== offset) throw new BenchError(`${what}: expected offset ${offset}, got ${record.offset}`);
        const wrong = input.check(offset, record.value);
        if (wrong !== undefined) throw new BenchError(`${what}: ${wrong}`);
        offset++;
      }
      received += m.answer.records.length;
      consumeHttp.add(m);
      progress.add(m.answer.records.length);
    }
  });
  if (signal.aborted) throw signal.reason;
  const consumeSeconds = (performance.now() - started) / 1000;
  progress.done(`${name}: consumed ${fmt(received)} records in ${fmt(consumeHttp.requests)} fetches, ${consumeSeconds.toFixed(1)} s`);
  if (received !== records) throw new BenchError(`${name}: read back ${received} of ${records} records`);

  return {
    seal: { usage: seal.usage, seconds: sealSeconds, result: sealed },
    idleJobRun: { usage: idle.usage, seconds: idleSeconds },
    consume: { usage: consume.usage, seconds: consumeSeconds, http: consumeHttp.stats(), fetches: consumeHttp.requests },
  };
}

/** Kinesis on-demand bills data in per record rounded up to the next 1 KB (taken as 1,024 bytes, as GB is taken as GiB). */
export function kinesisRecordBytes(valueBytes: number): number {
  return Math.max(1, Math.ceil(valueBytes / KiB)) * KiB;
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

export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
