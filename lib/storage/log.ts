/**
 * The partition log's hot tail in DynamoDB: one item per appended batch, keyed
 * (`topicId#partition`, baseOffset), appended with a conditional put so that two writers
 * racing for one offset cannot both win.
 *
 *   writer A  put(o=10, id=A) ─────────────── ok ─────────────────▶ offsets 10..14
 *   writer B  put(o=10, id=B) ── conflict, ALL_OLD says A has 5 ──▶ put(o=15, id=B) ok
 *   writer C  put(o=20, id=C) ── reply lost ─ SDK retry: conflict, ALL_OLD says C ──▶ ok, 20
 *
 * The last line is why every item carries its append's id: without it, a lost reply
 * would turn into a second copy of the batch.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  ConditionalCheckFailedException,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  decodeBatch,
  encodeBatch,
  setBaseOffset,
  type RecordInput,
  type StoredRecord,
} from '../core/codec/record-batch.ts';
import { CorruptRecordError, OffsetOutOfRangeError, ThrottledError, UnavailableError } from '../core/errors.ts';
import type { UsageMeter } from './clients.ts';
import { bucketLayout } from './tables.ts';

export interface LogOptions {
  /** Batches larger than this go to an S3 object with a pointer item (items max out at 400 KB). */
  readonly inlineBatchBytes: number;
  /** Conditional-put attempts for one append before it answers 503. */
  readonly maxAppendAttempts: number;
  /** How long a container trusts its cached log start offset. */
  readonly logStartCacheMs: number;
  /** How old a high watermark a fetch that stops short of the log end may answer. */
  readonly hwCacheMs: number;
}

export const defaultLogOptions: LogOptions = { inlineBatchBytes: 350 * 1024, maxAppendAttempts: 20, logStartCacheMs: 30_000, hwCacheMs: 1_000 };

export interface AppendResult {
  readonly baseOffset: number;
  readonly count: number;
}

export interface ReadLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
  /** Long poll: wait up to this long for the first record at the log end. */
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
}

export interface ReadResult {
  readonly records: StoredRecord[];
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

export interface PartitionBounds {
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

/** What a container last learned of a partition. */
interface PartitionView {
  /** Where the last batch it read or wrote ends: fetches there skip the containing-batch read. */
  readonly batchEnd: number;
  /** That batch's record count and bytes, to size the next scan's pages. */
  readonly count: number;
  readonly size: number;
  readonly highWatermark: number;
  readonly seenAt: number;
}

interface TailItem {
  readonly offset: number;
  readonly count: number;
  readonly maxTimestamp: number;
  readonly writer: string;
  readonly bytes?: Uint8Array;
  readonly object?: string;
  readonly size: number;
}

const definiteErrors = new Set(['ValidationException', 'ResourceNotFoundException', 'AccessDeniedException']);

export class LogStore {
  /** Next offset per partition, as this container last saw it: a warm append is one put. */
  private readonly nextOffsets = new Map<string, number>();
  private readonly logStarts = new Map<string, { offset: number; at: number }>();
  /** What this container last learned of each partition from its own reads and appends. */
  private readonly views = new Map<string, PartitionView>();
  /** Appends to one partition from one container run one after another, never racing each other. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly appended = new EventEmitter().setMaxListeners(0);

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly s3: S3Client,
    private readonly table: string,
    private readonly bucket: string,
    private readonly options: LogOptions = defaultLogOptions,
    private readonly usage?: UsageMeter,
  ) {}

  /** Appends records to one partition as one batch; they get consecutive offsets. */
  append(topicId: string, partition: number, records: readonly RecordInput[]): Promise<AppendResult> {
    const pk = partitionKey(topicId, partition);
    const previous = this.queues.get(pk) ?? Promise.resolve();
    const run = previous.then(() => this.appendNow(pk, records));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(pk, settled);
    void settled.then(() => {
      if (this.queues.get(pk) === settled) this.queues.delete(pk);
    });
    return run;
  }

