/**
 * Table and bucket definitions: the one source that the local runner creates and the
 * CDK stack deploys, so both always agree on keys.
 */
import type { TableRole } from '../core/config.ts';

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** Items whose attribute of this name (epoch seconds) is past may be deleted by DynamoDB. */
  readonly timeToLiveAttribute?: string;
}

export const tableDefinitions = {
  /** One item per topic name: its immutable topicId, partition count and config. */
  topics: { partitionKey: { name: 'name', type: 'S' } },
  /**
   * The hot tail: one item per appended batch, keyed (`topicId#partition`, baseOffset).
   * Appends are conditional puts on this key, which keeps offsets dense without a lock.
   */
  log: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'offset', type: 'N' }, timeToLiveAttribute: 'expiresAt' },
  /** One item per partition: its log start and sealed end offsets and the sealer's lease. */
  partitions: { partitionKey: { name: 'pk', type: 'S' } },
  /**
   * The segment index: one item per sealed segment, keyed (`topicId#partition`,
   * baseOffset), holding its object key and a sparse offset/timestamp index into it.
   */
  segments: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'offset', type: 'N' } },
  /**
   * Consumer groups: per group, one item per member (`member#<id>`) and one lease per
   * partition (`lease#<topic>#<partition>`) holding owner, epoch, expiry and the committed
   * offset, each changed by single-item conditional writes.
   */
  groups: { partitionKey: { name: 'group', type: 'S' }, sortKey: { name: 'sk', type: 'S' } },
  /**
   * Idempotent producers: per producer id, its current epoch (`pk` = `producer#<id>`,
   * `sk` = `-`) and one sequence head per partition it wrote (`sk` = `<topicId>#<partition>`);
   * per transactional id, the producer id it maps to (`pk` = `txn#<id>`, `sk` = `-`).
   */
  producers: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' } },
} as const satisfies Record<TableRole, TableDefinition>;

/** Object key prefixes in the data bucket. */
export const bucketLayout = {
  /** Batches too large for an item: written before their pointer item is appended. */
  staged: 'staged/',
  /** Sealed segments: concatenated RecordBatch v2 bytes, a valid Kafka log segment. */
  segments: 'segments/',
} as const;
