/**
 * The dispatcher as its Lambda function runs it on AWS (functions/trigger.ts): started,
 * then run until idle or until its time runs short, through the SDK against the API over
 * DynamoDB Local and the S3 emulator, with the function in-process. What a scheduled
 * start leaves must be what the next one goes on from.
 */
import { describe, expect, it } from 'vitest';
import { Sluice } from '../../lib/client/sluice.ts';
import { TopicDestination } from '../../lib/trigger/destinations.ts';
import { Dispatcher, type TriggerTarget } from '../../lib/trigger/dispatcher.ts';
import type { KafkaEvent } from '../../lib/trigger/event.ts';
import { call, randomName, useServer, useStack } from '../support/stack.ts';

const stack = useStack();
const server = useServer(stack);

/** The user's function, in-process: it remembers the offsets it saw and can be slowed down. */
function fn(delayMs = 0): TriggerTarget & { readonly seen: number[] } {
  const seen: number[] = [];
  return {
    name: 'billing',
    seen,
    async invoke(event: KafkaEvent) {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      for (const records of Object.values(event.records)) for (const r of records) seen.push(r.offset);
      return undefined;
    },
  };
}

async function topicWith(records: number): Promise<string> {
  const topic = randomName('trigger');
  expect((await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: 1 } })).status).toBe(201);
  if (records === 0) return topic;
  const body = { records: Array.from({ length: records }, (_, i) => ({ partition: 0, value: `v${i}` })) };
  expect((await call(stack.api, 'POST', `/v1/topics/${topic}/records`, { body })).status).toBe(200);
  return topic;
}

const committed = async (group: string) => ((await call(stack.api, 'GET', `/v1/groups/${group}`)).body as { partitions: Array<{ committedOffset: number | null }> }).partitions[0]?.committedOffset ?? null;

describe('the dispatcher on AWS: started by the schedule, run until idle', () => {
  it('delivers what there is, stops once idle, leaves the group with everything committed; the next start goes on from there', async () => {
    const topic = await topicWith(120);
    const group = randomName('group');
    const sluice = new Sluice({ endpoint: server.url });
    const first = fn();
    const dispatcher = new Dispatcher(sluice, { topic, group, batchSize: 50, batchingWindowMs: 0, startingPosition: 'earliest' }, first);
    await dispatcher.start();
    const invocations = await dispatcher.runUntilIdle(1_500, () => false, 100);
    expect(first.seen).toEqual(Array.from({ length: 120 }, (_, i) => i));
    expect(invocations).toBe(3);
    expect(await committed(group)).toBe(120);
    const described = (await call(stack.api, 'GET', `/v1/groups/${group}`)).body as { members: unknown[] };
    expect(described.members).toEqual([]);

    // The next scheduled start: only what came since.
    expect((await call(stack.api, 'POST', `/v1/topics/${topic}/records`, { body: { records: [{ partition: 0, value: 'late' }] } })).status).toBe(200);
    const second = fn();
    const next = new Dispatcher(sluice, { topic, group, batchingWindowMs: 0, startingPosition: 'earliest' }, second);
    await next.start();
    expect(await next.runUntilIdle(1_500, () => false, 100)).toBe(1);
    expect(second.seen).toEqual([120]);
    expect(await committed(group)).toBe(121);
  }, 60_000);

  it('stops taking batches when its time runs short, lets the invocation in flight finish, and commits it', async () => {
    const topic = await topicWith(30);
    const group = randomName('group');
    const slow = fn(700);
    const dispatcher = new Dispatcher(new Sluice({ endpoint: server.url }), { topic, group, batchSize: 10, batchingWindowMs: 0, startingPosition: 'earliest' }, slow);
    await dispatcher.start();
    let checks = 0;
    // Time runs short once the first invocation is under way: after it, nothing more.
    const invocations = await dispatcher.runUntilIdle(60_000, () => slow.seen.length > 0 || ++checks > 3, 200);
    expect(invocations).toBeGreaterThanOrEqual(1);
    expect(await committed(group)).toBe(slow.seen.length);
    expect(slow.seen.length).toBeLessThan(30);
  }, 60_000);

  it('sends what the function keeps failing on to a Sluice topic destination and goes on', async () => {
    const topic = await topicWith(5);
    const dlq = await topicWith(0);
    const group = randomName('group');
    const sluice = new Sluice({ endpoint: server.url });
    const poisoned: TriggerTarget = {
      name: 'strict',
      async invoke(event) {
        if (Object.values(event.records).flat().some((r) => Buffer.from(r.value ?? '', 'base64').toString() === 'v2')) throw new Error('v2 is poison');
        return undefined;
      },
    };
    const destination = new TopicDestination(sluice, dlq);
    const dispatcher = new Dispatcher(sluice, { topic, group, batchingWindowMs: 0, startingPosition: 'earliest', bisectBatchOnFunctionError: true, maxRetryAttempts: 1, retryBackoff: { minDelayMs: 0, maxDelayMs: 0 } }, poisoned, destination);
    await dispatcher.start();
    await dispatcher.runUntilIdle(1_500, () => false, 100);
    await destination.close();
    expect(await committed(group)).toBe(5);
    const dead = (await call(stack.api, 'GET', `/v1/topics/${dlq}/partitions/0/records`, { query: { offset: '0' } })).body as { records: Array<{ value: string; headers: Record<string, string> }> };
    expect(dead.records.map((r) => [r.value, r.headers['sluice.dlq.offset'], r.headers['sluice.dlq.reason'], r.headers['sluice.dlq.attempts'], r.headers['sluice.dlq.error']])).toEqual([['v2', '2', 'RetryAttemptsExhausted', '2', 'v2 is poison']]);
  }, 60_000);
});