  private async appendNow(pk: string, records: readonly RecordInput[]): Promise<AppendResult> {
    const appendId = randomUUID();
    const batch = encodeBatch({ baseOffset: 0, records });
    const count = records.length;
    const maxTimestamp = records.reduce((max, r) => Math.max(max, r.timestamp), -Infinity);
    const payload: Record<string, AttributeValue> = { size: { N: String(batch.length) } };
    if (batch.length > this.options.inlineBatchBytes) {
      // The object lands first; one whose pointer never lands is garbage nobody reads.
      const key = `${bucketLayout.staged}${pk.replace('#', '/')}/${appendId}`;
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: batch }));
      payload.object = { S: key };
    } else {
      payload.bytes = { B: batch };
    }

    let offset = this.nextOffsets.get(pk) ?? (await this.boundsOf(pk)).highWatermark;
    let conflictsInRow = 0;
    let lastError: unknown;
    this.nextOffsets.delete(pk);
    for (let attempt = 0; attempt < this.options.maxAppendAttempts; attempt++) {
      if (payload.bytes) setBaseOffset(batch, offset);
      try {
        await this.dynamodb.send(
          new PutItemCommand({
            TableName: this.table,
            Item: {
              pk: { S: pk },
              offset: { N: String(offset) },
              count: { N: String(count) },
              maxTimestamp: { N: String(maxTimestamp) },
              writer: { S: appendId },
              ...payload,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return this.appendedAt(pk, offset, count, batch.length);
      } catch (err) {
        lastError = err;
        if (err instanceof ConditionalCheckFailedException) {
          const winner = err.Item ? toTailItem(err.Item) : undefined;
          // Our own earlier try landed and its reply was lost.
          if (winner?.writer === appendId) return this.appendedAt(pk, offset, count, batch.length);
          conflictsInRow++;
          if (this.usage) this.usage.appendConflicts++;
          if (conflictsInRow === 1 && winner) {
            offset = winner.offset + winner.count;
          } else {
            // Other writers are busy here: wait first, so the end we read is still fresh.
            await backoff(conflictsInRow);
            offset = (await this.boundsOf(pk)).highWatermark;
          }
          continue;
        }
        const name = (err as Error).name;
        if (definiteErrors.has(name)) throw err;
        // Anything else may have landed: retry at the same offset to learn which.
        conflictsInRow = 0;
        await backoff(attempt);
      }
    }
    if (lastError instanceof ThrottledError) throw lastError;
    throw new UnavailableError('append did not complete; it may or may not have landed', { cause: lastError });
  }

  private appendedAt(pk: string, offset: number, count: number, size: number): AppendResult {
    this.nextOffsets.set(pk, offset + count);
    this.saw(pk, { offset, count, size }, offset + count);
    this.appended.emit(pk);
    return { baseOffset: offset, count };
  }

  /** The partition's first offset and the offset the next append will get. */
  bounds(topicId: string, partition: number): Promise<PartitionBounds> {
    return this.boundsOf(partitionKey(topicId, partition));
  }

  private async boundsOf(pk: string): Promise<PartitionBounds> {
    const [last] = await this.query({ pk, forward: false, limit: 1 });
    const highWatermark = last ? last.offset + last.count : 0;
    if (last) this.saw(pk, last, highWatermark);
    return { logStartOffset: await this.logStartOffset(pk, highWatermark), highWatermark };
  }

  /**
   * Records from `offset` on, at least one batch's worth even past maxBytes (as Kafka
   * does, so a large record never blocks a consumer). At the log end, waits up to waitMs
   * for the first new record: woken at once by an append in this process, otherwise
   * polling at a growing interval.
   */
  async read(topicId: string, partition: number, offset: number, limits: ReadLimits): Promise<ReadResult> {
    const pk = partitionKey(topicId, partition);
    const deadline = Date.now() + (limits.waitMs ?? 0);
    for (let interval = 50; ; interval = Math.min(interval * 2, 1000)) {
      const result = await this.readOnce(pk, offset, limits);
      const left = deadline - Date.now();
      if (result.records.length > 0 || left <= 0 || limits.signal?.aborted) return result;
      await this.waitForAppend(pk, Math.min(interval, left), limits.signal);
    }
  }

  private async readOnce(pk: string, offset: number, limits: ReadLimits): Promise<ReadResult> {
    const items: TailItem[] = [];
    let bytes = 0;
    // At a batch boundary this container has seen (where its last fetch or append
    // ended) no item starts before the offset, so the read of the batch containing it,
    // which costs that whole item, is skipped: a caught-up long poll costs one small query.
    const view = this.views.get(pk);
    const atBoundary = view?.batchEnd === offset;
    let previousEnd = atBoundary ? offset : 0;
    if (!atBoundary) {
      const [containing] = await this.query({ pk, forward: false, limit: 1, atMost: offset });
      if (containing) previousEnd = containing.offset + containing.count;
      if (containing && previousEnd > offset) {
        items.push(containing);
        bytes += containing.size;
      }
    }
    const enough = () => items.length > 0 && (bytes >= limits.maxBytes || recordsFrom(items, offset) >= limits.maxRecords);
    // A Query bills every item it reads, so pages hold only as many items as the fetch
    // still needs, judged by the last batches seen here (one item when nothing is known).
    const pageSize = () => {
      const sample = items.at(-1) ?? view;
      if (!sample) return 1;
      const recordsLeft = limits.maxRecords - recordsFrom(items, offset);
      const bytesLeft = limits.maxBytes - bytes;
      const needed = Math.min(Math.ceil(recordsLeft / sample.count), Math.ceil(bytesLeft / Math.max(1, sample.size)));
      return Math.min(100, Math.max(1, needed));
    };
    let reachedEnd = !enough();
    if (reachedEnd) {
      for await (const item of this.scanForward(pk, atBoundary ? offset : offset + 1, pageSize)) {
        if (atBoundary && items.length === 0 && item.offset !== offset) {
          // The hint is stale (the log moved under it): take the long way once.
          this.views.delete(pk);
          return this.readOnce(pk, offset, limits);
        }
        items.push(item);
        bytes += item.size;
        if (enough()) {
          reachedEnd = false;
          break;
        }
      }
    }
    const last = items.at(-1);
    const lastEnd = last ? last.offset + last.count : previousEnd;
    let highWatermark: number;
    if (reachedEnd) {
      highWatermark = lastEnd;
    } else {
      // Not at the end: a high watermark seen here within hwCacheMs is good enough for
      // lag, and spares a read of the partition's whole last item on every fetch.
      const known = this.views.get(pk);
      const fresh = known && Date.now() - known.seenAt < this.options.hwCacheMs && known.highWatermark >= lastEnd;
      highWatermark = fresh ? known.highWatermark : (await this.boundsOf(pk)).highWatermark;
    }
    if (last) this.saw(pk, last, reachedEnd ? highWatermark : undefined);
    const logStartOffset = await this.logStartOffset(pk, highWatermark, offset);
    if (offset < logStartOffset || offset > highWatermark) {
      throw new OffsetOutOfRangeError(offset, logStartOffset, highWatermark);
    }

    const records: StoredRecord[] = [];
    for (const item of items) {
      for (const record of await this.recordsOf(pk, item)) {
        if (record.offset >= offset && records.length < limits.maxRecords) records.push(record);
      }
    }
    const nextOffset = records.length > 0 ? records.at(-1)!.offset + 1 : offset;
    return { records, nextOffset, highWatermark, logStartOffset };
  }

  /**
   * The earliest offset whose record timestamp is at or after `timestamp` (Kafka's
   * ListOffsets by time), or null when every record is older.
   */
  async offsetForTimestamp(topicId: string, partition: number, timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    const pk = partitionKey(topicId, partition);
    for await (const item of this.scanForward(pk, 0, () => 10)) {
      if (item.maxTimestamp < timestamp) continue;
      const match = (await this.recordsOf(pk, item)).find((r) => r.timestamp >= timestamp);
      if (match) return { offset: match.offset, timestamp: match.timestamp };
    }
    return null;
  }

  /** Records a batch this container read or wrote, and the high watermark if storage just told it. */
  private saw(pk: string, batch: Pick<TailItem, 'offset' | 'count' | 'size'>, learnedHighWatermark?: number): void {
    const known = this.views.get(pk);
    // Only a value read from storage (or an append) refreshes the clock, and a known
    // end never moves backwards: another container may have appended since.
    const learned = learnedHighWatermark !== undefined && (!known || learnedHighWatermark >= known.highWatermark);
    this.views.set(pk, {
      batchEnd: batch.offset + batch.count,
      count: batch.count,
      size: batch.size,
      highWatermark: learned ? learnedHighWatermark : (known?.highWatermark ?? 0),
      seenAt: learned ? Date.now() : (known?.seenAt ?? 0),
    });
  }

  /** Resolves on an append to `pk` in this process, after `ms`, or on abort. */
  private waitForAppend(pk: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.appended.off(pk, done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.appended.on(pk, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Where the partition starts: its oldest tail item. Cached, since only retention moves
   * it; an offset below the cached start re-reads before anyone is told 416.
   */
  private async logStartOffset(pk: string, highWatermark: number, asked?: number): Promise<number> {
    const cached = this.logStarts.get(pk);
    if (cached && Date.now() - cached.at < this.options.logStartCacheMs && (asked === undefined || asked >= cached.offset)) {
      return cached.offset;
    }
    const [first] = await this.query({ pk, forward: true, limit: 1 });
    const offset = first?.offset ?? highWatermark;
    if (first) this.logStarts.set(pk, { offset, at: Date.now() });
    return offset;
  }

  private async recordsOf(pk: string, item: TailItem): Promise<StoredRecord[]> {
    let batch: Buffer;
    if (item.bytes) {
      batch = Buffer.from(item.bytes);
    } else {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: item.object }));
      batch = Buffer.from(await object.Body!.transformToByteArray());
    }
    setBaseOffset(batch, item.offset);
    const { records } = decodeBatch(batch);
    if (records.length !== item.count) {
      throw new CorruptRecordError(`batch at ${pk}@${item.offset} holds ${records.length} records, its item says ${item.count}`);
    }
    return records;
  }

  private async *scanForward(pk: string, from: number, pageSize: () => number): AsyncGenerator<TailItem> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb.send(
        new QueryCommand(queryInput(this.table, { pk, forward: true, limit: pageSize(), atLeast: from }, start)),
      );
      for (const item of page.Items ?? []) yield toTailItem(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  private async query(q: TailQuery): Promise<TailItem[]> {
    const page = await this.dynamodb.send(new QueryCommand(queryInput(this.table, q)));
    return (page.Items ?? []).map(toTailItem);
  }
}

interface TailQuery {
  readonly pk: string;
  readonly forward: boolean;
  readonly limit: number;
  readonly atLeast?: number;
  readonly atMost?: number;
}

function queryInput(table: string, q: TailQuery, start?: Record<string, AttributeValue>): QueryCommandInput {
  const values: Record<string, AttributeValue> = { ':pk': { S: q.pk } };
  let condition = 'pk = :pk';
  if (q.atLeast !== undefined) {
    condition += ' AND #o >= :from';
    values[':from'] = { N: String(q.atLeast) };
  }
  if (q.atMost !== undefined) {
    condition += ' AND #o <= :to';
    values[':to'] = { N: String(q.atMost) };
  }
  return {
    TableName: table,
    KeyConditionExpression: condition,
    ...(condition.includes('#o') ? { ExpressionAttributeNames: { '#o': 'offset' } } : {}),
    ExpressionAttributeValues: values,
    ScanIndexForward: q.forward,
    Limit: q.limit,
    ConsistentRead: true,
    ExclusiveStartKey: start,
  };
}

function recordsFrom(items: readonly TailItem[], offset: number): number {
  return items.reduce((n, item) => n + item.offset + item.count - Math.max(item.offset, offset), 0);
}

export function partitionKey(topicId: string, partition: number): string {
  return `${topicId}#${partition}`;
}

function toTailItem(item: Record<string, AttributeValue>): TailItem {
  return {
    offset: Number(item.offset!.N),
    count: Number(item.count!.N),
    maxTimestamp: Number(item.maxTimestamp!.N),
    writer: item.writer!.S!,
    size: Number(item.size!.N),
    ...(item.bytes?.B ? { bytes: item.bytes.B } : {}),
    ...(item.object?.S ? { object: item.object.S } : {}),
  };
}

/** Exponential backoff with full jitter, capped at one second. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(1000, 20 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
