/** `sluice produce`: stdin lines to records, like kafka-console-producer. */
import { isUtf8 } from 'node:buffer';
import { compressionCodecs, type CompressionTypes } from '../client/messages.ts';
import type { Producer } from '../client/producer.ts';
import type { Message } from '../client/producer-types.ts';
import { booleanProperty, commonHelp, parseFlags, parseIntFlag, parseProperties, required, sluiceFor, type CommandSpec } from './args.ts';
import { InputError, UsageError } from './errors.ts';
import type { CliIo, Output } from './io.ts';
import { defaultMaxLineBytes, LineReader, lineFormatFrom, parseLine, type LineFormat, type ParsedLine } from './lines.ts';

export const produceHelp = `Usage: sluice produce --topic T [--partition P] [--key-separator S] [--compression-codec C]

Sends each line of stdin as one record, in order. Lines are batched (up to 500 lines or
512 KiB per request, or whatever arrived within --linger-ms) and each request is sent
only after the previous one is acknowledged. The producer is idempotent, as Kafka's is
by default: a request that failed for a passing reason (429, 5xx, no answer) is sent
again and still lands once.
  --topic T              topic name (required)
  --partition P          send every record to partition P (default: by key hash)
  --key-separator S      each line is KEY S VALUE, split at the first S; a line
                         without S is an error
  --property k=v         Kafka console-producer properties: parse.key=true,
                         key.separator=S (default tab), null.marker=M (M is sent as null)
  --linger-ms MS         wait this long for more lines before sending (default 50)
  --compression-codec C  store the batches compressed with C: none, gzip, snappy, lz4
                         or zstd (default none; the flag alone means gzip, as in
                         Kafka); a topic whose compression.type names a codec overrides it
  --max-line-bytes N     refuse a line longer than N bytes (default 1048576, the
                         API's request limit); also --property max.line.bytes=N
${commonHelp}
`;

export const maxBatchLines = 500;
export const maxBatchBytes = 512 * 1024;
const defaultLingerMs = 50;
/** Per-record allowance for JSON field names and punctuation in the batch size estimate. */
const recordOverheadBytes = 32;

const options = {
  topic: { type: 'string' },
  partition: { type: 'string' },
  'key-separator': { type: 'string' },
  property: { type: 'string', multiple: true },
  'linger-ms': { type: 'string' },
  'max-line-bytes': { type: 'string' },
  'compression-codec': { type: 'string' },
} as const;

export const produceSpec: CommandSpec = { options, help: produceHelp };

const knownProperties = ['parse.key', 'key.separator', 'null.marker', 'max.line.bytes'] as const;

export async function produceCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    await out.write(produceHelp);
    return 0;
  }
  const flags = parseFlags(bareCompressionCodec(argv), options, 'produce');
  const topic = required('topic', flags.topic);
  const partition = flags.partition === undefined ? undefined : parseIntFlag('--partition', flags.partition);
  const lingerMs = flags['linger-ms'] === undefined ? defaultLingerMs : parseIntFlag('--linger-ms', flags['linger-ms'], 0, 60_000);
  const properties = parseProperties(flags.property, knownProperties);
  const format = lineFormatFrom(
    flags['key-separator'],
    properties.has('parse.key') ? booleanProperty(properties, 'parse.key', false) : undefined,
    properties.get('key.separator'),
    properties.get('null.marker'),
  );
  const maxLineBytes = maxLineBytesFrom(flags['max-line-bytes'], properties.get('max.line.bytes'));
  const compression = compressionFrom(flags['compression-codec']);
  const sluice = await sluiceFor(flags, io);

  // Fail before the user types anything if the topic or partition is wrong.
  const description = await sluice.client.describeTopic(topic, { signal: io.signal });
  if (partition !== undefined && partition >= description.partitions.length) {
    throw new UsageError(`--partition ${partition} does not exist (topic '${topic}' has ${description.partitions.length})`);
  }
  // The CLI batches and holds one request in flight itself; the SDK adds idempotence and retries.
  const producer = sluice.producer({ linger: 0, compression });
  await producer.connect();
  try {
    await sendLines(producer, topic, partition, format, lingerMs, maxLineBytes, io);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return 0;
}

/** --max-line-bytes or `--property max.line.bytes`, at most the API's 6 MiB request cap. */
function maxLineBytesFrom(flag: string | undefined, property: string | undefined): number {
  if (flag !== undefined && property !== undefined && flag.trim() !== property.trim()) {
    throw new UsageError('--max-line-bytes and --property max.line.bytes disagree; give one');
  }
  const value = flag ?? property;
  return value === undefined ? defaultMaxLineBytes : parseIntFlag('--max-line-bytes', value, 1, 6 * 1024 * 1024);
}

/** Kafka's console producer reads a bare `--compression-codec` (last, or before another flag) as gzip. */
export function bareCompressionCodec(argv: readonly string[]): string[] {
  return argv.map((arg, i) => (arg === '--compression-codec' && (i === argv.length - 1 || argv[i + 1]!.startsWith('--')) ? '--compression-codec=gzip' : arg));
}

