/**
 * The throughput scenario: produce records over HTTP with concurrent producers, read them
 * all back with one reader per partition, and record what each phase cost in capacity
 * units and S3 requests.
 */
import { encodeBatch, type RecordInput } from '../../lib/core/codec/record-batch.ts';
import { BenchError, call, type ProduceAnswer } from './http.ts';
import type { BenchOptions } from './options.ts';
import type { Progress } from './progress.ts';
import type { BenchResult, PhaseResult } from './report.ts';
import type { BenchStack } from './stack.ts';
import { usageNow, usageSince, type Usage } from './usage.ts';

const fetchMaxBytes = 4 * 1024 * 1024;
const keyBytes = 16;

interface FetchAnswer {
  records: Array<{ offset: number; key: string | null; value: string | null }>;
  nextOffset: number;
  highWatermark: number;
}

export interface Timed<T> {
  readonly seconds: number;
  readonly httpRequests: number;
  readonly result: T;
}

/** Values are ASCII (one byte per character) and start with their sequence number. */
export function valueMaker(valueBytes: number): (seq: number) => string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let filler = '';
  while (filler.length < valueBytes) filler += alphabet;
  return (seq) => {
    const head = `${seq}-`;
    return head.length >= valueBytes ? head.slice(0, valueBytes) : head + filler.slice(0, valueBytes - head.length);
  };
}

const keyOf = (seq: number): string => `k${String(seq).padStart(keyBytes - 1, '0')}`;

/** One produce request's JSON, built by hand: nothing in it needs escaping. */
function produceBody(options: BenchOptions, first: number, count: number, partition: number | undefined, value: (seq: number) => string): string {
  const parts = new Array<string>(count);
  const partitionField = partition === undefined ? '' : `"partition":${partition},`;
  for (let i = 0; i < count; i++) {
    const seq = first + i;
    const keyField = options.keys ? `"key":"${keyOf(seq)}",` : '';
    parts[i] = `{${partitionField}${keyField}"value":"${value(seq)}"}`;
  }
  return `{"records":[${parts.join(',')}]}`;
}

/** Produces options.records over HTTP: options.producers loops, each sending options.batch records per request. */
export async function producePhase(
  options: BenchOptions,
  topicUrl: string,
  signal: AbortSignal,
  progress: Progress,
  label = 'produce',
): Promise<Timed<{ ends: number[]; valueBytes: number }>> {
  const requests = Math.ceil(options.records / options.batch);
  const ends = new Array<number>(options.partitions).fill(0);
  const value = valueMaker(options.valueBytes);
  let next = 0;
  let valueBytes = 0;
  const started = performance.now();
  progress.start(label, options.records);
  const producer = async (): Promise<void> => {
    while (next < requests && !signal.aborted) {
      const index = next++;
      const first = index * options.batch;
      const count = Math.min(options.batch, options.records - first);
      const partition = options.routing === 'explicit' ? index % options.partitions : undefined;
      const body = produceBody(options, first, count, partition, value);
      const where = partition === undefined ? '' : ` to partition ${partition}`;
      const answer = await call<ProduceAnswer>(`produce request ${index + 1}${where}`, `${topicUrl}/records`, { method: 'POST', body, signal });
      if (answer.offsets?.length !== count) {
        throw new BenchError(`produce request ${index + 1} got ${answer.offsets?.length ?? 'no'} offsets for ${count} records`);
      }
      for (const { partition: p, offset } of answer.offsets) ends[p] = Math.max(ends[p] ?? 0, offset + 1);
      valueBytes += count * options.valueBytes;
      progress.add(count);
    }
  };
  await Promise.all(Array.from({ length: options.producers }, producer));
  const seconds = (performance.now() - started) / 1000;
  // Offsets start at 0 and are dense, so the partitions' ends add up to the records sent.
  const total = ends.reduce((a, b) => a + b, 0);
  if (total !== options.records) {
    throw new BenchError(`the partitions end at offsets adding up to ${total}, but ${options.records} records were acknowledged`);
  }
  progress.done(`${label}: ${fmt(options.records)} records in ${seconds.toFixed(1)} s`);
  return { seconds, httpRequests: requests, result: { ends, valueBytes } };
}

