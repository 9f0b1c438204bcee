/**
 * Table and bucket definitions: the one source that the local runner creates and the
 * CDK stack deploys, so both always agree on keys.
 */
export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export const tableDefinitions = {
  /** One item per topic name: its immutable topicId, partition count and config. */
  topics: { partitionKey: { name: 'name', type: 'S' } },
  /**
   * The hot tail: one item per appended batch, keyed (`topicId#partition`, baseOffset).
   * Appends are conditional puts on this key, which keeps offsets dense without a lock.
   */
  log: { partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'offset', type: 'N' } },
} as const satisfies Record<string, TableDefinition>;

export type TableName = keyof typeof tableDefinitions;

/** Object key prefixes in the data bucket. */
export const bucketLayout = {
  /** Batches too large for an item: written before their pointer item is appended. */
  staged: 'staged/',
} as const;
