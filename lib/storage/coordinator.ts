/**
 * Consumer group coordination without a coordinator process: any API server serves any
 * call, holding nothing in memory between requests. Each join or heartbeat extends the
 * caller's session (one write, which keeps all its leases), reads the group, gives up a
 * surplus over its fair share and takes free leases or those of members whose session is
 * over (lib/core/assignor.ts), all with conditional writes (lib/storage/groups.ts).
 */
import { randomUUID } from 'node:crypto';
import { planShare, type LeaseView } from '../core/assignor.ts';
import { FencedError, GroupNotEmptyError, GroupProtocolError, GroupNotFoundError, InvalidRequestError, UnknownMemberError } from '../core/errors.ts';
import type { ClassicGroupStore } from './classic-groups.ts';
import type { GroupStore, LeaseItem, MemberItem } from './groups.ts';
import type { LogStore } from './log.ts';
import type { TopicMeta, TopicStore } from './topics.ts';

export interface Assignment {
  readonly topic: string;
  readonly partition: number;
  readonly leaseEpoch: number;
  /** The next offset to read, or null: start at the consumer's reset policy. */
  readonly committedOffset: number | null;
}

export interface JoinRequest {
  readonly topics: readonly string[];
  readonly sessionTimeoutMs: number;
  readonly instanceId?: string;
}

export interface CommitRequest {
  readonly memberId: string;
  readonly offsets: ReadonlyArray<{ topic: string; partition: number; offset: number; leaseEpoch: number; metadata?: string }>;
}

export type ResetTarget = 'earliest' | 'latest' | { offset: number } | { timestamp: number } | { shiftBy: number };

export class GroupCoordinator {
  constructor(
    private readonly groups: GroupStore,
    private readonly topics: TopicStore,
    private readonly log: LogStore,
    private readonly classic: ClassicGroupStore,
    private readonly now: () => number = Date.now,
  ) {}

  async join(group: string, request: JoinRequest): Promise<{ memberId: string; assignments: Assignment[]; heartbeatIntervalMs: number }> {
    const topics = await Promise.all(request.topics.map((name) => this.topics.get(name)));
    const kafkaMembers = (await this.classic.get(group)).group.members.length;
    if (kafkaMembers > 0) throw new GroupProtocolError(group, kafkaMembers);
    const now = this.now();
    // A static member keeps its id across restarts, so it gets its partitions back.
    const memberId = request.instanceId === undefined ? randomUUID() : `static-${request.instanceId}`;
    const member: MemberItem = {
      memberId,
      topics: topics.map((t) => t.name),
      sessionTimeoutMs: request.sessionTimeoutMs,
      expiresAt: now + request.sessionTimeoutMs,
      ...(request.instanceId === undefined ? {} : { instanceId: request.instanceId }),
    };
    await this.groups.putMember(group, member);
    const assignments = await this.assign(group, member, now, request.instanceId !== undefined);
    return { memberId, assignments, heartbeatIntervalMs: Math.floor(request.sessionTimeoutMs / 3) };
  }

  async heartbeat(group: string, memberId: string): Promise<Assignment[]> {
    const now = this.now();
    const member = await this.groups.getMember(group, memberId);
    if (!member || member.expiresAt + this.groups.marginMs < now) throw new UnknownMemberError(group, memberId);
    const expiresAt = now + member.sessionTimeoutMs;
    if (!(await this.groups.touchMember(group, memberId, expiresAt))) throw new UnknownMemberError(group, memberId);
    return this.assign(group, { ...member, expiresAt }, now, false);
  }

  /** Leaves the group: the member's leases are free at once for the others. */
  async leave(group: string, memberId: string): Promise<void> {
    await this.groups.deleteMember(group, memberId);
    const { leases } = await this.groups.read(group);
    await Promise.all(leases.filter((l) => l.owner === memberId).map((l) => this.groups.releaseLease(group, l, memberId)));
  }

