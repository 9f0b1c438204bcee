import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lib/core/errors.ts';
import { defaultTopicConfig, mergeTopicConfig, validatePartitionCount, validateTopicName } from '../../lib/core/topic-config.ts';

describe('topic names (Kafka rule)', () => {
  it.each(['a', 'orders', 'orders.v2', 'a_b-c.D9', 'x'.repeat(249)])('accepts %s', (name) => {
    expect(validateTopicName(name)).toBe(name);
  });
  it.each(['', '.', '..', 'a/b', 'a b', 'ü', 'x'.repeat(250), 'a:b', 42, null])('refuses %j', (name) => {
    expect(() => validateTopicName(name)).toThrow(InvalidRequestError);
  });
});

describe('partition counts', () => {
  it.each([1, 12, 1000])('accepts %d', (n) => expect(validatePartitionCount(n)).toBe(n));
  it.each([0, -1, 1.5, 1001, '3', null])('refuses %j', (n) => expect(() => validatePartitionCount(n)).toThrow(InvalidRequestError));
});

describe('topic config', () => {
  it('keeps defaults when nothing is given and merges a partial update over a base', () => {
    expect(mergeTopicConfig(defaultTopicConfig, undefined)).toEqual(defaultTopicConfig);
    const merged = mergeTopicConfig(defaultTopicConfig, { retentionMs: -1, cleanupPolicy: 'compact' });
    expect(merged).toEqual({ ...defaultTopicConfig, retentionMs: -1, cleanupPolicy: 'compact' });
    expect(mergeTopicConfig(merged, { maxMessageBytes: 2048 })).toEqual({ ...merged, maxMessageBytes: 2048 });
  });

  it.each([
    [{ retentionMz: 1 }, /unknown config key 'retentionMz'/],
    [{ retentionMs: 0 }, /config.retentionMs must be -1 or an integer/],
    [{ retentionMs: '1000' }, /config.retentionMs/],
    [{ retentionBytes: -2 }, /config.retentionBytes/],
    [{ cleanupPolicy: 'compact,delete' }, /must be one of "delete", "compact"/],
    [{ maxMessageBytes: -1 }, /config.maxMessageBytes must be an integer/],
    [{ maxMessageBytes: 64 * 1024 * 1024 }, /config.maxMessageBytes/],
    [{ segmentBytes: 10 }, /config.segmentBytes/],
    [{ segmentMs: 1.5 }, /config.segmentMs/],
    [[], /config must be an object/],
    ['x', /config must be an object/],
  ])('refuses %j', (update, message) => {
    expect(() => mergeTopicConfig(defaultTopicConfig, update)).toThrow(message);
  });
});
