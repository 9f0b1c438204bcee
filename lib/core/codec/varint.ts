/**
 * Big-endian fixed-width integers and zigzag varints, as the Kafka protocol writes them.
 *
 *   varint  => zigzag(int32), then 7 bits per byte, low group first, high bit = "more"; 1..5 bytes
 *   varlong => zigzag(int64), the same; 1..10 bytes
 *
 * zigzag maps 0, -1, 1, -2, ... to 0, 1, 2, 3, ... so small negative numbers stay short.
 * A varint's bytes do not depend on whether it is read as 32 or 64 bits, so a varlong
 * that fits an int32 takes the varint path. Longs are JS numbers here: values beyond
 * +-(2^53 - 1) are refused on both sides (RangeError when writing, CorruptRecordError
 * when reading) rather than silently rounded.
 *
 * Reader never lets a Buffer method throw its own RangeError: it checks bounds first and
 * throws CorruptRecordError, so a decoder built on it fails one way only.
 */
import { CorruptRecordError } from '../errors.ts';

const TWO_POW_32 = 2 ** 32;
const TWO_POW_27 = 2 ** 27;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function zigzag64(value: number): bigint {
  const v = BigInt(value);
  return v >= 0n ? v << 1n : ((-v) << 1n) - 1n;
}

/** Encoded size of `value` as a zigzag varint (int32). */
export function sizeOfVarint(value: number): number {
  if (!isInt32(value)) throw new RangeError(`varint out of int32 range: ${value}`);
  const u = zigzag32(value);
  if (u < 0x80) return 1;
  if (u < 0x4000) return 2;
  if (u < 0x200000) return 3;
  if (u < 0x10000000) return 4;
  return 5;
}

/** Encoded size of `value` as a zigzag varlong (int64, limited to safe integers). */
export function sizeOfVarlong(value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`varlong beyond safe integer range: ${value}`);
  if (isInt32(value)) return sizeOfVarint(value);
  let u = zigzag64(value);
  let size = 1;
  while (u >= 0x80n) {
    u >>= 7n;
    size++;
  }
  return size;
}

