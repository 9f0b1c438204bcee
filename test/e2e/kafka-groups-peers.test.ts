/**
 * Consumer groups of other Kafka clients through the gateway of a running `sluice local`:
 * kcat -G (librdkafka) and kafka-python read a topic to its end in a group and commit, and
 * what they commit is the group's lag 0 in the HTTP API and in `sluice groups describe`;
 * kafkajs members on two gateways over one storage, each its own coordinator, form one group.
 */
import { execFile, type ExecFileException } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GroupDescription } from '../../lib/core/http-contract.ts';
import { repoRoot, startSluiceGateway, startSluiceLocal, type SluiceLocal } from '../support/sluice-local.ts';
import { randomName } from '../support/stack.ts';
import { eventually } from '../support/eventually.ts';

/** Debian's interpreter, which has python3-kafka: another python3 may come first on PATH. */
const python = '/usr/bin/python3';

/** A record as a consumer saw it, or as HTTP said it stored it: `partition|offset|key|value`. */
type Line = string;

/** Runs `file` with `args`; its stdout, or an error carrying its stderr. */
function run(file: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 16 << 20 }, (error: ExecFileException | null, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Each partition's lines in the order read, which must be its offsets in increasing order. */
function byPartition(lines: readonly Line[]): Map<number, number[]> {
  const offsets = new Map<number, number[]>();
  for (const line of lines) {
    const [partition, offset] = line.split('|').map(Number) as [number, number];
    offsets.set(partition, [...(offsets.get(partition) ?? []), offset]);
  }
  return offsets;
}

describe('Kafka clients in consumer groups, and groups across gateways', () => {
  let local: SluiceLocal;
  beforeAll(async () => {
    local = await startSluiceLocal();
  }, 120_000);
  afterAll(() => local?.stop());

  const group = async (name: string) => (await (await fetch(`${local.url}/v1/groups/${name}`)).json()) as GroupDescription;

  async function createTopic(name: string, partitions: number): Promise<void> {
    const answer = await fetch(`${local.url}/v1/topics`, { method: 'POST', body: JSON.stringify({ name, partitions }) });
    expect(answer.status).toBe(201);
  }

  /** Produces records k`from`..k`from+count-1` over HTTP; keyed, or to `i % partitions` when given. What was stored where. */
  async function produce(topic: string, from: number, count: number, partitions?: number): Promise<Line[]> {
    const records = Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}`, ...(partitions ? { partition: (from + i) % partitions } : {}) }));
    const answer = await fetch(`${local.url}/v1/topics/${topic}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
    expect(answer.status).toBe(200);
    const { offsets } = (await answer.json()) as { offsets: Array<{ partition: number; offset: number }> };
    return offsets.map(({ partition, offset }, i) => `${partition}|${offset}|${records[i]!.key}|${records[i]!.value}`);
  }

  /** The group's committed offsets per partition, which must be the high watermarks: lag 0. */
  async function expectCaughtUp(name: string, topic: string, partitions: number): Promise<Array<[number, number]>> {
    const described = await group(name);
    expect(described.partitions.map((p) => [p.topic, p.partition])).toEqual(Array.from({ length: partitions }, (_, p) => [topic, p]));
    for (const p of described.partitions) expect([p.partition, p.committedOffset, p.lag]).toEqual([p.partition, p.highWatermark, 0]);
    expect(described.totalLag).toBe(0);
    return described.partitions.map((p) => [p.partition, p.highWatermark]);
  }

  it('kcat -G reads a topic to its end in a group and commits on close; the next run in the group reads only what came after', async () => {
    const [topic, groupId] = [randomName('kcat'), randomName('kcat-group')];
    await createTopic(topic, 4);
    const first = await produce(topic, 0, 400);
    // -e: exit once every assigned partition is at its end; the default enable.auto.commit
    // commits what was read when kcat closes.
    const kcat = async () => {
      const stdout = await run('kcat', ['-b', local.bootstrapServer, '-G', groupId, topic, '-e', '-q', '-f', '%p|%o|%k|%s\\n', '-X', 'auto.offset.reset=earliest'], 60_000);
      return stdout.split('\n').filter(Boolean);
    };

    const read = await kcat();
    expect([...read].sort()).toEqual([...first].sort());
    expect(read).toHaveLength(400);
    const inOrder = byPartition(read);
    expect([...inOrder.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const [partition, offsets] of inOrder) expect(offsets, `partition ${partition}`).toEqual(offsets.map((_, i) => i));
    const ends = await expectCaughtUp(groupId, topic, 4);
    expect(ends.reduce((n, [, end]) => n + end, 0)).toBe(400);

    const more = await produce(topic, 400, 60);
    const again = await kcat();
    expect([...again].sort()).toEqual([...more].sort());
    for (const [partition, offsets] of byPartition(again)) {
      const from = ends.find(([p]) => p === partition)![1];
      expect(offsets, `partition ${partition}`).toEqual(offsets.map((_, i) => from + i));
    }
    expect((await expectCaughtUp(groupId, topic, 4)).reduce((n, [, end]) => n + end, 0)).toBe(460);
  }, 90_000);

  it('kafka-python in a group reads every record, commits, and `sluice groups describe` shows lag 0 on each partition', async () => {
    const [topic, groupId] = [randomName('py'), randomName('py-group')];
    await createTopic(topic, 3);
    const produced = await produce(topic, 0, 300);
    const stdout = await run(python, [join(repoRoot, 'test', 'e2e', 'kafka-python', 'group.py'), local.bootstrapServer, topic, groupId, '300', '40']);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const { assigned, committed } = lines.at(-1) as { assigned: number[]; committed: Record<string, number> };
    const read = (lines.slice(0, -1) as Array<{ partition: number; offset: number; key: string; value: string }>).map((r) => `${r.partition}|${r.offset}|${r.key}|${r.value}`);

    expect([...read].sort()).toEqual([...produced].sort());
    for (const [partition, offsets] of byPartition(read)) expect(offsets, `partition ${partition}`).toEqual(offsets.map((_, i) => i));
    expect(assigned).toEqual([0, 1, 2]);
    const ends = await expectCaughtUp(groupId, topic, 3);
    // What OffsetFetch answered kafka-python after its commit.
    expect(Object.entries(committed).map(([p, o]) => [Number(p), o])).toEqual(ends);

    const cli = await run(process.execPath, [join(repoRoot, 'bin', 'sluice.js'), 'groups', 'describe', '--group', groupId, '--endpoint', local.url]);
    const rows = cli.trimEnd().split('\n').map((line) => line.trim().split(/\s{2,}/));
    // kafka-python left the group on close.
    expect(rows[0]).toEqual([`Consumer group '${groupId}' has no active members.`]);
    expect(rows.slice(2)).toEqual([
      ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
      ...ends.map(([p, end]) => [groupId, topic, String(p), String(end), String(end), '0', '-', '-', '-']),
    ]);
  }, 90_000);

  it('kafkajs members on two gateways over one storage, each its own coordinator, form one group that shares and commits a topic', async () => {
    const peer = await startSluiceGateway(local);
    const [topic, groupId] = [randomName('peers'), randomName('peers-group')];
    const groupApis = new Set(['JoinGroup', 'SyncGroup', 'Heartbeat', 'OffsetCommit', 'OffsetFetch', 'LeaveGroup']);

    /** A kafkajs group member through `broker`: what it processed, its assignment at each join, and where its group requests went. */
    function member(name: string, broker: string) {
      const kafka = new Kafka({ clientId: `via-${name}`, brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
      const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
      const seen = new Set<string>();
      const joins: Array<{ memberId: string; partitions: number[] }> = [];
      const coordinators = new Set<string>();
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        const assignment = event.payload.memberAssignment as Record<string, number[]>;
        joins.push({ memberId: event.payload.memberId, partitions: Object.values(assignment).flat().sort((a, b) => a - b) });
      });
      consumer.on(consumer.events.REQUEST, (event) => {
        if (groupApis.has(event.payload.apiName)) coordinators.add(event.payload.broker);
      });
      const start = async () => {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({ autoCommitInterval: 200, eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
      };
      return { name, broker, consumer, seen, joins, coordinators, start, current: () => joins.at(-1)?.partitions ?? [] };
    }

    const members = [member('local', local.bootstrapServer), member('peer', peer.bootstrapServer), member('peer', peer.bootstrapServer)];
    const [first, ...joiners] = members as [ReturnType<typeof member>, ...Array<ReturnType<typeof member>>];
    const values = (lines: readonly Line[]) => lines.map((line) => line.split('|')[3]!);
    try {
      await createTopic(topic, 6);
      const before = await produce(topic, 0, 600, 6);
      // One member through sluice local takes the whole topic; two through the peer join
      // later, so the final generation comes of a rebalance that crosses gateways.
      await first.start();
      await eventually(() => expect(first.current()).toEqual([0, 1, 2, 3, 4, 5]), 30_000);
      await Promise.all(joiners.map((m) => m.start()));

      await eventually(async () => {
        // The members' assignments in the generation they last joined: disjoint, covering all six.
        expect(members.map((m) => m.current().length)).toEqual([2, 2, 2]);
        expect(members.flatMap((m) => m.current()).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
        const described = await group(groupId);
        expect(described.state).toBe('Stable');
        expect(described.members.map((m) => m.clientId).sort()).toEqual(['via-local', 'via-peer', 'via-peer']);
        expect(described.members.map((m) => m.memberId).sort()).toEqual(members.map((m) => m.joins.at(-1)!.memberId).sort());
        // The group as stored agrees with each member: every partition has exactly one owner.
        for (const m of members) {
          const mine = described.members.find((d) => d.memberId === m.joins.at(-1)!.memberId)!;
          expect(mine.assignments.map((a) => [a.topic, a.partition]).sort((x, y) => Number(x[1]) - Number(y[1]))).toEqual(m.current().map((p) => [topic, p]));
        }
      }, 40_000);
      expect(first.joins.length, 'the local member rejoined for the peers').toBeGreaterThan(1);

      const after = await produce(topic, 600, 600, 6);
      await eventually(async () => {
        expect(new Set(members.flatMap((m) => [...m.seen]))).toEqual(new Set(values([...before, ...after])));
        expect(await expectCaughtUp(groupId, topic, 6)).toEqual([0, 1, 2, 3, 4, 5].map((p) => [p, 200]));
      }, 40_000);
      // What came after the rebalance went to the partitions' owners, on either gateway.
      for (const m of members) {
        const theirs = after.filter((line) => m.current().includes(Number(line.split('|')[0])));
        expect(values(theirs).filter((v) => !m.seen.has(v)), m.name).toEqual([]);
      }
      // Each member's coordinator was the gateway it was given: the group lives in storage, not in one gateway.
      for (const m of members) expect([...m.coordinators], m.name).toEqual([m.broker]);
    } finally {
      await Promise.all(members.map((m) => m.consumer.disconnect().catch(() => undefined)));
      await peer.stop();
    }
  }, 120_000);
});
