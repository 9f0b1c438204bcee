/** stdin as lines of bytes, and Kafka's console-producer line format (key, separator, value). */
import { InputError, UsageError } from './errors.ts';

const newline = 0x0a;
const carriageReturn = 0x0d;

/**
 * Splits a byte stream into lines (`\n`, with a `\r` before it dropped; a last line
 * without `\n` still counts). Pulls a chunk only when its lines are used up, so a slow
 * sender holds the stream back instead of buffering it. One `next()` at a time.
 */
export class LineReader {
  private readonly chunks: AsyncIterator<Buffer | string>;
  private lines: Buffer[] = [];
  private index = 0;
  private rest: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(source: AsyncIterable<Buffer | string>) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /** The next line, or undefined at the end of the stream. */
  async next(): Promise<Buffer | undefined> {
    while (this.index >= this.lines.length) {
      if (this.ended) return undefined;
      const chunk = await this.chunks.next();
      this.lines = [];
      this.index = 0;
      if (chunk.done) {
        this.ended = true;
        if (this.rest.length > 0) this.lines.push(dropCarriageReturn(this.rest));
        this.rest = Buffer.alloc(0);
      } else {
        this.split(typeof chunk.value === 'string' ? Buffer.from(chunk.value) : chunk.value);
      }
    }
    return this.lines[this.index++];
  }

  private split(chunk: Buffer): void {
    const data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    for (let end = data.indexOf(newline); end >= 0; end = data.indexOf(newline, start)) {
      this.lines.push(dropCarriageReturn(data.subarray(start, end)));
      start = end + 1;
    }
    // Copy the tail so a long-lived partial line does not pin the whole chunk.
    this.rest = Buffer.from(data.subarray(start));
  }
}

function dropCarriageReturn(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === carriageReturn ? line.subarray(0, -1) : line;
}

/** How a line becomes a record, from --key-separator or `--property parse.key/key.separator/null.marker`. */
export interface LineFormat {
  /** Set when lines carry a key: the text before its first occurrence. */
  readonly keySeparator?: string | undefined;
  /** A key or value equal to this is sent as null (a null value is a tombstone). */
  readonly nullMarker?: string | undefined;
}

export interface ParsedLine {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Splits one line into key and value; a keyed format and a line without its separator is an InputError. */
export function parseLine(line: Buffer, lineNumber: number, format: LineFormat): ParsedLine {
  const { keySeparator, nullMarker } = format;
  const orNull = (bytes: Buffer): Buffer | null =>
    nullMarker !== undefined && bytes.equals(Buffer.from(nullMarker)) ? null : bytes;
  if (keySeparator === undefined) return { key: null, value: orNull(line) };
  const at = line.indexOf(keySeparator);
  if (at < 0) throw new InputError(`line ${lineNumber}: no key separator ${JSON.stringify(keySeparator)} found`);
  return {
    key: orNull(line.subarray(0, at)),
    value: orNull(line.subarray(at + Buffer.byteLength(keySeparator))),
  };
}

/**
 * The line format from the producer's flags: `--key-separator S` alone turns key parsing
 * on; `parse.key=true` uses `key.separator` or Kafka's default, a tab.
 */
export function lineFormatFrom(
  keySeparatorFlag: string | undefined,
  parseKey: boolean | undefined,
  keySeparatorProperty: string | undefined,
  nullMarker: string | undefined,
): LineFormat {
  if (keySeparatorFlag !== undefined && keySeparatorProperty !== undefined && keySeparatorFlag !== keySeparatorProperty) {
    throw new UsageError('--key-separator and --property key.separator disagree; give one');
  }
  const separator = keySeparatorFlag ?? keySeparatorProperty ?? '\t';
  const keyed = parseKey ?? keySeparatorFlag !== undefined;
  if (keyed && separator === '') throw new UsageError('the key separator must not be empty');
  return { keySeparator: keyed ? separator : undefined, nullMarker };
}
