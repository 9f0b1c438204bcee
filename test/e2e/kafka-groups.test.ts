/**
 * Kafka consumer groups through the gateway of a running `sluice local`, with kafkajs's
 * group consumers: they share a topic (each partition owned by one member per
 * generation), commit, and rebalance when a member leaves or dies; the offsets they
 * commit are the group's in Sluice's HTTP API.
 */
import { spawn } from 'node:child_process';
import { Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startSluiceLocal, type SluiceLocal } from '../support/sluice-local.ts';
import { eventually } from '../support/eventually.ts';

interface GroupAnswer {
  state: string;
  members: Array<{ memberId: string; clientId?: string; host?: string; assignments: Array<{ topic: string; partition: number }> }>;
  partitions: Array<{ topic: string; partition: number; committedOffset: number | null; highWatermark: number; lag: number | null }>;
  totalLag: number;
}

describe('Kafka consumer groups through the gateway', () => {
  let local: SluiceLocal;
  let kafka: Kafka;
  beforeAll(async () => {
    local = await startSluiceLocal();
    kafka = new Kafka({ clientId: 'groups-test', brokers: [local.bootstrapServer], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  }, 120_000);
  afterAll(() => local?.stop());

  const group = async (name: string) => (await (await fetch(`${local.url}/v1/groups/${name}`)).json()) as GroupAnswer;

  /** Produces `count` keyed records over HTTP, spread over every partition. */
  async function produce(topic: string, from: number, count: number, partitions: number): Promise<void> {
    for (let start = from; start < from + count; start += 500) {
      const records = Array.from({ length: Math.min(500, from + count - start) }, (_, i) => ({ partition: (start + i) % partitions, key: `k${start + i}`, value: `v${start + i}` }));
      const response = await fetch(`${local.url}/v1/topics/${topic}/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records }) });
      expect(response.status).toBe(200);
    }
  }

  /** A kafkajs group consumer that records what it processed and what it was assigned at each join. */
  function member(groupId: string, name: string) {
    const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
    const seen: string[] = [];
    const joins: Array<{ memberId: string; partitions: number[] }> = [];
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assignment = event.payload.memberAssignment as Record<string, number[]>;
      joins.push({ memberId: event.payload.memberId, partitions: Object.values(assignment).flat().sort((a, b) => a - b) });
    });
    const run = async (topic: string) => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommitInterval: 200,
        eachMessage: async ({ message }: EachMessagePayload) => {
          seen.push(message.value!.toString());
        },
      });
    };
    return { name, consumer, seen, joins, run, current: () => joins.at(-1)?.partitions ?? [] };
  }

  it('three kafkajs members share a 6-partition topic, process 6,000 records and commit them; a member that leaves hands its partitions over', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }] });
    await admin.disconnect();
    await produce('orders', 0, 6_000, 6);

    const members = ['a', 'b', 'c'].map((n) => member('billing', n));
    try {
      await Promise.all(members.map((m) => m.run('orders')));
      await eventually(async () => {
        // Each partition has exactly one owner, as the members and the group both say.
        const owned = members.flatMap((m) => m.current()).sort((a, b) => a - b);
        expect(owned).toEqual([0, 1, 2, 3, 4, 5]);
        const described = await group('billing');
        expect(described.state).toBe('Stable');
        expect(described.members.map((m) => m.clientId)).toEqual(['groups-test', 'groups-test', 'groups-test']);
        for (const m of members) {
          const mine = described.members.find((d) => d.memberId === m.joins.at(-1)!.memberId)!;
          expect(mine.assignments.map((a) => a.partition).sort((x, y) => x - y)).toEqual(m.current());
        }
      }, 30_000);
      await eventually(async () => {
        expect(new Set(members.flatMap((m) => m.seen)).size).toBe(6_000);
        const answer = await group('billing');
        expect(answer.totalLag).toBe(0);
        expect(answer.partitions.map((p) => [p.partition, p.committedOffset])).toEqual([0, 1, 2, 3, 4, 5].map((p) => [p, 1_000]));
      }, 60_000);

      // c leaves (LeaveGroup): a and b take all six partitions and read what comes next.
      const [a, b, c] = members as [ReturnType<typeof member>, ReturnType<typeof member>, ReturnType<typeof member>];
      const left = c.current();
      expect(left.length).toBeGreaterThan(0);
      await c.consumer.disconnect();
      await eventually(() => expect([...a.current(), ...b.current()].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]), 30_000);
      await produce('orders', 6_000, 600, 6);
      await eventually(async () => {
        const after = new Set([...a.seen, ...b.seen]);
        for (let i = 6_000; i < 6_600; i++) expect(after.has(`v${i}`)).toBe(true);
        expect((await group('billing')).totalLag).toBe(0);
      }, 60_000);
    } finally {
      await Promise.all(members.map((m) => m.consumer.disconnect().catch(() => undefined)));
    }
  }, 180_000);

  it('a member killed without leaving is removed after its session timeout; the others take its partitions', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'clicks', numPartitions: 4 }] });
    await admin.disconnect();
    const survivor = member('clickers', 'survivor');
    // The victim is a process of its own, so that SIGKILL cuts its sockets with no LeaveGroup.
    const victim = spawn(process.execPath, ['-e', victimScript(local.bootstrapServer, 'clickers', 'clicks')], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const victimJoined = new Promise<void>((resolve) => victim.stdout.on('data', (d: Buffer) => d.toString().includes('joined') && resolve()));
      await victimJoined;
      await survivor.run('clicks');
      await eventually(() => {
        expect(survivor.current().length).toBe(2);
      }, 30_000);
      victim.kill('SIGKILL');
      const killedAt = Date.now();
      await eventually(() => expect(survivor.current()).toEqual([0, 1, 2, 3]), 30_000);
      // Not before its session (6 s) ran out.
      expect(Date.now() - killedAt).toBeGreaterThan(5_000);
      await produce('clicks', 0, 40, 4);
      await eventually(() => expect(new Set(survivor.seen).size).toBe(40), 30_000);
    } finally {
      victim.kill('SIGKILL');
      await survivor.consumer.disconnect().catch(() => undefined);
    }
  }, 120_000);

  it('a group is used by one protocol at a time: Kafka members keep HTTP members out, and the reverse', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'mixed', numPartitions: 2 }] });
    await admin.disconnect();
    const post = (path: string, body: unknown) => fetch(`${local.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const errorOf = async (response: Response) => ({ status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code });

    const kafkaMember = member('kafka-side', 'k');
    try {
      await kafkaMember.run('mixed');
      await eventually(() => expect(kafkaMember.current()).toEqual([0, 1]), 30_000);
      expect(await errorOf(await post('/v1/groups/kafka-side/members', { topics: ['mixed'] }))).toEqual({ status: 409, code: 'INCONSISTENT_GROUP_PROTOCOL' });
      expect(await errorOf(await post('/v1/groups/kafka-side/offsets/reset', { topic: 'mixed', to: 'earliest' }))).toEqual({ status: 409, code: 'GROUP_NOT_EMPTY' });
      expect(await errorOf(await fetch(`${local.url}/v1/groups/kafka-side`, { method: 'DELETE' }))).toEqual({ status: 409, code: 'GROUP_NOT_EMPTY' });
    } finally {
      await kafkaMember.consumer.disconnect();
    }

    const joined = await post('/v1/groups/http-side/members', { topics: ['mixed'], sessionTimeoutMs: 30_000 });
    expect(joined.status).toBe(200);
    const { memberId } = (await joined.json()) as { memberId: string };
    const consumer = kafka.consumer({ groupId: 'http-side', sessionTimeout: 6_000, retry: { retries: 0, restartOnFailure: async () => false } });
    try {
      const crashed = new Promise<string>((resolve) => consumer.on(consumer.events.CRASH, (event) => resolve((event.payload.error as Error & { type?: string }).type ?? event.payload.error.message)));
      await consumer.connect();
      await consumer.subscribe({ topic: 'mixed', fromBeginning: true });
      await consumer.run({ eachMessage: async () => {} });
      expect(await crashed).toBe('INCONSISTENT_GROUP_PROTOCOL');
    } finally {
      await consumer.disconnect();
      await fetch(`${local.url}/v1/groups/http-side/members/${memberId}`, { method: 'DELETE' });
    }
  }, 90_000);
});

/** A kafkajs group member that prints "joined" once it has partitions. */
function victimScript(broker: string, groupId: string, topic: string): string {
  return `
const { Kafka, logLevel } = require('kafkajs');
const kafka = new Kafka({ clientId: 'victim', brokers: [${JSON.stringify(broker)}], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: ${JSON.stringify(groupId)}, sessionTimeout: 6000, rebalanceTimeout: 10000, heartbeatInterval: 500 });
consumer.on(consumer.events.GROUP_JOIN, () => console.log('joined'));
(async () => {
  await consumer.connect();
  await consumer.subscribe({ topic: ${JSON.stringify(topic)}, fromBeginning: true });
  await consumer.run({ eachMessage: async () => {} });
})();
`;
}
