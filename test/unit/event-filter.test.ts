/**
 * Lambda's filter criteria on a Kafka record's value, as AWS documents them for MSK and
 * self-managed Kafka (EventBridge's pattern syntax): which records reach the function.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { checkFilterPatterns, valueMatches, type FilterPattern } from '../../lib/core/event-filter.ts';
import { ConfigError } from '../../lib/core/errors.ts';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const text = (v: string) => Buffer.from(v);
const matches = (pattern: FilterPattern, value: Buffer | null) => valueMatches(checkFilterPatterns([pattern]), value);

describe('filter patterns on the value', () => {
  const device = { device_ID: 'AB1234', session: { start_time: '2026-12-06T10:00:00', duration: 162 }, tags: ['blue', 'big'], retired: null };

  it("matches AWS's example: device_ID beginning with AB", () => {
    const pattern = { value: { device_ID: [{ prefix: 'AB' }] } };
    expect(matches(pattern, json(device))).toBe(true);
    expect(matches(pattern, json({ ...device, device_ID: 'CD1234' }))).toBe(false);
  });

  it('needs every key to match; a list matches if one matcher does, against any element of a list', () => {
    expect(matches({ value: { device_ID: ['XX', 'AB1234'], session: { duration: [162] } } }, json(device))).toBe(true);
    expect(matches({ value: { device_ID: ['AB1234'], session: { duration: [161] } } }, json(device))).toBe(false);
    expect(matches({ value: { tags: ['big'] } }, json(device))).toBe(true);
    expect(matches({ value: { tags: ['small'] } }, json(device))).toBe(false);
    expect(matches({ value: { retired: [null] } }, json(device))).toBe(true);
    // A field the value lacks matches nothing but exists: false.
    expect(matches({ value: { color: ['blue'] } }, json(device))).toBe(false);
    expect(matches({ value: { color: [{ exists: false }] } }, json(device))).toBe(true);
    expect(matches({ value: { device_ID: [{ exists: true }] } }, json(device))).toBe(true);
    expect(matches({ value: { device_ID: [{ exists: false }] } }, json(device))).toBe(false);
  });

  it('compares numbers, and knows suffix, equals-ignore-case and anything-but', () => {
    expect(matches({ value: { session: { duration: [{ numeric: ['>', 100, '<=', 162] }] } } }, json(device))).toBe(true);
    expect(matches({ value: { session: { duration: [{ numeric: ['<', 100] }] } } }, json(device))).toBe(false);
    expect(matches({ value: { session: { duration: [{ numeric: ['=', 162] }] } } }, json(device))).toBe(true);
    // A number in a string is no number.
    expect(matches({ value: { device_ID: [{ numeric: ['>', 0] }] } }, json(device))).toBe(false);
    expect(matches({ value: { device_ID: [{ suffix: '234' }] } }, json(device))).toBe(true);
    expect(matches({ value: { device_ID: [{ 'equals-ignore-case': 'ab1234' }] } }, json(device))).toBe(true);
    expect(matches({ value: { device_ID: [{ 'anything-but': ['AB1234', 'X'] }] } }, json(device))).toBe(false);
    expect(matches({ value: { device_ID: [{ 'anything-but': 'X' }] } }, json(device))).toBe(true);
    expect(matches({ value: { device_ID: [{ 'anything-but': { prefix: 'AB' } }] } }, json(device))).toBe(false);
    // anything-but wants the field there.
    expect(matches({ value: { color: [{ 'anything-but': 'red' }] } }, json(device))).toBe(false);
  });

  it('takes $or of patterns', () => {
    const pattern = { value: { $or: [{ device_ID: ['nope'] }, { session: { duration: [{ numeric: ['>', 100] }] } }] } };
    expect(matches(pattern, json(device))).toBe(true);
    expect(matches(pattern, json({ ...device, session: { duration: 5 } }))).toBe(false);
  });

  it('matches a value that is not JSON as a string, and a tombstone as null', () => {
    expect(matches({ value: [{ prefix: 'INFO' }] }, text('INFO all good'))).toBe(true);
    expect(matches({ value: [{ prefix: 'INFO' }] }, text('WARN disk'))).toBe(false);
    expect(matches({ value: { level: ['INFO'] } }, text('INFO all good'))).toBe(false);
    expect(matches({ value: [null] }, null)).toBe(true);
    expect(matches({ value: { level: ['INFO'] } }, null)).toBe(false);
  });

  it('delivers a record if any pattern matches, and every record without patterns', () => {
    const patterns = checkFilterPatterns([{ value: { type: ['order'] } }, { value: { type: ['refund'] } }]);
    expect(valueMatches(patterns, json({ type: 'refund' }))).toBe(true);
    expect(valueMatches(patterns, json({ type: 'quote' }))).toBe(false);
    expect(valueMatches([], json({ type: 'quote' }))).toBe(true);
  });

  it.each([
    ['not a list', {}, /must be a list/],
    ['more than five patterns', Array.from({ length: 6 }, () => ({ value: ['x'] })), /at most 5/],
    ['a key other than value', [{ key: ['x'] }], /value only/],
    ['an empty matcher list', [{ value: { a: [] } }], /matches nothing/],
    ['an unknown matcher', [{ value: { a: [{ contains: 'x' }] } }], /unknown matcher contains/],
    ['a matcher with two operators', [{ value: { a: [{ prefix: 'x', suffix: 'y' }] } }], /must be a value or one of/],
    ['a bad numeric', [{ value: { a: [{ numeric: ['>>', 1] }] } }], /numeric takes/],
    ['a non-string prefix', [{ value: { a: [{ prefix: 1 }] } }], /prefix takes a string/],
    ['a bare value where a list belongs', [{ value: { a: 'x' } }], /list of matchers or an object/],
    ['an $or of one', [{ value: { $or: [{ a: ['x'] }] } }], /at least two/],
  ])('refuses %s with a ConfigError naming it', (_, patterns, message) => {
    expect(() => checkFilterPatterns(patterns)).toThrow(ConfigError);
    expect(() => checkFilterPatterns(patterns)).toThrow(message);
  });
});
