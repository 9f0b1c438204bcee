/**
 * Storage faults in Kafka's classic group protocol (lib/kafka/group-coordinator.ts), on
 * DynamoDB Local. Three members on three gateways join a group over a 6-partition topic,
 * the leader assigns, all sync, each commits its partitions:
 *
 *   a  JoinGroup ─ put #1 (a in) ─ polls ─ (its clock passes the initial delay) put #2 (gen 1) ─ answer
 *   b      JoinGroup ─ put #1 (b in) ─ polls ─────────────────────────────────────────────────── answer
 *   c          JoinGroup ─ put #1 (c in) ─ polls ─────────────────────────────────────────────── answer
 *   b, c  SyncGroup ─ put #2 (session) ─ poll ──────────────────── answer
 *   a                                   SyncGroup ─ put #3 (assignments: Stable) ─ answer
 *   a, b, c  OffsetCommit ─ update lease#topic#p (×2 each)
 *
 * Each of those conditional writes fails once, before it reaches storage or after (its
 * reply lost); the client retries what failed as a Kafka client does on the answer the
 * handler gives (COORDINATOR_NOT_AVAILABLE). Clients speak JoinGroup v4+ (KIP-394): a new
 * member first learns its id from MEMBER_ID_REQUIRED, so a JoinGroup whose reply was lost is
 * sent again under that id. (A v0-3 client would send it again without one, leaving a ghost
 * member until its session lapses, as in Kafka; not covered here.) The group must still
 * converge in generation 1 with no partition owned twice, and the offsets must be exactly
 * those committed. Then commits from an earlier generation, also racing the rebalance, must
 * be refused with the offset left as it was.
 *
 * Driven through the coordinator, not kafkajs: each fault must land on one planned write,
 * which needs the steps in a fixed order, and each member's answers (what SyncGroup gave
 * it, what OffsetCommit said) must be seen as such. The handlers only translate: any error
 * but a refusal becomes COORDINATOR_NOT_AVAILABLE (groupErrorOf), which the client model
 * checks it sees. Each member has its own gateway (its own clients and clock), so a fault
 * hits one gateway's call, and only the gateway whose clock passes the initial delay
 * completes the generation: the order of the writes is the same on every run.
 */
import { QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupRefused, type ClassicGroup, type ClassicGroupSettings, type MemberAssignment, type MemberRef } from '../../lib/core/classic-group.ts';
import { groupErrorOf } from '../../lib/kafka/errors.ts';
import { KafkaGroupCoordinator, type CommitError } from '../../lib/kafka/group-coordinator.ts';
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription, decodeVersioned, encodeVersioned } from '../../lib/kafka/protocol/index.ts';
import { classicGroupFromItem, classicGroupSortKey, type VersionedGroup } from '../../lib/storage/classic-groups.ts';
import type { Storage } from '../../lib/storage/index.ts';
import type { TopicMeta } from '../../lib/storage/topics.ts';
import { FaultInjector, InjectedFault, type FaultMode, type FaultSpec, type StorageCall } from '../support/faults.ts';
import { randomName, sameTables, testStorage } from '../support/stack.ts';

const PARTITIONS = 6;
/** Never reached in real time here: a gateway's clock is moved past it to complete a generation. */
const INITIAL_DELAY_MS = 10_000;
const settings: ClassicGroupSettings = { minSessionTimeoutMs: 1_000, maxSessionTimeoutMs: 300_000, initialRebalanceDelayMs: INITIAL_DELAY_MS };
/** Long enough that no session lapses and no rebalance times out during a test. */
const SESSION_MS = 60_000;
const REBALANCE_MS = 60_000;

const groupWrite = 'PutItemCommand groups';
const commitWrite = 'UpdateItemCommand groups SET topic';
const fenceWrite = 'UpdateItemCommand groups SET kafkaGeneration';
const isWrite = (c: StorageCall) => /^(Put|Update|Delete|BatchWrite|TransactWrite)/.test(c.command);

