/**
 * small's JSON variants: what a steady stream of small JSON sends costs through the SDK
 * producer, once per codec (smallJsonNone, smallJsonGzip, smallJsonSnappy, smallJsonLz4,
 * smallJsonZstd). Each gets a fresh one-partition topic (compressionType left at
 * 'producer', so the producer's choice is what is stored).
 *
 * The application is modelled as `--small-senders` concurrent loops, each awaiting
 * `producer.send()` of `--small-records` records (json-records.ts: order events of about
 * 1 KB, fixed seed) until `--small-mib` MiB of values are sent. The producer keeps every
 * option at its default but `compression`: how many records its batching puts in a request,
 * and what that costs, is the point. Its requests go through a counting fetch (requests,
 * body bytes, time from sending to the last byte of the answer) for the API Gateway and
 * Lambda lines; the producer has one request in flight per topic, so their times add up
 * to the phase's busy time, as one Lambda container would serve them.
 *
 * Then the same seal and consume-once phases as bulk and small (cost.ts), each value read
 * back checked against the JSON generated for the offset its send was answered with.
 */
import { CompressionTypes, Sluice } from '../../lib/client/index.ts';
import { createCostTopic, fmt, HttpTally, kinesisRecordBytes, sealAndConsume, type CostScenarioResult, type JsonScenarioSpec } from './cost.ts';
import { BenchError } from './http.ts';
import { defaultJsonSeed, jsonRecord, jsonRecordsFor } from './json-records.ts';
import type { BenchOptions } from './options.ts';
import type { Progress } from './progress.ts';
import type { BenchStack } from './stack.ts';
import { metered } from './usage.ts';

const MiB = 1024 * 1024;

/** The variants, in the order they run and are reported; each name is also a --json headline key. */
export const jsonVariants = [
  { name: 'smallJsonNone', codec: 'none', sdk: CompressionTypes.None },
  { name: 'smallJsonGzip', codec: 'gzip', sdk: CompressionTypes.GZIP },
  { name: 'smallJsonSnappy', codec: 'snappy', sdk: CompressionTypes.Snappy },
  { name: 'smallJsonLz4', codec: 'lz4', sdk: CompressionTypes.LZ4 },
  { name: 'smallJsonZstd', codec: 'zstd', sdk: CompressionTypes.ZSTD },
] as const satisfies ReadonlyArray<{ name: string; codec: JsonScenarioSpec['codec']; sdk: number }>;

export function jsonSpecs(options: BenchOptions): JsonScenarioSpec[] {
  return jsonVariants.map(({ name, codec }) => ({
    kind: 'json',
    name,
    codec,
    senders: options.smallSenders,
    recordsPerSend: options.smallRecords,
    seed: defaultJsonSeed,
    targetMiB: options.smallMiB,
  }));
}

const producePath = /\/v1\/topics\/[^/]+\/records$/;

