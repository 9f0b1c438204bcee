/**
 * The idempotence scenario: what an idempotent producer adds to each batch. For each batch
 * shape, the same records go over HTTP, one request at a time, to two fresh topics: plainly
 * to one, and to the other with producerId, producerEpoch and sequences, taking turns.
 * Each request is metered (storage's UsageMeter and the stack's per-command counters) and
 * each run's total divided per request. Counts only: times on the emulators say nothing
 * about AWS.
 *
 * Each topic's first request is a warm-up outside the meter: a container's first append
 * to a partition reads the log end, and a producer's first batch to a partition creates its
 * head item; neither repeats in steady state.
 *
 * Then the idempotent run sends its last request again, as a producer whose reply was
 * lost would: it must answer the original offsets and leave the high watermarks alone.
 */
import { BenchError, call, highWatermarks, type ProduceAnswer } from './http.ts';
import { encodedBatchBytes } from './cost.ts';
import { int } from './format.ts';
import type { Progress } from './progress.ts';
import type { BenchStack } from './stack.ts';
import { valueMaker } from './throughput.ts';
import { metered, usageTotal, type Usage } from './usage.ts';

export interface IdempotenceShape {
  /** Partitions of the topic, each written one batch per request. */
  readonly partitions: number;
  readonly recordsPerPartition: number;
  readonly valueBytes: number;
}

/**
 * One small record, an inline batch (50 x 100 B encodes to 5.5 KB), a batch above the
 * 8 KB inline limit (100 x 100 B encodes to 11 KB: staged in S3 behind a pointer item),
 * and a request of four partition batches, which shares one producer read among them.
 */
export const idempotenceShapes: readonly IdempotenceShape[] = [
  { partitions: 1, recordsPerPartition: 1, valueBytes: 100 },
  { partitions: 1, recordsPerPartition: 50, valueBytes: 100 },
  { partitions: 1, recordsPerPartition: 100, valueBytes: 100 },
  { partitions: 4, recordsPerPartition: 25, valueBytes: 100 },
];

export interface ShapeResult {
  readonly shape: IdempotenceShape;
  /** One partition batch encoded as a RecordBatch (producer fields do not change its size). */
  readonly encodedBatchBytes: number;
  /** Measured requests in each mode, after the warm-up one. */
  readonly requests: number;
  readonly plain: Usage;
  readonly idempotent: Usage;
  /** The idempotent run's last request sent again: the duplicate's own cost. */
  readonly resend: Usage;
}

export interface IdempotenceResult {
  readonly requests: number;
  readonly shapes: readonly ShapeResult[];
}

interface ProducerAnswer {
  producerId: number;
  producerEpoch: number;
}

export function shapeLabel(shape: IdempotenceShape): string {
  const batch = `${int(shape.recordsPerPartition)} x ${int(shape.valueBytes)} B`;
  return shape.partitions === 1 ? batch : `${shape.partitions} partitions x ${batch}`;
}

export async function runIdempotence(stack: BenchStack, requests: number, signal: AbortSignal, progress: Progress): Promise<IdempotenceResult> {
  // One producer for every shape: its heads are per topic and partition, so the shapes stay apart.
  const producer = await call<ProducerAnswer>('init producer', `${stack.url}/v1/producers`, { method: 'POST', body: '{}', signal });
  const shapes: ShapeResult[] = [];
  for (const shape of idempotenceShapes) {
    if (signal.aborted) throw signal.reason;
    shapes.push(await runShape(stack, shape, requests, producer, signal, progress));
  }
  return { requests, shapes };
}

async function runShape(
  stack: BenchStack,
  shape: IdempotenceShape,
  requests: number,
  producer: ProducerAnswer,
  signal: AbortSignal,
  progress: Progress,
): Promise<ShapeResult> {
  const label = shapeLabel(shape);
  const plain = await openTopic(stack, shape, undefined, signal);
  const idempotent = await openTopic(stack, shape, producer, signal);
  await plain.send(0);
  await idempotent.send(0);

  // Request by request, in turn: whatever else happens to cost now and then (a topic
  // cache refresh every few seconds) then falls on both runs alike.
  const perRequest = shape.partitions * shape.recordsPerPartition;
  const plainUsage: Usage[] = [];
  const idempotentUsage: Usage[] = [];
  let last: Sent | undefined;
  progress.start(`idempotence ${label}`, 2 * requests * perRequest);
  for (let i = 1; i <= requests && !signal.aborted; i++) {
    plainUsage.push((await metered(stack, () => plain.send(i))).usage);
    const sent = await metered(stack, () => idempotent.send(i));
    idempotentUsage.push(sent.usage);
    last = sent.result;
    progress.add(2 * perRequest);
  }
  progress.clear();
  if (signal.aborted) throw signal.reason;

  const resend = await resendLast(stack, label, idempotent.topicUrl, last!, signal);
  progress.done(`idempotence: ${label}: ${int(requests)} requests plainly and ${int(requests)} idempotently; the resent last request answered its original offsets`);
  return {
    shape,
    encodedBatchBytes: encodedBatchBytes(shape.recordsPerPartition, shape.valueBytes),
    requests,
    plain: usageTotal(plainUsage),
    idempotent: usageTotal(idempotentUsage),
    resend,
  };
}

