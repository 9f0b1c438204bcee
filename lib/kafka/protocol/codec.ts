/**
 * One encoder and one decoder for every message definition (schema.ts), driven by a plan
 * compiled once per message and version: which fields are on the wire, in which form.
 *
 * Wire forms; "compact" in flexible versions (KIP-482):
 *   bool           => int8, 0 or 1 (any non-zero reads as true)
 *   string         => int16 length (-1 = null), UTF-8     | compact: uvarint length+1 (0 = null)
 *   bytes, records => int32 length (-1 = null), bytes     | compact: uvarint length+1 (0 = null)
 *   []T            => int32 count (-1 = null), T x count  | compact: uvarint count+1 (0 = null)
 *   struct         => its fields in definition order      | flexible: then a tagged-fields section
 *   tagged fields  => uvarint count, count x (uvarint tag, uvarint size, size bytes), tags ascending;
 *                     a field is written only when it differs from its default
 *
 * Decoding never trusts a declared length: a string, blob, array or tagged-field count larger
 * than the bytes left is a ProtocolError before anything is allocated. Unknown tags are skipped.
 */
import { ProtocolError } from './errors.ts';
import { Reader, Writer } from './io.ts';
import { messagePlan, type FieldPlan, type StructPlan } from './plan.ts';
import type { MessageInput, MessageSpec, MessageValue, PrimitiveType } from './schema.ts';

export { isFlexible, ZERO_UUID } from './plan.ts';

const MAX_STRING_BYTES = 0x7fff;
const INT_BOUNDS: Partial<Record<PrimitiveType, readonly [number, number]>> = {
  int8: [-0x80, 0x7f],
  int16: [-0x8000, 0x7fff],
  int32: [-0x80000000, 0x7fffffff],
  uint16: [0, 0xffff],
};
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ---- decoding ----

/**
 * Decodes one message of `version` from `buffer` at `offset`. Fields absent in the version
 * come back at their default; bytes and records are views into `buffer`.
 */
export function decode<M extends MessageSpec>(
  message: M,
  version: number,
  buffer: Buffer,
  offset = 0,
): { value: MessageValue<M>; bytesRead: number } {
  const plan = messagePlan(message, version);
  if (!Number.isInteger(offset) || offset < 0 || offset > buffer.length) {
    throw new ProtocolError(`offset ${offset} is outside a ${buffer.length}-byte buffer`);
  }
  const reader = new Reader(buffer, offset, buffer.length);
  try {
    const value = readStruct(reader, plan);
    return { value: value as MessageValue<M>, bytesRead: reader.pos - offset };
  } catch (err) {
    if (err instanceof ProtocolError) throw new ProtocolError(`${message.name} v${version}: ${err.message}`);
    throw err;
  }
}

function readStruct(r: Reader, plan: StructPlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { field, onWire } of plan.steps) out[field.name] = onWire ? readField(r, field) : field.makeDefault();
  if (plan.flexible) readTaggedFields(r, plan, out);
  return out;
}

function readTaggedFields(r: Reader, plan: StructPlan, out: Record<string, unknown>): void {
  const count = r.uvarint('tagged field count');
  // Each tagged field takes at least two bytes (tag and size).
  if (count * 2 > r.remaining) throw new ProtocolError(`${count} tagged fields declared with ${r.remaining} bytes left`);
  for (let i = 0; i < count; i++) {
    const tag = r.uvarint('tag');
    const size = r.uvarint(`tag ${tag} size`);
    const at = r.take(size, `tagged field ${tag}`);
    const field = plan.byTag.get(tag);
    if (field === undefined) continue; // a newer peer's field: skipped
    // Read within the declared size, so a wrong size cannot shift what follows.
    out[field.name] = readField(new Reader(r.buf, at, at + size), field);
  }
}

function readField(r: Reader, f: FieldPlan): unknown {
  if (!f.array) return readOne(r, f.elem, f, f.nullable);
  const count = f.compact ? r.uvarint(f.name) - 1 : r.int32(f.name);
  if (count < 0) return nullOrThrow(count, f, f.nullable);
  // Every element takes at least a byte, except structs with no fields on the wire: both
  // are bounded by the buffer, so a hostile count fails here, before any allocation.
  if (count > r.remaining) {
    throw new ProtocolError(`${f.name}: ${count} elements declared with ${r.remaining} bytes left`);
  }
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(readOne(r, f.elem, f, false));
  return out;
}

