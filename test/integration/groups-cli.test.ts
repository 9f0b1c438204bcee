/** `sluice groups` against the real API over HTTP: kafka-consumer-groups' columns and lag. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { call, randomName, useServer, useStack } from '../support/stack.ts';

describe('sluice groups', () => {
  const stack = useStack();
  const server = useServer(stack);

  const sluice = (...argv: string[]) => runCli(argv, server.url);
  const rows = (stdout: string) => stdout.trimEnd().split('\n').map((line) => line.trim().split(/\s{2,}/));

  it('consume --group prints records, commits what it printed, and the next run goes on from there', async () => {
    const topic = randomName();
    const group = randomName('group');
    await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: 1 } });
    await call(stack.api, 'POST', `/v1/topics/${topic}/records`, { body: { records: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) } });

    const first = await sluice('consume', '--topic', topic, '--group', group, '--from-beginning', '--max-messages', '6');
    expect(first).toEqual({ code: 0, stdout: 'v0\nv1\nv2\nv3\nv4\nv5\n', stderr: 'Processed a total of 6 messages\n' });
    const lag = rows((await sluice('groups', 'describe', '--group', group)).stdout).at(-1)!;
    expect(lag.slice(3, 6)).toEqual(['6', '10', '4']);

    const rest = await sluice('consume', '--topic', topic, '--group', group, '--timeout-ms', '1500');
    expect(rest.stdout).toBe('v6\nv7\nv8\nv9\n');
    expect(rows((await sluice('groups', 'describe', '--group', group)).stdout).at(-1)!.slice(3, 6)).toEqual(['10', '10', '0']);
    expect((await sluice('consume', '--topic', topic, '--group', group, '--partition', '0')).code).toBe(2);
  }, 30_000);

  it('describe shows the right lag before and after a member consumes, then list, reset and delete', async () => {
    const topic = randomName();
    const group = randomName('group');
    await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: 2 } });
    await call(stack.api, 'POST', `/v1/topics/${topic}/records`, {
      body: { records: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: i < 6 ? 0 : 1 })) },
    });
    const joined = (await call(stack.api, 'POST', `/v1/groups/${group}/members`, { body: { topics: [topic] } })).body;
    // Consumed 2 of partition 0 so far, nothing of partition 1.
    const lease0 = joined.assignments.find((a: { partition: number }) => a.partition === 0);
    await call(stack.api, 'POST', `/v1/groups/${group}/offsets`, {
      body: { memberId: joined.memberId, offsets: [{ topic, partition: 0, offset: 2, leaseEpoch: lease0.leaseEpoch }] },
    });

    const before = await sluice('groups', 'describe', '--group', group);
    expect(before.code).toBe(0);
    expect(rows(before.stdout)).toEqual([
      ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
      [group, topic, '0', '2', '6', '4', joined.memberId, '-', '-'],
      [group, topic, '1', '-', '4', '-', joined.memberId, '-', '-'],
    ]);

    // The member reads everything, commits the log end of each partition and leaves.
    const offsets = [];
    for (const lease of joined.assignments) {
      const fetched = await call(stack.api, 'GET', `/v1/topics/${topic}/partitions/${lease.partition}/records`, { query: { offset: '0' } });
      offsets.push({ topic, partition: lease.partition, offset: fetched.body.nextOffset, leaseEpoch: lease.leaseEpoch });
    }
    await call(stack.api, 'POST', `/v1/groups/${group}/offsets`, { body: { memberId: joined.memberId, offsets } });
    await call(stack.api, 'DELETE', `/v1/groups/${group}/members/${joined.memberId}`);

    const after = await sluice('groups', 'describe', '--group', group);
    expect(after.stdout.split('\n')[0]).toBe(`Consumer group '${group}' has no active members.`);
    expect(rows(after.stdout).slice(2)).toEqual([
      ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
      [group, topic, '0', '6', '6', '0', '-', '-', '-'],
      [group, topic, '1', '4', '4', '0', '-', '-', '-'],
    ]);
    expect((await sluice('groups', 'list')).stdout.split('\n')).toContain(group);

    const dryRun = await sluice('groups', 'reset-offsets', '--group', group, '--topic', topic, '--to-earliest');
    expect(rows(dryRun.stdout)).toEqual([
      ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
      [group, topic, '0', '0'],
      [group, topic, '1', '0'],
      ['(dry run: nothing changed; add --execute to apply)'],
    ]);
    expect(rows((await sluice('groups', 'describe', '--group', group)).stdout)[3]![5]).toBe('0');
    expect((await sluice('groups', 'reset-offsets', '--group', group, '--topic', topic, '--shift-by', '-1', '--execute')).code).toBe(0);
    expect(rows((await sluice('groups', 'describe', '--group', group)).stdout).slice(3).map((r) => r[5])).toEqual(['1', '1']);

    expect(await sluice('groups', 'delete', '--group', group)).toEqual({
      code: 0,
      stdout: `Deletion of requested consumer group ('${group}') was successful.\n`,
      stderr: '',
    });
    const gone = await sluice('groups', 'describe', '--group', group);
    expect(gone).toEqual({ code: 1, stdout: '', stderr: `sluice: GROUP_NOT_FOUND: group '${group}' does not exist\n` });
    const usage = await sluice('groups', 'reset-offsets', '--group', group, '--topic', topic);
    expect(usage.code).toBe(2);
  });

  it('a new group that reads nothing still commits where it started: the log start with --from-beginning', async () => {
    const topic = randomName();
    const group = randomName('group');
    await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: 2 } });
    await call(stack.api, 'POST', `/v1/topics/${topic}/records`, {
      body: { records: Array.from({ length: 5 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })) },
    });

    const nothing = await sluice('consume', '--topic', topic, '--group', group, '--from-beginning', '--max-messages', '0');
    expect(nothing).toEqual({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' });
    const described = rows((await sluice('groups', 'describe', '--group', group)).stdout).slice(3);
    expect(described.map((r) => r.slice(2, 6))).toEqual([
      ['0', '0', '3', '3'],
      ['1', '0', '2', '2'],
    ]);
    // The next run starts there, not at a later log end.
    const all = await sluice('consume', '--topic', topic, '--group', group, '--max-messages', '5');
    expect(all.stdout.split('\n').filter(Boolean).sort()).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  }, 30_000);

  it('a timeout with nothing read commits the log end it started at, so later records are not skipped', async () => {
    const topic = randomName();
    const group = randomName('group');
    await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: 1 } });
    await call(stack.api, 'POST', `/v1/topics/${topic}/records`, { body: { records: [{ value: 'old' }] } });

    const idle = await sluice('consume', '--topic', topic, '--group', group, '--timeout-ms', '300');
    expect(idle).toEqual({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' });
    expect(rows((await sluice('groups', 'describe', '--group', group)).stdout).at(-1)!.slice(3, 6)).toEqual(['1', '1', '0']);

    await call(stack.api, 'POST', `/v1/topics/${topic}/records`, { body: { records: [{ value: 'new' }] } });
    const next = await sluice('consume', '--topic', topic, '--group', group, '--max-messages', '1');
    expect(next.stdout).toBe('new\n');
  }, 30_000);

  it('reset-offsets --topic T:P moves only those partitions; --all-topics every topic of the group', async () => {
    const [one, two] = [randomName(), randomName()];
    const group = randomName('group');
    for (const topic of [one, two]) {
      await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: 3 } });
      await call(stack.api, 'POST', `/v1/topics/${topic}/records`, {
        body: { records: Array.from({ length: 9 }, (_, i) => ({ value: `v${i}`, partition: i % 3 })) },
      });
    }
    // The group has read everything of both topics.
    for (const topic of [one, two]) {
      expect((await sluice('consume', '--topic', topic, '--group', group, '--from-beginning', '--max-messages', '9')).code).toBe(0);
    }
    const committed = async (topic: string) =>
      rows((await sluice('groups', 'describe', '--group', group)).stdout)
        .filter((r) => r[1] === topic)
        .map((r) => r[3]);
    expect(await committed(one)).toEqual(['3', '3', '3']);

    const planned = await sluice('groups', 'reset-offsets', '--group', group, '--topic', `${one}:0,2`, '--shift-by', '-2');
    expect(rows(planned.stdout)).toEqual([
      ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
      [group, one, '0', '1'],
      [group, one, '2', '1'],
      ['(dry run: nothing changed; add --execute to apply)'],
    ]);
    expect(await committed(one)).toEqual(['3', '3', '3']);
    expect((await sluice('groups', 'reset-offsets', '--group', group, '--topic', `${one}:0,2`, '--shift-by', '-2', '--execute')).code).toBe(0);
    expect(await committed(one)).toEqual(['1', '3', '1']);

    const everything = await sluice('groups', 'reset-offsets', '--group', group, '--all-topics', '--to-earliest', '--execute');
    expect(everything.code).toBe(0);
    // Both topics, each whole (in the order the group lists its topics).
    expect(rows(everything.stdout).slice(1).map((r) => r[1]).sort()).toEqual([one, one, one, two, two, two].sort());
    expect([...(await committed(one)), ...(await committed(two))]).toEqual(['0', '0', '0', '0', '0', '0']);
  }, 60_000);
});