async function consumePhase(
  options: BenchOptions,
  topicUrl: string,
  ends: readonly number[],
  signal: AbortSignal,
  progress: Progress,
): Promise<Timed<{ records: number; valueBytes: number }>> {
  let httpRequests = 0;
  let records = 0;
  let valueBytes = 0;
  const started = performance.now();
  progress.start('consume', options.records);
  const consumer = async (end: number, partition: number): Promise<void> => {
    let offset = 0;
    while (offset < end && !signal.aborted) {
      const query = `offset=${offset}&maxRecords=${options.fetchRecords}&maxBytes=${fetchMaxBytes}`;
      const what = `fetch from partition ${partition} at offset ${offset}`;
      httpRequests++;
      const answer = await call<FetchAnswer>(what, `${topicUrl}/partitions/${partition}/records?${query}`, { method: 'GET', signal });
      if (answer.records.length === 0) throw new BenchError(`${what} answered no records, but the partition ends at ${end}`);
      for (const record of answer.records) {
        if (record.offset !== offset) throw new BenchError(`${what}: expected offset ${offset}, got ${record.offset}`);
        if (record.value?.length !== options.valueBytes) {
          throw new BenchError(`${what}: record ${offset} has a ${record.value?.length ?? 'null'}-byte value, not ${options.valueBytes}`);
        }
        offset++;
      }
      records += answer.records.length;
      valueBytes += answer.records.length * options.valueBytes;
      progress.add(answer.records.length);
    }
  };
  await Promise.all(ends.map(consumer));
  const seconds = (performance.now() - started) / 1000;
  progress.done(`consume: ${fmt(records)} records in ${seconds.toFixed(1)} s`);
  return { seconds, httpRequests, result: { records, valueBytes } };
}

function phaseResult(records: number, valueBytes: number, timed: Timed<unknown>, usage: Usage): PhaseResult {
  return { records, valueBytes, seconds: timed.seconds, httpRequests: timed.httpRequests, usage };
}

/** The bytes one full request's batch encodes to, for the expected write units per put. */
function encodedBatchBytes(options: BenchOptions): number {
  const value = valueMaker(options.valueBytes);
  const now = Date.now();
  const records: RecordInput[] = Array.from({ length: options.batch }, (_, i) => ({
    key: options.keys ? Buffer.from(keyOf(i + 1_000_000)) : null,
    value: Buffer.from(value(i + 1_000_000)),
    headers: [],
    timestamp: now,
  }));
  return encodeBatch({ baseOffset: 0, records }).length;
}

export async function runThroughput(
  stack: BenchStack,
  options: BenchOptions,
  setupSeconds: number,
  signal: AbortSignal,
  progress: Progress,
): Promise<BenchResult> {
  const topic = `bench-${Date.now().toString(36)}`;
  const topicUrl = `${stack.url}/v1/topics/${topic}`;
  await call('create topic', `${stack.url}/v1/topics`, {
    method: 'POST',
    body: JSON.stringify({ name: topic, partitions: options.partitions }),
    signal,
  });

  const beforeProduce = usageNow(stack);
  const produced = await producePhase(options, topicUrl, signal, progress);
  const produceUsage = usageSince(beforeProduce, usageNow(stack));

  const beforeConsume = usageNow(stack);
  const consumed = await consumePhase(options, topicUrl, produced.result.ends, signal, progress);
  const consumeUsage = usageSince(beforeConsume, usageNow(stack));
  if (consumed.result.records !== options.records) {
    throw new BenchError(`read back ${consumed.result.records} records of the ${options.records} produced`);
  }
  return {
    options,
    setupSeconds,
    encodedBatchBytes: encodedBatchBytes(options),
    produce: phaseResult(options.records, produced.result.valueBytes, produced, produceUsage),
    consume: phaseResult(consumed.result.records, consumed.result.valueBytes, consumed, consumeUsage),
  };
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