type Phase = 'join' | 'sync' | 'commit';
type Request = 'JoinGroup' | 'SyncGroup' | 'OffsetCommit' | 'Heartbeat';

/** Every conditional write of the scenario, per gateway in the order it makes them. */
interface PlannedWrite {
  readonly gateway: 'a' | 'b' | 'c';
  readonly label: string;
  readonly occurrence: number;
  readonly phase: Phase;
  /** The request that sees the fault. */
  readonly request: Request;
  readonly what: string;
}
const plan: readonly PlannedWrite[] = [
  { gateway: 'a', label: groupWrite, occurrence: 1, phase: 'join', request: 'JoinGroup', what: 'JoinGroup writes a in (creates the group)' },
  { gateway: 'b', label: groupWrite, occurrence: 1, phase: 'join', request: 'JoinGroup', what: 'JoinGroup writes b in' },
  { gateway: 'c', label: groupWrite, occurrence: 1, phase: 'join', request: 'JoinGroup', what: 'JoinGroup writes c in' },
  { gateway: 'a', label: groupWrite, occurrence: 2, phase: 'join', request: 'JoinGroup', what: "a's waiting JoinGroup completes generation 1" },
  { gateway: 'b', label: groupWrite, occurrence: 2, phase: 'sync', request: 'SyncGroup', what: "b's SyncGroup (follower) keeps its session" },
  { gateway: 'c', label: groupWrite, occurrence: 2, phase: 'sync', request: 'SyncGroup', what: "c's SyncGroup (follower) keeps its session" },
  { gateway: 'a', label: groupWrite, occurrence: 3, phase: 'sync', request: 'SyncGroup', what: "a's SyncGroup (leader) stores the assignments" },
  ...(['a', 'b', 'c'] as const).flatMap((gateway) =>
    [1, 2].map((occurrence): PlannedWrite => ({ gateway, label: fenceWrite, occurrence, phase: 'sync', request: 'SyncGroup', what: `${gateway}'s SyncGroup fences its partition ${occurrence} of 2 at the generation` })),
  ),
  ...(['a', 'b', 'c'] as const).flatMap((gateway) =>
    [1, 2].map((occurrence): PlannedWrite => ({ gateway, label: commitWrite, occurrence, phase: 'commit', request: 'OffsetCommit', what: `${gateway}'s OffsetCommit writes partition offset ${occurrence} of 2` })),
  ),
];

let storage: Storage;
beforeAll(async () => {
  storage = await testStorage();
});
afterAll(() => storage?.destroy());

/** A gateway: clients of its own (its own fault injector, its own in-process wake-ups) and its own clock. */
class Gateway {
  readonly storage: Storage;
  readonly faults: FaultInjector;
  readonly coordinator: KafkaGroupCoordinator;
  skewMs = 0;

  constructor(
    readonly name: string,
    written: Array<VersionedGroup & { by: string }>,
  ) {
    this.storage = sameTables(storage.config);
    this.faults = new FaultInjector(this.storage);
    this.coordinator = new KafkaGroupCoordinator(this.storage, settings, () => Date.now() + this.skewMs);
    // Inside the injector: sees every group state that reached storage, a lost reply's too.
    this.storage.clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const item = (args.input as { Item?: Record<string, AttributeValue> }).Item;
        if (context.commandName === 'PutItemCommand' && item?.sk?.S === classicGroupSortKey) written.push({ by: name, ...classicGroupFromItem(item) });
        return result;
      },
      { step: 'initialize', priority: 'low', name: 'groupStatesWritten' },
    );
  }

  /** Holds this gateway's commit writes (after their group read) until `open`. */
  holdCommits(): { reached: Promise<void>; open: () => void } {
    let reach!: () => void;
    let open!: () => void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.storage.clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') {
          reach();
          await opened;
        }
        return next(args);
      },
      { step: 'initialize', priority: 'low', name: 'holdCommits' },
    );
    return { reached, open };
  }
}

