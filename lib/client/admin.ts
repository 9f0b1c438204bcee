/**
 * The admin client, shaped like kafkajs's: topics (create, list, delete, metadata, offsets,
 * partitions) and consumer groups (list, describe, fetch, reset, set and delete offsets).
 * Names, arguments and answers follow kafkajs where the concept is the same; offsets are
 * strings there, so they are here.
 */
import { apiConfigKey, apiConfigKeys, kafkaConfigNames } from '../core/topic-config.ts';
import { ConfigError, InvalidRequestError, SluiceError } from '../core/errors.ts';
import { RemoteError } from './errors.ts';
import type { SluiceClient } from './client.ts';
import type {
  CleanupPolicy,
  GroupDescription,
  OffsetSpec,
  ResetOffsetsResponse,
  ResetTarget,
  TopicConfig,
  TopicDescription,
} from './types.ts';

export interface ConfigEntry {
  /** Kafka's name (`retention.ms`) or the API's (`retentionMs`). */
  readonly name: string;
  readonly value: string;
}

export interface ITopicConfig {
  readonly topic: string;
  /** @default 1 (kafkajs's -1, the broker default, means the same) */
  readonly numPartitions?: number;
  /** Accepted for kafkajs code; storage is replicated by DynamoDB and S3. */
  readonly replicationFactor?: number;
  readonly configEntries?: readonly ConfigEntry[];
}

export interface PartitionMetadata {
  readonly partitionId: number;
  readonly partitionErrorCode: 0;
  /** There are no brokers: 0, as kafkajs code expects a number. */
  readonly leader: 0;
  readonly replicas: number[];
  readonly isr: number[];
  readonly offlineReplicas: number[];
  readonly logStartOffset: number;
  readonly highWatermark: number;
}

export interface TopicMetadata {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: PartitionMetadata[];
  readonly config: TopicConfig;
}

export interface PartitionOffset {
  readonly partition: number;
  readonly offset: string;
}

export interface GroupOverview {
  readonly groupId: string;
  readonly protocolType: 'consumer';
  /** Live members. */
  readonly members: number;
}

export interface MemberDescription {
  readonly memberId: string;
  readonly instanceId?: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly assignments: ReadonlyArray<{ topic: string; partition: number }>;
}

export interface AdminGroupDescription {
  readonly groupId: string;
  /** 'Dead' for a group that does not exist, as kafkajs reports it. */
  readonly state: GroupDescription['state'] | 'Dead';
  readonly protocol: 'lease';
  readonly protocolType: 'consumer';
  readonly members: MemberDescription[];
  /** Each partition's committed offset, high watermark, lag and owner. */
  readonly partitions: GroupDescription['partitions'];
  readonly totalLag: number;
  readonly errorCode: 0;
}


export class Admin {
  constructor(private readonly client: SluiceClient) {}

  /** Nothing to open over HTTP; kept for kafkajs code. */
  async connect(): Promise<void> {}

  async disconnect(): Promise<void> {}

