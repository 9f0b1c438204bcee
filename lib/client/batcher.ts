/** Per-topic request batching for the producer: linger, batch size and one request in flight per topic. */
import { Buffer } from 'node:buffer';
import { SluiceError } from '../core/errors.ts';
import type { Compression } from '../core/http-contract.ts';
import type { Encoding, ProduceRecord, ProduceRequest, ProduceResponse, RecordPosition } from './types.ts';

export interface BatcherOptions {
  readonly linger: number;
  readonly batchSize: number;
  readonly maxBatchBytes: number;
}

/** Sends one request; the producer's is client.produce with retries. */
export type Transmit = (topic: string, request: ProduceRequest) => Promise<ProduceResponse>;

/** One send waiting in (or partly through) a topic's queue. */
interface Entry {
  readonly records: readonly ProduceRecord[];
  readonly sizes: readonly number[];
  readonly encoding: Encoding;
  /** The codec the server stores this send's batches with. */
  readonly compression: Compression;
  /** When the send was queued: the linger counts from the oldest unsent one. */
  readonly queuedAt: number;
  /** Index of the first record not yet put in a request. */
  next: number;
  readonly positions: RecordPosition[];
  settled: boolean;
  readonly done: Promise<unknown>;
  resolve(positions: RecordPosition[]): void;
  reject(error: unknown): void;
}

/** Records start..end of one send, in one request. */
interface Slice {
  readonly entry: Entry;
  readonly start: number;
  readonly end: number;
}

interface TopicQueue {
  /** Sends with records not yet in a request, oldest first. */
  readonly entries: Entry[];
  unsentRecords: number;
  unsentBytes: number;
  inFlight: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The queue has waited long enough: send at the next chance. */
  due: boolean;
}

/** `{"records":[],"encoding":"base64"}` */
const requestOverheadBytes = 40;

/**
 * Per-topic request batching. A send's records go into a queue; the queue is sent when
 * `linger` ms have passed since it became non-empty, or at once when it holds
 * `batchSize` records or `maxBatchBytes` bytes. One request per topic is in flight at a
 * time; what queues meanwhile goes out as soon as it completes. A request carries whole
 * sends where they fit (a larger send is split into consecutive requests) and only sends
 * of one encoding and one compression codec: a send with another starts the next request,
 * so the topic's order holds (one queue per topic, not per codec: two queues of a topic
 * would put two requests of it in flight, and an idempotent producer's sequences with them).
 */
