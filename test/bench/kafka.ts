/**
 * The kafka scenario: the same keyless records produced through the Kafka gateway by kcat
 * and over HTTP as the throughput scenario produces them, on one stack, and the rate of
 * each. Every run goes to a fresh topic of --partitions partitions.
 *
 * Whichever path ran first was up to twice as slow, and even after a warm-up the second
 * run was faster (DynamoDB Local's JVM and this process's code keep warming up, and the
 * machine's other load drifts). So each path first produces a warm-up, unmeasured, and
 * then its measured records in two halves, in the order gateway, HTTP, HTTP, gateway:
 * what drifts over the run falls on both alike.
 *
 * kcat is run as a user would: lines on stdin, `-z none` and librdkafka's defaults
 * otherwise (read back with `-X dump` for the report). Its time runs from spawning it to
 * its exit, which comes once every record is acknowledged. Each run must leave its topic's
 * high watermarks adding up to the records sent, or the bench fails.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { int } from './format.ts';
import { BenchError, call, highWatermarks } from './http.ts';
import type { BenchOptions } from './options.ts';
import type { Progress } from './progress.ts';
import type { BenchStack } from './stack.ts';
import { producePhase, valueMaker } from './throughput.ts';
import { metered, usageTotal, type Usage } from './usage.ts';

/** One path's measured runs, added up. */
export interface KafkaRun {
  readonly seconds: number;
  /** Each run's seconds, in the order run: how far apart the halves came. */
  readonly runSeconds: readonly number[];
  readonly usage: Usage;
}

export interface KafkaResult {
  readonly records: number;
  /** Records each path produced first, unmeasured. */
  readonly warmupRecords: number;
  readonly valueBytes: number;
  readonly partitions: number;
  /** kcat's version, its arguments but the broker and topic, and the settings it ran with. */
  readonly kcat: { readonly version: string; readonly args: readonly string[]; readonly settings: Readonly<Record<string, string>> };
  readonly http: { readonly batch: number; readonly producers: number; readonly routing: BenchOptions['routing']; readonly requests: number };
  readonly gatewayRun: KafkaRun;
  readonly httpRun: KafkaRun;
}

/** What kcat is told beside broker and topic: produce stdin's lines, uncompressed. */
const kcatArgs = ['-P', '-z', 'none'];

/** The producer settings the report shows, by their usual name and `-X dump`'s. */
const shownSettings = [
  ['linger.ms', 'queue.buffering.max.ms'],
  ['batch.num.messages', 'batch.num.messages'],
  ['batch.size', 'batch.size'],
  ['acks', 'request.required.acks'],
  ['max.in.flight', 'max.in.flight.requests.per.connection'],
  ['enable.idempotence', 'enable.idempotence'],
  ['partitioner', 'partitioner'],
  ['sticky.partitioning.linger.ms', 'sticky.partitioning.linger.ms'],
] as const;

/** Lines per write to kcat's stdin. */
const linesPerChunk = 1000;
const progressPollMs = 200;
const warmupRecords = 100_000;

/** kcat's and librdkafka's versions, e.g. `kcat 1.7.1, librdkafka 2.0.2`; a BenchError when there is no kcat to run. */
export function kcatVersion(): string {
  const run = spawnSync('kcat', ['-V'], { encoding: 'utf8', timeout: 10_000 });
  if (run.error) throw new BenchError(`the kafka scenario needs kcat on PATH (e.g. apt-get install kcat): ${run.error.message}`);
  if (run.status !== 0) throw new BenchError(`kcat -V exited with ${run.status ?? run.signal}: ${run.stderr.trim().split('\n')[0] ?? ''}`);
  const version = /^Version (\S+).*librdkafka (\S+)/m.exec(run.stdout);
  return version ? `kcat ${version[1]}, librdkafka ${version[2]}` : 'kcat (version unknown)';
}

export async function runKafka(stack: BenchStack, options: BenchOptions, signal: AbortSignal, progress: Progress): Promise<KafkaResult> {
  const { kafka } = stack;
  if (!kafka) throw new BenchError('the kafka scenario needs the stack started with its Kafka gateway');
  const version = kcatVersion();
  const stamp = Date.now().toString(36);
  const warmup = Math.min(options.kafkaRecords, warmupRecords);
  const half = Math.ceil(options.kafkaRecords / 2);
  const rest = options.kafkaRecords - half;
  const context: RunContext = { stack, bootstrap: kafka, options, stamp, signal, progress };
  const run = (path: Path, phase: string, records: number) => runPath(context, path, phase, records);
  await run('gateway', 'warm-up', warmup);
  await run('HTTP', 'warm-up', warmup);
  const gateway1 = await run('gateway', 'run 1/2', half);
  const http1 = await run('HTTP', 'run 1/2', half);
  // A single record has no second half.
  const http2 = rest > 0 ? [await run('HTTP', 'run 2/2', rest)] : [];
  const gateway2 = rest > 0 ? [await run('gateway', 'run 2/2', rest)] : [];
  const total = (runs: Run[]): KafkaRun => ({
    seconds: runs.reduce((n, r) => n + r.seconds, 0),
    runSeconds: runs.map((r) => r.seconds),
    usage: usageTotal(runs.map((r) => r.usage)),
  });
  const gatewayRun = total([gateway1, ...gateway2]);
  const httpRun = total([http1, ...http2]);
  return {
    records: options.kafkaRecords,
    warmupRecords: warmup,
    valueBytes: options.valueBytes,
    partitions: options.partitions,
    kcat: { version, args: kcatArgs, settings: kcatSettings(kafka) },
    http: { batch: options.batch, producers: options.producers, routing: options.routing, requests: Math.ceil(half / options.batch) + Math.ceil(rest / options.batch) },
    gatewayRun,
    httpRun,
  };
}