  /**
   * Creates topics; true if all were created, false if some already existed (as kafkajs).
   * Other failures reject, after the other topics were tried.
   */
  async createTopics(options: { topics: readonly ITopicConfig[]; validateOnly?: boolean; waitForLeaders?: boolean; timeout?: number }): Promise<boolean> {
    if (options.validateOnly) throw new ConfigError('validateOnly is not supported: the API validates and creates in one call');
    const results = await Promise.allSettled(
      options.topics.map((t) =>
        this.client.createTopic({
          name: t.topic,
          partitions: t.numPartitions === undefined || t.numPartitions === -1 ? 1 : t.numPartitions,
          ...(t.configEntries?.length ? { config: topicConfig(t.configEntries) } : {}),
        }),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !hasCode(r.reason, 'TOPIC_EXISTS'));
    if (failure) throw failure.reason;
    return results.every((r) => r.status === 'fulfilled');
  }

  async deleteTopics(options: { topics: readonly string[]; timeout?: number }): Promise<void> {
    for (const topic of options.topics) await this.client.deleteTopic(topic);
  }

  /** Topic names. */
  async listTopics(): Promise<string[]> {
    return (await this.client.listTopics()).topics.map((t) => t.name);
  }

  /** Partitions (with their offset bounds) and config of the given topics, or of all. */
  async fetchTopicMetadata(options: { topics?: readonly string[] } = {}): Promise<{ topics: TopicMetadata[] }> {
    const names = options.topics ?? (await this.listTopics());
    const topics = await Promise.all(names.map((name) => this.client.describeTopic(name)));
    return { topics: topics.map(topicMetadata) };
  }

  /** Each partition's log end (`offset`, `high`) and start (`low`), as kafkajs's fetchTopicOffsets. */
  async fetchTopicOffsets(topic: string): Promise<Array<PartitionOffset & { high: string; low: string }>> {
    const description = await this.client.describeTopic(topic);
    return description.partitions.map((p) => ({
      partition: p.partition,
      offset: String(p.highWatermark),
      high: String(p.highWatermark),
      low: String(p.logStartOffset),
    }));
  }

  /** Per partition, the first offset at or after `timestamp` (ms), or the log end; without a timestamp, the log end. */
  async fetchTopicOffsetsByTimestamp(topic: string, timestamp?: number): Promise<PartitionOffset[]> {
    const description = await this.client.describeTopic(topic);
    const at: OffsetSpec = timestamp ?? 'latest';
    return Promise.all(
      description.partitions.map(async (p) => ({
        partition: p.partition,
        offset: String((await this.client.offsetFor(topic, p.partition, at)).offset),
      })),
    );
  }

  /** Grows topics to `count` partitions (never shrinks). */
  async createPartitions(options: { topicPartitions: ReadonlyArray<{ topic: string; count: number }>; validateOnly?: boolean; timeout?: number }): Promise<boolean> {
    if (options.validateOnly) throw new ConfigError('validateOnly is not supported');
    for (const { topic, count } of options.topicPartitions) await this.client.alterTopic(topic, { partitions: count });
    return true;
  }

  async listGroups(): Promise<{ groups: GroupOverview[] }> {
    const { groups } = await this.client.listGroups();
    return { groups: groups.map((g) => ({ groupId: g.group, protocolType: 'consumer', members: g.members })) };
  }

  async describeGroups(groupIds: readonly string[]): Promise<{ groups: AdminGroupDescription[] }> {
    const groups = await Promise.all(
      groupIds.map(async (groupId): Promise<AdminGroupDescription> => {
        const d = await this.client.describeGroup(groupId).catch((error: unknown) => {
          if (hasCode(error, 'GROUP_NOT_FOUND')) return undefined;
          throw error;
        });
        return {
          groupId,
          state: d?.state ?? 'Dead',
          protocol: 'lease',
          protocolType: 'consumer',
          members: (d?.members ?? []).map((m) => ({
            memberId: m.memberId,
            ...(m.instanceId === undefined ? {} : { instanceId: m.instanceId }),
            clientId: '',
            clientHost: '',
            assignments: m.assignments,
          })),
          partitions: d?.partitions ?? [],
          totalLag: d?.totalLag ?? 0,
          errorCode: 0,
        };
      }),
    );
    return { groups };
  }

  /**
   * A group's committed offsets ('-1' where it has none), for the given topics or for every
   * topic it has leases or members for.
   */
  async fetchOffsets(options: { groupId: string; topics?: readonly string[] }): Promise<Array<{ topic: string; partitions: Array<PartitionOffset & { metadata: null }> }>> {
    const group = await this.client.describeGroup(options.groupId).catch((error: unknown) => {
      if (hasCode(error, 'GROUP_NOT_FOUND')) return undefined;
      throw error;
    });
    const known = group?.partitions ?? [];
    const topics = options.topics ?? [...new Set(known.map((p) => p.topic))];
    return Promise.all(
      topics.map(async (topic) => {
        const { partitions } = await this.client.describeTopic(topic);
        return {
          topic,
          partitions: partitions.map(({ partition }) => {
            const committed = known.find((p) => p.topic === topic && p.partition === partition)?.committedOffset ?? null;
            return { partition, offset: committed === null ? '-1' : String(committed), metadata: null };
          }),
        };
      }),
    );
  }

  /**
   * Moves a group's offsets on every partition of `topic` to the log end, or with
   * `earliest` to the log start (kafkajs's resetOffsets). GROUP_NOT_EMPTY while members run.
   */
  async resetOffsets(options: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    await this.client.resetGroupOffsets(options.groupId, { topic: options.topic, to: options.earliest ? 'earliest' : 'latest' });
  }

  /**
   * Sluice's reset with every target the API knows (an offset, a timestamp, a shift):
   * executed, as resetOffsets is, unless `dryRun` (then only the plan is answered, as
   * `kafka-consumer-groups --reset-offsets` without --execute).
   */
  resetGroupOffsets(options: { groupId: string; topic: string; to: ResetTarget; dryRun?: boolean }): Promise<ResetOffsetsResponse> {
    return this.client.resetGroupOffsets(options.groupId, {
      topic: options.topic,
      to: options.to,
      ...(options.dryRun === true ? { dryRun: true } : {}),
    });
  }

  /**
   * Sets a group's committed offsets per partition (kafkajs's setOffsets); refused while
   * the group has live members. One offset for every partition is one reset call; other
   * sets are committed by a short-lived member that joins the empty group (so it holds
   * every lease), commits under those leases and leaves.
   */
  async setOffsets(options: { groupId: string; topic: string; partitions: ReadonlyArray<{ partition: number; offset: string | number }> }): Promise<void> {
    const { groupId, topic } = options;
    const wanted = options.partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) }));
    for (const { partition, offset } of wanted) {
      if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidRequestError(`offset for partition ${partition} must be a non-negative integer`);
    }
    if (wanted.length === 0) return;
    const { partitions } = await this.client.describeTopic(topic);
    const offsets = new Set(wanted.map((w) => w.offset));
    const covered = new Set(wanted.map((w) => w.partition));
    if (offsets.size === 1 && partitions.every((p) => covered.has(p.partition))) {
      await this.client.resetGroupOffsets(groupId, { topic, to: { offset: wanted[0]!.offset } });
      return;
    }
    await this.refuseLiveMembers(groupId);
    const member = await this.client.joinGroup(groupId, { topics: [topic], sessionTimeoutMs: 10_000 });
    try {
      const leases = new Map(member.assignments.filter((a) => a.topic === topic).map((a) => [a.partition, a.leaseEpoch]));
      const missing = wanted.filter((w) => !leases.has(w.partition)).map((w) => w.partition);
      if (missing.length > 0) {
        throw new InvalidRequestError(`group '${groupId}' did not hand over partitions ${missing.join(', ')} of '${topic}': is a consumer starting?`);
      }
      await this.client.commitOffsets(groupId, {
        memberId: member.memberId,
        offsets: wanted.map((w) => ({ topic, partition: w.partition, offset: w.offset, leaseEpoch: leases.get(w.partition)! })),
      });
    } finally {
      await this.client.leaveGroup(groupId, member.memberId).catch(() => undefined);
    }
  }

  /** Deletes groups (offsets and leases); GROUP_NOT_EMPTY while members run. The first failure rejects, after all were tried. */
  async deleteGroups(groupIds: readonly string[]): Promise<Array<{ groupId: string; errorCode: 0 }>> {
    const results = await Promise.allSettled(groupIds.map((groupId) => this.client.deleteGroup(groupId)));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure) throw failure.reason;
    return groupIds.map((groupId) => ({ groupId, errorCode: 0 }));
  }

  private async refuseLiveMembers(groupId: string): Promise<void> {
    const group = await this.client.describeGroup(groupId).catch((error: unknown) => {
      if (hasCode(error, 'GROUP_NOT_FOUND')) return undefined;
      throw error;
    });
    if (group && group.members.length > 0) {
      // The same error the API answers to a reset while members run.
      throw new RemoteError('GROUP_NOT_EMPTY', 409, `group '${groupId}' has ${group.members.length} active member(s); stop them first`, {
        group: groupId,
        members: group.members.length,
      });
    }
  }
}

