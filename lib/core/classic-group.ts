/**
 * Kafka's classic consumer group protocol as pure state transitions: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup and session expiry, each a function from the group as read to the
 * group to write (or a refusal), with time passed in. Storage keeps the group as one item
 * and writes it back conditionally on the version it read (lib/storage/classic-groups.ts),
 * so every transition here must give the same result when applied again to its own
 * output: a write whose reply was lost is retried on what it wrote.
 *
 * The states are Kafka's: Empty → PreparingRebalance (a member joined, left, changed its
 * subscription or lapsed) → CompletingRebalance (every member rejoined, or the rebalance
 * timeout passed: the generation is complete, the leader is chosen) → Stable (the leader's
 * SyncGroup stored every member's assignment).
 */

export type ClassicGroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable';

export interface GroupProtocol {
  readonly name: string;
  /** The member's subscription for this protocol, opaque here (base64). */
  readonly metadata: string;
}

export interface ClassicMember {
  readonly memberId: string;
  /** Static membership (group.instance.id): the id that survives restarts. */
  readonly instanceId?: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** In preference order. */
  readonly protocols: readonly GroupProtocol[];
  /** When the member was last heard from: its session runs from here. */
  readonly lastSeenMs: number;
  /** The generation the member last joined; equal to the group's once it is in it. */
  readonly joinedGeneration: number;
  /** In PreparingRebalance: the member has rejoined and waits for the generation. */
  readonly awaitingJoin: boolean;
  /** The leader's assignment for it (base64), once synced in this generation. */
  readonly assignment?: string;
  /** That assignment's partitions, where its protocol type says how to read them ("consumer"), for describing the group. */
  readonly owned?: ReadonlyArray<{ readonly topic: string; readonly partitions: readonly number[] }>;
}

export interface ClassicGroup {
  readonly state: ClassicGroupState;
  readonly generationId: number;
  readonly protocolType?: string;
  readonly protocolName?: string;
  readonly leaderId?: string;
  readonly members: readonly ClassicMember[];
  /** When the current rebalance began; its deadline is this plus the members' largest rebalance timeout. */
  readonly rebalanceStartedMs?: number;
  /** A group rebalancing from empty waits at least until then for more members (Kafka's group.initial.rebalance.delay.ms). */
  readonly initialDelayUntilMs?: number;
}

export interface ClassicGroupSettings {
  /** @default 6000, Kafka's group.min.session.timeout.ms */
  readonly minSessionTimeoutMs: number;
  /** @default 1800000, Kafka's group.max.session.timeout.ms */
  readonly maxSessionTimeoutMs: number;
  /** @default 3000, Kafka's group.initial.rebalance.delay.ms */
  readonly initialRebalanceDelayMs: number;
}

export const defaultClassicGroupSettings: ClassicGroupSettings = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
};

export const emptyGroup: ClassicGroup = { state: 'Empty', generationId: 0, members: [] };

/** Why a request is refused, by Kafka's error name. */
export type GroupRefusal =
  | 'UNKNOWN_MEMBER_ID'
  | 'ILLEGAL_GENERATION'
  | 'REBALANCE_IN_PROGRESS'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'INVALID_SESSION_TIMEOUT'
  | 'FENCED_INSTANCE_ID'
  | 'MEMBER_ID_REQUIRED'
  | 'GROUP_ID_NOT_FOUND'
  | 'NON_EMPTY_GROUP';

