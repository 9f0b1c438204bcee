/**
 * The consumer against a fake group API in memory: assignment changes between heartbeats,
 * commits before a partition is let go, fencing, expired members, handler failures,
 * concurrency and disconnect. The real API's behaviour is in test/integration/sdk.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SluiceClient } from '../../lib/client/client.ts';
import { Consumer } from '../../lib/client/consumer.ts';
import { ConnectionError, RemoteError } from '../../lib/client/errors.ts';
import { consumerOn, disconnectAll, FakeGroupApi, started, waitFor } from '../support/sdk-consumer-fake.ts';

afterEach(disconnectAll);

describe('Consumer', () => {
  it('starts and stops partitions as heartbeats answer, committing a revoked one before telling the app', async () => {
    const api = new FakeGroupApi('t', 2);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a', 'b');
    api.append('t#1', 'x');
    const got: string[] = [];
    const revoked: string[] = [];
    const consumer = await started(api, {
      eachMessage: async ({ partition, message }) => void got.push(`${partition}:${message.value}`),
      onPartitionsRevoked: async (tps) => {
        revoked.push(...tps.map((t) => `${t.topic}#${t.partition}`));
        api.events.push(`revoked ${tps.map((t) => t.partition).join(',')}`);
      },
    });
    await waitFor(() => expect(got).toEqual(['0:a', '0:b']));
    expect(consumer.assignment()).toEqual([{ topic: 't', partitions: [0] }]);

    api.give('m1', ['t#0', 't#1']);
    await waitFor(() => expect(got).toContain('1:x'));
    api.give('m1', ['t#1']);
    await waitFor(() => expect(revoked).toEqual(['t#0']));
    expect(consumer.assignment()).toEqual([{ topic: 't', partitions: [1] }]);
    // Committed before a heartbeat could move it away (commits go before each heartbeat).
    expect(api.committed('t#0')).toBe(2);
    api.append('t#0', 'c');
    api.append('t#1', 'y');
    await waitFor(() => expect(got).toContain('1:y'));
    expect(got).not.toContain('0:c');
  });

  it('restarts a partition held at a new epoch from the committed offset the heartbeat answers', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a', 'b', 'c');
    const got: string[] = [];
    const assigned: number[] = [];
    await started(api, {
      eachMessage: async ({ message }) => void got.push(String(message.value)),
      onPartitionsAssigned: async (tps) => void assigned.push(...tps.map((t) => t.partition)),
    });
    await waitFor(() => expect(got).toEqual(['a', 'b', 'c']));
    await waitFor(() => expect(api.committed('t#0')).toBe(3));
    // Someone else held it meanwhile and committed 1 (a reset, say); we hold it again at epoch 3.
    api.give('other', ['t#0']);
    api.leases.get('t#0')!.committed = 1;
    api.give('m1', ['t#0']);
    await waitFor(() => expect(got).toEqual(['a', 'b', 'c', 'b', 'c']));
    expect(assigned).toEqual([0, 0]);
  });

  it('a FENCED commit stops that partition at once; the others go on', async () => {
    const api = new FakeGroupApi('t', 2);
    api.onJoin = () => ['t#0', 't#1'];
    const got: string[] = [];
    const consumer = await started(api, {
      eachMessage: async ({ partition, message }) => void got.push(`${partition}:${message.value}`),
    });
    const commits: string[] = [];
    const failed: string[] = [];
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => commits.push(JSON.stringify(e.payload.topics)));
    consumer.on(consumer.events.COMMIT_OFFSETS_FAILED, (e) => failed.push(`${JSON.stringify(e.payload.topics)} ${(e.payload.error as RemoteError).code} ${e.payload.retriable}`));
    // The lease of partition 0 moves to another member behind this one's back (its
    // heartbeats still answer both partitions, as a lagging view would).
    api.leases.get('t#0')!.epoch = 7;
    api.leases.get('t#0')!.owner = 'other';
    api.append('t#0', 'a');
    await waitFor(() => expect(got).toEqual(['0:a']));
    // The commit after processing it is refused.
    await waitFor(() => expect(consumer.assignment()).toEqual([{ topic: 't', partitions: [1] }]));
    api.append('t#0', 'b');
    api.append('t#1', 'x');
    await waitFor(() => expect(got).toContain('1:x'));
    expect(got).not.toContain('0:b');
    expect(api.committed('t#0')).toBeNull();
    expect(commits.some((c) => c.includes('"partition":0'))).toBe(false);
    expect(failed).toEqual(['[{"topic":"t","partitions":[{"partition":0,"offset":"1"}]}] FENCED false']);
  });

  it('an expired member gives up everything and joins again', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a');
    const got: string[] = [];
    const joins: string[] = [];
    const consumer = consumerOn(api);
    consumer.on(consumer.events.GROUP_JOIN, (e) => joins.push(e.payload.memberId));
    await consumer.subscribe({ topic: 't', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
    await waitFor(() => expect(api.committed('t#0')).toBe(1));
    api.expired.add('m1');
    await waitFor(() => expect(joins).toEqual(['m1', 'm2']));
    api.append('t#0', 'b');
    await waitFor(() => expect(got).toEqual(['a', 'b']));
  });

  it('stops consuming once heartbeats fail for a whole session, and goes on when they are answered again', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    const got: string[] = [];
    const changes: string[] = [];
    const consumer = consumerOn(api, { sessionTimeoutMs: 150 });
    consumer.on(consumer.events.REBALANCING, (e) => changes.push(`+${e.payload.assigned.length} -${e.payload.revoked.length}`));
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push(String(message.value)) });
    api.unreachable = true;
    await waitFor(() => expect(consumer.assignment()).toEqual([]));
    api.append('t#0', 'a');
    // Two more heartbeats tried and failed: a loop still running would have fetched 'a' by then.
    const beats = api.heartbeats;
    await waitFor(() => expect(api.heartbeats).toBeGreaterThanOrEqual(beats + 2));
    expect(got).toEqual([]);
    api.unreachable = false;
    await waitFor(() => expect(got).toEqual(['a']));
    expect(changes).toEqual(['+1 -0', '+0 -1', '+1 -0']);
  });

  it('never commits past what was processed, and disconnect finishes the handler, commits, then leaves', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', ...Array.from({ length: 20 }, (_, i) => `v${i}`));
    let processed = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const consumer = await started(
      api,
      {
        eachMessage: async ({ message }) => {
          if (message.offset === '10') {
            api.events.push('handler 10 waiting');
            await gate;
          }
          processed = Number(message.offset) + 1;
          for (const e of api.events.filter((e) => e.startsWith('commit'))) expect(Number(e.split('=')[1])).toBeLessThanOrEqual(processed);
        },
      },
      { autoCommitIntervalMs: 10 },
    );
    await waitFor(() => expect(api.events).toContain('handler 10 waiting'));
    await waitFor(() => expect(api.committed('t#0')).toBe(10));
    const disconnected = consumer.disconnect();
    // Its partition is let go (disconnect is past the heartbeat and the stop), and a turn of
    // the event loop later a leave that did not wait for the handler would have gone out.
    await waitFor(() => expect(consumer.assignment()).toEqual([]));
    await new Promise((r) => setImmediate(r));
    expect(api.events).not.toContain('leave m1'); // still waiting for the handler
    release();
    await disconnected;
    expect(processed).toBe(11); // the in-flight message finished; no further one started
    expect(api.events.slice(-2)).toEqual(['commit t#0=11', 'leave m1']);
  });

  it('disconnect() from inside a handler does not wait for itself', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a', 'b');
    const stopped: number[] = [];
    const consumer = consumerOn(api);
    consumer.on(consumer.events.STOP, () => stopped.push(1));
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => consumer.disconnect() });
    await waitFor(() => expect(stopped).toEqual([1]));
    expect(api.committed('t#0')).toBe(1);
    expect(api.events).toContain('leave m1');
  });

  it('runs one handler at a time by default, and up to partitionsConsumedConcurrently', async () => {
    for (const concurrency of [1, 3]) {
      const api = new FakeGroupApi('t', 3);
      api.onJoin = () => ['t#0', 't#1', 't#2'];
      for (let p = 0; p < 3; p++) api.append(`t#${p}`, 'a', 'b');
      let active = 0;
      let most = 0;
      let done = 0;
      await started(api, {
        partitionsConsumedConcurrently: concurrency,
        eachMessage: async () => {
          most = Math.max(most, ++active);
          // Every partition's records are fetched (the fetches run outside the limit): the
          // other handlers could start now if the limit let them.
          await waitFor(() => expect(new Set(api.fetched.filter((f) => !f.endsWith(':0')).map((f) => f.split('@')[0]))).toEqual(new Set(['t#0', 't#1', 't#2'])));
          active--;
          done++;
        },
      });
      await waitFor(() => expect(done).toBe(6));
      expect(most).toBe(concurrency);
    }
  });

  it('eachBatch: resolveOffset and the auto-resolve decide what is committed', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a', 'b', 'c', 'd');
    const batches: string[][] = [];
    await started(api, {
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        batches.push(batch.messages.map((m) => String(m.value)));
        // Handles only the first two of the first batch.
        resolveOffset(batch.messages[Math.min(1, batch.messages.length - 1)]!.offset);
      },
    });
    await waitFor(() => expect(api.committed('t#0')).toBe(4));
    expect(batches).toEqual([
      ['a', 'b', 'c', 'd'],
      ['c', 'd'],
    ]);
  });

  it('eachBatch that resolves nothing gets the same records again, paced by maxWaitTimeInMs', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a', 'b');
    const batchesAt: number[] = [];
    const consumer = await started(api, { eachBatchAutoResolve: false, eachBatch: async () => void batchesAt.push(performance.now()) }, { maxWaitTimeInMs: 50 });
    await waitFor(() => expect(batchesAt.length).toBeGreaterThanOrEqual(3));
    // Each time the same records, but not at once: maxWaitTimeInMs apart (less a few ms: a timer may fire early).
    for (let i = 1; i < batchesAt.length; i++) expect(batchesAt[i]! - batchesAt[i - 1]!).toBeGreaterThanOrEqual(45);
    // A seek cuts the wait short and moves on.
    consumer.seek({ topic: 't', partition: 0, offset: 2 });
    await waitFor(() => expect(api.committed('t#0')).toBe(2));
  });

  it('retries a failing handler, and restarts after the retries run out (kafkajs default)', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a', 'b');
    const calls: string[] = [];
    let failuresLeft = 4; // more than retries (2): one crash, then success after the restart
    const crashes: boolean[] = [];
    const consumer = consumerOn(api);
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload.restart));
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        calls.push(String(message.value));
        if (message.value!.toString() === 'b' && failuresLeft-- > 0) throw new Error('flaky');
      },
    });
    await waitFor(() => expect(api.committed('t#0')).toBe(2));
    expect(crashes).toEqual([true]);
    expect(calls).toEqual(['a', 'b', 'b', 'b', 'b', 'b']);
    expect(api.events.filter((e) => e.startsWith('join'))).toHaveLength(2);
    expect(api.events).toContain('leave m1');
  });

  it('run() retries a join that got no answer and rejects one that cannot succeed', async () => {
    const api = new FakeGroupApi('t', 1);
    api.joinErrors.push(new ConnectionError('http://x', new Error('refused')));
    const consumer = consumerOn(api);
    await consumer.subscribe({ topics: ['t'] });
    await consumer.run({ eachMessage: async () => undefined });
    expect(api.events.filter((e) => e.startsWith('join'))).toHaveLength(1);
    await consumer.disconnect();

    api.joinErrors.push(new RemoteError('TOPIC_NOT_FOUND', 404, "topic 't' does not exist"));
    await expect(consumer.run({ eachMessage: async () => undefined })).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' });
  });

  it('refuses bad options and misuse', async () => {
    const api = new FakeGroupApi('t', 1);
    const client = api.client as unknown as SluiceClient;
    expect(() => new Consumer(client, { groupId: 'g', sessionTimeoutMs: 1000, heartbeatIntervalMs: 1000 })).toThrow(/must be below sessionTimeoutMs/);
    expect(() => new Consumer(client, { groupId: 'g', brokers: ['x'] } as never)).toThrow(/unknown consumer option 'brokers'/);
    expect(() => new Consumer(client, { groupId: '' })).toThrow(/invalid group id/);
    const consumer = consumerOn(api);
    await expect(consumer.run({ eachMessage: async () => undefined })).rejects.toThrow(/subscribe\(\) to at least one topic/);
    await consumer.subscribe({ topics: ['t'] });
    await expect(consumer.run({})).rejects.toThrow(/one handler/);
    expect(() => consumer.seek({ topic: 't', partition: 0, offset: 'x' })).toThrow(/not a valid offset/);
    expect(() => consumer.on('consumer.nope' as never, () => undefined)).toThrow(/unknown event/);
  });
});
