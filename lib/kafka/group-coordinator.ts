/**
 * Kafka's group coordinator, for every group, in every gateway: the classic rebalance
 * protocol over one DynamoDB item per group (lib/storage/classic-groups.ts), whose
 * transitions are lib/core/classic-group.ts. No gateway holds a group in memory; each
 * request reads the item, and every write is a PutItem conditional on the version read.
 *
 *   member A  JoinGroup ─ put v1: A joins, PreparingRebalance ─ polls ──────────────── put v3: gen 1 complete, leader A ─ answer (members)
 *   member B      JoinGroup ─ put v2: B joins ─ polls ─────────────────────────────── (reads v3) answer
 *   A (leader)    SyncGroup ─ put v4: assignments, Stable ─ answer A's
 *   B             SyncGroup ─ polls until Stable ─ answer B's
 *   A, B          (each before its answer) update lease#t#p of its partitions: kafkaGeneration = 1
 *                                  if no owner and kafkaGeneration < 1
 *   A, B          Heartbeat ─ put: lastSeen (each also removes lapsed members: → PreparingRebalance)
 *   A             OffsetCommit ─ read: A in gen 1, not CompletingRebalance ─ update lease#t#p
 *                                  if no owner and kafkaGeneration ≤ 1 (sets it to 1)
 *
 * - JoinGroup writes the member in (a new member, or a changed one, starts a rebalance),
 *   then polls the item, each poll completing the generation when it is due (every member
 *   rejoined after the initial delay, or the rebalance timeout passed): whichever waiting
 *   gateway reads it due first writes it, conditional on the version, so a generation
 *   completes once.
 * - SyncGroup from the leader writes the assignments (conditional on the version, hence on
 *   the generation it read); followers poll until the group is Stable in their generation.
 * - Before a SyncGroup answers a member its partitions, it raises each one's lease item to
 *   the generation (conditional on a lower one there).
 * - A commit reads the group, checks the member and generation, then updates the
 *   partition's lease item conditional on no Sluice owner and no later generation there.
 *   So a commit that read the group before a rebalance is refused once the partition's
 *   next owner has its assignment; one that lands before that is what the new owner reads
 *   as its start, so nothing it does is undone.
 * - Offsets live on the lease items Sluice's own groups use, so `sluice groups` shows and
 *   resets them; a group is used by one protocol at a time (INCONSISTENT_GROUP_PROTOCOL to a
 *   Kafka member while Sluice members are live).
 *
 * Polling is every `pollMs` (200 ms), sooner when this process wrote the group.
 */
import { randomUUID } from 'node:crypto';
import {
  checkCommit,
  completeIfDue,
  expire,
  GroupRefused,
  heartbeat,
  join,
  joinAnswer,
  leave,
  sync,
  syncAnswer,
  type ClassicGroup,
  type ClassicMember,
  type ClassicGroupSettings,
  type JoinInput,
  type MemberAssignment,
  type MemberRef,
} from '../core/classic-group.ts';
import { TopicNotFoundError } from '../core/errors.ts';
import type { Storage } from '../storage/index.ts';

/** How far another gateway's clock may be behind ours before a member counts as lapsed. */
const clockMarginMs = 2_000;

export type JoinResult =
  | { readonly memberId: string; readonly generationId: number; readonly protocolName: string; readonly leaderId: string; readonly members: ReadonlyArray<{ memberId: string; instanceId?: string; metadata: string }> }
  | { readonly refused: GroupRefused; readonly memberId: string };

