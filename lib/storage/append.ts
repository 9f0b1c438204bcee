/**
 * Appends to the hot tail: one DynamoDB item per batch, keyed (`topicId#partition`,
 * baseOffset), written with a conditional put so that two writers racing for one offset
 * cannot both win.
 *
 *   writer A  put(o=10, id=A) ─────────────── ok ─────────────────▶ offsets 10..14
 *   writer B  put(o=10, id=B) ── conflict, ALL_OLD says A has 5 ──▶ put(o=15, id=B) ok
 *   writer C  put(o=20, id=C) ── reply lost ─ SDK retry: conflict, ALL_OLD says C ──▶ ok, 20
 *
 * The last line is why every item carries its append's id: without it, a lost reply
 * would turn into a second copy of the batch.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { backoffDelay, sleep, type BackoffDelays } from '../core/backoff.ts';
import { encodeBatch, setBaseOffset, type Compression, type RecordInput, type StoredBatch } from '../core/codec/record-batch.ts';
import { ThrottledError, UnavailableError } from '../core/errors.ts';
import type { UsageMeter } from './clients.ts';
import type { PartitionViews } from './partition-view.ts';
import { bucketLayout } from './tables.ts';
import { winningItem, type TailStore } from './tail.ts';

export interface AppendTuning {
  /** Batches larger than this go to an S3 object with a pointer item (near the cost crossover of a PUT and write units). */
  readonly inlineBatchBytes: number;
  /** Conditional-put attempts for one append before it answers 503. */
  readonly maxAppendAttempts: number;
}

/** How an append stores its batch, what an idempotent one writes into its header, and how long it may try. */
export interface AppendOptions {
  /** The codec of a batch encoded here (a client's batch keeps its own). @default 'none' */
  readonly compression?: Compression;
  /** Id written on the tail item, so a later try can find this append. @default a fresh one */
  readonly appendId?: string;
  /** Written into a batch encoded here (a client's batch carries its own). */
  readonly producer?: { readonly producerId: bigint; readonly producerEpoch: number; readonly baseSequence: number };
  /** No put starts after this time (ms), and one in flight is abandoned: a retry may take over after it. */
  readonly deadline?: number;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly count: number;
}

/**
 * What an append stores: records, encoded here into one batch (with AppendOptions'
 * codec and producer fields), or a batch a Kafka client encoded, decoded and checked by
 * the caller (CRC, offset deltas 0 to count - 1), stored byte for byte but for its base
 * offset.
 */
export type AppendContent = readonly RecordInput[] | StoredBatch;

/** The records an append carries. */
export function recordsIn(content: AppendContent): readonly RecordInput[] {
  return isStoredBatch(content) ? content.records : content;
}

function isStoredBatch(content: AppendContent): content is StoredBatch {
  return !Array.isArray(content);
}

const definiteErrors = new Set(['ValidationException', 'ResourceNotFoundException', 'AccessDeniedException']);

/** Between append tries: short, since a conflict means another writer just moved the end. */
const appendBackoff: BackoffDelays = { minDelayMs: 20, maxDelayMs: 1000 };

export class Appender {
  /** Appends to one partition from one container run one after another, never racing each other. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly s3: S3Client,
    private readonly tail: TailStore,
    private readonly views: PartitionViews,
    private readonly bucket: string,
    private readonly usage: UsageMeter,
    private readonly options: AppendTuning,
  ) {}

  /** Appends to partition `pk` as one batch, after this container's earlier appends to it. */
  append(pk: string, content: AppendContent, options: AppendOptions): Promise<AppendResult> {
    const previous = this.queues.get(pk) ?? Promise.resolve();
    const run = previous.then(() => this.appendNow(pk, content, options));
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

  private async appendNow(pk: string, content: AppendContent, options: AppendOptions): Promise<AppendResult> {
    const appendId = options.appendId ?? randomUUID();
    const records = recordsIn(content);
    // A client's batch is copied: its base offset is rewritten below at each try.
    const batch = isStoredBatch(content)
      ? Buffer.from(content.bytes)
      : encodeBatch({ baseOffset: 0, records, compression: options.compression, ...options.producer });
    const count = records.length;
    const maxTimestamp = records.reduce((max, r) => Math.max(max, r.timestamp), -Infinity);
    let stored: { readonly bytes: Uint8Array } | { readonly object: string; readonly bytes?: undefined };
    // Judged on the stored (compressed) size: that is what a write unit or a PUT carries.
    if (batch.length > this.options.inlineBatchBytes) {
      // The object lands first; one whose pointer never lands is garbage nobody reads.
      const key = `${bucketLayout.staged}${pk.replace('#', '/')}/${appendId}`;
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: batch }));
      stored = { object: key };
    } else {
      stored = { bytes: batch };
    }

    let offset = await this.views.nextOffset(pk);
    let conflictsInRow = 0;
    let lastError: unknown;
    this.views.forgetNextOffset(pk);
    for (let attempt = 0; attempt < this.options.maxAppendAttempts; attempt++) {
      if (stored.bytes) setBaseOffset(batch, offset);
      const left = options.deadline === undefined ? undefined : options.deadline - Date.now();
      if (left !== undefined && left <= 0) {
        throw new UnavailableError('the append ran out of time; retry the request to learn whether it landed', { cause: lastError });
      }
      try {
        await this.dynamodb.send(
          new PutItemCommand({
            TableName: this.tail.table,
            Item: this.tail.toItem(pk, { offset, count, maxTimestamp, appendedAt: Date.now(), writer: appendId, size: batch.length, ...stored }),
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
          left === undefined ? {} : { abortSignal: AbortSignal.timeout(left) },
        );
        return this.appendedAt(pk, offset, records, batch.length);
      } catch (err) {
        lastError = err;
        if (err instanceof ConditionalCheckFailedException) {
          const winner = winningItem(err.Item);
          // Our own earlier try landed and its reply was lost.
          if (winner?.writer === appendId) return this.appendedAt(pk, offset, records, batch.length);
          conflictsInRow++;
          this.usage.appendConflicts++;
          if (conflictsInRow === 1 && winner) {
            offset = winner.offset + winner.count;
          } else {
            // Other writers are busy here: wait first, so the end we read is still fresh.
            await sleep(backoffDelay(conflictsInRow, appendBackoff));
            offset = (await this.views.bounds(pk)).highWatermark;
          }
          continue;
        }
        if (definiteErrors.has((err as Error).name)) throw err;
        // Anything else may have landed: retry at the same offset to learn which.
        conflictsInRow = 0;
        await sleep(backoffDelay(attempt, appendBackoff));
      }
    }
    if (lastError instanceof ThrottledError) throw lastError;
    throw new UnavailableError('append did not complete; it may or may not have landed', { cause: lastError });
  }

  private appendedAt(pk: string, offset: number, records: readonly RecordInput[], size: number): AppendResult {
    const count = records.length;
    this.usage.countIn(records);
    this.views.recordAppend(pk, { offset, count, size });
    return { baseOffset: offset, count };
  }
}
