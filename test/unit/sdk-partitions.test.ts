/** The consumer's pure parts (assignment diffs, pause bookkeeping, message shapes) and admin's config names. */
import { describe, expect, it } from 'vitest';
import { topicConfig } from '../../lib/client/admin.ts';
import { byTopic, diffAssignments, makeBatch, PauseState, toKafkaMessage } from '../../lib/client/partitions.ts';
import type { GroupAssignment } from '../../lib/client/types.ts';

const lease = (topic: string, partition: number, leaseEpoch = 1, committedOffset: number | null = null): GroupAssignment => ({
  topic,
  partition,
  leaseEpoch,
  committedOffset,
});

describe('diffAssignments', () => {
  it('from nothing: everything is assigned', () => {
    expect(diffAssignments([], [lease('a', 0), lease('a', 1, 1, 5)])).toEqual({ assigned: [lease('a', 0), lease('a', 1, 1, 5)], revoked: [] });
  });

  it('partitions added and removed between heartbeats', () => {
    const diff = diffAssignments([lease('a', 0), lease('a', 1), lease('b', 0)], [lease('a', 1), lease('b', 0), lease('b', 1)]);
    expect(diff.assigned).toEqual([lease('b', 1)]);
    expect(diff.revoked).toEqual([lease('a', 0)]);
  });

  it('the same set (committed offsets may differ) changes nothing', () => {
    expect(diffAssignments([lease('a', 0, 3, 1)], [lease('a', 0, 3, 9)])).toEqual({ assigned: [], revoked: [] });
  });

  it('a partition held at a new epoch is revoked and assigned again', () => {
    const diff = diffAssignments([lease('a', 0, 3)], [lease('a', 0, 4, 17)]);
    expect(diff.revoked).toEqual([lease('a', 0, 3)]);
    expect(diff.assigned).toEqual([lease('a', 0, 4, 17)]);
  });

  it('an empty answer revokes everything', () => {
    expect(diffAssignments([lease('a', 0), lease('a', 2)], []).revoked.map((r) => r.partition)).toEqual([0, 2]);
  });
});

describe('PauseState', () => {
  const known = [0, 1, 2].map((partition) => ({ topic: 't', partition }));

  it('pauses and resumes whole topics', () => {
    const pauses = new PauseState();
    pauses.pause([{ topic: 't' }]);
    expect(pauses.isPaused('t', 2)).toBe(true);
    expect(pauses.isPaused('u', 0)).toBe(false);
    expect(pauses.paused(known)).toEqual([{ topic: 't', partitions: [0, 1, 2] }]);
    pauses.resume([{ topic: 't' }]);
    expect(pauses.paused(known)).toEqual([]);
  });

  it('pauses single partitions, and resumes some partitions of a paused topic', () => {
    const pauses = new PauseState();
    pauses.pause([{ topic: 't', partitions: [2, 0] }]);
    expect(pauses.paused(known)).toEqual([{ topic: 't', partitions: [0, 2] }]);
    pauses.resume([{ topic: 't', partitions: [0] }]);
    expect(pauses.paused(known)).toEqual([{ topic: 't', partitions: [2] }]);

    pauses.pause([{ topic: 't' }]);
    pauses.resume([{ topic: 't', partitions: [1] }]);
    expect([0, 1, 2].map((p) => pauses.isPaused('t', p))).toEqual([true, false, true]);
    pauses.pause([{ topic: 't', partitions: [1] }]);
    expect(pauses.isPaused('t', 1)).toBe(true);
  });

  it('lists paused partitions the consumer does not hold', () => {
    const pauses = new PauseState();
    pauses.pause([{ topic: 'x', partitions: [4] }]);
    expect(pauses.paused(known)).toEqual([{ topic: 'x', partitions: [4] }]);
  });
});

describe('messages and batches', () => {
  it('fetched base64 records become kafkajs messages with Buffers and string offsets', () => {
    const message = toKafkaMessage({ offset: 12, timestamp: 1_700_000_000_000, key: 'aw==', value: null, headers: { h: 'AP8=' } });
    expect(message).toEqual({
      key: Buffer.from('k'),
      value: null,
      headers: { h: Buffer.from([0, 255]) },
      timestamp: '1700000000000',
      offset: '12',
      attributes: 0,
    });
  });

  it('a batch knows its first and last offsets and its lag', () => {
    const messages = [5, 6, 7].map((offset) => toKafkaMessage({ offset, timestamp: 0, key: null, value: 'dg==', headers: {} }));
    const batch = makeBatch('t', 1, 10, messages);
    expect([batch.firstOffset(), batch.lastOffset(), batch.offsetLag(), batch.offsetLagLow(), batch.isEmpty()]).toEqual(['5', '7', '2', '4', false]);
    const empty = makeBatch('t', 1, 10, []);
    expect([empty.firstOffset(), empty.lastOffset(), empty.isEmpty()]).toEqual([null, '9', true]);
  });

  it('byTopic groups partitions in first-seen topic order', () => {
    expect(byTopic([{ topic: 'b', partition: 2 }, { topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }])).toEqual([
      { topic: 'b', partitions: [0, 2] },
      { topic: 'a', partitions: [1] },
    ]);
  });
});

describe('admin topic config entries', () => {
  it("takes Kafka's names and the API's", () => {
    expect(
      topicConfig([
        { name: 'retention.ms', value: '60000' },
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'maxMessageBytes', value: '2048' },
      ]),
    ).toEqual({ retentionMs: 60_000, cleanupPolicy: 'compact', maxMessageBytes: 2048 });
  });

  it('refuses unknown names and bad values', () => {
    expect(() => topicConfig([{ name: 'retention.mss', value: '1' }])).toThrow(/unknown topic config 'retention.mss'/);
    expect(() => topicConfig([{ name: 'retention.ms', value: 'soon' }])).toThrow(/retention.ms must be an integer/);
    expect(() => topicConfig([{ name: 'cleanup.policy', value: 'delete,compact' }])).toThrow(/cleanup.policy must be/);
  });
});
