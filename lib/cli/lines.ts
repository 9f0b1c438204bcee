/** stdin as lines of bytes, and Kafka's console-producer line format (key, separator, value). */
import { InputError, UsageError } from './errors.ts';

const newline = 0x0a;
const carriageReturn = 0x0d;

/** The longest line a reader takes by default: the API's request limit (1 MiB). */
export const defaultMaxLineBytes = 1024 * 1024;

/**
 * Splits a byte stream into lines (`\n`, with a `\r` before it dropped; a last line
 * without `\n` still counts). Pulls a chunk only when its lines are used up, so a slow
 * sender holds the stream back instead of buffering it. One `next()` at a time.
 *
 * A line longer than `maxLineBytes` is an InputError as soon as that many bytes without a
 * newline have arrived: the reader holds at most one line, and each byte is looked at and
 * copied a bounded number of times, so a 100 MB line without a newline costs linear time
 * and at most `maxLineBytes` of memory before it is refused.
 */
export class LineReader {
  private readonly chunks: AsyncIterator<Buffer | string>;
  private lines: Buffer[] = [];
  private index = 0;
  /** The start of a line whose newline has not arrived yet, in pieces (joined once, at its end). */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private ended = false;
  /** Lines handed out, for error messages. */
  private lineNumber = 0;
  private tooLong: LineTooLongError | undefined;

  constructor(
    source: AsyncIterable<Buffer | string>,
    private readonly maxLineBytes = defaultMaxLineBytes,
  ) {
    this.chunks = source[Symbol.asyncIterator]();
  }

  /** The next line, or undefined at the end of the stream; a LineTooLongError after the lines before a long one. */
  async next(): Promise<Buffer | undefined> {
    while (this.index >= this.lines.length) {
      if (this.tooLong) throw this.tooLong;
      if (this.ended) return undefined;
      const chunk = await this.chunks.next();
      this.lines = [];
      this.index = 0;
      if (chunk.done) {
        this.ended = true;
        if (this.partialBytes > 0) this.lines.push(dropCarriageReturn(this.takePartial()));
      } else {
        this.split(typeof chunk.value === 'string' ? Buffer.from(chunk.value) : chunk.value);
      }
    }
    this.lineNumber++;
    return this.lines[this.index++];
  }

  private split(chunk: Buffer): void {
    let start = 0;
    for (let end = chunk.indexOf(newline); end >= 0; end = chunk.indexOf(newline, start)) {
      const crlf = end > start ? chunk[end - 1] === carriageReturn : this.partialBytes > 0 && this.lastPartialByte() === carriageReturn;
      // The limit counts the line's bytes without its line ending.
      if (!this.fits(this.partialBytes + end - start - (crlf ? 1 : 0))) return;
      const piece = chunk.subarray(start, end);
      this.lines.push(dropCarriageReturn(this.partialBytes > 0 ? Buffer.concat([this.takePartial(), piece]) : piece));
      start = end + 1;
    }
    if (start < chunk.length) {
      // A trailing \r may be half of a line ending: it does not count yet.
      if (!this.fits(this.partialBytes + chunk.length - start - (chunk[chunk.length - 1] === carriageReturn ? 1 : 0))) return;
      // Copied so a long-lived partial line does not pin the whole chunk.
      this.partial.push(Buffer.from(chunk.subarray(start)));
      this.partialBytes += chunk.length - start;
    }
  }

  private lastPartialByte(): number | undefined {
    const last = this.partial[this.partial.length - 1];
    return last?.[last.length - 1];
  }

  private takePartial(): Buffer {
    const joined = this.partial.length === 1 ? this.partial[0]! : Buffer.concat(this.partial, this.partialBytes);
    this.partial = [];
    this.partialBytes = 0;
    return joined;
  }

  /** False (and the reader is done after the lines split so far) when a line of `bytes` is too long. */
  private fits(bytes: number): boolean {
    if (bytes <= this.maxLineBytes) return true;
    this.partial = [];
    this.partialBytes = 0;
    this.tooLong = new LineTooLongError(this.lineNumber + this.lines.length + 1, this.maxLineBytes);
    return false;
  }
}

/** A line past the reader's limit; the lines before it were handed out (or are still to be). */
export class LineTooLongError extends InputError {
  constructor(
    readonly lineNumber: number,
    readonly maxLineBytes: number,
  ) {
    super(`line ${lineNumber} is longer than ${maxLineBytes} bytes (the limit; see --max-line-bytes)`);
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
