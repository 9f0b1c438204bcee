import { describe, expect, it } from 'vitest';
import { parseHeaders, show, toBase64 } from '../../lib/console/format.ts';

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
});
