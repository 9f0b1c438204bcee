/**
 * Consumer groups in DynamoDB: members and per-partition leases of one group share its
 * partition key, so one Query reads the whole group. Every change is one conditional write
 * on one item; no transactions (they are not available with multi-region strong
 * consistency).
 *
 *   member A  lease p3 (epoch 4) ── heartbeat ── heartbeat ── (stalls) ─────────── commit p3@epoch 4: FENCED
 *   member B                          A's session over + margin ── take p3 if still A's at epoch 4 (→ 5)
 *
 * A lease holds while its owner's member item is live: a heartbeat is one write whatever
 * the member holds. A member's session ends by its own clock (expiresAt is written with
 * it); others count it gone only after the margin too, so clocks need to agree only within
 * the margin. Taking a lease names the owner and epoch the taker saw, so a lease never
 * moves under a holder the taker did not judge gone.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  paginateQuery,
  paginateScan,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { classicGroupFromItem, classicGroupSortKey, type VersionedGroup } from './classic-groups.ts';
import { updateIf } from './conditional.ts';

export interface MemberItem {
  readonly memberId: string;
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly instanceId?: string;
  readonly expiresAt: number;
}

export interface LeaseItem {
  readonly topic: string;
  readonly partition: number;
  /** The topic's id when the lease was last written: a recreated topic starts over. */
  readonly topicId: string;
  readonly owner?: string;
  readonly leaseEpoch: number;
  readonly committedOffset?: number;
  readonly metadata?: string;
}

export interface GroupItems {
  readonly members: MemberItem[];
  readonly leases: LeaseItem[];
  /** The group's Kafka-protocol state, when Kafka clients have used it. */
  readonly classic?: VersionedGroup;
}

const memberKey = (memberId: string) => `member#${memberId}`;
const leaseKey = (topic: string, partition: number) => `lease#${topic}#${partition}`;