  /**
   * Commits offsets, each only if the caller still holds that partition's lease at the
   * epoch it names. Any fenced partition makes the answer 409 FENCED, with every
   * partition's result; the others are committed.
   */
  async commit(group: string, request: CommitRequest): Promise<Array<{ topic: string; partition: number; error?: string }>> {
    for (const o of request.offsets) {
      const topic = await this.topics.get(o.topic);
      if (o.partition >= topic.partitions) {
        throw new InvalidRequestError(`partition ${o.partition} is outside topic '${o.topic}' (${topic.partitions} partitions)`, {
          details: { field: 'offsets.partition' },
        });
      }
    }
    const results = await Promise.all(
      request.offsets.map(async (o) => {
        const ok = await this.groups.commit(group, o.topic, o.partition, request.memberId, o.leaseEpoch, o.offset, o.metadata);
        return ok ? { topic: o.topic, partition: o.partition } : { topic: o.topic, partition: o.partition, error: 'FENCED' };
      }),
    );
    if (results.some((r) => r.error)) {
      throw new FencedError(`member '${request.memberId}' no longer holds some of these partitions' leases; nothing was committed for them`, {
        details: { results },
      });
    }
    return results;
  }

  async list(): Promise<Array<{ group: string; members: number }>> {
    const now = this.now();
    return [...(await this.groups.listGroups())]
      .map(([group, { members, classic }]) => ({ group, members: members.filter((m) => this.live(m, now)).length + (classic?.group.members.length ?? 0) }))
      .sort((a, b) => a.group.localeCompare(b.group));
  }

  async describe(group: string) {
    const now = this.now();
    const items = await this.groups.read(group);
    if (items.members.length === 0 && items.leases.length === 0 && !items.classic) throw new GroupNotFoundError(group);
    const members = items.members.filter((m) => this.live(m, now));
    // A Kafka-protocol group's members, with the partitions its leader assigned them.
    const kafka = items.classic?.group;
    const kafkaMembers = kafka?.members ?? [];
    const kafkaOwner = (topic: string, partition: number) => kafkaMembers.find((m) => m.owned?.some((o) => o.topic === topic && o.partitions.includes(partition)))?.memberId;
    const names = new Set([...items.leases.map((l) => l.topic), ...members.flatMap((m) => m.topics), ...kafkaMembers.flatMap((m) => m.owned?.map((o) => o.topic) ?? [])]);
    const partitions: Array<{ topic: string; partition: number; committedOffset: number | null; highWatermark: number; lag: number | null; owner: string | null }> = [];
    for (const name of [...names].sort()) {
      const topic = await this.topics.get(name).catch(() => undefined);
      if (!topic) continue; // deleted since: nothing to show
      for (let partition = 0; partition < topic.partitions; partition++) {
        const lease = items.leases.find((l) => l.topic === name && l.partition === partition);
        const committedOffset = committedOf(lease, topic);
        const { highWatermark } = await this.log.bounds(topic.topicId, partition);
        const owner = (lease?.owner && members.some((m) => m.memberId === lease.owner) ? lease.owner : kafkaOwner(name, partition)) ?? null;
        partitions.push({ topic: name, partition, committedOffset, highWatermark, lag: committedOffset === null ? null : Math.max(0, highWatermark - committedOffset), owner });
      }
    }
    return {
      group,
      state: kafkaMembers.length > 0 ? kafka!.state : members.length > 0 ? 'Stable' : 'Empty',
      members: [
        ...members.map((m) => ({ memberId: m.memberId, ...(m.instanceId ? { instanceId: m.instanceId } : {}) })),
        ...kafkaMembers.map((m) => ({ memberId: m.memberId, ...(m.instanceId ? { instanceId: m.instanceId } : {}), clientId: m.clientId, host: m.clientHost })),
      ].map((m) => ({ ...m, assignments: partitions.filter((p) => p.owner === m.memberId).map((p) => ({ topic: p.topic, partition: p.partition })) })),
      partitions,
      totalLag: partitions.reduce((n, p) => n + (p.lag ?? 0), 0),
    };
  }

