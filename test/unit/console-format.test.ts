import { describe, expect, it } from 'vitest';
import { matches, parseHeaders, parseTime, rates, rateText, resetTarget, show, toBase64 } from '../../lib/console/format.ts';

const b64 = (bytes: number[]): string => Buffer.from(bytes).toString('base64');

describe('console: how a record is shown', () => {
  it('pretty-prints JSON values and leaves other text as written', () => {
    expect(show(toBase64('{"id":1,"items":["a"]}'), 'hex')).toEqual({ kind: 'json', text: '{\n  "id": 1,\n  "items": [\n    "a"\n  ]\n}' });
    expect(show(toBase64('{not json'), 'hex')).toEqual({ kind: 'text', text: '{not json' });
    expect(show(toBase64('héllo wörld'), 'hex')).toEqual({ kind: 'text', text: 'héllo wörld' });
    expect(show(null, 'hex')).toEqual({ kind: 'null', text: 'null' });
  });

  it('shows bytes that are not UTF-8 text as hex or base64', () => {
    expect(show(b64([0, 1, 2, 0xff]), 'hex')).toEqual({ kind: 'hex', text: '00 01 02 ff' });
    expect(show(b64([0, 1, 2, 0xff]), 'base64')).toEqual({ kind: 'base64', text: 'AAEC/w==' });
    // Valid UTF-8, but control characters: binary, not text.
    expect(show(b64([0x61, 0x00, 0x62]), 'hex').kind).toBe('hex');
  });

  it("reads produce headers as 'name: value' lines", () => {
    expect(parseHeaders('source: console\n\ntrace-id: a:b\n')).toEqual({ source: 'console', 'trace-id': 'a:b' });
    expect(() => parseHeaders('no colon')).toThrow("header line 1 is not 'name: value'");
  });

  it('filters records by text in the key or the value as shown, ignoring case', () => {
    const json = show(toBase64('{"id":7,"name":"Ada"}'), 'hex');
    expect(matches('', show(null, 'hex'), json)).toBe(true);
    expect(matches('ada', show(null, 'hex'), json)).toBe(true);
    expect(matches('"id": 7', show(null, 'hex'), json)).toBe(true); // the pretty-printed text
    expect(matches('order-', show(toBase64('order-9'), 'hex'), show(toBase64('x'), 'hex'))).toBe(true);
    expect(matches('ff', show(null, 'hex'), show(btoa(String.fromCharCode(0, 255)), 'hex'))).toBe(true); // binary as hex
    expect(matches('nope', show(toBase64('k'), 'hex'), json)).toBe(false);
  });

  it('reads a start time as ISO 8601 (UTC unless it says) or milliseconds', () => {
    expect(parseTime('2026-12-06T10:00:00Z')).toBe(Date.UTC(2026, 11, 6, 10));
    expect(parseTime('2026-12-06T10:00:00')).toBe(Date.UTC(2026, 11, 6, 10));
    expect(parseTime('2026-12-06T11:00:00+01:00')).toBe(Date.UTC(2026, 11, 6, 10));
    expect(parseTime(' 1714564800000 ')).toBe(1714564800000);
    expect(() => parseTime('')).toThrow('the time must be ISO 8601');
    expect(() => parseTime('soon')).toThrow('the time must be ISO 8601');
  });
});

describe('console: reset targets and throughput', () => {
  it('turns the reset form into the API target, refusing bad values with a message', () => {
    expect(resetTarget('earliest', 'ignored')).toBe('earliest');
    expect(resetTarget('latest', '')).toBe('latest');
    expect(resetTarget('offset', ' 42 ')).toEqual({ offset: 42 });
    expect(resetTarget('shift', '-3')).toEqual({ shiftBy: -3 });
    expect(resetTarget('time', '1714564800000')).toEqual({ timestamp: 1714564800000 });
    expect(resetTarget('time', '2024-05-01T12:00:00Z')).toEqual({ timestamp: Date.UTC(2024, 4, 1, 12) });
    expect(resetTarget('time', '2024-05-01T12:00:00')).toEqual({ timestamp: Date.UTC(2024, 4, 1, 12) }); // UTC unless it says
    expect(() => resetTarget('offset', '-1')).toThrow('the offset must be a whole number, 0 or more');
    expect(() => resetTarget('offset', '')).toThrow('the offset must be');
    expect(() => resetTarget('shift', '0')).toThrow('the shift must be a whole number other than 0');
    expect(() => resetTarget('time', 'yesterday')).toThrow('the time must be ISO 8601');
  });

  it('computes records per second from high watermark samples', () => {
    const samples = [
      { at: 0, total: 10 },
      { at: 2_000, total: 30 },
      { at: 4_000, total: 30 },
      { at: 5_000, total: 5 }, // a drop (the topic recreated): 0, not negative
    ];
    expect(rates(samples)).toEqual([
      { at: 2_000, total: 10 },
      { at: 4_000, total: 0 },
      { at: 5_000, total: 0 },
    ]);
    expect(rates([{ at: 0, total: 1 }])).toEqual([]);
    expect([rateText(0), rateText(12.345), rateText(1204.4)]).toEqual(['0/s', '12.3/s', '1,204/s']);
  });
});
