import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../lib/api/router.ts';
import { decodeText, partitionParam, queryInteger } from '../../lib/api/validate.ts';
import type { ApiRequest } from '../../lib/api/types.ts';

const withQuery = (query: Record<string, string>): ApiRequest => ({ method: 'GET', path: '/', query, headers: {}, requestId: 'r' });

describe('base64 decoding', () => {
  it('decodes canonical base64 exactly', () => {
    const bytes = Buffer.from([0, 255, 1, 254, 2]);
    expect(decodeText(bytes.toString('base64'), 'base64', 'value').equals(bytes)).toBe(true);
    expect(decodeText('', 'base64', 'value').length).toBe(0);
  });
  it.each(['abc', 'ab=c', '!!!!', 'YQ', 'YQ==YQ==', 'Y Q=='])('refuses %j instead of guessing', (text) => {
    expect(() => decodeText(text, 'base64', 'value')).toThrow(/value: is not valid base64/);
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