  /** Plans (and with `execute`, sets) committed offsets; refused while members are active. */
  async resetOffsets(group: string, topicName: string, to: ResetTarget, execute: boolean) {
    const now = this.now();
    const items = await this.groups.read(group);
    const active = items.members.filter((m) => this.live(m, now)).length + (items.classic?.group.members.length ?? 0);
    if (active > 0) throw new GroupNotEmptyError(group, active);
    const topic = await this.topics.get(topicName);
    const offsets: Array<{ topic: string; partition: number; offset: number }> = [];
    for (let partition = 0; partition < topic.partitions; partition++) {
      const bounds = await this.log.bounds(topic.topicId, partition);
      const clamp = (n: number) => Math.min(bounds.highWatermark, Math.max(bounds.logStartOffset, n));
      const lease = items.leases.find((l) => l.topic === topicName && l.partition === partition);
      let offset: number;
      if (to === 'earliest') offset = bounds.logStartOffset;
      else if (to === 'latest') offset = bounds.highWatermark;
      else if ('offset' in to) offset = clamp(to.offset);
      else if ('timestamp' in to) offset = (await this.log.offsetForTimestamp(topic.topicId, partition, to.timestamp))?.offset ?? bounds.highWatermark;
      else offset = clamp((committedOf(lease, topic) ?? bounds.highWatermark) + to.shiftBy);
      offsets.push({ topic: topicName, partition, offset });
    }
    if (execute) {
      for (const o of offsets) {
        const lease = items.leases.find((l) => l.topic === o.topic && l.partition === o.partition);
        if (!(await this.groups.resetOffset(group, o.topic, o.partition, topic.topicId, o.offset, lease))) {
          throw new GroupNotEmptyError(group, 1);
        }
      }
    }
    return { offsets, executed: execute };
  }

  async deleteGroup(group: string): Promise<void> {
    const now = this.now();
    const items = await this.groups.read(group);
    if (items.members.length === 0 && items.leases.length === 0 && !items.classic) throw new GroupNotFoundError(group);
    const active = items.members.filter((m) => this.live(m, now)).length + (items.classic?.group.members.length ?? 0);
    if (active > 0) throw new GroupNotEmptyError(group, active);
    await this.groups.deleteGroup(group, items);
  }

  /** One round of the fair-share protocol for `member`; answers the leases it holds after it. */
  private async assign(group: string, member: MemberItem, now: number, rejoining: boolean): Promise<Assignment[]> {
    const me = member.memberId;
    const items = await this.groups.read(group);
    const live = new Map(items.members.filter((m) => this.live(m, now)).map((m) => [m.memberId, m.topics]));
    live.set(me, member.topics);
    const topics = new Map<string, TopicMeta>();
    for (const name of member.topics) {
      const topic = await this.topics.get(name).catch(() => undefined);
      if (topic) topics.set(name, topic);
    }
    // A lease counts as held while its owner's session is live; a gone member's are free.
    const views: LeaseView[] = items.leases.map((l) => ({
      topic: l.topic,
      partition: l.partition,
      owner: l.owner && live.has(l.owner) ? l.owner : null,
    }));
    const plan = planShare({ me, members: live, partitions: new Map([...topics].map(([name, t]) => [name, t.partitions])), leases: views });
    const find = (topic: string, partition: number) => items.leases.find((l) => l.topic === topic && l.partition === partition);
    const released = new Set(plan.release.map((r) => `${r.topic}#${r.partition}`));

    const held: LeaseItem[] = [];
    // Leases of topics the member no longer subscribes to go back at once.
    const unsubscribed = items.leases.filter((l) => l.owner === me && !topics.has(l.topic));
    await Promise.all([
      ...[...plan.release.map((r) => find(r.topic, r.partition)!), ...unsubscribed].map((l) => this.groups.releaseLease(group, l, me)),
      ...items.leases
        .filter((l) => l.owner === me && topics.has(l.topic) && !released.has(`${l.topic}#${l.partition}`))
        .map(async (l) => {
          // Held leases need no write: the member item's session keeps them. A static member
          // rejoining takes its leases anew, so the epoch moves on and fences whatever its
          // previous incarnation might still commit.
          const kept = rejoining ? await this.groups.takeLease(group, l.topic, l.partition, topics.get(l.topic)!.topicId, me, l) : l;
          if (kept) held.push(kept);
        }),
      ...plan.take.map(async (t) => {
        const taken = await this.groups.takeLease(group, t.topic, t.partition, topics.get(t.topic)!.topicId, me, find(t.topic, t.partition));
        if (taken) held.push(taken);
      }),
    ]);
    return held
      .map((l) => ({ topic: l.topic, partition: l.partition, leaseEpoch: l.leaseEpoch, committedOffset: committedOf(l, topics.get(l.topic)!) }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  }

  private live(member: MemberItem, now: number): boolean {
    return member.expiresAt + this.groups.marginMs >= now;
  }
}

/** A lease's committed offset, unless it belongs to an earlier topic of the same name. */
function committedOf(lease: LeaseItem | undefined, topic: TopicMeta): number | null {
  return lease && lease.topicId === topic.topicId && lease.committedOffset !== undefined ? lease.committedOffset : null;
}