export class GroupRefused extends Error {
  override readonly name = 'GroupRefused';
  constructor(
    readonly refusal: GroupRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface JoinInput {
  /** Empty for a member joining the first time. */
  readonly memberId: string;
  readonly instanceId?: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
}

/**
 * A member joins or rejoins. Answers the group to write and the member id the join is
 * for; the caller then waits (joinAnswer) until the generation holds that member.
 * `newMemberId` is used for a member joining without an id.
 */
export function join(group: ClassicGroup, input: JoinInput, newMemberId: string, settings: ClassicGroupSettings, now: number): { group: ClassicGroup; memberId: string } {
  if (input.sessionTimeoutMs < settings.minSessionTimeoutMs || input.sessionTimeoutMs > settings.maxSessionTimeoutMs) {
    throw new GroupRefused('INVALID_SESSION_TIMEOUT', `session timeout ${input.sessionTimeoutMs} ms is outside ${settings.minSessionTimeoutMs}-${settings.maxSessionTimeoutMs} ms`);
  }
  if (input.protocols.length === 0 || (group.members.length > 0 && (input.protocolType !== group.protocolType || !hasCommonProtocol(group, input.protocols)))) {
    throw new GroupRefused('INCONSISTENT_GROUP_PROTOCOL', `protocol type ${input.protocolType} with protocols ${input.protocols.map((p) => p.name).join(', ')} does not match the group's`);
  }
  const byInstance = input.instanceId === undefined ? undefined : group.members.find((m) => m.instanceId === input.instanceId);
  if (byInstance && input.memberId !== '' && input.memberId !== byInstance.memberId) {
    throw new GroupRefused('FENCED_INSTANCE_ID', `instance ${input.instanceId} is now member ${byInstance.memberId}`);
  }
  // A join whose reply was lost comes back under the id it was given.
  const known = byInstance ?? group.members.find((m) => m.memberId === (input.memberId || newMemberId));
  const joined = (id: string, previous?: ClassicMember): ClassicMember => ({
    memberId: id,
    ...(input.instanceId === undefined ? {} : { instanceId: input.instanceId }),
    clientId: input.clientId,
    clientHost: input.clientHost,
    sessionTimeoutMs: input.sessionTimeoutMs,
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    protocols: input.protocols,
    lastSeenMs: now,
    joinedGeneration: previous?.joinedGeneration ?? -1,
    awaitingJoin: true,
    ...(previous?.assignment === undefined ? {} : { assignment: previous.assignment }),
    ...(previous?.owned === undefined ? {} : { owned: previous.owned }),
  });

  if (!known) {
    // A new member (or one this group no longer knows, joining again under its old id).
    const memberId = input.memberId || newMemberId;
    const next = rebalance({ ...group, members: [...group.members, joined(memberId)] }, now, settings, memberId, input.protocolType);
    // Members arriving within the initial delay extend it (bounded by the rebalance timeout).
    const extended = next.initialDelayUntilMs !== undefined && now < next.initialDelayUntilMs ? { ...next, initialDelayUntilMs: now + settings.initialRebalanceDelayMs } : next;
    return { group: extended, memberId };
  }
  // This very join applied again (its write's reply was lost): it is done.
  if (input.memberId === '' && known.memberId === newMemberId) return { group, memberId: newMemberId };
  // A static member's new incarnation takes its old id's place; the old id is fenced.
  const restarted = byInstance !== undefined && input.memberId === '';
  const memberId = restarted ? newMemberId : known.memberId;
  const members = group.members.map((m) => (m === known ? joined(memberId, known) : m));
  if (group.state === 'PreparingRebalance') return { group: { ...group, members }, memberId };
  // The generation stands when nothing changed: a follower's rejoin after a lost answer, or a
  // static member restarted in Stable whose protocols leave the group's choice as it is (its
  // subscription bytes differ anyway: Java's carry its owned partitions). As in Kafka, a leader
  // rejoining asks for a rebalance (its metadata moved), and so does a restart while the leader
  // is assigning: it assigns to the old id.
  const stands = restarted
    ? group.state === 'Stable' && chooseProtocol(members) === group.protocolName
    : sameSubscription(known.protocols, input.protocols) &&
      known.joinedGeneration === group.generationId &&
      (group.state === 'CompletingRebalance' || (group.state === 'Stable' && known.memberId !== group.leaderId));
  if (stands) {
    const leaderId = group.leaderId === known.memberId ? memberId : group.leaderId;
    return {
      group: { ...group, ...(leaderId === undefined ? {} : { leaderId }), members: members.map((m) => (m.memberId === memberId ? { ...m, joinedGeneration: group.generationId, awaitingJoin: false } : m)) },
      memberId,
    };
  }
  return { group: rebalance({ ...group, members }, now, settings, memberId, input.protocolType), memberId };
}

/** Starts a rebalance (or goes on with the one in progress): every member but `joiningId` must join again. */
function rebalance(group: ClassicGroup, now: number, settings: ClassicGroupSettings, joiningId?: string, protocolType = group.protocolType): ClassicGroup {
  if (group.state === 'PreparingRebalance') return group;
  return {
    ...group,
    state: 'PreparingRebalance',
    ...(protocolType === undefined ? {} : { protocolType }),
    rebalanceStartedMs: now,
    ...(group.state === 'Empty' ? { initialDelayUntilMs: now + settings.initialRebalanceDelayMs } : {}),
    members: group.members.map((m) => ({ ...m, awaitingJoin: m.memberId === joiningId })),
  };
}

/**
 * Completes the generation when it is due: every member has rejoined (and a group that
 * started empty has waited its initial delay), or the rebalance timeout passed, after
 * which those that did not rejoin are out. Answers the group unchanged when it is not due.
 */
export function completeIfDue(group: ClassicGroup, now: number, settings: ClassicGroupSettings): ClassicGroup {
  if (group.state !== 'PreparingRebalance') return group;
  const started = group.rebalanceStartedMs ?? now;
  const deadline = started + Math.max(0, ...group.members.map((m) => m.rebalanceTimeoutMs));
  const allIn = group.members.every((m) => m.awaitingJoin);
  const delayed = group.initialDelayUntilMs !== undefined && now < Math.min(group.initialDelayUntilMs, deadline);
  if (!(now >= deadline || (allIn && !delayed))) return group;
  // Those that did not rejoin are out, but for static members, whose session decides (so an
  // instance restarting keeps its place); only one that rejoined can lead, since the leader
  // assigns from its JoinGroup answer.
  const rejoined = group.members.filter((m) => m.awaitingJoin);
  const members = group.members.filter((m) => m.awaitingJoin || m.instanceId !== undefined);
  const generationId = group.generationId + 1;
  if (members.length === 0) return { state: 'Empty', generationId, members: [] };
  if (rejoined.length === 0) return { ...group, rebalanceStartedMs: now };
  const leaderId = rejoined.some((m) => m.memberId === group.leaderId) ? group.leaderId! : rejoined[0]!.memberId;
  return {
    state: 'CompletingRebalance',
    generationId,
    ...(group.protocolType === undefined ? {} : { protocolType: group.protocolType }),
    protocolName: chooseProtocol(members),
    leaderId,
    members: members.map(({ assignment: _dropped, owned: _owned, ...m }) => ({ ...m, joinedGeneration: generationId, awaitingJoin: false, lastSeenMs: m.awaitingJoin ? Math.max(m.lastSeenMs, now) : m.lastSeenMs })),
  };
}

/** What a waiting JoinGroup answers, once the generation holds the member; undefined while it does not. */
export function joinAnswer(group: ClassicGroup, memberId: string): { generationId: number; protocolName: string; leaderId: string; members: Array<{ memberId: string; instanceId?: string; metadata: string }> } | undefined {
  const member = group.members.find((m) => m.memberId === memberId);
  if (!member) throw new GroupRefused('UNKNOWN_MEMBER_ID', `member ${memberId} is not in the group (its rebalance timeout passed before it rejoined)`);
  // A member that joined the generation is answered with it even once the next rebalance has
  // begun (another member joined before this one's gateway read the group): Kafka would have
  // answered it at completion, and its SyncGroup then says REBALANCE_IN_PROGRESS.
  if (member.awaitingJoin || member.joinedGeneration !== group.generationId) return undefined;
  const protocolName = group.protocolName!;
  const leaderId = group.leaderId!;
  return {
    generationId: group.generationId,
    protocolName,
    leaderId,
    members: leaderId === memberId ? group.members.filter((m) => m.joinedGeneration === group.generationId).map((m) => ({ memberId: m.memberId, ...(m.instanceId === undefined ? {} : { instanceId: m.instanceId }), metadata: m.protocols.find((p) => p.name === protocolName)!.metadata })) : [],
  };
}

export interface MemberRef {
  readonly memberId: string;
  readonly instanceId?: string;
  readonly generationId: number;
}

/** The member a request names, checked as Kafka checks it; refusals are thrown. */
function memberOf(group: ClassicGroup, ref: Pick<MemberRef, 'memberId' | 'instanceId'>): ClassicMember {
  if (ref.instanceId !== undefined) {
    const byInstance = group.members.find((m) => m.instanceId === ref.instanceId);
    if (byInstance && byInstance.memberId !== ref.memberId) throw new GroupRefused('FENCED_INSTANCE_ID', `instance ${ref.instanceId} is now member ${byInstance.memberId}`);
  }
  const member = group.members.find((m) => m.memberId === ref.memberId);
  if (!member) throw new GroupRefused('UNKNOWN_MEMBER_ID', `member ${ref.memberId} is not in the group`);
  return member;
}

function checkGeneration(group: ClassicGroup, ref: MemberRef): ClassicMember {
  const member = memberOf(group, ref);
  if (ref.generationId !== group.generationId) throw new GroupRefused('ILLEGAL_GENERATION', `generation ${ref.generationId} is not the group's ${group.generationId}`);
  return member;
}

const touched = (group: ClassicGroup, memberId: string, now: number): ClassicGroup => ({
  ...group,
  members: group.members.map((m) => (m.memberId === memberId ? { ...m, lastSeenMs: Math.max(m.lastSeenMs, now) } : m)),
});

/**
 * SyncGroup: the leader's call stores every member's assignment (an unnamed member gets
 * none) and makes the group Stable; anyone's call then waits for syncAnswer.
 */
export function sync(group: ClassicGroup, ref: MemberRef, assignments: ReadonlyMap<string, MemberAssignment> | undefined, now: number): ClassicGroup {
  checkGeneration(group, ref);
  if (group.state === 'PreparingRebalance') throw new GroupRefused('REBALANCE_IN_PROGRESS', 'the group is rebalancing: join again');
  const next = touched(group, ref.memberId, now);
  if (group.state !== 'CompletingRebalance' || ref.memberId !== group.leaderId || !assignments) return next;
  return {
    ...next,
    state: 'Stable',
    members: next.members.map(({ owned: _previous, ...m }) => {
      const given = assignments.get(m.memberId);
      return { ...m, assignment: given?.assignment ?? '', ...(given?.owned === undefined ? { owned: [] } : { owned: given.owned }) };
    }),
  };
}

export interface MemberAssignment {
  /** base64 */
  readonly assignment: string;
  readonly owned?: ClassicMember['owned'];
}

/** The member's assignment once the leader has synced this generation; undefined while it has not. */
export function syncAnswer(group: ClassicGroup, ref: MemberRef): string | undefined {
  const member = checkGeneration(group, ref);
  if (group.state === 'PreparingRebalance') throw new GroupRefused('REBALANCE_IN_PROGRESS', 'the group is rebalancing: join again');
  return group.state === 'Stable' ? (member.assignment ?? '') : undefined;
}

/** Heartbeat: keeps the member's session; REBALANCE_IN_PROGRESS tells it to join again. */
export function heartbeat(group: ClassicGroup, ref: MemberRef, now: number): { group: ClassicGroup; refusal?: GroupRefused } {
  checkGeneration(group, ref);
  const next = touched(group, ref.memberId, now);
  return group.state === 'PreparingRebalance' ? { group: next, refusal: new GroupRefused('REBALANCE_IN_PROGRESS', 'the group is rebalancing: join again') } : { group: next };
}

/** LeaveGroup: the members named leave (a static one by its instance id); the rest rebalance. Answers each one's refusal, if any. */
export function leave(group: ClassicGroup, leaving: ReadonlyArray<Pick<MemberRef, 'memberId' | 'instanceId'>>, now: number, settings: ClassicGroupSettings): { group: ClassicGroup; refusals: Array<GroupRefused | undefined> } {
  let next = group;
  const refusals = leaving.map((ref) => {
    try {
      const member = ref.instanceId !== undefined && ref.memberId === '' ? next.members.find((m) => m.instanceId === ref.instanceId) : memberOf(next, ref);
      if (!member) throw new GroupRefused('UNKNOWN_MEMBER_ID', `instance ${ref.instanceId} is not in the group`);
      next = remove(next, [member.memberId], now, settings);
      return undefined;
    } catch (error) {
      if (error instanceof GroupRefused) return error;
      throw error;
    }
  });
  return { group: next, refusals };
}

/**
 * Removes members whose session lapsed (last seen more than its session timeout plus
 * `marginMs` ago: another gateway's clock may be that far behind). A member waiting in
 * JoinGroup is not lapsing: the rebalance timeout decides for it.
 */
export function expire(group: ClassicGroup, now: number, marginMs: number, settings: ClassicGroupSettings): ClassicGroup {
  const lapsed = group.members.filter((m) => !(group.state === 'PreparingRebalance' && m.awaitingJoin) && m.lastSeenMs + m.sessionTimeoutMs + marginMs < now);
  return lapsed.length === 0 ? group : remove(group, lapsed.map((m) => m.memberId), now, settings);
}

function remove(group: ClassicGroup, memberIds: readonly string[], now: number, settings: ClassicGroupSettings): ClassicGroup {
  const members = group.members.filter((m) => !memberIds.includes(m.memberId));
  const without = { ...group, members };
  if (group.state === 'PreparingRebalance') return completeIfDue(without, now, settings);
  if (members.length === 0) return { state: 'Empty', generationId: group.generationId + 1, members: [] };
  return rebalance(without, now, settings);
}

/**
 * Whether an offset commit may be written: by a member of the current generation, not
 * while the generation's assignments are being handed out; or, with generation -1, by a
 * client outside the group (assign(), whatever member id it sends), only while the group
 * has no members.
 */
export function checkCommit(group: ClassicGroup, ref: MemberRef): void {
  if (ref.generationId < 0 && group.members.length === 0) return;
  if (ref.generationId < 0 && ref.memberId === '') throw new GroupRefused('UNKNOWN_MEMBER_ID', 'the group has members: only they commit');
  checkGeneration(group, ref);
  if (group.state === 'CompletingRebalance') throw new GroupRefused('REBALANCE_IN_PROGRESS', 'the group is completing a rebalance: commit after SyncGroup');
}

function hasCommonProtocol(group: ClassicGroup, protocols: readonly GroupProtocol[]): boolean {
  return protocols.some((p) => group.members.every((m) => m.protocols.some((q) => q.name === p.name)));
}

function sameSubscription(a: readonly GroupProtocol[], b: readonly GroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata === b[i]!.metadata);
}

/** Kafka's vote: each member votes for its most preferred protocol that all support; the most votes win, ties to the first member's. */
function chooseProtocol(members: readonly ClassicMember[]): string {
  const candidates = members[0]!.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
  const votes = new Map<string, number>();
  for (const m of members) {
    const vote = m.protocols.find((p) => candidates.includes(p.name))!.name;
    votes.set(vote, (votes.get(vote) ?? 0) + 1);
  }
  return candidates.reduce((best, name) => ((votes.get(name) ?? 0) > (votes.get(best) ?? 0) ? name : best), candidates[0]!);
}