export class GroupStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    /** A member or lease counts as gone only this long after its expiry. */
    readonly marginMs = 2_000,
  ) {}

  /** Creates or refreshes a member; live until now + its session timeout. */
  async putMember(group: string, member: MemberItem): Promise<void> {
    await this.dynamodb.send(new PutItemCommand({ TableName: this.table, Item: memberToItem(group, member) }));
  }

  async getMember(group: string, memberId: string): Promise<MemberItem | undefined> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.table, Key: { group: { S: group }, sk: { S: memberKey(memberId) } }, ConsistentRead: true }),
    );
    return Item ? memberFromItem(Item) : undefined;
  }

  /** Extends a member's session; false when it is gone. */
  async touchMember(group: string, memberId: string, expiresAt: number): Promise<boolean> {
    return this.update(group, memberKey(memberId), 'SET expiresAt = :e', 'attribute_exists(sk)', { ':e': { N: String(expiresAt) } });
  }

  async deleteMember(group: string, memberId: string): Promise<void> {
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.table, Key: { group: { S: group }, sk: { S: memberKey(memberId) } } }));
  }

  /** Whether any Sluice (HTTP) member's session is live: then the group is theirs, not Kafka clients'. */
  async hasLiveMembers(group: string, now: number): Promise<boolean> {
    const pages = paginateQuery(
      { client: this.dynamodb },
      {
        TableName: this.table,
        KeyConditionExpression: '#g = :g AND begins_with(sk, :m)',
        ExpressionAttributeNames: { '#g': 'group' },
        ExpressionAttributeValues: { ':g': { S: group }, ':m': { S: 'member#' } },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      if ((page.Items ?? []).some((item) => memberFromItem(item).expiresAt + this.marginMs >= now)) return true;
    }
    return false;
  }

  /** Every member and lease of the group. */
  async read(group: string): Promise<GroupItems> {
    const members: MemberItem[] = [];
    const leases: LeaseItem[] = [];
    let classic: VersionedGroup | undefined;
    const pages = paginateQuery(
      { client: this.dynamodb },
      {
        TableName: this.table,
        KeyConditionExpression: '#g = :g',
        ExpressionAttributeNames: { '#g': 'group' },
        ExpressionAttributeValues: { ':g': { S: group } },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (item.sk!.S! === classicGroupSortKey) classic = classicGroupFromItem(item);
        else if (item.sk!.S!.startsWith('member#')) members.push(memberFromItem(item));
        else leases.push(leaseFromItem(item));
      }
    }
    return { members, leases, ...(classic ? { classic } : {}) };
  }

  /** Every group with its member items (live or not) and its Kafka-protocol state, if any, for listing. */
  async listGroups(): Promise<Map<string, Pick<GroupItems, 'members' | 'classic'>>> {
    const groups = new Map<string, { members: MemberItem[]; classic?: VersionedGroup }>();
    for await (const page of paginateScan({ client: this.dynamodb }, { TableName: this.table, ConsistentRead: true })) {
      for (const item of page.Items ?? []) {
        const entry = groups.get(item.group!.S!) ?? { members: [] };
        if (item.sk!.S! === classicGroupSortKey) entry.classic = classicGroupFromItem(item);
        else if (item.sk!.S!.startsWith('member#')) entry.members.push(memberFromItem(item));
        groups.set(item.group!.S!, entry);
      }
    }
    return groups;
  }

  /**
   * Takes a lease as `seen`: free, never written, held by a member the caller judged gone,
   * or `me`'s own (a static member rejoining). The epoch moves on, so the previous holder's
   * commits, or the previous incarnation's, are fenced. Fails if it changed since read.
   */
  async takeLease(group: string, topic: string, partition: number, topicId: string, me: string, seen: LeaseItem | undefined): Promise<LeaseItem | undefined> {
    const epoch = (seen?.leaseEpoch ?? 0) + 1;
    const sameTopic = seen?.topicId === topicId;
    const ok = await this.update(
      group,
      leaseKey(topic, partition),
      'SET topic = :t, #p = :p, topicId = :tid, #o = :me, leaseEpoch = :next' + (sameTopic ? '' : ' REMOVE committedOffset, metadata'),
      asSeen(seen),
      {
        ':t': { S: topic },
        ':p': { N: String(partition) },
        ':tid': { S: topicId },
        ':me': { S: me },
        ':next': { N: String(epoch) },
        ...seenValues(seen),
      },
      { '#o': 'owner', '#p': 'partition' },
    );
    if (!ok) return undefined;
    return { topic, partition, topicId, owner: me, leaseEpoch: epoch, ...(sameTopic && seen?.committedOffset !== undefined ? { committedOffset: seen.committedOffset } : {}), ...(sameTopic && seen?.metadata !== undefined ? { metadata: seen.metadata } : {}) };
  }

  /** Gives a lease up (over its share, or leaving); its committed offset stays. */
  releaseLease(group: string, lease: LeaseItem, me: string): Promise<boolean> {
    return this.update(group, leaseKey(lease.topic, lease.partition), 'REMOVE #o', '#o = :me AND leaseEpoch = :epoch', {
      ':me': { S: me },
      ':epoch': { N: String(lease.leaseEpoch) },
    }, { '#o': 'owner' });
  }

  /** Commits an offset if `me` still holds the lease at `leaseEpoch`; false when fenced. */
  commit(group: string, topic: string, partition: number, me: string, leaseEpoch: number, offset: number, metadata: string | undefined): Promise<boolean> {
    return this.update(
      group,
      leaseKey(topic, partition),
      'SET committedOffset = :offset' + (metadata === undefined ? ' REMOVE metadata' : ', metadata = :meta'),
      '#o = :me AND leaseEpoch = :epoch',
      {
        ':offset': { N: String(offset) },
        ':me': { S: me },
        ':epoch': { N: String(leaseEpoch) },
        ...(metadata === undefined ? {} : { ':meta': { S: metadata } }),
      },
      { '#o': 'owner' },
    );
  }

  /**
   * A Kafka-protocol commit: sets the offset on a lease no Sluice member owns. With a
   * generation, only if no later generation has committed or fenced this partition, so a
   * member's commit that arrives after its group moved on cannot undo its successor's.
   * A null offset removes the committed one: the client has no position there.
   */
  commitUnowned(group: string, topic: string, partition: number, topicId: string, offset: number | null, metadata: string | undefined, generation: number | undefined): Promise<boolean> {
    const sets = ['topic = :t', '#p = :p', 'topicId = :tid', 'leaseEpoch = if_not_exists(leaseEpoch, :zero)'];
    const removes: string[] = [];
    if (offset === null) removes.push('committedOffset');
    else sets.push('committedOffset = :offset');
    if (metadata !== undefined && offset !== null) sets.push('metadata = :meta');
    else removes.push('metadata');
    if (generation !== undefined) sets.push('kafkaGeneration = :g');
    return this.update(
      group,
      leaseKey(topic, partition),
      `SET ${sets.join(', ')}${removes.length === 0 ? '' : ` REMOVE ${removes.join(', ')}`}`,
      `attribute_not_exists(#o)${generation === undefined ? '' : ' AND (attribute_not_exists(kafkaGeneration) OR kafkaGeneration <= :g)'}`,
      {
        ':t': { S: topic },
        ':p': { N: String(partition) },
        ':tid': { S: topicId },
        ...(offset === null ? {} : { ':offset': { N: String(offset) } }),
        ':zero': { N: '0' },
        ...(metadata === undefined || offset === null ? {} : { ':meta': { S: metadata } }),
        ...(generation === undefined ? {} : { ':g': { N: String(generation) } }),
      },
      { '#o': 'owner', '#p': 'partition' },
    );
  }

  /**
   * Raises a partition's Kafka generation to `generation` (creating its lease item if need
   * be), unless a Sluice member owns it or it is there already: from then on a commit of an
   * earlier generation is refused (commitUnowned's condition). False if it was not raised.
   */
  fenceGeneration(group: string, topic: string, partition: number, topicId: string, generation: number): Promise<boolean> {
    return this.update(
      group,
      leaseKey(topic, partition),
      'SET kafkaGeneration = :g, topic = :t, #p = :p, topicId = if_not_exists(topicId, :tid), leaseEpoch = if_not_exists(leaseEpoch, :zero)',
      'attribute_not_exists(#o) AND (attribute_not_exists(kafkaGeneration) OR kafkaGeneration < :g)',
      { ':t': { S: topic }, ':p': { N: String(partition) }, ':tid': { S: topicId }, ':zero': { N: '0' }, ':g': { N: String(generation) } },
      { '#o': 'owner', '#p': 'partition' },
    );
  }

  /** Removes a partition's committed offset (Kafka's OffsetDelete), if no Sluice member owns it. */
  deleteOffset(group: string, topic: string, partition: number): Promise<boolean> {
    return this.update(group, leaseKey(topic, partition), 'REMOVE committedOffset, metadata', 'attribute_exists(sk) AND attribute_not_exists(#o)', {}, { '#o': 'owner' });
  }

  /** Sets a committed offset on a lease no live member holds (admin reset), if it is still as `seen`. */
  resetOffset(group: string, topic: string, partition: number, topicId: string, offset: number, seen: LeaseItem | undefined): Promise<boolean> {
    return this.update(
      group,
      leaseKey(topic, partition),
      'SET topic = :t, #p = :p, topicId = :tid, committedOffset = :offset, leaseEpoch = if_not_exists(leaseEpoch, :zero)',
      asSeen(seen),
      {
        ':t': { S: topic },
        ':p': { N: String(partition) },
        ':tid': { S: topicId },
        ':offset': { N: String(offset) },
        ':zero': { N: '0' },
        ...seenValues(seen),
      },
      { '#o': 'owner', '#p': 'partition' },
    );
  }

  /** Deletes every item of the group. */
  async deleteGroup(group: string, items: GroupItems): Promise<void> {
    const keys = [
      ...items.members.map((m) => memberKey(m.memberId)),
      ...items.leases.map((l) => leaseKey(l.topic, l.partition)),
      ...(items.classic ? [classicGroupSortKey] : []),
    ];
    for (const sk of keys) {
      await this.dynamodb.send(new DeleteItemCommand({ TableName: this.table, Key: { group: { S: group }, sk: { S: sk } } }));
    }
  }

  private async update(
    group: string,
    sk: string,
    update: string,
    condition: string,
    values: Record<string, AttributeValue>,
    names?: Record<string, string>,
  ): Promise<boolean> {
    return updateIf(this.dynamodb, { table: this.table, key: { group: { S: group }, sk: { S: sk } }, update, condition, values, ...(names ? { names } : {}) });
  }
}

