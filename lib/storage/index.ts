/** Storage: the only code that talks to DynamoDB and S3. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { tableRoles, type StorageConfig } from '../core/config.ts';
import { createClients, UsageMeter, type AwsClients } from './clients.ts';
import { defaultLogOptions, inlineBatchBytesFor, LogStore, type LogOptions } from './log.ts';
import { tableDefinitions, type TableDefinition } from './tables.ts';
import { GroupCoordinator } from './coordinator.ts';
import { defaultIdempotenceOptions, IdempotentAppender, type IdempotenceOptions } from './idempotent.ts';
import { ProducerStore } from './producers.ts';
import { GroupStore } from './groups.ts';
import { ClassicGroupStore } from './classic-groups.ts';
import { ObjectReader } from './objects.ts';
import { PartitionStore } from './partitions.ts';
import { SegmentStore } from './segments.ts';
import { DEFAULT_TAIL_EXPIRY_MS, TailStore } from './tail.ts';
import { TopicStore } from './topics.ts';

export interface StorageOptions {
  readonly log?: Partial<LogOptions>;
  /** How long after its append a tail item expires, where they expire. @default DEFAULT_TAIL_EXPIRY_MS */
  readonly tailExpiryMs?: number;
  /** @default 5000 */
  readonly topicCacheMs?: number;
  readonly idempotence?: Partial<IdempotenceOptions>;
}

export interface Storage {
  readonly config: StorageConfig;
  readonly clients: AwsClients;
  readonly topics: TopicStore;
  readonly log: LogStore;
  readonly tail: TailStore;
  readonly segments: SegmentStore;
  readonly partitions: PartitionStore;
  readonly groups: GroupStore;
  readonly coordinator: GroupCoordinator;
  /** Kafka-protocol groups' state (the gateway's group coordinator keeps it here). */
  readonly classicGroups: ClassicGroupStore;
  readonly producers: ProducerStore;
  /** Exactly-once appends for idempotent producers. */
  readonly idempotent: IdempotentAppender;
  /** Capacity units and S3 requests this instance has used. */
  readonly usage: UsageMeter;
  /** Creates the tables and bucket where missing (local runner and tests; CDK does it on AWS). */
  ensureResources(): Promise<void>;
  destroy(): void;
}

export function createStorage(config: StorageConfig, options: StorageOptions = {}): Storage {
  const usage = new UsageMeter();
  const clients = createClients(config, usage);
  const objects = new ObjectReader(
    { s3: clients.s3, name: config.bucket },
    clients.sourceS3 && config.sourceBucket ? { s3: clients.sourceS3, name: config.sourceBucket.name } : undefined,
  );
  const tail = new TailStore(
    clients.dynamodb,
    objects,
    config.tables.log,
    config.tailCleanup === 'delete' ? { kind: 'delete' } : { kind: 'expire', afterMs: options.tailExpiryMs ?? DEFAULT_TAIL_EXPIRY_MS },
  );
  const segments = new SegmentStore(clients.dynamodb, clients.s3, config.tables.segments, config.bucket, objects, usage);
  const partitions = new PartitionStore(clients.dynamodb, config.tables.partitions);
  const groups = new GroupStore(clients.dynamodb, config.tables.groups);
  const topics = new TopicStore(clients.dynamodb, config.tables.topics, options.topicCacheMs);
  const log = new LogStore(clients.dynamodb, clients.s3, tail, segments, partitions, config.bucket, usage, {
    ...defaultLogOptions,
    inlineBatchBytes: config.inlineBatchBytes ?? inlineBatchBytesFor(tail.cleanup.kind),
    ...options.log,
  });
  const classicGroups = new ClassicGroupStore(clients.dynamodb, config.tables.groups);
  const producers = new ProducerStore(clients.dynamodb, config.tables.producers);
  return {
    config,
    clients,
    usage,
    producers,
    idempotent: new IdempotentAppender(log, producers, { ...defaultIdempotenceOptions, ...options.idempotence }),
    topics,
    log,
    tail,
    segments,
    partitions,
    groups,
    coordinator: new GroupCoordinator(groups, topics, log, classicGroups),
    classicGroups,
    ensureResources: () => ensureResources(config, clients),
    destroy: () => {
      clients.dynamodb.destroy();
      clients.s3.destroy();
      clients.sourceS3?.destroy();
    },
  };
}

async function ensureResources(config: StorageConfig, clients: AwsClients): Promise<void> {
  await Promise.all([
    ...tableRoles.map((role) => ensureTable(clients, config.tables[role], tableDefinitions[role])),
    ensureBucket(clients, config.bucket),
  ]);
}

async function ensureTable(clients: AwsClients, tableName: string, definition: TableDefinition): Promise<void> {
  const keys = [definition.partitionKey, ...(definition.sortKey ? [definition.sortKey] : [])];
  try {
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: keys.map((k): AttributeDefinition => ({ AttributeName: k.name, AttributeType: k.type })),
        KeySchema: keys.map((k, i): KeySchemaElement => ({ AttributeName: k.name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      }),
    );
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
  await untilActive(clients, tableName);
  if (definition.timeToLiveAttribute) {
    const { TimeToLiveDescription } = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    // ENABLING is on its way; asking again while it is (or DISABLING) is refused.
    if (TimeToLiveDescription?.TimeToLiveStatus === 'DISABLED' || !TimeToLiveDescription?.TimeToLiveStatus) {
      await clients.dynamodb.send(
        new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: definition.timeToLiveAttribute, Enabled: true } }),
      );
    }
  }
}

async function untilActive(clients: AwsClients, tableName: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

async function ensureBucket(clients: AwsClients, bucket: string): Promise<void> {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}