/** One test's group and topic, its gateways, and what was written and answered. */
class World {
  readonly group = randomName('group');
  readonly written: Array<VersionedGroup & { by: string }> = [];
  /** Every SyncGroup answer, decoded. */
  readonly answers: Array<{ member: string; generationId: number; partitions: number[] }> = [];
  readonly gateways = new Map<string, Gateway>();
  readonly clients: Client[] = [];
  readonly observer = sameTables(storage.config);
  readonly abort = new AbortController();
  /** A test that cannot converge fails here, its requests aborted, rather than at vitest's timeout. */
  private readonly deadline = setTimeout(() => this.abort.abort(new Error('the test took over 20 s')), 20_000);
  topic!: TopicMeta;

  async open(): Promise<this> {
    this.topic = await this.observer.topics.create(randomName(), PARTITIONS);
    return this;
  }

  gateway(name: string): Gateway {
    const gateway = new Gateway(name, this.written);
    this.gateways.set(name, gateway);
    return gateway;
  }

  /** A member on a gateway of its own. */
  client(name: string): Client {
    const client = new Client(name, this.gateway(name), this);
    this.clients.push(client);
    return client;
  }

  stored(): Promise<VersionedGroup> {
    return this.observer.classicGroups.get(this.group);
  }

  /** Polls the stored group until `check` holds, failing if a request in `pending` fails first. */
  async until(what: string, check: (g: VersionedGroup) => boolean, pending: ReadonlyArray<Promise<unknown>> = []): Promise<VersionedGroup> {
    const poll = async () => {
      for (const giveUpAt = Date.now() + 10_000; !this.abort.signal.aborted; ) {
        const current = await this.stored();
        if (check(current)) return current;
        if (Date.now() > giveUpAt) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(current)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error(`aborted waiting for ${what}`);
    };
    return Promise.race([poll(), ...pending.map((p) => p.then(() => new Promise<never>(() => {})))]);
  }

  /**
   * Members join one after another, each once the one before is written in; then the first
   * one's gateway sees the initial delay over and, polling, completes the generation.
   * Afterwards every gateway's clock agrees with it again.
   */
  async joinInTurn(clients: readonly Client[]): Promise<void> {
    const joins: Array<Promise<void>> = [];
    for (const [i, client] of clients.entries()) {
      joins.push(quiet(client.join()));
      await this.until(`${client.name} to be written in`, ({ group }) => group.members.length === i + 1, joins);
    }
    clients[0]!.gateway.skewMs = INITIAL_DELAY_MS;
    await Promise.all(joins);
    for (const gateway of this.gateways.values()) gateway.skewMs = INITIAL_DELAY_MS;
  }

  /** Followers sync one after another, each once the one before has written; then the leader. */
  async syncInTurn(leader: Client, followers: readonly Client[]): Promise<void> {
    const syncs: Array<Promise<unknown>> = [];
    for (const follower of followers) {
      const before = (await this.stored()).version;
      syncs.push(quiet(follower.sync()));
      await this.until(`${follower.name}'s SyncGroup to write`, ({ version }) => version > before, syncs);
    }
    syncs.push(leader.sync());
    await Promise.all(syncs);
  }

  /** After a step: no member the clients do not know (no ghost of a lost JoinGroup answer), no partition owned twice. */
  async checkStored(step: string): Promise<void> {
    const { group } = await this.stored();
    const known = new Set(this.clients.map((c) => c.memberId));
    expect(group.members.map((m) => m.memberId).filter((id) => !known.has(id)), `${step}: members no client is`).toEqual([]);
    expectOwnedOnce(group, step);
  }

  /** Every group state ever written, and every generation's SyncGroup answers: no partition twice. */
  expectNoPartitionOwnedTwice(): void {
    for (const { group, version, by } of this.written) expectOwnedOnce(group, `state v${version} written by gateway ${by}`);
    for (const generationId of new Set(this.answers.map((a) => a.generationId))) {
      const given = this.answers.filter((a) => a.generationId === generationId);
      for (let p = 0; p < PARTITIONS; p++) {
        const to = new Set(given.filter((a) => a.partitions.includes(p)).map((a) => a.member));
        expect(to.size, `generation ${generationId}: SyncGroup answers giving partition ${p}`).toBeLessThanOrEqual(1);
      }
    }
  }

  /** Committed offsets as OffsetFetch answers them, and the lease items under them. */
  async committed(): Promise<{ offsets: Map<number, { offset: number; metadata?: string }>; leases: Array<{ partition: number; offset?: number; generation?: number; owner?: string }> }> {
    const answer = await new KafkaGroupCoordinator(this.observer, settings).committed(this.group, [{ topic: this.topic.name, partitions: range(PARTITIONS) }]);
    const offsets = new Map(answer.filter((a) => a.offset >= 0).map((a) => [a.partition, { offset: a.offset, ...(a.metadata === undefined ? {} : { metadata: a.metadata }) }]));
    const { Items = [] } = await this.observer.clients.dynamodb.send(
      new QueryCommand({
        TableName: storage.config.tables.groups,
        KeyConditionExpression: '#g = :g AND begins_with(sk, :l)',
        ExpressionAttributeNames: { '#g': 'group' },
        ExpressionAttributeValues: { ':g': { S: this.group }, ':l': { S: 'lease#' } },
        ConsistentRead: true,
      }),
    );
    const leases = Items.map((i) => ({
      partition: Number(i.partition!.N),
      ...(i.committedOffset?.N === undefined ? {} : { offset: Number(i.committedOffset.N) }),
      ...(i.kafkaGeneration?.N === undefined ? {} : { generation: Number(i.kafkaGeneration.N) }),
      ...(i.owner?.S === undefined ? {} : { owner: i.owner.S }),
    }));
    return { offsets, leases };
  }

  close(): void {
    clearTimeout(this.deadline);
    this.abort.abort();
    for (const gateway of this.gateways.values()) {
      gateway.faults.disarm();
      gateway.storage.destroy();
    }
    this.observer.destroy();
  }
}

/** A Kafka consumer's side of the protocol, over one gateway. */
class Client {
  memberId = '';
  generationId = -1;
  leader = false;
  /** The leader's JoinGroup answer: every member's subscription. */
  joined: ReadonlyArray<{ memberId: string; metadata: string }> = [];
  partitions: number[] = [];
  /** Requests that failed with a storage fault and were sent again. */
  readonly retried: Array<{ request: Request; call: StorageCall; mode: FaultMode }> = [];

