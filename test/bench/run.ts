/**
 * `npm run bench`: produce and consume throughput over real HTTP against a local stack this
 * process starts for itself, and what the same calls cost in DynamoDB capacity units and S3
 * requests (read from the server-side storage's UsageMeter around each phase).
 *
 *   npm run bench -- --records 20000 --producers 8 --json
 *
 * Times come from DynamoDB Local and s3rver on this machine; capacity units are what AWS
 * would bill for the same calls.
 */
import { parseArgs } from 'node:util';
import { encodeBatch, type RecordInput } from '../../lib/core/codec/record-batch.ts';
import { Progress } from './progress.ts';
import { printReport, type BenchResult, type PhaseResult, type Usage } from './report.ts';
import { startBenchStack, type BenchStack } from './stack.ts';

const usageText = `Usage: npm run bench -- [options]

Starts DynamoDB Local (in memory), the S3 emulator and the Sluice HTTP server on free
ports, produces records over HTTP, reads them all back, prints throughput and the
DynamoDB capacity units and S3 requests per MiB, then stops everything.

  --records N        records to produce (default 500000, about 35 s on 2 cores)
  --batch N          records per produce request, 1-10000 (default 1000)
  --value-bytes N    bytes per record value (default 100)
  --producers N      concurrent producers (default 4)
  --partitions N     topic partitions (default 4); one consumer per partition
  --fetch-records N  maxRecords per fetch, 1-10000 (default 1000)
  --routing MODE     explicit: each request names one partition, rotating (default)
                     auto: no partition field; the server picks (keyless records of
                     a request stick to one partition; keyed ones are hashed)
  --keys             give every record a 16-byte key (not counted in MiB)
  --json             print the result as JSON on stdout (progress stays on stderr)
  -h, --help         show this help`;

export interface BenchOptions {
  readonly records: number;
  readonly batch: number;
  readonly valueBytes: number;
  readonly producers: number;
  readonly partitions: number;
  readonly fetchRecords: number;
  readonly routing: 'explicit' | 'auto';
  readonly keys: boolean;
  readonly json: boolean;
}

/** A failure the bench explains in one line. */
class BenchError extends Error {}

const fetchMaxBytes = 4 * 1024 * 1024;
const requestTimeoutMs = 120_000;
const keyBytes = 16;

function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      records: { type: 'string', default: '500000' },
      batch: { type: 'string', default: '1000' },
      'value-bytes': { type: 'string', default: '100' },
      producers: { type: 'string', default: '4' },
      partitions: { type: 'string', default: '4' },
      'fetch-records': { type: 'string', default: '1000' },
      routing: { type: 'string', default: 'explicit' },
      keys: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const int = (name: keyof typeof values, min: number, max: number): number => {
    const raw = String(values[name]);
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new BenchError(`--${name} must be an integer from ${min} to ${max}, got '${raw}'`);
    }
    return n;
  };
  const routing = values.routing;
  if (routing !== 'explicit' && routing !== 'auto') throw new BenchError(`--routing must be 'explicit' or 'auto', got '${routing}'`);
  return {
    records: int('records', 1, 100_000_000),
    batch: int('batch', 1, 10_000),
    valueBytes: int('value-bytes', 1, 1_000_000),
    producers: int('producers', 1, 256),
    partitions: int('partitions', 1, 1_000),
    fetchRecords: int('fetch-records', 1, 10_000),
    routing,
    keys: values.keys,
    json: values.json,
  };
}

// --- HTTP --------------------------------------------------------------------------

interface ProduceAnswer {
  offsets: Array<{ partition: number; offset: number }>;
}
interface FetchAnswer {
  records: Array<{ offset: number; key: string | null; value: string | null }>;
  nextOffset: number;
  highWatermark: number;
}

