/** Consumer groups over the API on DynamoDB Local: leases, fair shares, session expiry, fencing. */
import { describe, expect, it } from 'vitest';
import type { Api } from '../../lib/api/types.ts';
import { call, createApi, randomName, useStack } from '../support/stack.ts';

interface Assignment {
  topic: string;
  partition: number;
  leaseEpoch: number;
  committedOffset: number | null;
}

const SESSION_MS = 3_000;
/** Session timeout plus the lease margin (lib/storage/groups.ts), and a little more. */
const EXPIRY_WAIT_MS = SESSION_MS + 2_000 + 500;

describe('consumer groups', () => {
  const stack = useStack();

  async function topicWith(partitions: number): Promise<string> {
    const name = randomName();
    expect((await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions } })).status).toBe(201);
    return name;
  }

  async function join(api: Api, group: string, topic: string, extra: Record<string, unknown> = {}) {
    const res = await call(api, 'POST', `/v1/groups/${group}/members`, { body: { topics: [topic], sessionTimeoutMs: SESSION_MS, ...extra } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { memberId: string; assignments: Assignment[]; heartbeatIntervalMs: number };
  }

  async function beat(api: Api, group: string, memberId: string): Promise<Assignment[]> {
    const res = await call(api, 'POST', `/v1/groups/${group}/members/${memberId}/heartbeat`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.assignments;
  }

  /** One heartbeat of each member in turn; answers each one's partitions. */
  async function round(group: string, members: readonly string[], apis: readonly Api[]): Promise<Map<string, number[]>> {
    const held = new Map<string, number[]>();
    for (const [i, member] of members.entries()) {
      held.set(member, (await beat(apis[i % apis.length]!, group, member)).map((a) => a.partition));
    }
    return held;
  }

  const disjointCover = (held: Map<string, number[]>, partitions: number) => {
    const all = [...held.values()].flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: partitions }, (_, p) => p));
  };

  it('3 members hold disjoint leases covering 12 partitions within two heartbeats; a 4th gets 3 while the others keep theirs', async () => {
    const topic = await topicWith(12);
    const group = randomName('group');
    // Members talk to different API containers: no state is kept between requests.
    const apis = [stack.api, stack.cold(), stack.cold()];
    const members: string[] = [];
    for (const api of apis) members.push((await join(api, group, topic)).memberId);

    await round(group, members, apis);
    const settled = await round(group, members, apis);
    disjointCover(settled, 12);
    expect([...settled.values()].map((p) => p.length)).toEqual([4, 4, 4]);

    members.push((await join(stack.cold(), group, topic)).memberId);
    apis.push(stack.cold());
    await round(group, members, apis);
    const after = await round(group, members, apis);
    disjointCover(after, 12);
    expect([...after.values()].map((p) => p.length)).toEqual([3, 3, 3, 3]);
    // The first three only gave one partition each away; they kept consuming the rest.
    for (const member of members.slice(0, 3)) {
      const kept = after.get(member)!.filter((p) => settled.get(member)!.includes(p));
      expect(kept).toHaveLength(3);
    }
  });

  it('a member killed without leaving loses its partitions after the session timeout; back, it is fenced on commit', async () => {
    const topic = await topicWith(6);
    const group = randomName('group');
    const a = await join(stack.api, group, topic);
    // b, the one killed, has the shortest session the API takes: its expiry is what is waited for.
    const b = await join(stack.cold(), group, topic, { sessionTimeoutMs: 1_000 });
    await round(group, [a.memberId, b.memberId], [stack.api]);
    const held = await round(group, [a.memberId, b.memberId], [stack.api]);
    disjointCover(held, 6);
    const bLeases = await beat(stack.api, group, b.memberId);
    const commit = (memberId: string, lease: Assignment, offset: number) =>
      call(stack.api, 'POST', `/v1/groups/${group}/offsets`, {
        body: { memberId, offsets: [{ topic, partition: lease.partition, offset, leaseEpoch: lease.leaseEpoch, metadata: 'm' }] },
      });
    expect((await commit(b.memberId, bLeases[0]!, 0)).status).toBe(200);

    // b stops heartbeating (killed); a keeps going and, after b's session, takes everything.
    const deadline = Date.now() + EXPIRY_WAIT_MS + 5_000;
    let aHeld: Assignment[] = [];
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      aHeld = await beat(stack.api, group, a.memberId);
    } while (aHeld.length < 6 && Date.now() < deadline);
    expect(aHeld.map((l) => l.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    // The committed offset moved with the lease.
    expect(aHeld.find((l) => l.partition === bLeases[0]!.partition)!.committedOffset).toBe(0);

    // b comes back: its commit with the old epoch is fenced and changes nothing.
    const fenced = await commit(b.memberId, bLeases[0]!, 99);
    expect(fenced.status).toBe(409);
    expect(fenced.body.error).toMatchObject({ code: 'FENCED', results: [{ topic, partition: bLeases[0]!.partition, error: 'FENCED' }] });
    const described = await call(stack.api, 'GET', `/v1/groups/${group}`);
    expect(described.body.partitions.find((p: { partition: number }) => p.partition === bLeases[0]!.partition).committedOffset).toBe(0);
    // And its heartbeat tells it to join again.
    const res = await call(stack.api, 'POST', `/v1/groups/${group}/members/${b.memberId}/heartbeat`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('UNKNOWN_MEMBER');
  }, 30_000);

  it('leaving frees partitions at once; describe shows committed offsets, lag and owners; reset and delete wait for an empty group', async () => {
    const topic = await topicWith(2);
    await call(stack.api, 'POST', `/v1/topics/${topic}/records`, {
      body: { records: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })) },
    });
    const group = randomName('group');
    const a = await join(stack.api, group, topic);
    expect(a.assignments.map((l) => l.partition)).toEqual([0, 1]);
    expect(a.assignments.every((l) => l.committedOffset === null)).toBe(true);
    const committed = await call(stack.api, 'POST', `/v1/groups/${group}/offsets`, {
      body: { memberId: a.memberId, offsets: a.assignments.map((l) => ({ topic, partition: l.partition, offset: 3, leaseEpoch: l.leaseEpoch })) },
    });
    expect(committed.body).toEqual({ results: [{ topic, partition: 0 }, { topic, partition: 1 }] });

    const described = (await call(stack.api, 'GET', `/v1/groups/${group}`)).body;
    expect(described).toMatchObject({ group, state: 'Stable', totalLag: 4, members: [{ memberId: a.memberId }] });
    expect(described.partitions).toEqual([
      { topic, partition: 0, committedOffset: 3, highWatermark: 5, lag: 2, owner: a.memberId },
      { topic, partition: 1, committedOffset: 3, highWatermark: 5, lag: 2, owner: a.memberId },
    ]);
    expect((await call(stack.api, 'GET', '/v1/groups')).body.groups).toContainEqual({ group, members: 1 });

    const busy = await call(stack.api, 'POST', `/v1/groups/${group}/offsets/reset`, { body: { topic, to: 'earliest' } });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe('GROUP_NOT_EMPTY');
    expect((await call(stack.api, 'DELETE', `/v1/groups/${group}`)).status).toBe(409);

    // A second member joining after a leaves gets both partitions at once, offsets kept.
    expect((await call(stack.api, 'DELETE', `/v1/groups/${group}/members/${a.memberId}`)).status).toBe(204);
    const b = await join(stack.cold(), group, topic);
    expect(b.assignments.map((l) => [l.partition, l.committedOffset])).toEqual([[0, 3], [1, 3]]);
    await call(stack.api, 'DELETE', `/v1/groups/${group}/members/${b.memberId}`);

    // dryRun: true plans only; without it (or with false) the reset is executed.
    const plan = await call(stack.api, 'POST', `/v1/groups/${group}/offsets/reset`, { body: { topic, to: { shiftBy: -2 }, dryRun: true } });
    expect(plan.body).toEqual({ offsets: [{ topic, partition: 0, offset: 1 }, { topic, partition: 1, offset: 1 }], executed: false });
    expect((await call(stack.api, 'GET', `/v1/groups/${group}`)).body.totalLag).toBe(4);
    const done = await call(stack.api, 'POST', `/v1/groups/${group}/offsets/reset`, { body: { topic, to: 'latest' } });
    expect(done.body).toEqual({ offsets: [{ topic, partition: 0, offset: 5 }, { topic, partition: 1, offset: 5 }], executed: true });
    expect((await call(stack.api, 'GET', `/v1/groups/${group}`)).body).toMatchObject({ state: 'Empty', totalLag: 0 });
    const back = await call(stack.api, 'POST', `/v1/groups/${group}/offsets/reset`, { body: { topic, to: { offset: 2 }, dryRun: false } });
    expect(back.body.executed).toBe(true);
    expect((await call(stack.api, 'GET', `/v1/groups/${group}`)).body.totalLag).toBe(6);
    // The old field is refused, not silently ignored: a caller that meant a dry run must not execute.
    const old = await call(stack.api, 'POST', `/v1/groups/${group}/offsets/reset`, { body: { topic, to: 'latest', execute: false } });
    expect({ status: old.status, code: old.body.error.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    const badFlag = await call(stack.api, 'POST', `/v1/groups/${group}/offsets/reset`, { body: { topic, to: 'latest', dryRun: 'yes' } });
    expect({ status: badFlag.status, code: badFlag.body.error.code }).toEqual({ status: 400, code: 'INVALID_REQUEST' });
    expect((await call(stack.api, 'GET', `/v1/groups/${group}`)).body.totalLag).toBe(6);
    expect((await call(stack.api, 'DELETE', `/v1/groups/${group}`)).status).toBe(204);
    expect((await call(stack.api, 'GET', `/v1/groups/${group}`)).status).toBe(404);
  });

  it('a static member that restarts gets its partitions back with a new epoch; the old incarnation is fenced', async () => {
    const topic = await topicWith(3);
    const group = randomName('group');
    const first = await join(stack.api, group, topic, { instanceId: 'worker-1' });
    expect(first.assignments).toHaveLength(3);
    const again = await join(stack.cold(), group, topic, { instanceId: 'worker-1' });
    expect(again.memberId).toBe(first.memberId);
    expect(again.assignments.map((l) => l.partition)).toEqual([0, 1, 2]);
    expect(again.assignments.map((l) => l.leaseEpoch)).toEqual(first.assignments.map((l) => l.leaseEpoch + 1));
    const stale = await call(stack.api, 'POST', `/v1/groups/${group}/offsets`, {
      body: { memberId: first.memberId, offsets: [{ topic, partition: 0, offset: 1, leaseEpoch: first.assignments[0]!.leaseEpoch }] },
    });
    expect(stale.status).toBe(409);
  });

  it("a member that rejoins with fewer topics gives the dropped topics' partitions back at once", async () => {
    const [first, second] = [await topicWith(2), await topicWith(2)];
    const group = randomName('group');
    const res = await call(stack.api, 'POST', `/v1/groups/${group}/members`, {
      body: { topics: [first, second], sessionTimeoutMs: SESSION_MS, instanceId: 'narrowing' },
    });
    expect(res.body.assignments).toHaveLength(4);
    const again = await join(stack.api, group, first, { instanceId: 'narrowing' });
    expect(again.assignments.map((a) => a.topic)).toEqual([first, first]);
    const other = await join(stack.cold(), group, second);
    expect(other.assignments.map((a) => a.partition)).toEqual([0, 1]);
  });

  it('a settled heartbeat costs one write, however many partitions the member holds', async () => {
    const topic = await topicWith(12);
    const group = randomName('group');
    const container = stack.container();
    const api = createApi({ storage: container });
    const member = await join(api, group, topic);
    expect(member.assignments).toHaveLength(12);
    const before = container.usage.writeUnits;
    expect(await beat(api, group, member.memberId)).toHaveLength(12);
    expect(container.usage.writeUnits - before).toBe(1);
  });

  it('partitions added to a topic join the pool: the next heartbeat takes them', async () => {
    const topic = await topicWith(2);
    const group = randomName('group');
    const member = await join(stack.api, group, topic);
    expect(member.assignments.map((a) => a.partition)).toEqual([0, 1]);
    expect((await call(stack.api, 'PATCH', `/v1/topics/${topic}`, { body: { partitions: 4 } })).status).toBe(200);
    expect((await beat(stack.api, group, member.memberId)).map((a) => a.partition)).toEqual([0, 1, 2, 3]);
  });

  it.each([
    ['no topics', { topics: [] }, 400],
    ['unknown topic', { topics: ['nope-does-not-exist'] }, 404],
    ['session too short', { topics: ['x'], sessionTimeoutMs: 10 }, 400],
    ['unknown field', { topics: ['x'], autoCommit: true }, 400],
  ])('join refuses %s', async (_, body, status) => {
    const res = await call(stack.api, 'POST', `/v1/groups/${randomName('group')}/members`, { body });
    expect(res.status).toBe(status);
  });

  it('commits and heartbeats refuse bad input with 4xx', async () => {
    const group = randomName('group');
    const bad = [
      await call(stack.api, 'POST', `/v1/groups/${group}/offsets`, { body: { memberId: 'm', offsets: [{ topic: 't', partition: 0, offset: -1, leaseEpoch: 1 }] } }),
      await call(stack.api, 'POST', `/v1/groups/${group}/offsets`, { body: { memberId: '', offsets: [] } }),
      await call(stack.api, 'POST', `/v1/groups/${group}/members/${'x'.repeat(300)}/heartbeat`),
      await call(stack.api, 'POST', `/v1/groups/${group}/members/unknown/heartbeat`),
      await call(stack.api, 'POST', `/v1/groups/bad$group/members`, { body: { topics: ['x'] } }),
    ];
    expect(bad.map((r) => r.status)).toEqual([400, 400, 400, 404, 400]);
  });
});