  constructor(
    readonly name: string,
    readonly gateway: Gateway,
    private readonly world: World,
  ) {}

  get ref(): MemberRef {
    return { memberId: this.memberId, generationId: this.generationId };
  }

  /**
   * Sends a request until it is answered, as a Kafka client does: a storage fault reaches it
   * as COORDINATOR_NOT_AVAILABLE (the handlers' groupErrorOf), which it retries unchanged.
   */
  private async send<T>(request: Request, op: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await op();
      } catch (error) {
        if (error instanceof GroupRefused) throw error;
        if (!(error instanceof InjectedFault) || this.retried.length >= 3) throw error;
        expect(groupErrorOf(error).name, `${this.name}'s ${request} answer to ${error.message}`).toBe('COORDINATOR_NOT_AVAILABLE');
        this.retried.push({ request, call: error.call, mode: error.mode });
      }
    }
  }

  /** JoinGroup v4+: learns its member id (MEMBER_ID_REQUIRED, nothing written), then joins under it until answered. */
  async join(): Promise<void> {
    const metadata = encodeVersioned(ConsumerProtocolSubscription, 0, { topics: [this.world.topic.name], userData: null }).toString('base64');
    for (let asked = 0; asked < 2; asked++) {
      const input = { memberId: this.memberId, clientId: this.name, clientHost: '127.0.0.1', sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS, protocolType: 'consumer', protocols: [{ name: 'range', metadata }] };
      const result = await this.send('JoinGroup', () => this.gateway.coordinator.join(this.world.group, input, true, this.world.abort.signal));
      if (result === undefined) throw new Error(`${this.name}: JoinGroup aborted (${String(this.world.abort.signal.reason)})`);
      if ('refused' in result) {
        if (result.refused.refusal !== 'MEMBER_ID_REQUIRED') throw result.refused;
        this.memberId = result.memberId;
        continue;
      }
      expect(result.memberId).toBe(this.memberId);
      this.generationId = result.generationId;
      this.leader = result.leaderId === this.memberId;
      this.joined = result.members;
      return;
    }
    throw new Error(`${this.name}: MEMBER_ID_REQUIRED twice`);
  }

  /** SyncGroup; the leader hands partition p to member (p + generation) mod n, so partitions move between generations. */
  async sync(): Promise<number[]> {
    const assignments = this.leader ? this.assign() : undefined;
    const synced = await this.send('SyncGroup', () => this.gateway.coordinator.sync(this.world.group, this.ref, assignments, this.world.abort.signal));
    if (synced === undefined) throw new Error(`${this.name}: SyncGroup aborted (${String(this.world.abort.signal.reason)})`);
    const bytes = Buffer.from(synced.assignment, 'base64');
    const assigned = bytes.length === 0 ? [] : decodeVersioned(ConsumerProtocolAssignment, bytes).value.assignedPartitions;
    this.partitions = assigned.filter((tp) => tp.topic === this.world.topic.name).flatMap((tp) => [...tp.partitions]);
    this.world.answers.push({ member: this.memberId, generationId: this.generationId, partitions: this.partitions });
    return this.partitions;
  }

  private assign(): Map<string, MemberAssignment> {
    const topic = this.world.topic.name;
    const members = this.joined.filter((m) => decodeVersioned(ConsumerProtocolSubscription, Buffer.from(m.metadata, 'base64')).value.topics.includes(topic));
    return new Map(
      members.map((m, i) => {
        const partitions = range(PARTITIONS).filter((p) => (p + this.generationId) % members.length === i);
        const bytes = encodeVersioned(ConsumerProtocolAssignment, 0, { assignedPartitions: [{ topic, partitions }], userData: null });
        // `owned` as the SyncGroup handler reads it from the assignment's bytes.
        const owned = decodeVersioned(ConsumerProtocolAssignment, bytes).value.assignedPartitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] }));
        return [m.memberId, { assignment: bytes.toString('base64'), owned }];
      }),
    );
  }

  /** OffsetCommit, metadata naming who committed in which generation; answers each partition's error, undefined when written. */
  commit(offsets: ReadonlyMap<number, number>, ref: MemberRef = this.ref, gateway: Gateway = this.gateway): Promise<Array<CommitError | undefined>> {
    const list = [...offsets].map(([partition, offset]) => ({ topic: this.world.topic.name, partition, offset, metadata: `${this.name}@${ref.generationId}` }));
    return this.send('OffsetCommit', () => gateway.coordinator.commit(this.world.group, ref, list));
  }

  /** Heartbeat: true when the group asks the member to join again. */
  async heartbeat(): Promise<boolean> {
    try {
      await this.send('Heartbeat', () => this.gateway.coordinator.heartbeat(this.world.group, this.ref));
      return false;
    } catch (error) {
      if (error instanceof GroupRefused && error.refusal === 'REBALANCE_IN_PROGRESS') return true;
      throw error;
    }
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The same promise, its failure also handled here, so one left behind by a failing test is not an unhandled rejection. */
function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

function expectOwnedOnce(group: ClassicGroup, where: string): void {
  const owners = new Map<string, string[]>();
  for (const m of group.members) {
    for (const { topic, partitions } of m.owned ?? []) for (const p of partitions) owners.set(`${topic}#${p}`, [...(owners.get(`${topic}#${p}`) ?? []), m.memberId]);
  }
  expect([...owners].filter(([, by]) => by.length > 1), `${where}: partitions owned by two members`).toEqual([]);
}

/** The offset a member commits for a partition in a generation. */
const offsetFor = (partition: number, generationId: number) => 1_000 * generationId + 10 * partition + 7;

interface Scenario {
  readonly clients: readonly Client[];
  /** Each gateway's call count at the end of each phase. */
  readonly marks: Record<Phase, Map<string, number>>;
}

/** Three members join, sync and commit in the planned order, with `fault` armed on one gateway. */
async function joinSyncCommit(world: World, fault?: { gateway: string; spec: FaultSpec }): Promise<Scenario> {
  const clients = ['a', 'b', 'c'].map((name) => world.client(name));
  const [a, b, c] = clients as [Client, Client, Client];
  for (const [name, gateway] of world.gateways) gateway.faults.arm(name === fault?.gateway ? fault.spec : undefined);
  const mark = () => new Map([...world.gateways].map(([name, g]) => [name, g.faults.calls.length]));

  await world.joinInTurn(clients);
  await world.checkStored('after JoinGroup');
  const join = mark();
  await world.syncInTurn(a, [b, c]);
  await world.checkStored('after SyncGroup');
  const sync = mark();
  for (const client of clients) {
    const offsets = new Map(client.partitions.map((p) => [p, offsetFor(p, client.generationId)]));
    expect(await client.commit(offsets), `${client.name}'s OffsetCommit answer`).toEqual(client.partitions.map(() => undefined));
    await world.checkStored(`after ${client.name}'s OffsetCommit`);
  }
  const commit = mark();
  for (const gateway of world.gateways.values()) gateway.faults.disarm();
  return { clients, marks: { join, sync, commit } };
}

/** Generation 1 is Stable with the three members, each with the partitions SyncGroup gave it; the offsets are theirs. */
async function expectConverged(world: World, { clients }: Scenario): Promise<void> {
  const [a] = clients;
  const { group } = await world.stored();
  expect({ state: group.state, generationId: group.generationId, leaderId: group.leaderId }).toEqual({ state: 'Stable', generationId: 1, leaderId: a!.memberId });
  expect(group.members.map((m) => m.memberId).sort()).toEqual(clients.map((c) => c.memberId).sort());
  for (const client of clients) {
    const member = group.members.find((m) => m.memberId === client.memberId)!;
    expect({ joinedGeneration: member.joinedGeneration, awaitingJoin: member.awaitingJoin }, client.name).toEqual({ joinedGeneration: 1, awaitingJoin: false });
    expect(client.generationId, client.name).toBe(1);
    expect(member.owned, `${client.name}: stored partitions are those SyncGroup answered`).toEqual([{ topic: world.topic.name, partitions: client.partitions }]);
    expect(client.partitions.length, `${client.name}'s share`).toBe(PARTITIONS / clients.length);
  }
  expect(clients.flatMap((c) => c.partitions).sort((x, y) => x - y), 'every partition assigned').toEqual(range(PARTITIONS));
  world.expectNoPartitionOwnedTwice();

  // Exactly what the final generation committed (each commit was answered OK): one lease item per partition, fenced at generation 1.
  const { offsets, leases } = await world.committed();
  const ownerOf = (p: number) => clients.find((c) => c.partitions.includes(p))!;
  expect(offsets).toEqual(new Map(range(PARTITIONS).map((p) => [p, { offset: offsetFor(p, 1), metadata: `${ownerOf(p).name}@1` }])));
  expect(leases.sort((x, y) => x.partition - y.partition)).toEqual(range(PARTITIONS).map((p) => ({ partition: p, offset: offsetFor(p, 1), generation: 1 })));
}

describe('kafka groups: each conditional write of join, sync and commit fails once', () => {
  it('a clean run makes exactly the planned conditional writes, in order, in their phases', async () => {
    const world = await new World().open();
    try {
      const run = await joinSyncCommit(world);
      for (const [name, gateway] of world.gateways) {
        const phaseOf = (index: number): Phase => (['join', 'sync', 'commit'] as const).find((phase) => index < run.marks[phase].get(name)!)!;
        const writes = gateway.faults.calls.filter(isWrite).map((c) => `${phaseOf(c.index)}: ${c.label}`);
        expect(writes, `gateway ${name}'s writes`).toEqual(plan.filter((w) => w.gateway === name).map((w) => `${w.phase}: ${w.label}`));
      }
      expect(run.clients.flatMap((c) => c.retried)).toEqual([]);
      await expectConverged(world, run);
    } finally {
      world.close();
    }
  });

  const modes: readonly FaultMode[] = ['before', 'after'];
  describe.concurrent.each(modes)('%s', (mode) => {
    it.each(plan)(`gateway $gateway: $what ($label #$occurrence)`, async (write) => {
      const world = await new World().open();
      try {
        const run = await joinSyncCommit(world, { gateway: write.gateway, spec: { at: { label: write.label, occurrence: write.occurrence }, mode } });
        // The planned write failed, in its phase, and only the request that made it saw a fault.
        const target = world.gateways.get(write.gateway)!;
        const fired = target.faults.fired;
        expect(fired?.label, 'the planned write failed').toBe(write.label);
        expect((['join', 'sync', 'commit'] as const).find((phase) => fired!.index < run.marks[phase].get(write.gateway)!)).toBe(write.phase);
        expect(run.clients.flatMap((c) => c.retried.map((r) => `${c.name} ${r.request}: ${r.call.label} ${r.mode}`))).toEqual([`${write.gateway} ${write.request}: ${write.label} ${mode}`]);
        await expectConverged(world, run);
      } finally {
        world.close();
      }
    });
  });
});

/** Generation 1 with a and b, synced; each commits its partitions. */
async function firstGeneration(world: World): Promise<{ a: Client; b: Client; c: Client }> {
  const [a, b, c] = ['a', 'b', 'c'].map((name) => world.client(name)) as [Client, Client, Client];
  await world.joinInTurn([a, b]);
  await world.syncInTurn(a, [b]);
  for (const client of [a, b]) {
    expect(await client.commit(new Map(client.partitions.map((p) => [p, offsetFor(p, 1)])))).toEqual(client.partitions.map(() => undefined));
  }
  return { a, b, c };
}

/** `joining` join (or `leaving` leave): the others hear it in a heartbeat and rejoin; then all sync the next generation. */
async function rebalance(world: World, members: readonly Client[], change: { joining?: Client; leaving?: Client }): Promise<void> {
  const joins: Array<Promise<void>> = [];
  if (change.joining) joins.push(quiet(change.joining.join()));
  if (change.leaving) expect(await change.leaving.gateway.coordinator.leave(world.group, [{ memberId: change.leaving.memberId }])).toEqual([undefined]);
  await world.until('the rebalance to begin', ({ group }) => group.state === 'PreparingRebalance', joins);
  for (const member of members.filter((m) => m !== change.joining)) {
    expect(await member.heartbeat(), `${member.name} is asked to rejoin`).toBe(true);
    joins.push(quiet(member.join()));
  }
  await Promise.all(joins);
  await Promise.all(members.map((m) => m.sync()));
  const { group } = await world.stored();
  expect(group.state).toBe('Stable');
  expect(members.map((m) => m.generationId)).toEqual(members.map(() => group.generationId));
  world.expectNoPartitionOwnedTwice();
}

const ownerOf = (members: readonly Client[], partition: number) => members.find((m) => m.partitions.includes(partition))!;

describe('kafka groups: a commit from an earlier generation', () => {
  it('is refused once a member joined (ILLEGAL_GENERATION) or left (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID for the one gone); the offsets stay', async () => {
    const world = await new World().open();
    try {
      const { a, b, c } = await firstGeneration(world);
      const before = ownerOf([a, b], 0);
      const stale = before.ref;
      await rebalance(world, [a, b, c], { joining: c });
      expect(a.generationId).toBe(2);
      const after = ownerOf([a, b, c], 0);
      expect(after, 'partition 0 moved').not.toBe(before);

      const refusal = await before.commit(new Map([[0, 5_000]]), stale).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(GroupRefused);
      expect(groupErrorOf(refusal).name, 'what the member is answered').toBe('ILLEGAL_GENERATION');
      expect((await world.committed()).offsets.get(0)).toEqual({ offset: offsetFor(0, 1), metadata: `${before.name}@1` });

      expect(await after.commit(new Map([[0, offsetFor(0, 2)]]))).toEqual([undefined]);
      const ref2 = { c: c.ref, b: b.ref };
      await rebalance(world, [a, b], { leaving: c });
      expect(a.generationId).toBe(3);
      for (const [who, ref, answer] of [[c, ref2.c, 'UNKNOWN_MEMBER_ID'], [b, ref2.b, 'ILLEGAL_GENERATION']] as const) {
        const error = await who.commit(new Map([[0, 9_000]]), ref).catch((e: unknown) => e);
        expect(groupErrorOf(error).name, `${who.name}'s generation 2 commit after generation 3 began`).toBe(answer);
      }
      const { offsets, leases } = await world.committed();
      expect(offsets.get(0)).toEqual({ offset: offsetFor(0, 2), metadata: `${after.name}@2` });
      // Generation 3's SyncGroup fenced it at 3.
      expect(leases.find((l) => l.partition === 0)).toEqual({ partition: 0, offset: offsetFor(0, 2), generation: 3 });
    } finally {
      world.close();
    }
  });

  /**
   * A member's commit in flight (async commits) reads the group at generation 1, then is
   * held before its write while the group rebalances to generation 2 and partition 0
   * moves; `firstCommitBy2` says whether the new owner commits partition 0 before the
   * held write goes on.
   */
  async function racingCommit(firstCommitBy2: boolean): Promise<void> {
    const world = await new World().open();
    try {
      const { a, b, c } = await firstGeneration(world);
      const before = ownerOf([a, b], 0);
      const inFlight = world.gateway('in-flight');
      const hold = inFlight.holdCommits();
      inFlight.faults.arm();
      const commit = quiet(before.commit(new Map([[0, 5_000]]), before.ref, inFlight));
      await Promise.race([hold.reached, commit]);
      // Its group read is done, and it saw generation 1 Stable: the rebalance had not begun.
      expect(inFlight.faults.calls.map((call) => call.label)).toContain('GetItemCommand groups');
      expect(inFlight.faults.calls.at(-1)?.label).toBe(commitWrite);
      const read = await world.stored();
      expect({ state: read.group.state, generationId: read.group.generationId }).toEqual({ state: 'Stable', generationId: 1 });

      await rebalance(world, [a, b, c], { joining: c });
      const after = ownerOf([a, b, c], 0);
      expect(after, 'partition 0 moved').not.toBe(before);
      if (firstCommitBy2) expect(await after.commit(new Map([[0, offsetFor(0, 2)]]))).toEqual([undefined]);
      hold.open();
      expect(await commit, 'the generation 1 commit that raced the rebalance').toEqual(['ILLEGAL_GENERATION']);
      const { offsets } = await world.committed();
      expect(offsets.get(0)).toEqual(firstCommitBy2 ? { offset: offsetFor(0, 2), metadata: `${after.name}@2` } : { offset: offsetFor(0, 1), metadata: `${before.name}@1` });
    } finally {
      world.close();
    }
  }

  it('is refused when its group read came before the rebalance and the next generation committed first (ILLEGAL_GENERATION); the offset stays', () => racingCommit(true));

  // Fenced by the next generation's SyncGroup: before the new owner learns its partitions,
  // their offset items carry generation 2, so the held generation-1 write is refused.
  it('is refused when its group read came before the rebalance and it lands before the next generation commits (ILLEGAL_GENERATION); the offset stays', () => racingCommit(false));
});
