/** `sluice consume`: print a topic's records, like kafka-console-consumer. */
import type { PartitionDescription, SluiceClient } from '../client/client.ts';
import { RemoteError } from '../client/errors.ts';
import { booleanProperty, clientFor, commonHelp, parseFlags, parseIntFlag, parseProperties, required, sluiceFor, type CommandSpec } from './args.ts';
import { consumeAsGroupMember } from './consume-group.ts';
import { stopper, type Run } from './console-run.ts';
import { OutputClosedError, UsageError } from './errors.ts';
import type { CliIo, Output } from './io.ts';
import { decodeRecord, defaultTextFormat, formatJson, formatText, type ConsumedRecord, type TextFormat } from './format.ts';

export const consumeHelp = `Usage: sluice consume --topic T [--group G] [--partition P] [--offset N|earliest|latest]
                      [--from-beginning] [--max-messages N] [--timeout-ms MS]
                      [--print-key] [--json] [--property k=v ...]

Prints records as they arrive (long polls), from every partition unless --partition is
given, until --max-messages, --timeout-ms without a new record, or Ctrl-C.
  --topic T              topic name (required)
  --group G              read as a member of consumer group G: partitions are shared with
                         its other members; on exit it commits what it printed, or where
                         it started on partitions it printed nothing from
  --partition P          read only partition P
  --offset N|earliest|latest
                         where to start (default latest; a number needs --partition;
                         -1 is latest and -2 earliest, as in Kafka)
  --from-beginning       start at the earliest offset
  --max-messages N       stop after N records (0: with --group, only join and commit
                         the start positions)
  --timeout-ms MS        stop when no record arrives for MS milliseconds
  --print-key            print KEY<TAB>VALUE
  --json                 one JSON object per line: topic, partition, offset,
                         timestamp, key, value, headers
  --property k=v         Kafka console-consumer properties: print.key, print.value,
                         print.timestamp, print.offset, print.partition, print.headers
                         (true|false), key.separator, line.separator,
                         headers.separator, headers.key.separator, null.literal
${commonHelp}
`;

const options = {
  topic: { type: 'string' },
  group: { type: 'string' },
  partition: { type: 'string' },
  offset: { type: 'string' },
  'from-beginning': { type: 'boolean' },
  'max-messages': { type: 'string' },
  'timeout-ms': { type: 'string' },
  'print-key': { type: 'boolean' },
  json: { type: 'boolean' },
  property: { type: 'string', multiple: true },
} as const;

export const consumeSpec: CommandSpec = { options, help: consumeHelp };

const knownProperties = [
  'print.key',
  'print.value',
  'print.timestamp',
  'print.offset',
  'print.partition',
  'print.headers',
  'key.separator',
  'line.separator',
  'headers.separator',
  'headers.key.separator',
  'null.literal',
] as const;

/** Long-poll time per fetch; the server caps it (20 s by default). */
const pollWaitMs = 10_000;
const maxRecordsPerFetch = 500;

type Start = 'earliest' | 'latest' | number;

export async function consumeCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    await out.write(consumeHelp);
    return 0;
  }
  const flags = parseFlags(argv, options, 'consume');
  const topic = required('topic', flags.topic);
  const partition = flags.partition === undefined ? undefined : parseIntFlag('--partition', flags.partition);
  const start = startFrom(flags.offset, flags['from-beginning'] ?? false, partition);
  const maxMessages = flags['max-messages'] === undefined ? Infinity : parseIntFlag('--max-messages', flags['max-messages'], 0);
  const timeoutMs = flags['timeout-ms'] === undefined ? undefined : parseIntFlag('--timeout-ms', flags['timeout-ms'], 1);
  const format = textFormatFrom(parseProperties(flags.property, knownProperties), flags['print-key'] ?? false);
  const render = flags.json ? (r: ConsumedRecord) => formatJson(r) : (r: ConsumedRecord) => formatText(r, format);
  if (flags.group !== undefined) {
    // As kafka-console-consumer: a group member reads the partitions the group gives it.
    if (partition !== undefined || flags.offset !== undefined) throw new UsageError('--group cannot be combined with --partition or --offset', 'consume');
    const sluice = await sluiceFor(flags, io);
    const group = flags.group;
    const count = await consumeAsGroupMember({ sluice, group, topic, fromBeginning: flags['from-beginning'] ?? false, maxMessages, timeoutMs, render, io, out });
    io.stderr.write(`Processed a total of ${count} messages\n`);
    return 0;
  }
  const client = await clientFor(flags, io);

  const description = await client.describeTopic(topic, { signal: io.signal });
  let partitions = description.partitions;
  if (partition !== undefined) {
    const one = partitions.find((p) => p.partition === partition);
    if (!one) throw new UsageError(`--partition ${partition} does not exist (topic '${topic}' has ${partitions.length})`);
    partitions = [one];
  }

  const count = maxMessages === 0 ? 0 : await consumePartitions(client, topic, partitions, start, { maxMessages, timeoutMs, render, io, out });
  io.stderr.write(`Processed a total of ${count} messages\n`);
  return 0;
}

