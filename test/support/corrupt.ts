/** Shared by the codec and segment tests: hostile byte edits and what a decoder may do with them. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { CorruptRecordError } from '../../lib/core/errors.ts';

/** The decoder's answer, or undefined when it refused the bytes with CorruptRecordError (any other error escapes). */
export function decodeOrCorrupt<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (error) {
    if (error instanceof CorruptRecordError) return undefined;
    throw error;
  }
}

/** `fn` throws CorruptRecordError, with a message matching `message` if given. */
export function expectCorrupt(fn: () => unknown, message?: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CorruptRecordError);
  if (message) expect((thrown as Error).message).toMatch(message);
}

export type Mutation =
  | { kind: 'set'; at: number; value: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 12 }) }),
);

/** A copy of `original` with the edits applied in turn (positions wrap around its length). */
export function mutate(original: Buffer, mutations: readonly Mutation[]): Buffer {
  let buf = Buffer.from(original);
  for (const m of mutations) {
    if (buf.length === 0) break;
    const at = m.at % buf.length;
    if (m.kind === 'set') buf[at] = m.value;
    else if (m.kind === 'flip') buf[at] = buf[at]! ^ (1 << m.bit);
    else if (m.kind === 'truncate') buf = buf.subarray(0, at);
    else if (m.kind === 'insert') buf = Buffer.concat([buf.subarray(0, at), m.bytes, buf.subarray(at)]);
    else buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.count)]);
  }
  return buf;
}