async function call<T>(what: string, url: string, init: { method: string; body?: string; signal: AbortSignal }): Promise<T> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: init.method,
      ...(init.body !== undefined ? { body: init.body, headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.any([init.signal, AbortSignal.timeout(requestTimeoutMs)]),
    });
    text = await response.text();
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason;
    throw new BenchError(`${what} failed: ${describe(error)}`);
  }
  if (!response.ok) {
    let reason = text.slice(0, 200);
    try {
      const { error } = JSON.parse(text) as { error: { code: string; message: string } };
      reason = `${error.code}: ${error.message}`;
    } catch {
      // Not our JSON error body; the raw text says it.
    }
    throw new BenchError(`${what} answered ${response.status} ${reason}`);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

// --- phases ------------------------------------------------------------------------

/** Values are ASCII (one byte per character) and start with their sequence number. */
function valueMaker(valueBytes: number): (seq: number) => string {
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

interface Measured<T> {
  readonly seconds: number;
  readonly httpRequests: number;
  readonly result: T;
}

async function producePhase(
  options: BenchOptions,
  topicUrl: string,
  signal: AbortSignal,
  progress: Progress,
): Promise<Measured<{ ends: number[]; valueBytes: number }>> {
  const requests = Math.ceil(options.records / options.batch);
  const ends = new Array<number>(options.partitions).fill(0);
  const value = valueMaker(options.valueBytes);
  let next = 0;
  let valueBytes = 0;
  const started = performance.now();
  progress.start('produce', options.records);
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
  progress.done(`produce: ${fmt(options.records)} records in ${seconds.toFixed(1)} s`);
  return { seconds, httpRequests: requests, result: { ends, valueBytes } };
}

async function consumePhase(
  options: BenchOptions,
  topicUrl: string,
  ends: readonly number[],
  signal: AbortSignal,
  progress: Progress,
): Promise<Measured<{ records: number; valueBytes: number }>> {
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

// --- usage -------------------------------------------------------------------------

function usageNow(stack: BenchStack): Usage {
  const { usage } = stack.storage;
  return {
    readUnits: usage.readUnits,
    writeUnits: usage.writeUnits,
    appendConflicts: usage.appendConflicts,
    dynamodbCalls: { ...stack.dynamodbCalls },
    s3Requests: { ...usage.s3Requests },
  };
}

function usageSince(before: Usage, after: Usage): Usage {
  const minus = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]).filter(([, v]) => v !== 0));
  return {
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
    appendConflicts: after.appendConflicts - before.appendConflicts,
    dynamodbCalls: minus(after.dynamodbCalls, before.dynamodbCalls),
    s3Requests: minus(after.s3Requests, before.s3Requests),
  };
}

function phaseResult(records: number, valueBytes: number, measured: Measured<unknown>, usage: Usage): PhaseResult {
  return { records, valueBytes, seconds: measured.seconds, httpRequests: measured.httpRequests, usage };
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

// --- main --------------------------------------------------------------------------

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench failed: ${describe(error)} (see --help)\n`);
    return 1;
  }
  if (options === 'help') {
    process.stdout.write(`${usageText}\n`);
    return 0;
  }

  const progress = new Progress(process.stderr);
  const interrupt = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    // The first Ctrl-C stops cleanly; a second one leaves at once (the emulators' exit hook kills Java).
    if (++interrupts > 1) process.exit(130);
    interrupt.abort(new BenchError('interrupted'));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let stack: BenchStack | undefined;
  let exitCode = 0;
  try {
    const setupStarted = performance.now();
    progress.note('starting DynamoDB Local, the S3 emulator and the HTTP server...');
    stack = await startBenchStack();
    if (interrupt.signal.aborted) throw interrupt.signal.reason;
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    progress.done(`stack: ready in ${setupSeconds.toFixed(1)} s at ${stack.url}`);

    const topic = `bench-${Date.now().toString(36)}`;
    const topicUrl = `${stack.url}/v1/topics/${topic}`;
    await call('create topic', `${stack.url}/v1/topics`, {
      method: 'POST',
      body: JSON.stringify({ name: topic, partitions: options.partitions }),
      signal: interrupt.signal,
    });

    const beforeProduce = usageNow(stack);
    const produced = await producePhase(options, topicUrl, interrupt.signal, progress);
    const produceUsage = usageSince(beforeProduce, usageNow(stack));

    const beforeConsume = usageNow(stack);
    const consumed = await consumePhase(options, topicUrl, produced.result.ends, interrupt.signal, progress);
    const consumeUsage = usageSince(beforeConsume, usageNow(stack));
    if (consumed.result.records !== options.records) {
      throw new BenchError(`read back ${consumed.result.records} records of the ${options.records} produced`);
    }

    const result: BenchResult = {
      options,
      setupSeconds,
      encodedBatchBytes: encodedBatchBytes(options),
      produce: phaseResult(options.records, produced.result.valueBytes, produced, produceUsage),
      consume: phaseResult(consumed.result.records, consumed.result.valueBytes, consumed, consumeUsage),
    };
    printReport(result, process.stdout);
  } catch (error) {
    progress.clear();
    const interrupted = interrupt.signal.aborted;
    let reason = describe(interrupted ? interrupt.signal.reason : error);
    const firstLog = stack?.serverLog[0];
    if (firstLog && !interrupted) reason += `; the server logged: ${oneLine(firstLog).slice(0, 300)}`;
    process.stderr.write(`bench failed: ${reason}\n`);
    exitCode = interrupted ? 130 : 1;
  } finally {
    progress.clear();
    // Stop everything; should a stop hang, leave anyway (the exit hook kills DynamoDB Local).
    const deadline = setTimeout(() => process.exit(exitCode || 1), 20_000);
    deadline.unref();
    await stack?.stop();
    clearTimeout(deadline);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return exitCode;
}

function describe(error: unknown): string {
  if (error instanceof BenchError) return error.message;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return oneLine(`${error.message}${cause}`);
  }
  return oneLine(String(error));
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

// Exit explicitly: idle keep-alive sockets must not hold the process open.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${describe(error)}\n`);
    process.exit(1);
  },
);
