/**
 * The protocol's primitives on the wire, read with every bound checked and written into
 * chunks so a large record blob is never copied until the final concat.
 *
 *   int8, int16, int32, int64 => big-endian two's complement
 *   uint16                    => big-endian unsigned
 *   float64                   => IEEE 754 double, big-endian
 *   uuid                      => 16 bytes
 *   uvarint                   => unsigned, 7 bits a byte, low group first, high bit = "more";
 *                                at most 5 bytes (32 bits), as Kafka's ByteUtils reads it
 *
 * Reader throws ProtocolError before any Buffer method could throw its own RangeError.
 * Writer trusts its caller (the codec validates every value first).
 */
import { ProtocolError } from './errors.ts';

export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Claims the next `bytes` bytes and returns where they start. */
  take(bytes: number, what: string): number {
    if (bytes > this.end - this.pos) {
      throw new ProtocolError(`truncated at byte ${this.pos}: ${what} needs ${bytes} bytes, ${this.end - this.pos} left`);
    }
    const at = this.pos;
    this.pos += bytes;
    return at;
  }

  int8(what: string): number {
    return this.buf.readInt8(this.take(1, what));
  }

  int16(what: string): number {
    return this.buf.readInt16BE(this.take(2, what));
  }

  int32(what: string): number {
    return this.buf.readInt32BE(this.take(4, what));
  }

  int64(what: string): bigint {
    return this.buf.readBigInt64BE(this.take(8, what));
  }

  uint16(what: string): number {
    return this.buf.readUInt16BE(this.take(2, what));
  }

  float64(what: string): number {
    return this.buf.readDoubleBE(this.take(8, what));
  }

  uvarint(what: string): number {
    const start = this.pos;
    let value = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new ProtocolError(`truncated at byte ${start}: ${what} varint`);
      const b = this.buf[this.pos++]!;
      // The fifth byte holds bits 28-31; anything above is wider than 32 bits.
      if (i === 4 && b > 0x0f) break;
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return value;
    }
    throw new ProtocolError(`${what} varint at byte ${start} is longer than 32 bits`);
  }
}

/** Grows by whole chunks; blobs above a few hundred bytes are kept by reference. */
export class Writer {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  private start = 0; // first byte of `buf` not yet moved to `chunks`
  private pos = 0;
  private total = 0; // bytes in `chunks`

  constructor(capacity = 256) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    this.cut();
    this.buf = Buffer.allocUnsafe(Math.max(bytes, Math.min(this.buf.length * 2, 1 << 20)));
    this.start = this.pos = 0;
  }

  private cut(): void {
    if (this.pos === this.start) return;
    this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.total += this.pos - this.start;
    this.start = this.pos;
  }

  int8(value: number): void {
    this.room(1);
    this.pos = this.buf.writeInt8(value, this.pos);
  }

  int16(value: number): void {
    this.room(2);
    this.pos = this.buf.writeInt16BE(value, this.pos);
  }

  int32(value: number): void {
    this.room(4);
    this.pos = this.buf.writeInt32BE(value, this.pos);
  }

  int64(value: bigint): void {
    this.room(8);
    this.pos = this.buf.writeBigInt64BE(value, this.pos);
  }

  uint16(value: number): void {
    this.room(2);
    this.pos = this.buf.writeUInt16BE(value, this.pos);
  }

  float64(value: number): void {
    this.room(8);
    this.pos = this.buf.writeDoubleBE(value, this.pos);
  }

  /** `value` in [0, 2^32). */
  uvarint(value: number): void {
    this.room(5);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  /** `byteLength` must be Buffer.byteLength(text, encoding). */
  text(text: string, byteLength: number, encoding: 'utf8' | 'hex'): void {
    this.room(byteLength);
    this.pos += this.buf.write(text, this.pos, byteLength, encoding);
  }

  raw(data: Uint8Array): void {
    if (data.length >= 512) {
      this.cut();
      this.chunks.push(Buffer.from(data.buffer, data.byteOffset, data.length));
      this.total += data.length;
      return;
    }
    this.room(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  finish(): Buffer {
    this.cut();
    return this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.total);
  }
}