type Path = 'gateway' | 'HTTP';

interface RunContext {
  readonly stack: BenchStack;
  /** The gateway's host:port. */
  readonly bootstrap: string;
  readonly options: BenchOptions;
  /** Makes this scenario's topic names its own. */
  readonly stamp: string;
  readonly signal: AbortSignal;
  readonly progress: Progress;
}

interface Run {
  readonly seconds: number;
  readonly usage: Usage;
}

/** Produces `records` on one path to a fresh topic, checks that they all landed, and says what it took. */
async function runPath(context: RunContext, path: Path, phase: string, records: number): Promise<Run> {
  const { stack, bootstrap, options, stamp, signal, progress } = context;
  const topic = `kafka-${path.toLowerCase()}-${phase.replace(/\W+/g, '-')}-${stamp}`;
  const topicUrl = `${stack.url}/v1/topics/${topic}`;
  await call('create topic', `${stack.url}/v1/topics`, { method: 'POST', body: JSON.stringify({ name: topic, partitions: options.partitions }), signal });
  const label = `kafka ${phase}: ${path === 'gateway' ? 'kcat through the gateway' : 'HTTP produce'}`;
  const { result: seconds, usage } = await metered(stack, async () =>
    path === 'gateway'
      ? produceWithKcat(stack, ['-b', bootstrap, '-t', topic], records, options.valueBytes, label, signal, progress)
      : (await producePhase({ ...options, records, keys: false }, topicUrl, signal, progress, label)).seconds,
  );
  const landed = (await highWatermarks(topicUrl, signal)).reduce((a, b) => a + b, 0);
  if (landed !== records) throw new BenchError(`${label}: the topic's high watermarks add up to ${int(landed)}, not the ${int(records)} records sent`);
  return { seconds, usage };
}

/** Feeds kcat `records` lines and waits for it to exit; answers the seconds from spawn to exit. */
async function produceWithKcat(
  stack: BenchStack,
  broker: readonly string[],
  records: number,
  valueBytes: number,
  label: string,
  signal: AbortSignal,
  progress: Progress,
): Promise<number> {
  progress.start(label, records);
  // Records appended, as the server-side storage counts them: kcat buffers up to 100,000 lines, so lines fed say little.
  const { usage } = stack.storage;
  let shown = usage.recordsIn;
  const poll = setInterval(() => {
    progress.add(usage.recordsIn - shown);
    shown = usage.recordsIn;
  }, progressPollMs);

  const started = performance.now();
  try {
    const child = spawn('kcat', [...broker, ...kcatArgs], { stdio: ['pipe', 'ignore', 'pipe'], signal });
    const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      // The first lines say why; a run of failed deliveries repeats them.
      if (stderr.length < 4096) stderr += text;
    });
    // Ends stdin after the last line (kcat then flushes and exits), waiting whenever the pipe is full.
    // Settled either way: when kcat dies its exit says why, not the broken pipe.
    const fed = pipeline(Readable.from(lines(records, valueMaker(valueBytes))), child.stdin).then(
      () => undefined,
      (error: unknown) => error,
    );
    const [code, killed] = await exited;
    const seconds = (performance.now() - started) / 1000;
    const firstLine = stderr.split('\n').find((l) => l.trim() !== '')?.trim();
    if (code !== 0) throw new BenchError(`kcat exited with ${code ?? killed}${firstLine ? `: ${firstLine}` : ''}`);
    const feedError = await fed;
    if (feedError) throw new BenchError(`feeding kcat failed: ${String(feedError)}`);
    if (/Delivery failed/.test(stderr)) throw new BenchError(`kcat could not deliver every record: ${firstLine}`);
    progress.done(`${label}: ${int(records)} records in ${seconds.toFixed(1)} s`);
    return seconds;
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  } finally {
    clearInterval(poll);
    progress.clear();
  }
}

/** One line per record, linesPerChunk at a time. */
function* lines(records: number, value: (seq: number) => string): Generator<string> {
  for (let first = 0; first < records; first += linesPerChunk) {
    let chunk = '';
    for (let seq = first; seq < Math.min(first + linesPerChunk, records); seq++) chunk += `${value(seq)}\n`;
    yield chunk;
  }
}

/** The shown producer settings as kcat would run with them (`-X dump` prints the configuration and exits). */
function kcatSettings(bootstrap: string): Record<string, string> {
  const run = spawnSync('kcat', ['-b', bootstrap, '-t', 'any', ...kcatArgs, '-X', 'dump'], { encoding: 'utf8', timeout: 10_000 });
  const dump = new Map(
    run.stdout
      .split('\n')
      .map((line) => line.split(' = '))
      .filter((kv): kv is [string, string] => kv.length === 2),
  );
  return Object.fromEntries(shownSettings.map(([name, key]) => [name, dump.get(key) ?? 'unknown']));
}
