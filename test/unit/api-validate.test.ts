import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../lib/api/router.ts';
import { checkQuery, decodeText, integer, jsonBody, map, object, partitionParam, queryInteger, requestLimits } from '../../lib/api/validate.ts';
import type { ApiRequest } from '../../lib/api/types.ts';

const withQuery = (query: Record<string, string>): ApiRequest => ({ method: 'GET', path: '/', query, headers: {}, requestId: 'r' });

describe('base64 decoding', () => {
  it('decodes canonical base64 exactly', () => {
    const bytes = Buffer.from([0, 255, 1, 254, 2]);
    expect(decodeText(bytes.toString('base64'), 'base64', 'value').equals(bytes)).toBe(true);
    expect(decodeText('', 'base64', 'value').length).toBe(0);
  });
  it.each(['abc', 'ab=c', '!!!!', 'YQ', 'YQ==YQ==', 'Y Q==', '====', 'A===', 'YQ=A', 'Y=Q='])('refuses %j instead of guessing', (text) => {
    expect(() => decodeText(text, 'base64', 'value')).toThrow(/value: is not valid base64/);
  });
});

describe('base64 of megabytes', () => {
  it('is checked in linear time without overflowing the stack, valid or not', () => {
    const valid = 'AAAA'.repeat(2_000_000);
    expect(decodeText(valid, 'base64', 'value').length).toBe(6_000_000);
    expect(decodeText(`${valid}YQ==`, 'base64', 'value').at(-1)).toBe(0x61);
    expect(() => decodeText(`${valid}!`, 'base64', 'value')).toThrow(/not valid base64/);
    expect(() => decodeText(`${valid}A`, 'base64', 'value')).toThrow(/not valid base64/);
  });
});

const body = (text: string): ApiRequest => ({ method: 'POST', path: '/', query: {}, headers: {}, body: Buffer.from(text), requestId: 'r' });

describe('JSON bodies', () => {
  it('refuses nesting deeper than the limit before parsing, and ignores brackets in strings', () => {
    const depth = requestLimits.maxJsonDepth;
    expect(jsonBody(body(`{"a": ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`), ['a'], 1e7)).toBeDefined();
    expect(() => jsonBody(body(`{"a": ${'['.repeat(depth)}${']'.repeat(depth)}}`), ['a'], 1e7)).toThrow(/deeper than 32 levels/);
    const tricky = { a: `${'['.repeat(1000)}\\"{{{` };
    expect(jsonBody(body(JSON.stringify(tricky)), ['a'], 1e7)).toEqual(tricky);
    const started = performance.now();
    expect(() => jsonBody(body('['.repeat(6_000_000)), ['a'], 1e7)).toThrow(/deeper than/);
    expect(performance.now() - started).toBeLessThan(500);
  });
  it('quotes at most a short prefix of an unknown key', () => {
    expect(() => object({ ['k'.repeat(1_000_000)]: 1 }, 'body', new Set(['a']))).toThrow(/^body: unknown field "k{40}"…; allowed: a$/);
  });
});

describe('objects and maps', () => {
  const wide = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`h${i}`, 'v']));
  it('a free-form map is counted before it is read, and refused past its limit', () => {
    // Counted, not timed: no value of the 200,000 is read before the refusal.
    let reads = 0;
    const counted = new Proxy(wide, {
      get(target, key, receiver) {
        reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(() => map(counted, 'headers', 64, 'headers per record')).toThrow(/^headers: at most 64 headers per record$/);
    expect(() => object(counted, 'record', ['key', 'value'])).toThrow(/unknown field "h0"/);
    expect(reads).toBe(0);
    expect(map({ a: 1, b: 2 }, 'm', 2, 'keys')).toEqual([['a', 1], ['b', 2]]);
    expect(() => map([1], 'm', 2, 'keys')).toThrow(/must be a JSON object/);
  });
});

describe('integer messages give the real range', () => {
  it.each([
    [0, 2, '', 'x: must be an integer from 0 to 2'],
    [0, Number.MAX_SAFE_INTEGER, '', 'x: must be a non-negative integer'],
    [1, Number.MAX_SAFE_INTEGER, '', 'x: must be a positive integer'],
    [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, '', 'x: must be an integer'],
    [0, 9, ' (a digit)', 'x: must be an integer from 0 to 9 (a digit)'],
  ])('[%d, %d]%s', (min, max, what, message) => {
    expect(() => integer(-1.5, 'x', min, max, what)).toThrow(new RegExp(`^${message.replace(/[()]/g, '\\$&')}$`));
  });
  it('a path partition names the topic\'s range, whatever is wrong with it', () => {
    for (const raw of ['-1', '3', 'first', '9999999999']) {
      expect(() => partitionParam(raw, 3)).toThrow(/^partition: must be an integer from 0 to 2 \(the topic has 3 partitions\), got /);
    }
    expect(() => partitionParam('1', 1)).toThrow(/from 0 to 0 \(the topic has 1 partition\)/);
  });
});

describe('query strings', () => {
  it('bounds the count of parameters and the length of names and values', () => {
    expect(() => checkQuery(withQuery(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, '1']))))).toThrow(/at most 16 query parameters/);
    expect(() => checkQuery(withQuery({ offset: '1'.repeat(257) }))).toThrow(/at most 256 characters/);
    expect(() => checkQuery(withQuery({ ['k'.repeat(10_000)]: '1' }))).toThrow(/at most 256 characters/);
    expect(() => checkQuery(withQuery({ offset: '1', limit: '2' }), ['offset'])).toThrow(/^limit: unknown query parameter; allowed: offset$/);
    expect(() => checkQuery(withQuery({ offset: '1' }), ['offset'])).not.toThrow();
  });
});

describe('integer query parameters', () => {
  it('reads decimal integers and falls back when absent', () => {
    expect(queryInteger(withQuery({ offset: '42' }), 'offset', 0, 100)).toBe(42);
    expect(queryInteger(withQuery({}), 'maxRecords', 1, 10, 5)).toBe(5);
  });
  it.each(['-1', '1e3', '0x10', '1.5', ' 1', 'abc', '99999999999999999'])('refuses offset=%j', (raw) => {
    expect(() => queryInteger(withQuery({ offset: raw }), 'offset', 0, Number.MAX_SAFE_INTEGER)).toThrow(/offset/);
  });
  it('requires a parameter without fallback', () => {
    expect(() => queryInteger(withQuery({}), 'offset', 0, 1)).toThrow(/offset: is required/);
  });
});

describe('routing', () => {
  it('matches routes with decoded parameters', () => {
    const { route, params } = matchRoute('GET', '/v1/topics/orders.v2/partitions/3/records');
    expect(route.group).toBe('fetch');
    expect(params).toEqual({ topic: 'orders.v2', partition: '3' });
    expect(partitionParam(params.partition!, 4)).toBe(3);
  });
  it('tells an unknown path (404) from a wrong method (405) and refuses bad names in paths (400)', () => {
    expect(() => matchRoute('GET', '/v1/nothing')).toThrow(expect.objectContaining({ status: 404 }));
    expect(() => matchRoute('PUT', '/v1/topics')).toThrow(expect.objectContaining({ status: 405 }));
    expect(() => matchRoute('GET', '/v1/topics/a%2Fb')).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => matchRoute('GET', '/v1/topics/%E0%A4%A')).toThrow(expect.objectContaining({ status: 400 }));
  });
  it('refuses partitions outside the topic', () => {
    expect(() => partitionParam('4', 4)).toThrow(/partition/);
    expect(() => partitionParam('-1', 4)).toThrow(/partition/);
  });
});