interface Sent {
  readonly body: string;
  readonly answer: ProduceAnswer;
}

interface ShapeTopic {
  readonly topicUrl: string;
  /** Sends request `index` of the shape (0 first) and checks the offsets it answers. */
  send(index: number): Promise<Sent>;
}

/** A fresh topic for the shape, written plainly or, given a producer, idempotently. */
async function openTopic(stack: BenchStack, shape: IdempotenceShape, producer: ProducerAnswer | undefined, signal: AbortSignal): Promise<ShapeTopic> {
  const mode = producer ? 'idempotent' : 'plain';
  const topic = `idem-${mode}-${shape.partitions}x${shape.recordsPerPartition}-${Date.now().toString(36)}`;
  const topicUrl = `${stack.url}/v1/topics/${topic}`;
  await call('create topic', `${stack.url}/v1/topics`, { method: 'POST', body: JSON.stringify({ name: topic, partitions: shape.partitions }), signal });
  const value = valueMaker(shape.valueBytes);
  const perRequest = shape.partitions * shape.recordsPerPartition;

  const send = async (index: number): Promise<Sent> => {
    const what = `idempotence ${shapeLabel(shape)} ${mode} request ${index + 1}`;
    const records: Array<{ partition: number; value: string }> = [];
    for (let p = 0; p < shape.partitions; p++) {
      for (let j = 0; j < shape.recordsPerPartition; j++) {
        records.push({ partition: p, value: value(index * perRequest + p * shape.recordsPerPartition + j) });
      }
    }
    // Every partition gets recordsPerPartition records per request, so its sequence is the count before.
    const firstSeq = index * shape.recordsPerPartition;
    const body = JSON.stringify(
      producer
        ? {
            records,
            producerId: producer.producerId,
            producerEpoch: producer.producerEpoch,
            sequences: Object.fromEntries(records.map((r) => [r.partition, firstSeq])),
          }
        : { records },
    );
    const answer = await call<ProduceAnswer>(what, `${topicUrl}/records`, { method: 'POST', body, signal });
    // Appends never race here, so request i owns offsets i*n .. i*n+n-1 of each partition.
    records.forEach((r, k) => {
      const got = answer.offsets?.[k];
      const expected = firstSeq + (k % shape.recordsPerPartition);
      if (got?.partition !== r.partition || got.offset !== expected) {
        throw new BenchError(
          `${what}: record ${k} got ${got ? `partition ${got.partition} offset ${got.offset}` : 'no offset'}, expected partition ${r.partition} offset ${expected}`,
        );
      }
    });
    return { body, answer };
  };
  return { topicUrl, send };
}

/** Sends the idempotent run's last request again; fails the bench unless nothing changed. */
async function resendLast(stack: BenchStack, label: string, topicUrl: string, last: Sent, signal: AbortSignal): Promise<Usage> {
  const what = `idempotence ${label}: the resent last request`;
  const before = await highWatermarks(topicUrl, signal);
  const { result: answer, usage } = await metered(stack, () => call<ProduceAnswer>(what, `${topicUrl}/records`, { method: 'POST', body: last.body, signal }));
  const first = (a: ProduceAnswer) => `${a.offsets?.[0]?.offset ?? 'none'}`;
  if (JSON.stringify(answer.offsets) !== JSON.stringify(last.answer.offsets)) {
    throw new BenchError(`${what} answered offsets from ${first(answer)}, not its original ones from ${first(last.answer)}: it was not idempotent`);
  }
  const after = await highWatermarks(topicUrl, signal);
  const moved = after.findIndex((hw, p) => hw !== before[p]);
  if (moved >= 0) {
    throw new BenchError(`${what} moved partition ${moved}'s high watermark from ${before[moved]} to ${after[moved]}: it was appended again`);
  }
  return usage;
}
