/**
 * The hot tail's items in DynamoDB: one per appended batch, keyed (`topicId#partition`,
 * baseOffset), and how they go once sealed (TailCleanup).
 */
import {
  BatchWriteItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
  type QueryCommandInput,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { decodeBatch, setBaseOffset, type StoredBatch, type StoredRecord } from '../core/codec/record-batch.ts';
import { backoffDelay, sleep } from '../core/backoff.ts';
import { CorruptRecordError, ThrottledError } from '../core/errors.ts';
import type { ObjectReader } from './objects.ts';

export interface TailItem {
  readonly offset: number;
  readonly count: number;
  readonly maxTimestamp: number;
  /** When the batch was appended, by the appending container's clock. */
  readonly appendedAt: number;
  readonly writer: string;
  /** The batch itself, or... */
  readonly bytes?: Uint8Array;
  /** ...the key of the staged object holding it. */
  readonly object?: string;
  readonly size: number;
}

export interface TailQuery {
  readonly pk: string;
  readonly forward: boolean;
  readonly limit: number;
  readonly atLeast?: number;
  readonly atMost?: number;
  /** Half the read units, and may miss the last second's appends. @default true */
  readonly consistent?: boolean;
}

/**
 * How sealed tail items go. 'expire': each item carries `expiresAt` (appended + afterMs,
 * epoch seconds) and DynamoDB's TTL deletes it, which costs no write units; the sealer
 * seals every item long before that (lib/jobs/seal.ts), and readers take sealed offsets
 * from segments, so an item lingering past sealing is never needed. 'delete': the sealer
 * deletes items once sealed, where tables have no TTL (multi-region strong consistency).
 */
export type TailCleanup = { readonly kind: 'expire'; readonly afterMs: number } | { readonly kind: 'delete' };

/** A day: ample time to seal (the sealer forces it at a quarter of this), and a day of storage. */
export const DEFAULT_TAIL_EXPIRY_MS = 24 * 3600 * 1000;

export function partitionKey(topicId: string, partition: number): string {
  return `${topicId}#${partition}`;
}

/** Tries of a batch delete's unprocessed items before giving up for this run. */
const maxUnprocessedRetries = 8;

export class TailStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly objects: ObjectReader,
    readonly table: string,
    readonly cleanup: TailCleanup,
  ) {}

  /** The item's attributes as written, its expiry included. */
  toItem(pk: string, item: TailItem): Record<string, AttributeValue> {
    const expiresAt = this.cleanup.kind === 'expire' ? Math.ceil((item.appendedAt + this.cleanup.afterMs) / 1000) : undefined;
    return toItem(pk, item, expiresAt);
  }

  async query(q: TailQuery): Promise<TailItem[]> {
    const page = await this.dynamodb.send(new QueryCommand(queryInput(this.table, q)));
    return (page.Items ?? []).map(toTailItem);
  }

  /**
   * Items from `from` on, in offset order, with each page's size chosen just before it is
   * read; `consistent: false` reads eventually consistent pages (see TailQuery).
   */
  async *scanForward(pk: string, from: number, pageSize: () => number, options: { consistent?: boolean } = {}): AsyncGenerator<TailItem> {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.dynamodb.send(
        new QueryCommand(queryInput(this.table, { pk, forward: true, limit: pageSize(), atLeast: from, ...options }, start)),
      );
      for (const item of page.Items ?? []) yield toTailItem(item);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /** The batch's bytes with its real base offset, CRC-checked. */
  async batchOf(pk: string, item: TailItem): Promise<Buffer> {
    const batch = item.bytes ? Buffer.from(item.bytes) : await this.objects.read(item.object!);
    setBaseOffset(batch, item.offset);
    return batch;
  }

  /** The batch's bytes and what they decode to, checked against the item's record count. */
  async storedBatchOf(pk: string, item: TailItem): Promise<StoredBatch> {
    const bytes = await this.batchOf(pk, item);
    const { header, records } = decodeBatch(bytes);
    if (records.length !== item.count) {
      throw new CorruptRecordError(`batch at ${pk}@${item.offset} holds ${records.length} records, its item says ${item.count}`);
    }
    return { header, records, bytes };
  }

  async recordsOf(pk: string, item: TailItem): Promise<StoredRecord[]> {
    return (await this.storedBatchOf(pk, item)).records;
  }

  /**
   * Deletes items by base offset, 25 to a call, retrying what DynamoDB leaves unprocessed
   * a bounded number of times; past that it throws ThrottledError, and the caller's next
   * run deletes what is left (deleting is safe to repeat).
   */
  async deleteItems(pk: string, offsets: readonly number[]): Promise<void> {
    for (let i = 0; i < offsets.length; i += 25) {
      let requests: WriteRequest[] = offsets
        .slice(i, i + 25)
        .map((offset) => ({ DeleteRequest: { Key: { pk: { S: pk }, offset: { N: String(offset) } } } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > maxUnprocessedRetries) throw new ThrottledError(`${requests.length} tail items of ${pk} left undeleted: DynamoDB is throttling`);
        if (attempt > 0) await sleep(backoffDelay(attempt, { minDelayMs: 50, maxDelayMs: 1000 }));
        const result = await this.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
        requests = result.UnprocessedItems?.[this.table] ?? [];
      }
    }
  }
}

function queryInput(table: string, q: TailQuery, start?: Record<string, AttributeValue>): QueryCommandInput {
  const values: Record<string, AttributeValue> = { ':pk': { S: q.pk } };
  let condition = 'pk = :pk';
  if (q.atLeast !== undefined && q.atMost !== undefined) {
    condition += ' AND #o BETWEEN :from AND :to';
  } else if (q.atLeast !== undefined) {
    condition += ' AND #o >= :from';
  } else if (q.atMost !== undefined) {
    condition += ' AND #o <= :to';
  }
  if (q.atLeast !== undefined) values[':from'] = { N: String(q.atLeast) };
  if (q.atMost !== undefined) values[':to'] = { N: String(q.atMost) };
  return {
    TableName: table,
    KeyConditionExpression: condition,
    ...(condition.includes('#o') ? { ExpressionAttributeNames: { '#o': 'offset' } } : {}),
    ExpressionAttributeValues: values,
    ScanIndexForward: q.forward,
    Limit: q.limit,
    ConsistentRead: q.consistent ?? true,
    ExclusiveStartKey: start,
  };
}

/** The tail item's attributes as written: the one place besides toTailItem that knows them. */
function toItem(pk: string, item: TailItem, expiresAt: number | undefined): Record<string, AttributeValue> {
  return {
    pk: { S: pk },
    offset: { N: String(item.offset) },
    count: { N: String(item.count) },
    maxTimestamp: { N: String(item.maxTimestamp) },
    appendedAt: { N: String(item.appendedAt) },
    writer: { S: item.writer },
    size: { N: String(item.size) },
    ...(item.object !== undefined ? { object: { S: item.object } } : { bytes: { B: item.bytes! } }),
    ...(expiresAt !== undefined ? { expiresAt: { N: String(expiresAt) } } : {}),
  };
}

/** The item a failed conditional put met (its ALL_OLD), or undefined when the reply carried none. */
export function winningItem(old: Record<string, AttributeValue> | undefined): TailItem | undefined {
  return old?.writer?.S ? toTailItem(old) : undefined;
}

export function toTailItem(item: Record<string, AttributeValue>): TailItem {
  return {
    offset: Number(item.offset!.N),
    count: Number(item.count!.N),
    maxTimestamp: Number(item.maxTimestamp!.N),
    appendedAt: Number(item.appendedAt?.N ?? 0),
    writer: item.writer!.S!,
    size: Number(item.size!.N),
    ...(item.bytes?.B ? { bytes: item.bytes.B } : {}),
    ...(item.object?.S ? { object: item.object.S } : {}),
  };
}