export class Batcher {
  private readonly topics = new Map<string, TopicQueue>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly options: BatcherOptions,
    private readonly transmit: Transmit,
  ) {}

  /** Queues one send's records; resolves with their positions in the order given. */
  add(topic: string, records: readonly ProduceRecord[], encoding: Encoding, compression: Compression = 'none'): Promise<RecordPosition[]> {
    if (records.length === 0) return Promise.resolve([]);
    const sizes = records.map((r) => Buffer.byteLength(JSON.stringify(r)) + 1);
    let resolve!: (positions: RecordPosition[]) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<RecordPosition[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const entry: Entry = {
      records,
      sizes,
      encoding,
      compression,
      queuedAt: Date.now(),
      next: 0,
      positions: new Array<RecordPosition>(records.length),
      settled: false,
      done: promise.then(
        () => undefined,
        () => undefined,
      ),
      resolve,
      reject,
    };
    const queue = this.queue(topic);
    queue.entries.push(entry);
    queue.unsentRecords += records.length;
    queue.unsentBytes += sizes.reduce((a, b) => a + b, 0);
    this.pump(topic, queue);
    return promise;
  }

  /** Sends everything queued without lingering; resolves when every send so far has settled. */
  async flush(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const [topic, queue] of this.topics) {
      pending.push(...queue.entries.map((e) => e.done));
      queue.due = true;
      this.pump(topic, queue);
    }
    await Promise.all([...pending, ...this.inFlight]);
  }

  private queue(topic: string): TopicQueue {
    let queue = this.topics.get(topic);
    if (!queue) {
      queue = { entries: [], unsentRecords: 0, unsentBytes: 0, inFlight: false, timer: undefined, due: false };
      this.topics.set(topic, queue);
    }
    return queue;
  }

  private pump(topic: string, queue: TopicQueue): void {
    if (queue.inFlight || queue.entries.length === 0) return;
    const full = queue.unsentRecords >= this.options.batchSize || queue.unsentBytes + requestOverheadBytes >= this.options.maxBatchBytes;
    // As Kafka's linger.ms: from the oldest waiting send, also while a request was out, so
    // that under a steady stream each request carries about linger's worth of sends.
    const lingered = Date.now() - queue.entries[0]!.queuedAt;
    if (!full && !queue.due && lingered < this.options.linger) {
      queue.timer ??= setTimeout(() => {
        queue.timer = undefined;
        queue.due = true;
        this.pump(topic, queue);
      }, this.options.linger - lingered);
      return;
    }
    if (queue.timer !== undefined) clearTimeout(queue.timer);
    queue.timer = undefined;
    const slices = this.take(queue);
    // What this request had no room for has waited long enough: it follows at once.
    queue.due = queue.unsentRecords > 0;
    queue.inFlight = true;
    const request = this.sendSlices(topic, queue, slices).finally(() => {
      this.inFlight.delete(request);
      queue.inFlight = false;
      if (queue.entries.length === 0 && this.topics.get(topic) === queue) this.topics.delete(topic);
      this.pump(topic, queue);
    });
    this.inFlight.add(request);
  }

  /** The next request's slices: a prefix of the queue, whole sends where they fit. */
  private take(queue: TopicQueue): Slice[] {
    const slices: Slice[] = [];
    const { encoding, compression } = queue.entries[0]!;
    let count = 0;
    let bytes = requestOverheadBytes;
    for (const entry of queue.entries) {
      if (entry.encoding !== encoding || entry.compression !== compression) break;
      const start = entry.next;
      let end = start;
      while (
        end < entry.records.length &&
        count < this.options.batchSize &&
        (count === 0 || bytes + entry.sizes[end]! <= this.options.maxBatchBytes)
      ) {
        bytes += entry.sizes[end]!;
        count++;
        end++;
      }
      if (end > start) {
        slices.push({ entry, start, end });
        entry.next = end;
      }
      if (end < entry.records.length) break;
    }
    for (const slice of slices) this.unqueue(queue, slice.entry, slice.start, slice.end);
    return slices;
  }

  /** Takes records start..end of an entry off the queue's counts, and a fully taken entry off the queue. */
  private unqueue(queue: TopicQueue, entry: Entry, start: number, end: number): void {
    queue.unsentRecords -= end - start;
    for (let i = start; i < end; i++) queue.unsentBytes -= entry.sizes[i]!;
    if (end === entry.records.length) {
      const at = queue.entries.indexOf(entry);
      if (at >= 0) queue.entries.splice(at, 1);
    }
  }

  private async sendSlices(topic: string, queue: TopicQueue, slices: readonly Slice[]): Promise<void> {
    const live = slices.filter((s) => !s.entry.settled);
    if (live.length === 0) return;
    const records = live.flatMap((s) => s.entry.records.slice(s.start, s.end));
    const { encoding, compression } = live[0]!.entry;
    // No `compression` when none: a server older than the field takes the request.
    const request: ProduceRequest = { records, encoding, ...(compression === 'none' ? {} : { compression }) };
    let response: ProduceResponse;
    try {
      response = await this.transmit(topic, request);
    } catch (error) {
      if (live.length > 1 && refusedWhole(error)) {
        // The API validates a request whole and appends nothing of a refused one, so each
        // send can go again alone: only the one at fault fails.
        for (const slice of live) await this.sendSlices(topic, queue, [slice]);
        return;
      }
      for (const slice of live) this.fail(queue, slice.entry, error);
      return;
    }
    let i = 0;
    for (const { entry, start, end } of live) {
      for (let k = start; k < end; k++) entry.positions[k] = response.offsets[i++]!;
      if (end === entry.records.length && !entry.settled) {
        entry.settled = true;
        entry.resolve(entry.positions);
      }
    }
  }

  /** Rejects a send and drops whatever of it has not been sent yet. */
  private fail(queue: TopicQueue, entry: Entry, error: unknown): void {
    if (entry.settled) return;
    entry.settled = true;
    if (entry.next < entry.records.length) {
      this.unqueue(queue, entry, entry.next, entry.records.length);
      entry.next = entry.records.length;
    }
    entry.reject(error);
  }
}

/** 400 and 413 answers mean the request was refused whole, before anything was appended. */
export function refusedWhole(error: unknown): boolean {
  return error instanceof SluiceError && (error.status === 400 || error.status === 413);
}