/** Appends to a buffer that grows by doubling; give the exact size up front to avoid copies. */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 16));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  int8(value: number): this {
    this.ensure(1);
    this.pos = this.buf.writeInt8(value, this.pos);
    return this;
  }

  int16(value: number): this {
    this.ensure(2);
    this.pos = this.buf.writeInt16BE(value, this.pos);
    return this;
  }

  int32(value: number): this {
    this.ensure(4);
    this.pos = this.buf.writeInt32BE(value, this.pos);
    return this;
  }

  uint32(value: number): this {
    this.ensure(4);
    this.pos = this.buf.writeUInt32BE(value, this.pos);
    return this;
  }

  /** int64 from a bigint (full range) or a safe-integer number. */
  int64(value: number | bigint): this {
    this.ensure(8);
    if (typeof value === 'bigint') {
      if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`int64 out of range: ${value}`);
      this.pos = this.buf.writeBigInt64BE(value, this.pos);
      return this;
    }
    if (!Number.isSafeInteger(value)) throw new RangeError(`int64 beyond safe integer range: ${value}`);
    const high = Math.floor(value / TWO_POW_32);
    this.buf.writeInt32BE(high, this.pos);
    this.buf.writeUInt32BE(value - high * TWO_POW_32, this.pos + 4);
    this.pos += 8;
    return this;
  }

  varint(value: number): this {
    if (!isInt32(value)) throw new RangeError(`varint out of int32 range: ${value}`);
    this.ensure(5);
    let u = zigzag32(value);
    while (u >= 0x80) {
      this.buf[this.pos++] = (u & 0x7f) | 0x80;
      u >>>= 7;
    }
    this.buf[this.pos++] = u;
    return this;
  }

  varlong(value: number): this {
    if (isInt32(value)) return this.varint(value);
    if (!Number.isSafeInteger(value)) throw new RangeError(`varlong beyond safe integer range: ${value}`);
    this.ensure(10);
    let u = zigzag64(value);
    while (u >= 0x80n) {
      this.buf[this.pos++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.pos++] = Number(u);
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /** UTF-8 bytes of `text`; `byteLength` must be Buffer.byteLength(text). */
  utf8(text: string, byteLength: number): this {
    this.ensure(byteLength);
    this.pos += this.buf.write(text, this.pos, byteLength, 'utf8');
    return this;
  }

  /** The bytes written, sharing memory with the writer. */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Reads forward from `pos` up to `end`; every read is bounds-checked. */
export class Reader {
  pos: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
    end = buf.length,
  ) {
    if (start < 0 || end > buf.length || start > end) {
      throw new CorruptRecordError(`range [${start}, ${end}) is outside a ${buf.length}-byte buffer`);
    }
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private take(bytes: number, what: string): number {
    if (bytes < 0 || bytes > this.end - this.pos) {
      throw new CorruptRecordError(
        `truncated ${what} at byte ${this.pos}: needs ${bytes} bytes, ${this.end - this.pos} left`,
        { details: { at: this.pos } },
      );
    }
    const at = this.pos;
    this.pos += bytes;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.take(1, 'int8'));
  }

  int16(): number {
    return this.buf.readInt16BE(this.take(2, 'int16'));
  }

  int32(): number {
    return this.buf.readInt32BE(this.take(4, 'int32'));
  }

  uint32(): number {
    return this.buf.readUInt32BE(this.take(4, 'uint32'));
  }

  /** int64 over its full range. */
  bigInt64(): bigint {
    return this.buf.readBigInt64BE(this.take(8, 'int64'));
  }

  /** int64 as a number; CorruptRecordError beyond +-(2^53 - 1). */
  int64(what = 'int64'): number {
    const at = this.take(8, what);
    const high = this.buf.readInt32BE(at);
    const value = high * TWO_POW_32 + this.buf.readUInt32BE(at + 4);
    // |high| < 2^21 keeps the sum exact, so the safe-integer test sees the true value.
    if (high < -(2 ** 21) || high >= 2 ** 21 || !Number.isSafeInteger(value)) {
      throw new CorruptRecordError(`${what} at byte ${at} is beyond the safe integer range`, {
        details: { at, value: this.buf.readBigInt64BE(at).toString() },
      });
    }
    return value;
  }

  varint(what = 'varint'): number {
    const start = this.pos;
    let u = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw this.truncated(what, start);
      const b = this.buf[this.pos++]!;
      // The fifth byte holds bits 28-31; anything above is a value wider than 32 bits.
      if (i === 4 && b > 0x0f) break;
      u |= (b & 0x7f) << (7 * i);
      if (b < 0x80) return (u >>> 1) ^ -(u & 1);
    }
    throw new CorruptRecordError(`over-long ${what} at byte ${start}: more than 32 bits`, {
      details: { at: start },
    });
  }

  varlong(what = 'varlong'): number {
    const start = this.pos;
    // Bits 0-27 go to `low` (exact int32 arithmetic), the rest to `high` (exact float
    // arithmetic while below 2^53); the zigzag decode then never forms an inexact value.
    let low = 0;
    let high = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.truncated(what, start);
      const b = this.buf[this.pos++]!;
      if (i < 4) low |= (b & 0x7f) << (7 * i);
      else high += (b & 0x7f) * 2 ** (7 * (i - 4));
      if (b < 0x80) {
        // zigzag(v) < 2^54 for every safe v, so high >= 2^26 can only be out of range.
        const value = high < 2 ** 26
          ? low & 1
            ? -((low >>> 1) + 1 + high * TWO_POW_27)
            : (low >>> 1) + high * TWO_POW_27
          : Number.NaN;
        if (!Number.isSafeInteger(value)) {
          throw new CorruptRecordError(`${what} at byte ${start} is beyond the safe integer range`, {
            details: { at: start },
          });
        }
        return value;
      }
    }
    throw new CorruptRecordError(`over-long ${what} at byte ${start}: more than 10 bytes`, {
      details: { at: start },
    });
  }

  /** The next `length` bytes, as a view into the input. */
  bytes(length: number, what = 'bytes'): Buffer {
    const at = this.take(length, what);
    return this.buf.subarray(at, at + length);
  }

  private truncated(what: string, start: number): CorruptRecordError {
    return new CorruptRecordError(`truncated ${what} at byte ${start}`, { details: { at: start } });
  }
}
