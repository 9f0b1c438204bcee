/**
 * Sealed segments: objects in S3 (concatenated RecordBatch v2 bytes) and their index
 * in DynamoDB, one item per segment keyed (`topicId#partition`, baseOffset). Segments
 * tile the partition from its log start to its sealed end without holes; a segment that
 * compaction emptied keeps its item, with no object.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  paginateQuery,
  PutItemCommand,
  QueryCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { conditionHeld } from './conditional.ts';
import { DeleteObjectsCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeSegmentIndex, encodeSegmentIndex, type SegmentIndexEntry } from '../core/segment.ts';
import type { UsageMeter } from './clients.ts';
import { bucketLayout } from './tables.ts';
import type { ObjectReader } from './objects.ts';

export interface SegmentRecord {
  readonly baseOffset: number;
  /** One past the last offset the segment covers (compaction may leave gaps inside). */
  readonly endOffset: number;
  /** The object; absent when compaction left no record in the segment. */
  readonly key?: string;
  readonly bytes: number;
  readonly recordCount: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly index: readonly SegmentIndexEntry[];
  readonly createdAt: number;
}

export class SegmentStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly s3: S3Client,
    private readonly table: string,
    private readonly bucket: string,
    private readonly objects: ObjectReader,
    private readonly usage: UsageMeter,
  ) {}

  /**
   * Where a segment's bytes go. Sealing the same range again writes the same key, so a
   * rerun after a crash overwrites rather than leaves an orphan; compaction's rewrites
   * carry a generation of their own so they never overwrite what readers may still read.
   */
  objectKey(pk: string, baseOffset: number, endOffset: number, generation?: string): string {
    const pad = (n: number) => String(n).padStart(16, '0');
    return `${bucketLayout.segments}${pk.replace('#', '/')}/${pad(baseOffset)}-${pad(endOffset)}${generation ? `.${generation}` : ''}.seg`;
  }

  async writeObject(key: string, bytes: Buffer): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes }));
  }

  /** Bytes [start, end) of an object, counted in the usage meter. */
  async readRange(key: string, start: number, end: number): Promise<Buffer> {
    const bytes = await this.objects.read(key, { start, end });
    this.usage.s3BytesRead += bytes.length;
    return bytes;
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const chunk = keys.slice(i, i + 1000);
      await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  /** Objects under a prefix with their last-modified times (for garbage collection). */
  async listObjects(prefix: string): Promise<Array<{ key: string; modifiedAt: number }>> {
    const objects: Array<{ key: string; modifiedAt: number }> = [];
    for await (const page of paginateListObjectsV2({ client: this.s3 }, { Bucket: this.bucket, Prefix: prefix })) {
      for (const o of page.Contents ?? []) objects.push({ key: o.Key!, modifiedAt: o.LastModified?.getTime() ?? 0 });
    }
    return objects;
  }

  /**
   * Records the segment unless one already starts at its base offset; answers the one
   * the index holds now: this one, or what an earlier (perhaps crashed) run put there.
   */
  async put(pk: string, segment: SegmentRecord): Promise<SegmentRecord> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: toItem(pk, segment),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return segment;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) || !err.Item) throw err;
      return fromItem(err.Item);
    }
  }

  /** Swaps a segment's item for its compacted version, if it is still `previous`. */
  async replace(pk: string, previous: SegmentRecord, next: SegmentRecord): Promise<boolean> {
    return conditionHeld(
      this.dynamodb.send(
        new PutItemCommand({
          TableName: this.table,
          Item: toItem(pk, next),
          ConditionExpression: previous.key === undefined ? 'attribute_not_exists(objectKey)' : 'objectKey = :key',
          ...(previous.key === undefined ? {} : { ExpressionAttributeValues: { ':key': { S: previous.key } } }),
        }),
      ),
    );
  }

  async delete(pk: string, baseOffset: number): Promise<void> {
    await this.dynamodb.send(
      new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: pk }, offset: { N: String(baseOffset) } } }),
    );
  }

  /** The segment holding `offset`, if sealed data covers it. */
  async containing(pk: string, offset: number): Promise<SegmentRecord | undefined> {
    const page = await this.dynamodb.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND #o <= :offset',
        ExpressionAttributeNames: { '#o': 'offset' },
        ExpressionAttributeValues: { ':pk': { S: pk }, ':offset': { N: String(offset) } },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const segment = page.Items?.[0] ? fromItem(page.Items[0]) : undefined;
    return segment && segment.endOffset > offset ? segment : undefined;
  }

  /** Every segment of the partition, oldest first. */
  async list(pk: string): Promise<SegmentRecord[]> {
    const segments: SegmentRecord[] = [];
    const pages = paginateQuery(
      { client: this.dynamodb },
      { TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } }, ConsistentRead: true },
    );
    for await (const page of pages) segments.push(...(page.Items ?? []).map(fromItem));
    return segments;
  }
}

function toItem(pk: string, s: SegmentRecord): Record<string, AttributeValue> {
  return {
    pk: { S: pk },
    offset: { N: String(s.baseOffset) },
    endOffset: { N: String(s.endOffset) },
    ...(s.key ? { objectKey: { S: s.key } } : {}),
    bytes: { N: String(s.bytes) },
    recordCount: { N: String(s.recordCount) },
    firstTimestamp: { N: String(s.firstTimestamp) },
    maxTimestamp: { N: String(s.maxTimestamp) },
    index: { B: encodeSegmentIndex(s.index) },
    createdAt: { N: String(s.createdAt) },
  };
}

function fromItem(item: Record<string, AttributeValue>): SegmentRecord {
  return {
    baseOffset: Number(item.offset!.N),
    endOffset: Number(item.endOffset!.N),
    ...(item.objectKey?.S ? { key: item.objectKey.S } : {}),
    bytes: Number(item.bytes!.N),
    recordCount: Number(item.recordCount!.N),
    firstTimestamp: Number(item.firstTimestamp!.N),
    maxTimestamp: Number(item.maxTimestamp!.N),
    index: decodeSegmentIndex(item.index!.B!),
    createdAt: Number(item.createdAt!.N),
  };
}
