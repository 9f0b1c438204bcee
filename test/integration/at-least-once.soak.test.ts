/**
 * Soak (npm run test:soak). At least once: SDK consumers in one group process every record while members are
 * stopped (cleanly, or killed: their network cut, so they neither commit nor leave) and
 * started at random. After a clean shutdown the committed offsets equal the log end.
 */
import { describe, expect, it } from 'vitest';
import { Sluice } from '../../lib/client/index.ts';
import { call, randomName, useServer, useStack } from '../support/stack.ts';

const RECORDS = 50_000;
const PARTITIONS = 6;
const MEMBERS = 3;
const CHAOS_EVENTS = 8;

interface Member {
  readonly stop: () => Promise<void>;
  readonly kill: () => Promise<void>;
}

describe('at-least-once consumption with members coming and going', () => {
  const stack = useStack();
  const server = useServer(stack);

  it(`${MEMBERS} consumers process all ${RECORDS} records at least once; committed offsets end at the log end`, async () => {
    const topic = randomName();
    await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: PARTITIONS } });
    for (let start = 0; start < RECORDS; start += 1000) {
      const records = Array.from({ length: 1000 }, (_, i) => ({ value: String(start + i), partition: (start / 1000) % PARTITIONS }));
      expect((await call(stack.api, 'POST', `/v1/topics/${topic}/records`, { body: { records } })).status).toBe(200);
    }

    const group = randomName('group');
    const processed = new Map<string, number>();
    const startMember = async (): Promise<Member> => {
      let cut = false;
      // A killed member: every request fails as if its host had gone away.
      const network: typeof fetch = (input, init) => (cut ? Promise.reject(new TypeError('fetch failed (member killed)')) : fetch(input, init));
      const sluice = new Sluice({ endpoint: server.url, fetch: network, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 500 } });
      const consumer = sluice.consumer({ groupId: group, sessionTimeoutMs: 3_000, maxWaitTimeInMs: 500, maxRecords: 200, autoCommitIntervalMs: 300 });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const value = message.value!.toString();
            processed.set(value, (processed.get(value) ?? 0) + 1);
          }
          // Work takes time: stops and kills land while batches are in flight.
          await new Promise((resolve) => setTimeout(resolve, 30));
        },
      });
      return {
        stop: () => consumer.disconnect(),
        kill: async () => {
          cut = true;
          await consumer.disconnect().catch(() => undefined);
        },
      };
    };

    const running: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) running.push(await startMember());
    const random = (n: number) => Math.floor(Math.random() * n);
    let midStreamKills = 0;
    for (let event = 0; event < CHAOS_EVENTS && processed.size < RECORDS; event++) {
      await new Promise((resolve) => setTimeout(resolve, 300 + random(700)));
      const [victim] = running.splice(random(running.length), 1);
      // Alternate, so every run has both kinds of stop.
      if (event % 2 === 0) {
        if (processed.size < RECORDS) midStreamKills++;
        await victim!.kill();
      } else {
        await victim!.stop();
      }
      running.push(await startMember());
    }

    const until = async (what: string, done: () => Promise<boolean> | boolean) => {
      const deadline = Date.now() + 120_000;
      while (!(await done())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    await until('every record to be processed', () => processed.size === RECORDS);
    // Drain: a member killed near the end still holds its partitions until its session
    // expires; the survivors then take them over, replay what it left uncommitted and
    // commit to the log end. Only then shut down cleanly (disconnect commits and leaves).
    await until('the survivors to hold every partition at the log end', async () => {
      const state = (await call(stack.api, 'GET', `/v1/groups/${group}`)).body;
      return state.members.length === MEMBERS && state.partitions.every((p: { committedOffset: number | null; highWatermark: number }) => p.committedOffset === p.highWatermark);
    });
    for (const member of running) await member.stop();

    const missing = Array.from({ length: RECORDS }, (_, i) => String(i)).filter((v) => !processed.has(v));
    expect(missing.slice(0, 10), `${missing.length} records never processed`).toEqual([]);
    const repeats = [...processed.values()].reduce((n, count) => n + count - 1, 0);
    console.log(`at-least-once: ${RECORDS} records, ${midStreamKills} members killed mid-stream, ${repeats} records processed twice or more`);
    expect(midStreamKills).toBeGreaterThan(0);

    const described = (await call(stack.api, 'GET', `/v1/groups/${group}`)).body;
    expect(described.state).toBe('Empty');
    for (const p of described.partitions) expect(p.committedOffset).toBe(p.highWatermark);
    expect(described.totalLag).toBe(0);
  }, 240_000);
});