/** A --compression-codec name as the SDK's CompressionTypes number; none when not given. */
export function compressionFrom(codec: string | undefined): CompressionTypes {
  if (codec === undefined) return 0;
  const type = compressionCodecs.indexOf(codec.trim().toLowerCase() as (typeof compressionCodecs)[number]);
  if (type < 0) throw new UsageError(`--compression-codec must be one of ${compressionCodecs.join(', ')}, not '${codec}'`);
  return type as CompressionTypes;
}

const lingerExpired = Symbol('linger');
const interrupted = Symbol('interrupted');

/**
 * Reads, batches and sends. One request is in flight while the next batch fills; a full
 * batch waits for the previous acknowledgement, which holds stdin back. On SIGINT the
 * lines read so far are still sent (not aborted mid-request: that could leave the user
 * unsure what landed).
 */
async function sendLines(
  producer: Producer,
  topic: string,
  partition: number | undefined,
  format: LineFormat,
  lingerMs: number,
  maxLineBytes: number,
  io: CliIo,
): Promise<void> {
  const reader = new LineReader(io.stdin, maxLineBytes);
  const stop = interruption(io.signal);
  let batch: ParsedLine[] = [];
  let batchBytes = 0;
  let lineNumber = 0;
  let inflight: Promise<void> = Promise.resolve();
  const failed: { error?: unknown; yes: boolean } = { yes: false };
  let timer: NodeJS.Timeout | undefined;
  const linger = (): Promise<typeof lingerExpired> =>
    new Promise((resolve) => {
      timer = setTimeout(() => resolve(lingerExpired), lingerMs);
    });
  let pending: Promise<Buffer | undefined> | undefined;

  const dispatch = async (): Promise<void> => {
    await inflight;
    if (failed.yes) throw failed.error;
    if (batch.length === 0) return;
    const messages = toMessages(batch, partition);
    batch = [];
    batchBytes = 0;
    inflight = producer.send({ topic, messages }).then(
      () => undefined,
      (error: unknown) => {
        failed.yes = true;
        failed.error = error;
      },
    );
  };

  let finished = false;
  try {
    for (;;) {
      if (failed.yes) throw failed.error;
      pending ??= reader.next();
      let next: Buffer | undefined | typeof lingerExpired | typeof interrupted;
      try {
        next = await Promise.race([pending, stop.promise, ...(batch.length > 0 ? [linger()] : [])]);
      } catch (error) {
        // A line too long to take: the lines before it are sent, as with a malformed line.
        pending = undefined;
        if (error instanceof InputError) await dispatch().then(() => inflight, () => undefined);
        throw error;
      } finally {
        clearTimeout(timer);
      }
      if (next === lingerExpired) {
        await dispatch();
        continue;
      }
      if (next === interrupted) break;
      pending = undefined;
      if (next === undefined) {
        finished = true;
        break;
      }
      lineNumber++;
      let parsed: ParsedLine;
      try {
        parsed = parseLine(next, lineNumber, format);
      } catch (error) {
        // Kafka's console producer has sent the lines before a bad one; so do we.
        if (error instanceof InputError) await dispatch().then(() => inflight, () => undefined);
        throw error;
      }
      const size = (parsed.key?.length ?? 0) + (parsed.value?.length ?? 0) + recordOverheadBytes;
      // A line that would push the batch past the byte cap starts the next batch.
      if (batch.length > 0 && batchBytes + size > maxBatchBytes) await dispatch();
      batch.push(parsed);
      batchBytes += size;
      if (batch.length >= maxBatchLines || batchBytes >= maxBatchBytes) await dispatch();
    }
    await dispatch();
    await inflight;
    if (failed.yes) throw failed.error;
  } finally {
    stop.dispose();
    clearTimeout(timer);
    if (!finished) {
      // A pending read on a terminal never ends by itself; destroying stdin ends it.
      pending?.catch(() => undefined);
      io.stdin.destroy();
    }
  }
}

function interruption(signal: AbortSignal | undefined): { promise: Promise<typeof interrupted>; dispose: () => void } {
  if (!signal) return { promise: new Promise(() => undefined), dispose: () => undefined };
  let onAbort = (): void => undefined;
  const promise = new Promise<typeof interrupted>((resolve) => {
    onAbort = () => resolve(interrupted);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

/** A batch as SDK messages: text when every key and value is UTF-8, else bytes (sent as base64). */
export function toMessages(lines: readonly ParsedLine[], partition: number | undefined): Message[] {
  const text = lines.every((l) => (l.key === null || isUtf8(l.key)) && (l.value === null || isUtf8(l.value)));
  const show = (bytes: Buffer | null): string | Buffer | null => (bytes === null || !text ? bytes : bytes.toString('utf8'));
  return lines.map((line): Message => ({
    ...(line.key === null ? {} : { key: show(line.key) }),
    value: show(line.value),
    ...(partition === undefined ? {} : { partition }),
  }));
}