/** --offset / --from-beginning as a start position; Kafka's rules for combining them. */
export function startFrom(offset: string | undefined, fromBeginning: boolean, partition: number | undefined): Start {
  if (offset !== undefined && fromBeginning) throw new UsageError('give --offset or --from-beginning, not both');
  if (fromBeginning) return 'earliest';
  // -1 and -2 are Kafka's (and kafkajs's seek's) codes for the log end and start.
  if (offset === undefined || offset === 'latest' || offset.trim() === '-1') return 'latest';
  if (offset === 'earliest' || offset.trim() === '-2') return 'earliest';
  const number = parseIntFlag('--offset', offset);
  if (partition === undefined) throw new UsageError('--offset N needs --partition');
  return number;
}

/** The text format from --print-key and `--property` entries. */
export function textFormatFrom(properties: ReadonlyMap<string, string>, printKey: boolean): TextFormat {
  const d = defaultTextFormat;
  return {
    printTimestamp: booleanProperty(properties, 'print.timestamp', d.printTimestamp),
    printPartition: booleanProperty(properties, 'print.partition', d.printPartition),
    printOffset: booleanProperty(properties, 'print.offset', d.printOffset),
    printHeaders: booleanProperty(properties, 'print.headers', d.printHeaders),
    printKey: booleanProperty(properties, 'print.key', printKey),
    printValue: booleanProperty(properties, 'print.value', d.printValue),
    keySeparator: properties.get('key.separator') ?? d.keySeparator,
    lineSeparator: properties.get('line.separator') ?? d.lineSeparator,
    headersSeparator: properties.get('headers.separator') ?? d.headersSeparator,
    headersKeySeparator: properties.get('headers.key.separator') ?? d.headersKeySeparator,
    nullLiteral: properties.get('null.literal') ?? d.nullLiteral,
  };
}


/**
 * One long-poll loop per partition, all stopped together by the message limit, the idle
 * timeout, Ctrl-C or the first error. Per partition, records print in offset order.
 * Returns how many records were printed.
 */
async function consumePartitions(
  client: SluiceClient,
  topic: string,
  partitions: readonly PartitionDescription[],
  start: Start,
  run: Run,
): Promise<number> {
  const { stop, resetIdle, dispose } = stopper(run);
  let count = 0;

  const poll = async (bounds: PartitionDescription): Promise<void> => {
    let offset = start === 'earliest' ? bounds.logStartOffset : start === 'latest' ? bounds.highWatermark : start;
    while (!stop.signal.aborted && count < run.maxMessages) {
      let answer;
      try {
        answer = await client.fetchRecords(
          topic,
          bounds.partition,
          { offset, waitMs: pollWaitMs, encoding: 'base64', maxRecords: Math.min(maxRecordsPerFetch, run.maxMessages - count) },
          { signal: stop.signal },
        );
      } catch (error) {
        if (stop.signal.aborted) return;
        const reset = outOfRangeReset(error, offset);
        if (reset === undefined || reset === offset) throw error;
        run.io.stderr.write(`sluice: partition ${bounds.partition}: offset ${offset} is out of range, continuing at ${reset}\n`);
        offset = reset;
        continue;
      }
      for (const fetched of answer.records) {
        if (count >= run.maxMessages || stop.signal.aborted) break;
        count++;
        resetIdle();
        await run.out.write(run.render(decodeRecord(topic, bounds.partition, fetched)));
        offset = fetched.offset + 1;
      }
      if (count >= run.maxMessages) stop.abort();
      else if (!stop.signal.aborted) offset = Math.max(offset, answer.nextOffset);
    }
  };

  resetIdle();
  try {
    const results = await Promise.allSettled(
      partitions.map((bounds) =>
        poll(bounds).catch((error: unknown) => {
          stop.abort();
          throw error;
        }),
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // A reader that went away (`| head`) ends the run; anything else is an error.
    if (failure && !(failure.reason instanceof OutputClosedError)) throw failure.reason;
    return count;
  } finally {
    dispose();
  }
}

/** Where to go on by Kafka's reset rule after a 416: the log start if behind it, else the end. */
function outOfRangeReset(error: unknown, offset: number): number | undefined {
  if (!(error instanceof RemoteError) || error.code !== 'OFFSET_OUT_OF_RANGE') return undefined;
  const { logStartOffset, highWatermark } = error.details;
  if (typeof logStartOffset !== 'number' || typeof highWatermark !== 'number') return undefined;
  return offset < logStartOffset ? logStartOffset : highWatermark;
}