/** configEntries in Kafka's or the API's names as the API's typed config. */
export function topicConfig(entries: readonly ConfigEntry[]): TopicConfig {
  const config: Record<string, string | number> = {};
  for (const { name, value } of entries) {
    const key = apiConfigKey(name);
    if (key === undefined) {
      throw new ConfigError(`unknown topic config '${name}' (known: ${apiConfigKeys.map((k) => kafkaConfigNames[k]).join(', ')})`);
    }
    if (key === 'cleanupPolicy') {
      if (value !== 'delete' && value !== 'compact') throw new ConfigError(`cleanup.policy must be 'delete' or 'compact', not '${value}'`);
      config[key] = value satisfies CleanupPolicy;
    } else {
      const number = Number(value);
      if (String(value).trim() === '' || !Number.isSafeInteger(number)) throw new ConfigError(`${kafkaConfigNames[key]} must be an integer, not '${value}'`);
      config[key] = number;
    }
  }
  return config as TopicConfig;
}

function topicMetadata(t: TopicDescription): TopicMetadata {
  return {
    name: t.name,
    topicId: t.topicId,
    partitions: t.partitions.map((p) => ({
      partitionId: p.partition,
      partitionErrorCode: 0,
      leader: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
      logStartOffset: p.logStartOffset,
      highWatermark: p.highWatermark,
    })),
    config: t.config,
  };
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof SluiceError && error.code === code;
}