function nullOrThrow(length: number, f: FieldPlan, nullable: boolean): null {
  if (length !== -1) throw new ProtocolError(`${f.name}: negative length ${length}`);
  if (!nullable) throw new ProtocolError(`${f.name}: null in a non-nullable field`);
  return null;
}

function readOne(r: Reader, elem: PrimitiveType | StructPlan, f: FieldPlan, nullable: boolean): unknown {
  if (typeof elem !== 'string') return readStruct(r, elem);
  switch (elem) {
    case 'bool':
      return r.int8(f.name) !== 0;
    case 'int8':
      return r.int8(f.name);
    case 'int16':
      return r.int16(f.name);
    case 'int32':
      return r.int32(f.name);
    case 'int64':
      return r.int64(f.name);
    case 'uint16':
      return r.uint16(f.name);
    case 'float64':
      return r.float64(f.name);
    case 'uuid': {
      const at = r.take(16, f.name);
      return r.buf.toString('hex', at, at + 16);
    }
    case 'string': {
      const length = f.compact ? r.uvarint(f.name) - 1 : r.int16(f.name);
      if (length < 0) return nullOrThrow(length, f, nullable);
      if (length > MAX_STRING_BYTES) throw new ProtocolError(`${f.name}: string of ${length} bytes`);
      const at = r.take(length, f.name);
      return r.buf.toString('utf8', at, at + length);
    }
    case 'bytes':
    case 'records': {
      const length = f.compact ? r.uvarint(f.name) - 1 : r.int32(f.name);
      if (length < 0) return nullOrThrow(length, f, nullable);
      const at = r.take(length, f.name);
      return r.buf.subarray(at, at + length);
    }
  }
}

// ---- encoding ----

/** A bad value, with the path to it filled in on the way out. */
class BadValue extends Error {
  readonly path: string[] = [];
}

/**
 * Encodes `value` as `version` of `message`. Fields left out take their default; a field the
 * version lacks must be left out or at its default unless it is ignorable (Kafka's rule).
 */
export function encode<M extends MessageSpec>(message: M, version: number, value: MessageInput<M>): Buffer {
  const writer = new Writer();
  writeMessage(writer, message, version, value);
  return writer.finish();
}

/** Encodes into an existing writer: a header and a body go out as one buffer. */
export function writeMessage<M extends MessageSpec>(writer: Writer, message: M, version: number, value: MessageInput<M>): void {
  const plan = messagePlan(message, version);
  try {
    writeStruct(writer, plan, value);
  } catch (err) {
    if (err instanceof BadValue) {
      const path = err.path.reverse().join('.').replaceAll('.[', '[');
      throw new ProtocolError(`${message.name} v${version}: ${path}: ${err.message}`);
    }
    throw err;
  }
}

function writeStruct(w: Writer, plan: StructPlan, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new BadValue(`expected an object, got ${describe(value)}`);
  }
  const v = value as Record<string, unknown>;
  for (const f of plan.wire) {
    const x = v[f.name];
    try {
      writeField(w, f, x === undefined ? f.makeDefault() : x);
    } catch (err) {
      throw located(err, f.name);
    }
  }
  for (const f of plan.absent) {
    const x = v[f.name];
    if (x !== undefined && !f.ignorable && !isDefault(x, f.makeDefault())) {
      throw located(new BadValue('not in this version, and not ignorable'), f.name);
    }
  }
  if (!plan.flexible) return;
  const present = plan.tagged.filter((f) => v[f.name] !== undefined && !isDefault(v[f.name], f.makeDefault()));
  w.uvarint(present.length);
  for (const f of present) {
    const sub = new Writer(64);
    try {
      writeField(sub, f, v[f.name]);
    } catch (err) {
      throw located(err, f.name);
    }
    const bytes = sub.finish();
    w.uvarint(f.tag!);
    w.uvarint(bytes.length);
    w.raw(bytes);
  }
}

/** Adds a path segment to a BadValue on its way out; anything else passes through. */
function located(err: unknown, segment: string): unknown {
  if (err instanceof BadValue) err.path.push(segment);
  return err;
}

