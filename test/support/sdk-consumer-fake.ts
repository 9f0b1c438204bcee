/**
 * The group API and the log of one topic in memory, for the consumer's unit tests: the
 * test decides who holds which lease, and which joins, heartbeats and commits fail.
 */
import { vi } from 'vitest';
import type { SluiceClient } from '../../lib/client/client.ts';
import { Consumer, type ConsumerOptions, type RunOptions } from '../../lib/client/consumer.ts';
import type { FetchRequest, FetchResponse, GroupAssignment, JoinGroupRequest } from '../../lib/client/types.ts';
import { ConnectionError, RemoteError } from '../../lib/client/errors.ts';

interface Lease {
  owner: string | undefined;
  epoch: number;
  committed: number | null;
}

/** The group API and the log of one topic, in memory; the test decides who holds what. */
export class FakeGroupApi {
  readonly events: string[] = [];
  readonly logs = new Map<string, string[]>();
  readonly leases = new Map<string, Lease>();
  /** What each member's heartbeats answer: a snapshot taken when the test hands partitions out. */
  readonly held = new Map<string, GroupAssignment[]>();
  /** Errors the next joins throw, in order. */
  readonly joinErrors: Error[] = [];
  /** Errors the next commits throw, in order (before looking at the leases). */
  readonly commitErrors: Error[] = [];
  /** Heartbeats of these members answer 404 UNKNOWN_MEMBER. */
  readonly expired = new Set<string>();
  /** Heartbeats get no answer while this is set. */
  unreachable = false;
  /** Heartbeats sent so far, answered or not: a member's clock ticking, to wait on. */
  heartbeats = 0;
  /** Each fetch answered, as `t#0@2:3` (key, offset, how many records): what the loops had in hand. */
  readonly fetched: string[] = [];
  /** What a joining member gets. */
  onJoin: (memberId: string) => string[] = () => [];
  private members = 0;

  constructor(topic: string, partitions: number) {
    for (let p = 0; p < partitions; p++) this.logs.set(`${topic}#${p}`, []);
  }

  append(key: string, ...values: string[]): void {
    this.logs.get(key)!.push(...values);
  }

  /** Gives `keys` to `memberId`, each lease's epoch moving on when its owner changes. */
  give(memberId: string, keys: string[]): void {
    for (const key of keys) {
      const lease = this.leases.get(key) ?? { owner: undefined, epoch: 0, committed: null };
      if (lease.owner !== memberId) this.leases.set(key, { ...lease, owner: memberId, epoch: lease.epoch + 1 });
    }
    for (const [key, lease] of this.leases) if (lease.owner === memberId && !keys.includes(key)) lease.owner = undefined;
    this.held.set(
      memberId,
      keys.map((key) => {
        const [topic, partition] = key.split('#') as [string, string];
        const lease = this.leases.get(key)!;
        return { topic, partition: Number(partition), leaseEpoch: lease.epoch, committedOffset: lease.committed };
      }),
    );
  }

  committed(key: string): number | null {
    return this.leases.get(key)?.committed ?? null;
  }

  private assignments(memberId: string): GroupAssignment[] {
    return this.held.get(memberId) ?? [];
  }

  readonly client = {
    joinGroup: async (_group: string, request: JoinGroupRequest) => {
      const error = this.joinErrors.shift();
      if (error) throw error;
      const memberId = `m${++this.members}`;
      this.events.push(`join ${memberId} ${request.topics.join(',')}`);
      this.give(memberId, this.onJoin(memberId));
      return { memberId, assignments: this.assignments(memberId), heartbeatIntervalMs: 20 };
    },
    heartbeat: async (_group: string, memberId: string) => {
      this.heartbeats++;
      if (this.expired.has(memberId)) throw new RemoteError('UNKNOWN_MEMBER', 404, `member '${memberId}' is gone`);
      if (this.unreachable) throw new ConnectionError('http://x', new Error('unreachable'));
      return { assignments: this.assignments(memberId) };
    },
    leaveGroup: async (_group: string, memberId: string) => {
      this.events.push(`leave ${memberId}`);
      this.give(memberId, []);
    },
    commitOffsets: async (_group: string, request: { memberId: string; offsets: readonly { topic: string; partition: number; offset: number; leaseEpoch: number }[] }) => {
      const error = this.commitErrors.shift();
      if (error) throw error;
      const results = request.offsets.map((o) => {
        const key = `${o.topic}#${o.partition}`;
        const lease = this.leases.get(key);
        if (!lease || lease.owner !== request.memberId || lease.epoch !== o.leaseEpoch) return { topic: o.topic, partition: o.partition, error: 'FENCED' };
        lease.committed = o.offset;
        this.events.push(`commit ${key}=${o.offset}`);
        return { topic: o.topic, partition: o.partition };
      });
      if (results.some((r) => r.error)) throw new RemoteError('FENCED', 409, 'fenced', { results });
      return { results };
    },
    fetchRecords: async (topic: string, partition: number, request: FetchRequest, options: { signal?: AbortSignal } = {}): Promise<FetchResponse> => {
      const log = this.logs.get(`${topic}#${partition}`)!;
      const deadline = Date.now() + (request.waitMs ?? 0);
      while (log.length <= request.offset && Date.now() < deadline) {
        if (options.signal?.aborted) throw options.signal.reason;
        await new Promise((r) => setTimeout(r, 2));
      }
      const records = log.slice(request.offset, request.offset + (request.maxRecords ?? 500)).map((value, i) => ({
        offset: request.offset + i,
        timestamp: 0,
        key: null,
        value: Buffer.from(value).toString('base64'),
        headers: {},
      }));
      this.fetched.push(`${topic}#${partition}@${request.offset}:${records.length}`);
      return { records, nextOffset: request.offset + records.length, highWatermark: log.length, logStartOffset: 0 };
    },
    offsetFor: async (topic: string, partition: number, at: 'earliest' | 'latest' | number) => ({
      offset: at === 'earliest' ? 0 : this.logs.get(`${topic}#${partition}`)!.length,
    }),
  };
}

const consumers: Consumer[] = [];

/** Disconnects every consumer consumerOn() made (each test file's afterEach). */
export async function disconnectAll(): Promise<void> {
  await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
}

/** A consumer of group 'g' on the fake, with test-speed timings. */
export function consumerOn(api: FakeGroupApi, options: Partial<ConsumerOptions> = {}): Consumer {
  const consumer = new Consumer(api.client as unknown as SluiceClient, {
    groupId: 'g',
    sessionTimeoutMs: 1000,
    heartbeatIntervalMs: 20,
    maxWaitTimeInMs: 10,
    retry: { retries: 2, initialRetryTime: 5, maxRetryTime: 10 },
    ...options,
  });
  consumers.push(consumer);
  return consumer;
}

/** consumerOn(), subscribed to 't' from the beginning, and running. */
export async function started(api: FakeGroupApi, run: RunOptions, options: Partial<ConsumerOptions> = {}): Promise<Consumer> {
  const consumer = consumerOn(api, options);
  await consumer.subscribe({ topics: ['t'], fromBeginning: true });
  await consumer.run(run);
  return consumer;
}

export const waitFor = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 5 });
