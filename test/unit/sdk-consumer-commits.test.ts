/**
 * Commits that fail are events (COMMIT_OFFSETS_FAILED), never silent: on the auto-commit
 * timer, when a partition is revoked, on disconnect and from commitOffsets(); the offsets
 * of a failed commit go with the next one, and a server's refusal for good crashes the
 * consumer as kafkajs's would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsumerEvents } from '../../lib/client/consumer.ts';
import { ConnectionError, RemoteError } from '../../lib/client/errors.ts';
import { consumerOn, disconnectAll, FakeGroupApi, waitFor } from '../support/sdk-consumer-fake.ts';

afterEach(disconnectAll);

type Failure = ConsumerEvents['consumer.commit_offsets_failed'];

/** Heartbeats far apart, so only the auto-commit timer commits while the consumer runs. */
const timerOnly = { sessionTimeoutMs: 60_000, heartbeatIntervalMs: 30_000, autoCommitIntervalMs: 10 };

const offsetsAt = (offset: string) => [{ topic: 't', partitions: [{ partition: 0, offset }] }];

describe('Consumer commit failures', () => {
  it('a failed auto-commit is an event, and the next commit carries its offsets', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a', 'b');
    api.commitErrors.push(new ConnectionError('http://x', new Error('refused')));
    const consumer = consumerOn(api, timerOnly);
    const failures: Failure[] = [];
    const commits: unknown[] = [];
    consumer.on(consumer.events.COMMIT_OFFSETS_FAILED, (e) => failures.push(e.payload));
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => commits.push(e.payload.topics));
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });

    await waitFor(() => expect(commits).toHaveLength(1));
    expect(failures).toEqual([{ groupId: 'g', memberId: 'm1', topics: offsetsAt('2'), error: expect.any(ConnectionError), retriable: true }]);
    expect(commits).toEqual([offsetsAt('2')]);
    expect(api.committed('t#0')).toBe(2);
  });

  it('a partition revoked with a handler in flight: its refused commit is an event, then onPartitionsRevoked', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const log: string[] = [];
    const consumer = consumerOn(api);
    consumer.on(consumer.events.REBALANCING, (e) => log.push(`rebalancing +${e.payload.assigned.length} -${e.payload.revoked.length}`));
    consumer.on(consumer.events.COMMIT_OFFSETS_FAILED, (e) =>
      log.push(`failed ${JSON.stringify(e.payload.topics)} ${(e.payload.error as RemoteError).code} retriable=${e.payload.retriable}`),
    );
    consumer.on(consumer.events.CRASH, () => log.push('crash'));
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        log.push('handling');
        await gate;
      },
      onPartitionsRevoked: async () => void log.push('revoked'),
    });
    await waitFor(() => expect(log).toContain('handling'));
    // The lease goes elsewhere: the heartbeat revokes the partition, and a commit under it is FENCED.
    api.give('m1', []);
    await waitFor(() => expect(log).toContain('rebalancing +0 -1'));
    release();
    await waitFor(() => expect(log).toContain('revoked'));
    expect(log).toEqual(['rebalancing +1 -0', 'handling', 'rebalancing +0 -1', `failed ${JSON.stringify(offsetsAt('1'))} FENCED retriable=false`, 'revoked']);
    expect(api.committed('t#0')).toBeNull();
  });

  it('a commit that fails on disconnect is an event; the member still leaves', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a', 'b', 'c');
    let handled = 0;
    const log: string[] = [];
    const consumer = consumerOn(api, { ...timerOnly, autoCommitIntervalMs: 60_000 });
    consumer.on(consumer.events.COMMIT_OFFSETS_FAILED, (e) => log.push(`failed ${JSON.stringify(e.payload.topics)} retriable=${e.payload.retriable}`));
    consumer.on(consumer.events.STOP, () => log.push('stop'));
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => void handled++ });
    await waitFor(() => expect(handled).toBe(3));

    api.commitErrors.push(new RemoteError('INTERNAL', 503, 'try again'));
    await consumer.disconnect();
    expect(log).toEqual([`failed ${JSON.stringify(offsetsAt('3'))} retriable=true`, 'stop']);
    expect(api.events.at(-1)).toBe('leave m1');
    expect(api.committed('t#0')).toBeNull();
  });

  it('a commit the server refuses for good crashes the consumer, without a restart (kafkajs bails out)', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a');
    api.commitErrors.push(new RemoteError('TOPIC_NOT_FOUND', 404, "topic 't' does not exist"));
    const log: string[] = [];
    const consumer = consumerOn(api, timerOnly);
    consumer.on(consumer.events.COMMIT_OFFSETS_FAILED, (e) => log.push(`failed ${(e.payload.error as RemoteError).code} retriable=${e.payload.retriable}`));
    consumer.on(consumer.events.CRASH, (e) => log.push(`crash ${(e.payload.error as RemoteError).code} restart=${e.payload.restart}`));
    consumer.on(consumer.events.STOP, () => log.push('stop'));
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });

    await waitFor(() => expect(log).toContain('stop'));
    expect(log).toEqual(['failed TOPIC_NOT_FOUND retriable=false', 'crash TOPIC_NOT_FOUND restart=false', 'stop']);
    expect(api.events).toContain('leave m1');
  });

  it('commitOffsets() rejects with the error and emits the event; a later commit emits COMMIT_OFFSETS', async () => {
    const api = new FakeGroupApi('t', 1);
    api.onJoin = () => ['t#0'];
    api.append('t#0', 'a');
    let handled = 0;
    const failures: Failure[] = [];
    const commits: unknown[] = [];
    const consumer = consumerOn(api);
    consumer.on(consumer.events.COMMIT_OFFSETS_FAILED, (e) => failures.push(e.payload));
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => commits.push(e.payload.topics));
    await consumer.subscribe({ topics: ['t'], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async () => void handled++ });
    await waitFor(() => expect(handled).toBe(1));

    api.commitErrors.push(new ConnectionError('http://x', new Error('refused')));
    await expect(consumer.commitOffsets([{ topic: 't', partition: 0, offset: '1' }])).rejects.toBeInstanceOf(ConnectionError);
    expect(failures).toEqual([{ groupId: 'g', memberId: 'm1', topics: offsetsAt('1'), error: expect.any(ConnectionError), retriable: true }]);
    expect(commits).toEqual([]);
    await consumer.commitOffsets([{ topic: 't', partition: 0, offset: '1' }]);
    expect(commits).toEqual([offsetsAt('1')]);
    expect(api.committed('t#0')).toBe(1);
  });
});