function writeField(w: Writer, f: FieldPlan, x: unknown): void {
  if (!f.array) return writeOne(w, f.elem, f, x, f.nullable);
  if (x === null) {
    if (!f.nullable) throw new BadValue('null in a non-nullable field');
    return f.compact ? w.uvarint(0) : w.int32(-1);
  }
  if (!Array.isArray(x)) throw new BadValue(`expected an array, got ${describe(x)}`);
  if (f.compact) w.uvarint(x.length + 1);
  else w.int32(x.length);
  for (let i = 0; i < x.length; i++) {
    try {
      writeOne(w, f.elem, f, x[i], false);
    } catch (err) {
      throw located(err, `[${i}]`);
    }
  }
}

function writeOne(w: Writer, elem: PrimitiveType | StructPlan, f: FieldPlan, x: unknown, nullable: boolean): void {
  if (typeof elem !== 'string') return writeStruct(w, elem, x);
  if (x === null) {
    if (!nullable || (elem !== 'string' && elem !== 'bytes' && elem !== 'records')) {
      throw new BadValue('null in a non-nullable field');
    }
    if (f.compact) w.uvarint(0);
    else if (elem === 'string') w.int16(-1);
    else w.int32(-1);
    return;
  }
  switch (elem) {
    case 'bool':
      if (typeof x !== 'boolean') throw new BadValue(`expected a boolean, got ${describe(x)}`);
      return w.int8(x ? 1 : 0);
    case 'int8':
      return w.int8(integer(x, elem));
    case 'int16':
      return w.int16(integer(x, elem));
    case 'int32':
      return w.int32(integer(x, elem));
    case 'uint16':
      return w.uint16(integer(x, elem));
    case 'int64':
      return w.int64(int64(x));
    case 'float64':
      if (typeof x !== 'number') throw new BadValue(`expected a number, got ${describe(x)}`);
      return w.float64(x);
    case 'uuid': {
      // Sluice's topic ids are canonical UUIDs (with dashes); the wire has the 16 bytes.
      const hex = typeof x === 'string' ? x.replaceAll('-', '') : x;
      if (typeof hex !== 'string' || !/^[0-9a-fA-F]{32}$/.test(hex)) throw new BadValue(`expected a UUID, got ${describe(x)}`);
      return w.text(hex, 16, 'hex');
    }
    case 'string': {
      if (typeof x !== 'string') throw new BadValue(`expected a string, got ${describe(x)}`);
      const length = Buffer.byteLength(x, 'utf8');
      if (length > MAX_STRING_BYTES) throw new BadValue(`string of ${length} bytes, more than ${MAX_STRING_BYTES}`);
      if (f.compact) w.uvarint(length + 1);
      else w.int16(length);
      return w.text(x, length, 'utf8');
    }
    case 'bytes':
    case 'records':
      if (!(x instanceof Uint8Array)) throw new BadValue(`expected a Buffer, got ${describe(x)}`);
      if (f.compact) w.uvarint(x.length + 1);
      else w.int32(x.length);
      return w.raw(x);
  }
}

function integer(x: unknown, type: PrimitiveType): number {
  const [min, max] = INT_BOUNDS[type]!;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) {
    throw new BadValue(`expected an ${type}, got ${describe(x)}`);
  }
  return x;
}

function int64(x: unknown): bigint {
  if (typeof x === 'bigint' && x >= INT64_MIN && x <= INT64_MAX) return x;
  if (typeof x === 'number' && Number.isSafeInteger(x)) return BigInt(x);
  throw new BadValue(`expected an int64 (a bigint, or a safe integer), got ${describe(x)}`);
}

/** Whether an input equals a default (a struct input may leave defaulted fields out). */
function isDefault(x: unknown, d: unknown): boolean {
  if (x === d) return true;
  if (typeof d === 'bigint') return (typeof x === 'bigint' || Number.isSafeInteger(x)) && BigInt(x as bigint | number) === d;
  if (d instanceof Uint8Array) return x instanceof Uint8Array && Buffer.compare(x, d) === 0;
  if (Array.isArray(d)) return Array.isArray(x) && x.length === 0 && d.length === 0;
  if (typeof d === 'object' && d !== null) {
    if (typeof x !== 'object' || x === null) return false;
    const xs = x as Record<string, unknown>;
    return Object.entries(d).every(([k, dv]) => xs[k] === undefined || isDefault(xs[k], dv));
  }
  return false;
}

function describe(x: unknown): string {
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}...` : x);
  if (x instanceof Uint8Array) return `${x.length} bytes`;
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'object' && x !== null) return 'an object';
  return String(x);
}
