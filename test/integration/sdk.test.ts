/**
 * The SDK (`new Sluice({ endpoint })`) against the real API over HTTP: the in-process API on
 * DynamoDB Local and the S3 emulator, behind the local HTTP server on a free port.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Sluice, type Consumer, type EachMessagePayload, type KafkaMessage } from '../../lib/client/index.ts';
import { randomName, useServer, useStack } from '../support/stack.ts';

interface Seen {
  readonly method: string;
  readonly path: string;
}

describe('SDK', () => {
  const stack = useStack();
  const server = useServer(stack, { log: () => undefined });
  const seen: Seen[] = [];


  /** A fetch that notes every request before passing it on. */
  const counting: typeof fetch = (input, init) => {
    seen.push({ method: init?.method ?? 'GET', path: new URL(String(input)).pathname });
    return fetch(input, init);
  };

  /** Fast retries, as kafkajs's tests set them. */
  const sluice = (extra: { fetch?: typeof fetch } = {}) =>
    new Sluice({ endpoint: server.url, fetch: counting, retry: { retries: 3, initialRetryTime: 20, maxRetryTime: 200 }, ...extra });

  const producesTo = (topic: string) => seen.filter((s) => s.method === 'POST' && s.path === `/v1/topics/${topic}/records`).length;

  async function topicWith(partitions: number): Promise<string> {
    const topic = randomName();
    expect(await sluice().admin().createTopics({ topics: [{ topic, numPartitions: partitions }] })).toBe(true);
    return topic;
  }

  /** Every record of a partition, in offset order. */
  async function readAll(topic: string, partition = 0) {
    return (await sluice().client.fetchRecords(topic, partition, { offset: 0, maxRecords: 10_000 })).records;
  }

  describe('producer', () => {
    it('coalesces concurrent sends into few requests, keeps their order, and answers each its own offsets', async () => {
      const topic = await topicWith(1);
      const producer = sluice().producer({ linger: 50 });
      const sends = Array.from({ length: 20 }, (_, i) =>
        producer.send({ topic, messages: [{ value: `m${i}-a` }, { value: `m${i}-b` }] }),
      );
      const results = await Promise.all(sends);
      expect(producesTo(topic)).toBe(1);
      results.forEach((metadata, i) => {
        expect(metadata).toEqual([{ topicName: topic, topic, partition: 0, errorCode: 0, baseOffset: String(2 * i), offsets: [2 * i, 2 * i + 1] }]);
      });
      expect((await readAll(topic)).map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => [`m${i}-a`, `m${i}-b`]).flat());
      await producer.disconnect();
    });

    it('sends early at batchSize, keeps one request in flight per topic, and splits a send larger than a request', async () => {
      const topic = await topicWith(1);
      const producer = sluice().producer({ linger: 10_000, batchSize: 4 });
      const first = await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `big-${i}` })) });
      expect(first).toEqual([expect.objectContaining({ partition: 0, baseOffset: '0', offsets: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] })]);
      expect(producesTo(topic)).toBe(3); // 4 + 4 + 2, never waiting for the linger
      const small = Array.from({ length: 8 }, (_, i) => producer.send({ topic, messages: [{ value: `small-${i}` }] }));
      await Promise.all(small);
      expect(producesTo(topic)).toBe(5);
      expect((await readAll(topic)).map((r) => r.value)).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `big-${i}`),
        ...Array.from({ length: 8 }, (_, i) => `small-${i}`),
      ]);
    });

    it('flushes a lingering batch on disconnect and then refuses sends', async () => {
      const topic = await topicWith(1);
      const producer = sluice().producer({ linger: 60_000 });
      const pending = producer.send({ topic, messages: [{ value: 'x' }] });
      await producer.disconnect();
      await expect(pending).resolves.toHaveLength(1);
      await expect(producer.send({ topic, messages: [{ value: 'y' }] })).rejects.toThrow(/disconnected/);
      await producer.connect();
      const again = producer.send({ topic, messages: [{ value: 'z' }] });
      await producer.flush();
      await expect(again).resolves.toEqual([expect.objectContaining({ baseOffset: '1' })]);
    });

    it('places keyed messages like Kafka and carries binary keys, values and headers exactly', async () => {
      const topic = await topicWith(4);
      const producer = sluice().producer();
      const bytes = Buffer.from([0, 255, 10, 13, 0x80]);
      const [meta] = await producer.send({ topic, messages: [{ key: Buffer.from('key-1'), value: bytes, headers: { h: Buffer.from([1, 2]), t: 'text' } }] });
      const [again] = await producer.send({ topic, messages: [{ key: 'key-1', value: 'same key' }] });
      expect(again!.partition).toBe(meta!.partition);
      const [record] = await sluice().client.fetchRecords(topic, meta!.partition, { offset: 0, encoding: 'base64' }).then((r) => r.records);
      expect(Buffer.from(record!.value!, 'base64')).toEqual(bytes);
      expect(Buffer.from(record!.headers.h!, 'base64')).toEqual(Buffer.from([1, 2]));
      expect(Buffer.from(record!.headers.t!, 'base64').toString()).toBe('text');
    });

    it('fails only the send at fault when a coalesced request is refused', async () => {
      const topic = randomName();
      await sluice().admin().createTopics({ topics: [{ topic, configEntries: [{ name: 'max.message.bytes', value: '1024' }] }] });
      const producer = sluice().producer({ linger: 30 });
      const results = await Promise.allSettled([
        producer.send({ topic, messages: [{ value: 'ok-1' }] }),
        producer.send({ topic, messages: [{ value: 'x'.repeat(5000) }] }),
        producer.send({ topic, messages: [{ value: 'ok-2' }] }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'RECORD_TOO_LARGE', status: 413 });
      expect((await readAll(topic)).map((r) => r.value)).toEqual(['ok-1', 'ok-2']);
    });

    it('retries a request whose answer was lost without appending it twice; at least once when not idempotent', async () => {
      const topic = await topicWith(1);
      let lose = 0;
      // The request reaches the server and lands; its answer never comes back.
      const lossy: typeof fetch = async (input, init) => {
        const response = await counting(input, init);
        if (init?.method === 'POST' && new URL(String(input)).pathname.endsWith('/records') && lose-- > 0) {
          throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) });
        }
        return response;
      };
      const producer = sluice({ fetch: lossy }).producer({ retry: { retries: 3, initialRetryTime: 5 } });
      expect(producer.isIdempotent()).toBe(true);
      const attempts: number[] = [];
      producer.on(producer.events.REQUEST, (e) => attempts.push(e.payload.attempt));
      lose = 2;
      const [landed] = await producer.send({ topic, messages: [{ value: 'once' }] });
      expect(attempts).toEqual([0, 1, 2]);
      expect(landed!.offsets).toEqual([0]);
      lose = 1;
      const plain = sluice({ fetch: lossy }).producer({ idempotent: false, retry: { retries: 3, initialRetryTime: 5 } });
      await plain.send({ topic, messages: [{ value: 'twice' }] });
      expect((await readAll(topic)).map((r) => r.value)).toEqual(['once', 'twice', 'twice']);
      await expect(producer.send({ topic: randomName(), messages: [{ value: 'v' }] })).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' });
    });
  });

  describe('admin', () => {
    it('creates (false when it exists), lists, describes, grows and deletes topics', async () => {
      const admin = sluice().admin();
      const topic = randomName();
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '60000' }, { name: 'cleanupPolicy', value: 'compact' }] }],
      });
      expect(created).toBe(true);
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(false);
      expect(await admin.listTopics()).toContain(topic);

      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(topics[0]).toMatchObject({ name: topic, config: { retentionMs: 60_000, cleanupPolicy: 'compact' } });
      expect(topics[0]!.partitions.map((p) => p.partitionId)).toEqual([0, 1]);

      await sluice().producer().send({ topic, messages: [{ key: 'k', value: 'v', partition: 1 }] });
      expect(await admin.fetchTopicOffsets(topic)).toEqual([
        { partition: 0, offset: '0', high: '0', low: '0' },
        { partition: 1, offset: '1', high: '1', low: '0' },
      ]);
      expect(await admin.fetchTopicOffsetsByTimestamp(topic, 0)).toEqual([
        { partition: 0, offset: '0' },
        { partition: 1, offset: '0' },
      ]);

      expect(await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] })).toBe(true);
      expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(3);

      await admin.deleteTopics({ topics: [topic] });
      expect(await admin.listTopics()).not.toContain(topic);
      await expect(admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'retention.mss', value: '1' }] }] })).rejects.toThrow(
        /unknown topic config 'retention.mss'/,
      );
    });
  });

  describe('consumer', () => {
    const consumers: Consumer[] = [];
    afterAll(async () => {
      await Promise.all(consumers.map((c) => c.disconnect()));
    });

    /** A consumer with test-speed timings, disconnected after the file if a test leaves it running. */
    function consumer(groupId: string, extra: Record<string, unknown> = {}): Consumer {
      const c = sluice().consumer({
        groupId,
        sessionTimeoutMs: 3_000,
        heartbeatIntervalMs: 200,
        maxWaitTimeInMs: 200,
        retry: { retries: 2, initialRetryTime: 20, maxRetryTime: 100 },
        ...extra,
      });
      consumers.push(c);
      return c;
    }

    async function produce(topic: string, count: number, partitions: number, prefix = 'v') {
      const producer = sluice().producer();
      await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: `${prefix}${i}`, partition: i % partitions })) });
    }

    const waitFor = (check: () => void, timeout = 15_000) => vi.waitFor(check, { timeout, interval: 20 });

    it('consumes every partition from the beginning, commits after processing, and leaves on disconnect', async () => {
      const topic = await topicWith(3);
      const groupId = randomName('group');
      await produce(topic, 30, 3);
      const c = consumer(groupId);
      const joined: string[] = [];
      c.on(c.events.GROUP_JOIN, (e) => joined.push(e.payload.memberId));
      await c.subscribe({ topics: [topic], fromBeginning: true });
      const got: Array<{ partition: number; value: string; offset: string }> = [];
      await c.run({
        eachMessage: async ({ partition, message }) => {
          got.push({ partition, value: message.value!.toString(), offset: message.offset });
        },
      });
      expect(joined).toHaveLength(1);
      await waitFor(() => expect(got).toHaveLength(30));
      for (let p = 0; p < 3; p++) {
        // Per partition, in offset order.
        expect(got.filter((g) => g.partition === p).map((g) => Number(g.offset))).toEqual(Array.from({ length: 10 }, (_, i) => i));
      }
      await c.disconnect();
      const admin = sluice().admin();
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      expect(offsets!.partitions.map((p) => p.offset)).toEqual(['10', '10', '10']);
      const { groups } = await admin.describeGroups([groupId]);
      expect(groups[0]).toMatchObject({ groupId, state: 'Empty', members: [] });
    });

    it('a new consumer of the group resumes at the committed offsets; a fresh group starts at the end by default', async () => {
      const topic = await topicWith(2);
      const groupId = randomName('group');
      await produce(topic, 10, 2, 'old');
      const first = consumer(groupId);
      await first.subscribe({ topics: [topic], fromBeginning: true });
      let count = 0;
      await first.run({ eachMessage: async () => void count++ });
      await waitFor(() => expect(count).toBe(10));
      await first.disconnect();

      await produce(topic, 6, 2, 'new');
      const second = consumer(groupId);
      await second.subscribe({ topic, fromBeginning: true });
      const values: string[] = [];
      await second.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
      await waitFor(() => expect(values.sort()).toEqual(['new0', 'new1', 'new2', 'new3', 'new4', 'new5']));

      await second.disconnect();

      const latest = consumer(randomName('group'));
      await latest.subscribe({ topics: [topic] });
      const late: string[] = [];
      const mark = seen.length;
      await latest.run({ eachMessage: async ({ message }) => void late.push(message.value!.toString()) });
      // Both partitions have looked up the log end and started polling.
      const polls = () => seen.slice(mark).filter((s) => s.method === 'GET' && s.path.startsWith(`/v1/topics/${topic}/partitions/`) && s.path.endsWith('/records'));
      await waitFor(() => expect(new Set(polls().map((s) => s.path)).size).toBe(2));
      await produce(topic, 2, 2, 'late');
      await waitFor(() => expect(late.sort()).toEqual(['late0', 'late1']));
      await latest.disconnect();
    });

    it('eachBatch: batches per partition, committed after each batch', async () => {
      const topic = await topicWith(2);
      const groupId = randomName('group');
      await produce(topic, 20, 2);
      const c = consumer(groupId, { maxRecords: 4 });
      const commits: Array<{ partition: number; offset: string }> = [];
      c.on(c.events.COMMIT_OFFSETS, (e) => commits.push(...e.payload.topics.flatMap((t) => t.partitions)));
      await c.subscribe({ topics: [topic], fromBeginning: true });
      const sizes: number[] = [];
      await c.run({
        eachBatch: async ({ batch }) => {
          sizes.push(batch.messages.length);
          expect(batch.isEmpty()).toBe(false);
        },
      });
      await waitFor(() => expect(sizes.reduce((a, b) => a + b, 0)).toBe(20));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(4);
      await waitFor(() => expect(commits.filter((c) => c.offset === '10').map((c) => c.partition).sort()).toEqual([0, 1]));
      const group = await c.describeGroup();
      expect(group.totalLag).toBe(0);
      await c.disconnect();
    });

    it('two members split the partitions; the first is told what it gives up and nothing is lost', async () => {
      const topic = await topicWith(4);
      const groupId = randomName('group');
      await produce(topic, 40, 4, 'a');
      const a = consumer(groupId);
      const b = consumer(groupId);
      const revokedFromA: number[] = [];
      const assignedToB: number[] = [];
      const seen = new Map<string, number>();
      const eachMessage = async ({ partition, message }: EachMessagePayload) => {
        const key = `${partition}:${message.offset}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      };
      await a.subscribe({ topics: [topic], fromBeginning: true });
      await a.run({ eachMessage, onPartitionsRevoked: async (tps) => void revokedFromA.push(...tps.map((t) => t.partition)) });
      await waitFor(() => expect(a.assignment()[0]?.partitions).toEqual([0, 1, 2, 3]));
      await waitFor(() => expect(seen.size).toBe(40));

      await b.subscribe({ topics: [topic], fromBeginning: true });
      await b.run({ eachMessage, onPartitionsAssigned: async (tps) => void assignedToB.push(...tps.map((t) => t.partition)) });
      await waitFor(() => {
        expect(a.assignment()[0]?.partitions).toHaveLength(2);
        expect(b.assignment()[0]?.partitions).toHaveLength(2);
      });
      expect(revokedFromA.sort()).toEqual(assignedToB.sort());
      const all = [...a.assignment()[0]!.partitions, ...b.assignment()[0]!.partitions].sort();
      expect(all).toEqual([0, 1, 2, 3]);

      // New records reach both members; nothing of the first 40 came again (they were committed before A let go).
      await produce(topic, 40, 4, 'b');
      await waitFor(() => expect(seen.size).toBe(80));
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      await Promise.all([a.disconnect(), b.disconnect()]);
    });

    it('retries a failing handler from the failed message, then crashes when it keeps failing', async () => {
      const topic = await topicWith(1);
      await produce(topic, 3, 1);
      const flaky = consumer(randomName('group'));
      await flaky.subscribe({ topics: [topic], fromBeginning: true });
      const calls: string[] = [];
      let failed = false;
      await flaky.run({
        eachMessage: async ({ message }) => {
          calls.push(message.offset);
          if (message.offset === '1' && !failed) {
            failed = true;
            throw new Error('once');
          }
        },
      });
      await waitFor(() => expect(calls).toEqual(['0', '1', '1', '2']));
      await flaky.disconnect();

      const brokenGroup = randomName('group');
      const broken = consumer(brokenGroup, { retry: { retries: 1, initialRetryTime: 10, restartOnFailure: async () => false } });
      await broken.subscribe({ topics: [topic], fromBeginning: true });
      const crashes: Array<{ error: Error; restart: boolean }> = [];
      broken.on(broken.events.CRASH, (e) => crashes.push(e.payload));
      const stops: number[] = [];
      broken.on(broken.events.STOP, () => stops.push(Date.now()));
      await broken.run({
        eachMessage: async ({ message }) => {
          if (message.offset === '2') throw new Error('poison');
        },
      });
      await waitFor(() => expect(stops).toHaveLength(1));
      expect(crashes).toHaveLength(1);
      expect(crashes[0]!.restart).toBe(false);
      expect(crashes[0]!.error.message).toMatch(/failed 2 times: poison/);
      // It committed what it processed before the poison message, and left.
      const [offsets] = await sluice().admin().fetchOffsets({ groupId: brokenGroup, topics: [topic] });
      expect(offsets!.partitions).toEqual([{ partition: 0, offset: '2', metadata: null }]);
      expect((await sluice().admin().describeGroups([brokenGroup])).groups[0]!.members).toEqual([]);
    });

    it('admin: lists, describes, resets, sets and deletes group offsets; refused while a member runs', async () => {
      const topic = await topicWith(2);
      const groupId = randomName('group');
      await produce(topic, 10, 2);
      const admin = sluice().admin();
      const c = consumer(groupId);
      await c.subscribe({ topics: [topic], fromBeginning: true });
      let count = 0;
      await c.run({ eachMessage: async () => void count++ });
      await waitFor(() => expect(count).toBe(10));

      expect((await admin.listGroups()).groups).toContainEqual({ groupId, protocolType: 'consumer', members: 1 });
      const [described] = (await admin.describeGroups([groupId])).groups;
      expect(described).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer' });
      expect(described!.members).toHaveLength(1);
      expect(described!.members[0]!.assignments).toHaveLength(2);
      await expect(admin.resetOffsets({ groupId, topic, earliest: true })).rejects.toMatchObject({ code: 'GROUP_NOT_EMPTY', status: 409 });
      await expect(admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] })).rejects.toMatchObject({ code: 'GROUP_NOT_EMPTY' });
      await expect(admin.deleteGroups([groupId])).rejects.toMatchObject({ code: 'GROUP_NOT_EMPTY' });
      await c.disconnect();

      const offsetsOf = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset);
      await waitFor(async () => expect(await offsetsOf()).toEqual(['5', '5']));
      await admin.resetOffsets({ groupId, topic, earliest: true });
      expect(await offsetsOf()).toEqual(['0', '0']);
      const plan = await admin.resetGroupOffsets({ groupId, topic, to: { shiftBy: 3 }, dryRun: true });
      expect(plan).toEqual({ executed: false, offsets: [{ topic, partition: 0, offset: 3 }, { topic, partition: 1, offset: 3 }] });
      expect(await offsetsOf()).toEqual(['0', '0']); // a dry run
      // One offset everywhere is a reset; different ones go through a short-lived member.
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: 4 }, { partition: 1, offset: 4 }] });
      expect(await offsetsOf()).toEqual(['4', '4']);
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '5' }] });
      expect(await offsetsOf()).toEqual(['2', '5']);
      expect((await admin.describeGroups([groupId])).groups[0]!.members).toEqual([]);

      // A consumer of the group starts where setOffsets put it.
      const after = consumer(groupId);
      await after.subscribe({ topics: [topic] });
      const got: string[] = [];
      await after.run({ eachMessage: async ({ partition, message }) => void got.push(`${partition}:${message.offset}`) });
      await waitFor(() => expect(got.sort()).toEqual(['0:2', '0:3', '0:4']));
      await after.disconnect();

      expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }]);
      expect((await admin.describeGroups([groupId])).groups[0]).toMatchObject({ state: 'Dead', members: [] });
      expect((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => p.offset)).toEqual(['-1', '-1']);
    });

    it('seeks in onPartitionsAssigned, pauses and resumes', async () => {
      const topic = await topicWith(1);
      // A topic the consumer goes on reading while the other is paused: its record, appended
      // after the paused topic's, arriving shows the paused one had its chance to come too.
      const running = await topicWith(1);
      await produce(topic, 10, 1);
      const c = consumer(randomName('group'));
      await c.subscribe({ topics: [topic, running], fromBeginning: true });
      const got: KafkaMessage[] = [];
      const gotRunning: string[] = [];
      await c.run({
        onPartitionsAssigned: async (tps) => {
          for (const tp of tps) if (tp.topic === topic) c.seek({ ...tp, offset: '7' });
        },
        eachMessage: async ({ topic: from, message }) => void (from === topic ? got.push(message) : gotRunning.push(message.value!.toString())),
      });
      await waitFor(() => expect(got.map((m) => m.offset)).toEqual(['7', '8', '9']));
      c.pause([{ topic }]);
      expect(c.paused()).toEqual([{ topic, partitions: [0] }]);
      await produce(topic, 2, 1, 'p');
      await produce(running, 1, 1, 'r');
      await waitFor(() => expect(gotRunning).toEqual(['r0']));
      expect(got).toHaveLength(3);
      c.resume([{ topic }]);
      await waitFor(() => expect(got.map((m) => m.value!.toString()).slice(3)).toEqual(['p0', 'p1']));
      await c.disconnect();
    });
  });
});