/** The condition that a lease is still as read: same epoch and owner, or still unwritten. */
function asSeen(seen: LeaseItem | undefined): string {
  if (seen === undefined) return 'attribute_not_exists(sk)';
  return seen.owner === undefined ? 'leaseEpoch = :seen AND attribute_not_exists(#o)' : 'leaseEpoch = :seen AND #o = :seenOwner';
}

function seenValues(seen: LeaseItem | undefined): Record<string, AttributeValue> {
  if (seen === undefined) return {};
  return { ':seen': { N: String(seen.leaseEpoch) }, ...(seen.owner === undefined ? {} : { ':seenOwner': { S: seen.owner } }) };
}

function memberToItem(group: string, m: MemberItem): Record<string, AttributeValue> {
  return {
    group: { S: group },
    sk: { S: memberKey(m.memberId) },
    memberId: { S: m.memberId },
    topics: { S: JSON.stringify(m.topics) },
    sessionTimeoutMs: { N: String(m.sessionTimeoutMs) },
    expiresAt: { N: String(m.expiresAt) },
    ...(m.instanceId ? { instanceId: { S: m.instanceId } } : {}),
  };
}

function memberFromItem(item: Record<string, AttributeValue>): MemberItem {
  return {
    memberId: item.memberId!.S!,
    topics: JSON.parse(item.topics!.S!) as string[],
    sessionTimeoutMs: Number(item.sessionTimeoutMs!.N),
    expiresAt: Number(item.expiresAt!.N),
    ...(item.instanceId?.S ? { instanceId: item.instanceId.S } : {}),
  };
}

function leaseFromItem(item: Record<string, AttributeValue>): LeaseItem {
  return {
    topic: item.topic!.S!,
    partition: Number(item.partition!.N),
    topicId: item.topicId?.S ?? '',
    leaseEpoch: Number(item.leaseEpoch?.N ?? 0),
    ...(item.owner?.S ? { owner: item.owner.S } : {}),
    ...(item.committedOffset?.N !== undefined ? { committedOffset: Number(item.committedOffset.N) } : {}),
    ...(item.metadata?.S !== undefined ? { metadata: item.metadata.S } : {}),
  };
}