export class KafkaGroupCoordinator {
  constructor(
    private readonly storage: Storage,
    private readonly settings: ClassicGroupSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Applies lapses and a due completion, plus `transition`, and writes the group if that changed it. */
  private change(group: string, transition: (g: ClassicGroup, now: number) => ClassicGroup = (g) => g) {
    return this.storage.classicGroups.change(group, (g) => {
      const now = this.now();
      return completeIfDue(transition(completeIfDue(expire(g, now, clockMarginMs, this.settings), now, this.settings), now), now, this.settings);
    });
  }

  /**
   * JoinGroup: `requireMemberId` (v4+) answers a new dynamic member MEMBER_ID_REQUIRED with
   * its id, writing nothing, as Kafka does; otherwise joins and waits for the generation.
   */
  async join(group: string, input: JoinInput, requireMemberId: boolean, signal: AbortSignal): Promise<JoinResult | undefined> {
    const newMemberId = `${input.clientId || 'member'}-${randomUUID()}`;
    if (requireMemberId && input.memberId === '' && input.instanceId === undefined) {
      return { refused: new GroupRefused('MEMBER_ID_REQUIRED', 'join again with this member id'), memberId: newMemberId };
    }
    if (await this.storage.groups.hasLiveMembers(group, this.now())) {
      return { refused: new GroupRefused('INCONSISTENT_GROUP_PROTOCOL', `group ${group} has Sluice (HTTP) members: one protocol at a time`), memberId: input.memberId };
    }
    let memberId = input.memberId;
    try {
      await this.change(group, (g, now) => {
        const joined = join(g, input, newMemberId, this.settings, now);
        memberId = joined.memberId;
        return joined.group;
      });
      // Past the rebalance deadline completeIfDue completes the generation; the margin covers a slow poll.
      const giveUpAt = this.now() + input.rebalanceTimeoutMs + this.settings.initialRebalanceDelayMs + 5_000;
      while (!signal.aborted && this.now() < giveUpAt) {
        const answer = joinAnswer((await this.change(group)).group, memberId);
        if (answer) return { memberId, ...answer };
        await this.storage.classicGroups.waitForChange(group, signal);
      }
      return signal.aborted ? undefined : { refused: new GroupRefused('REBALANCE_IN_PROGRESS', 'the rebalance did not complete in time: join again'), memberId };
    } catch (error) {
      if (error instanceof GroupRefused) return { refused: error, memberId };
      throw error;
    }
  }

  /** SyncGroup: the leader hands out the assignments; every member waits for its own. */
  async sync(group: string, ref: MemberRef, assignments: ReadonlyMap<string, MemberAssignment> | undefined, signal: AbortSignal): Promise<SyncResult | undefined> {
    const synced = await this.change(group, (g, now) => sync(g, ref, assignments, now));
    const member = synced.group.members.find((m) => m.memberId === ref.memberId);
    const giveUpAt = this.now() + (member?.rebalanceTimeoutMs ?? 0) + 5_000;
    while (!signal.aborted && this.now() < giveUpAt) {
      const { group: current } = await this.change(group);
      const assignment = syncAnswer(current, ref);
      if (assignment !== undefined) {
        await this.fence(group, current.members.find((m) => m.memberId === ref.memberId)?.owned ?? [], current.generationId);
        return { assignment, ...(current.protocolType === undefined ? {} : { protocolType: current.protocolType }), ...(current.protocolName === undefined ? {} : { protocolName: current.protocolName }) };
      }
      await this.storage.classicGroups.waitForChange(group, signal);
    }
    if (signal.aborted) return undefined;
    throw new GroupRefused('REBALANCE_IN_PROGRESS', 'the leader did not hand out assignments in time: join again');
  }

  /**
   * Before a member learns its partitions, each is fenced at its generation, so a commit of
   * an earlier generation that read the group before the rebalance cannot land after the
   * new owner started from the committed offset.
   */
  private async fence(group: string, owned: NonNullable<ClassicMember['owned']>, generation: number): Promise<void> {
    await Promise.all(
      owned.map(async ({ topic, partitions }) => {
        // A topic deleted since has nothing to fence; a storage fault fails the SyncGroup (retried).
        const meta = await this.storage.topics.get(topic).catch((error: unknown) => {
          if (error instanceof TopicNotFoundError) return undefined;
          throw error;
        });
        if (!meta) return;
        await Promise.all(partitions.filter((p) => p < meta.partitions).map((p) => this.storage.groups.fenceGeneration(group, topic, p, meta.topicId, generation)));
      }),
    );
  }

  /** Heartbeat; throws REBALANCE_IN_PROGRESS (after keeping the session) when the member must rejoin. */
  async heartbeat(group: string, ref: MemberRef): Promise<void> {
    let refusal: GroupRefused | undefined;
    await this.change(group, (g, now) => {
      const beat = heartbeat(g, ref, now);
      refusal = beat.refusal;
      return beat.group;
    });
    if (refusal) throw refusal;
  }

  /** LeaveGroup; answers each member's refusal, if any, in order. */
  async leave(group: string, members: ReadonlyArray<Pick<MemberRef, 'memberId' | 'instanceId'>>): Promise<Array<GroupRefused | undefined>> {
    let refusals: Array<GroupRefused | undefined> = [];
    await this.change(group, (g, now) => {
      const left = leave(g, members, now, this.settings);
      refusals = left.refusals;
      return left.group;
    });
    return refusals;
  }

  /**
   * OffsetCommit: each partition's offset, if `ref` may commit now (the refusal is thrown
   * otherwise). Answers per partition: undefined when written, else Kafka's error name.
   */
  async commit(group: string, ref: MemberRef, offsets: ReadonlyArray<CommitOffset>): Promise<Array<CommitError | undefined>> {
    checkCommit((await this.storage.classicGroups.get(group)).group, ref);
    const generation = ref.generationId >= 0 ? ref.generationId : undefined;
    return Promise.all(
      offsets.map(async (o): Promise<CommitError | undefined> => {
        const topic = await this.storage.topics.get(o.topic).catch(() => undefined);
        if (!topic || o.partition < 0 || o.partition >= topic.partitions) return 'UNKNOWN_TOPIC_OR_PARTITION';
        const written = await this.storage.groups.commitUnowned(group, o.topic, o.partition, topic.topicId, o.offset, o.metadata, generation);
        // Refused by the lease: a later generation committed it, or a Sluice member holds it.
        return written ? undefined : generation === undefined ? 'UNKNOWN_MEMBER_ID' : 'ILLEGAL_GENERATION';
      }),
    );
  }

  /**
   * OffsetDelete: removes committed offsets, except of topics a member is assigned
   * (GROUP_SUBSCRIBED_TO_TOPIC). Answers per topic, per partition.
   */
  async deleteOffsets(group: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): Promise<Array<Array<OffsetDeleteError | undefined>>> {
    const items = await this.storage.groups.read(group);
    if (!items.classic && items.leases.length === 0 && items.members.length === 0) throw new GroupRefused('GROUP_ID_NOT_FOUND', `group ${group} does not exist`);
    const assigned = new Set([...(items.classic?.group.members ?? []).flatMap((m) => m.owned?.map((o) => o.topic) ?? []), ...items.members.flatMap((m) => m.topics)]);
    return Promise.all(
      topics.map(async ({ topic, partitions }) => {
        if (assigned.has(topic)) return partitions.map((): OffsetDeleteError => 'GROUP_SUBSCRIBED_TO_TOPIC');
        const meta = await this.storage.topics.get(topic).catch(() => undefined);
        return Promise.all(
          partitions.map(async (partition): Promise<OffsetDeleteError | undefined> => {
            if (!meta || partition < 0 || partition >= meta.partitions) return 'UNKNOWN_TOPIC_OR_PARTITION';
            // Nothing committed there is nothing to delete: Kafka answers that as done too.
            await this.storage.groups.deleteOffset(group, topic, partition);
            return undefined;
          }),
        );
      }),
    );
  }

  /** OffsetFetch: the committed offset of each partition asked (all committed ones when `topics` is null); -1 where none. */
  async committed(group: string, topics: ReadonlyArray<{ topic: string; partitions: readonly number[] }> | null): Promise<CommittedOffset[]> {
    const { leases } = await this.storage.groups.read(group);
    const current = new Map<string, string | undefined>();
    const topicIdOf = async (name: string) => {
      if (!current.has(name)) current.set(name, (await this.storage.topics.get(name).catch(() => undefined))?.topicId);
      return current.get(name);
    };
    const asked = topics ?? [...new Set(leases.filter((l) => l.committedOffset !== undefined).map((l) => l.topic))].map((topic) => ({ topic, partitions: leases.filter((l) => l.topic === topic && l.committedOffset !== undefined).map((l) => l.partition) }));
    const answers: CommittedOffset[] = [];
    for (const { topic, partitions } of asked) {
      const topicId = await topicIdOf(topic);
      for (const partition of partitions) {
        const lease = leases.find((l) => l.topic === topic && l.partition === partition);
        // A lease of an earlier topic of the same name is no commit of this one.
        const live = lease && topicId !== undefined && lease.topicId === topicId && lease.committedOffset !== undefined ? lease : undefined;
        answers.push({ topic, partition, offset: live?.committedOffset ?? -1, ...(live?.metadata === undefined ? {} : { metadata: live.metadata }), known: topicId !== undefined });
      }
    }
    return answers;
  }
}

export type OffsetDeleteError = 'GROUP_SUBSCRIBED_TO_TOPIC' | 'UNKNOWN_TOPIC_OR_PARTITION';

export interface SyncResult {
  /** base64 */
  readonly assignment: string;
  readonly protocolType?: string;
  readonly protocolName?: string;
}

export interface CommitOffset {
  readonly topic: string;
  readonly partition: number;
  /** null: no position (kafkajs commits -1 or -2 to mean "start from the reset policy"). */
  readonly offset: number | null;
  readonly metadata?: string;
}

export type CommitError = 'UNKNOWN_TOPIC_OR_PARTITION' | 'UNKNOWN_MEMBER_ID' | 'ILLEGAL_GENERATION';

export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** -1: nothing committed. */
  readonly offset: number;
  readonly metadata?: string;
  /** False for a topic that does not exist. */
  readonly known: boolean;
}