export async function runJsonScenario(stack: BenchStack, spec: JsonScenarioSpec, signal: AbortSignal, progress: Progress): Promise<CostScenarioResult> {
  const { records, valueBytes } = jsonRecordsFor(spec.seed, spec.targetMiB * MiB, spec.recordsPerSend);
  const sends = records / spec.recordsPerSend;
  let kinesisBilledBytes = 0;
  let recordsOver1KiB = 0;
  for (let i = 0; i < records; i++) {
    const bytes = Buffer.byteLength(jsonRecord(spec.seed, i));
    kinesisBilledBytes += kinesisRecordBytes(bytes);
    if (bytes > 1024) recordsOver1KiB++;
  }
  const topic = await createCostTopic(stack, spec.name, signal);

  // Every request the producer makes, measured as callMeasured measures the raw ones.
  const http = new HttpTally();
  let produceRequests = 0;
  /** Produce requests answered 2xx: each appended one batch (the SDK's idempotent retries aside, which a lost answer needs). */
  let batches = 0;
  const countingFetch: typeof fetch = async (input, init) => {
    const started = performance.now();
    const response = await fetch(input, init);
    const body = new Uint8Array(await response.arrayBuffer());
    const ms = performance.now() - started;
    http.add({ requestBytes: bodyBytes(init?.body), responseBytes: body.length, ms });
    const url = new URL(input instanceof Request ? input.url : String(input));
    if ((init?.method ?? 'GET') === 'POST' && producePath.test(url.pathname)) {
      produceRequests++;
      if (response.ok) batches++;
    }
    const empty = response.status === 204 || response.status === 205 || response.status === 304;
    return new Response(empty ? null : body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  const sdk = jsonVariants.find((v) => v.name === spec.name)!.sdk;
  const producer = new Sluice({ endpoint: stack.url, fetch: countingFetch }).producer({ compression: sdk });
  /** Which generated record each offset holds: concurrent sends interleave in the partition. */
  const indexAt = new Int32Array(records).fill(-1);
  let nextSend = 0;
  let failed = false;

  progress.start(`${spec.name}: produce`, records);
  const started = performance.now();
  const produce = await metered(stack, async () => {
    await producer.connect();
    const sender = async (): Promise<void> => {
      while (!failed && !signal.aborted && nextSend < sends) {
        const first = nextSend++ * spec.recordsPerSend;
        const messages = Array.from({ length: spec.recordsPerSend }, (_, j) => ({ value: jsonRecord(spec.seed, first + j) }));
        const metadata = await producer.send({ topic, messages });
        const offsets = metadata.flatMap((m) => m.offsets);
        if (metadata.length !== 1 || offsets.length !== messages.length) {
          throw new BenchError(`${spec.name}: a send of ${messages.length} records was answered for ${metadata.length} partitions, ${offsets.length} offsets`);
        }
        offsets.forEach((offset, j) => {
          if (offset < 0 || offset >= records || indexAt[offset] !== -1) throw new BenchError(`${spec.name}: offset ${offset} answered twice or out of range`);
          indexAt[offset] = first + j;
        });
        progress.add(messages.length);
      }
    };
    try {
      await Promise.all(
        Array.from({ length: spec.senders }, () =>
          sender().catch((error: unknown) => {
            failed = true;
            throw error;
          }),
        ),
      );
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  });
  if (signal.aborted) throw signal.reason;
  const produceSeconds = (performance.now() - started) / 1000;
  progress.done(
    `${spec.name}: produced ${fmt(records)} records (${fmt(sends)} sends by ${spec.senders} senders, ` +
      `${fmt(produceRequests)} produce requests) in ${produceSeconds.toFixed(1)} s`,
  );
  const unwritten = indexAt.indexOf(-1);
  if (unwritten >= 0) throw new BenchError(`${spec.name}: no send was answered with offset ${unwritten}`);

  const phases = await sealAndConsume(stack, {
    name: spec.name,
    topic,
    records,
    batches,
    signal,
    progress,
    check: (offset, value) => (value === jsonRecord(spec.seed, indexAt[offset]!) ? undefined : `record ${offset} is not the JSON sent`),
  });
  const storedBatchBytes = phases.seal.result.bytes / batches;
  return {
    spec,
    topic,
    records,
    valueBytes,
    kinesisBilledBytes,
    batches,
    encodedBatchBytes: storedBatchBytes,
    storedBatchBytes,
    produce: { usage: produce.usage, seconds: produceSeconds, http: http.stats() },
    ...phases,
    sdk: { sends, produceRequests, otherRequests: http.requests - produceRequests, recordsOver1KiB },
  };
}

function bodyBytes(body: RequestInit['body'] | undefined): number {
  if (body === undefined || body === null) return 0;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof ArrayBuffer) return body.byteLength;
  if (ArrayBuffer.isView(body)) return body.byteLength;
  throw new BenchError(`the counting fetch cannot measure a ${Object.prototype.toString.call(body)} body`);
}
