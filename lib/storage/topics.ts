/** Topic metadata in DynamoDB: create, describe, grow, delete, with a short per-container cache. */
import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  paginateScan,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { InvalidRequestError, TopicExistsError, TopicNotFoundError } from '../core/errors.ts';
import { defaultTopicConfig, mergeTopicConfig, type TopicConfig } from '../core/topic-config.ts';

export interface TopicMeta {
  readonly name: string;
  /** Immutable: a topic deleted and created again under its name gets a new id, so no old data shows. */
  readonly topicId: string;
  readonly partitions: number;
  readonly config: TopicConfig;
  readonly createdAt: number;
}

export interface TopicUpdate {
  readonly partitions?: number;
  readonly config?: unknown;
}

/** Deleted topics leave a marker (a name no topic can have) so a background job can purge their data. */
const deletedMarkerPrefix = 'deleted:';

export class TopicStore {
  private readonly cache = new Map<string, { meta: TopicMeta; at: number }>();

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    /** How long a container trusts its copy, like Kafka's metadata.max.age.ms but shorter. */
    private readonly cacheMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async create(name: string, partitions: number, config?: unknown): Promise<TopicMeta> {
    const meta: TopicMeta = {
      name,
      topicId: randomUUID(),
      partitions,
      config: mergeTopicConfig(defaultTopicConfig, config),
      createdAt: this.now(),
    };
    try {
      await this.dynamodb.send(
        new PutItemCommand({ TableName: this.table, Item: toItem(meta), ConditionExpression: 'attribute_not_exists(#n)', ExpressionAttributeNames: { '#n': 'name' } }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new TopicExistsError(name);
      throw err;
    }
    this.remember(meta);
    return meta;
  }

  /** The topic, from this container's cache while it is fresh unless `fresh` is asked for. */
  async get(name: string, options: { fresh?: boolean } = {}): Promise<TopicMeta> {
    const cached = this.cache.get(name);
    if (cached && !options.fresh && this.now() - cached.at < this.cacheMs) return cached.meta;
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.table, Key: { name: { S: name } }, ConsistentRead: true }),
    );
    if (!Item) {
      this.cache.delete(name);
      throw new TopicNotFoundError(name);
    }
    const meta = fromItem(Item);
    this.remember(meta);
    return meta;
  }

  async list(): Promise<TopicMeta[]> {
    const topics: TopicMeta[] = [];
    for await (const page of paginateScan({ client: this.dynamodb }, { TableName: this.table, ConsistentRead: true })) {
      for (const item of page.Items ?? []) {
        if (!item.name?.S?.startsWith(deletedMarkerPrefix)) topics.push(fromItem(item));
      }
    }
    return topics.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Topics deleted but not yet purged: their data still waits for the purge job. */
  async listDeleted(): Promise<Array<{ topic: TopicMeta; deletedAt: number }>> {
    const deleted: Array<{ topic: TopicMeta; deletedAt: number }> = [];
    const pages = paginateScan(
      { client: this.dynamodb },
      {
        TableName: this.table,
        ConsistentRead: true,
        FilterExpression: 'begins_with(#n, :prefix)',
        ExpressionAttributeNames: { '#n': 'name' },
        ExpressionAttributeValues: { ':prefix': { S: deletedMarkerPrefix } },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        deleted.push({ topic: { ...fromItem(item), name: item.topicName!.S! }, deletedAt: Number(item.deletedAt!.N) });
      }
    }
    return deleted;
  }

  /** Forgets a deleted topic once its data is gone. */
  async removeDeletedMarker(topicId: string): Promise<void> {
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.table, Key: { name: { S: deletedMarkerPrefix + topicId } } }));
  }

  /** Grows partitions and/or changes config; a concurrent change makes this retry on fresh state. */
  async update(name: string, update: TopicUpdate): Promise<TopicMeta> {
    for (;;) {
      const current = await this.get(name, { fresh: true });
      if (update.partitions !== undefined && update.partitions < current.partitions) {
        throw new InvalidRequestError(
          `partitions can only grow: topic '${name}' has ${current.partitions}, asked for ${update.partitions}`,
          { details: { field: 'partitions', partitions: current.partitions } },
        );
      }
      // Kafka refuses this too (INVALID_PARTITIONS "Topic already has 3 partitions."):
      // the caller believed the topic smaller than it is.
      if (update.partitions !== undefined && update.partitions === current.partitions) {
        throw new InvalidRequestError(`topic '${name}' already has ${current.partitions} partitions; partitions can only grow`, {
          details: { field: 'partitions', partitions: current.partitions },
        });
      }
      const next: TopicMeta = {
        ...current,
        partitions: update.partitions ?? current.partitions,
        config: mergeTopicConfig(current.config, update.config),
      };
      try {
        await this.dynamodb.send(
          new PutItemCommand({
            TableName: this.table,
            Item: toItem(next),
            ConditionExpression: '#id = :id AND #p = :p AND #c = :c',
            ExpressionAttributeNames: { '#id': 'topicId', '#p': 'partitions', '#c': 'config' },
            ExpressionAttributeValues: { ':id': { S: current.topicId }, ':p': { N: String(current.partitions) }, ':c': { S: JSON.stringify(current.config) } },
          }),
        );
        this.remember(next);
        return next;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    }
  }

  async delete(name: string): Promise<void> {
    const meta = await this.get(name, { fresh: true });
    // The marker first: a crash after it leaves a topic that still exists, which the
    // purge job checks for, never data that nothing points to.
    await this.dynamodb.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { ...toItem(meta), name: { S: deletedMarkerPrefix + meta.topicId }, topicName: { S: name }, deletedAt: { N: String(this.now()) } },
      }),
    );
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: { name: { S: name } },
          ConditionExpression: 'topicId = :id',
          ExpressionAttributeValues: { ':id': { S: meta.topicId } },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new TopicNotFoundError(name);
      throw err;
    } finally {
      this.cache.delete(name);
    }
  }

  private remember(meta: TopicMeta): void {
    this.cache.set(meta.name, { meta, at: this.now() });
  }
}

function toItem(meta: TopicMeta): Record<string, AttributeValue> {
  return {
    name: { S: meta.name },
    topicId: { S: meta.topicId },
    partitions: { N: String(meta.partitions) },
    config: { S: JSON.stringify(meta.config) },
    createdAt: { N: String(meta.createdAt) },
  };
}

function fromItem(item: Record<string, AttributeValue>): TopicMeta {
  return {
    name: item.name!.S!,
    topicId: item.topicId!.S!,
    partitions: Number(item.partitions!.N),
    config: { ...defaultTopicConfig, ...(JSON.parse(item.config!.S!) as Partial<TopicConfig>) },
    createdAt: Number(item.createdAt!.N),
  };
}
