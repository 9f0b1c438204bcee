/**
 * `sluice trigger`: runs the dispatcher that delivers a topic to a handler module, in this
 * process, with the event and context Lambda would give it, until Ctrl-C. The same
 * dispatcher runs on AWS as a Lambda function (SluiceTrigger); this is how a function is
 * tried against `sluice local` first.
 */
import { Dispatcher } from '../trigger/dispatcher.ts';
import { TopicDestination } from '../trigger/destinations.ts';
import { loadLocalFunction } from '../trigger/local-function.ts';
import { ConfigError } from '../core/errors.ts';
import type { FilterPattern } from '../core/event-filter.ts';
import type { StartingPosition } from '../core/trigger-config.ts';
import { commonHelp, parseFlags, parseIntFlag, required, resolveEndpoints, sluiceFor, type CommandSpec } from './args.ts';
import { UsageError } from './errors.ts';
import { parseDatetime } from './groups.ts';
import { untilInterrupted, type CliIo, type Output } from './io.ts';

export const triggerHelp = `Usage: sluice trigger --topic T --group G --handler ./handler.mjs[#export]
                      [--batch-size N] [--batching-window-ms N] [--starting-position P]
                      [--max-retries N] [--max-record-age-ms N] [--bisect]
                      [--dlq-topic T] [--timeout-ms N] [--filter PATTERN ...]

Delivers the topic's records to the handler in batches, as Lambda's Kafka event source
mapping does (the same event, a Lambda-shaped context), as a member of consumer group G:
each partition in order, committed after each success, until Ctrl-C.
  --topic T              topic to read (required)
  --group G              consumer group (required); dispatchers in one group share partitions
  --handler PATH[#NAME]  module and export to invoke (default export name: handler)
  --batch-size N         most records per invocation, 1..10000 (default 100)
  --batching-window-ms N longest wait for a batch to fill, 0..300000 (default 500)
  --starting-position P  earliest, latest (default) or an ISO 8601 time, for partitions
                         the group has no offset for
  --max-retries N        retries of a failed batch, -1 without end (default -1; 10 with
                         --dlq-topic)
  --max-record-age-ms N  send records older than N ms (60000..604800000) to the DLQ
                         instead (default -1: any age)
  --bisect               split a failed batch in two and retry each half
  --dlq-topic T          produce records that still fail to T, with the failure in
                         sluice.dlq.* headers
  --timeout-ms N         the function's timeout (default 60000)
  --filter PATTERN       deliver only records whose value a pattern matches (Lambda's
                         filter criteria, e.g. '{"value":{"type":["order"]}}'); the others
                         are committed without delivery; repeat for more patterns
${commonHelp}
`;

const options = {
  topic: { type: 'string' },
  group: { type: 'string' },
  handler: { type: 'string' },
  'batch-size': { type: 'string' },
  'batching-window-ms': { type: 'string' },
  'starting-position': { type: 'string' },
  'max-retries': { type: 'string' },
  'max-record-age-ms': { type: 'string' },
  bisect: { type: 'boolean' },
  'dlq-topic': { type: 'string' },
  'timeout-ms': { type: 'string' },
  filter: { type: 'string', multiple: true },
} as const;

export const triggerSpec: CommandSpec = { options, help: triggerHelp };

export async function triggerCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    await out.write(triggerHelp);
    return 0;
  }
  const flags = parseFlags(argv, options, 'trigger');
  const topic = required('topic', flags.topic);
  const group = required('group', flags.group);
  const int = (flag: keyof typeof options, min: number, max: number): number | undefined => {
    const value = flags[flag];
    return typeof value === 'string' ? parseIntFlag(`--${flag}`, value, min, max) : undefined;
  };
  const retries = int('max-retries', -1, 10_000);
  const age = int('max-record-age-ms', -1, 604_800_000);
  const batchSize = int('batch-size', 1, 10_000);
  const window = int('batching-window-ms', 0, 300_000);
  const timeoutMs = int('timeout-ms', 1, 900_000) ?? 60_000;
  const target = await loadLocalFunction(required('handler', flags.handler), { cwd: process.cwd(), timeoutMs });
  const sluice = await sluiceFor(flags, io);
  const dlqTopic = flags['dlq-topic'];
  // A DLQ topic that is not there would fail every give-up, and the partition would never move on.
  if (dlqTopic !== undefined) await sluice.client.describeTopic(dlqTopic);
  const destination = dlqTopic === undefined ? undefined : new TopicDestination(sluice, dlqTopic);
  let dispatcher: Dispatcher;
  let crashed: ((error: Error) => void) | undefined;
  const crash = new Promise<never>((_, reject) => (crashed = reject));
  crash.catch(() => undefined);
  try {
    dispatcher = new Dispatcher(
      sluice,
      {
        topic,
        group,
        startingPosition: startingPosition(flags['starting-position']),
        bisectBatchOnFunctionError: flags.bisect ?? false,
        bootstrapServers: resolveEndpoints(flags, io.env).join(','),
        ...(batchSize === undefined ? {} : { batchSize }),
        ...(window === undefined ? {} : { batchingWindowMs: window }),
        ...(retries === undefined ? {} : { maxRetryAttempts: retries }),
        ...(age === undefined ? {} : { maxRecordAgeMs: age }),
        ...(flags.filter === undefined ? {} : { filters: flags.filter.map(parseFilter) }),
      },
      target,
      destination,
      {
        invoked: (o) => {
          const first = o.records[0]!;
          const range = `${first.topic}-${first.partition} ${first.offset}..${o.records.at(-1)!.offset} (${o.records.length})`;
          const result = o.error !== undefined ? `failed: ${o.error}` : o.failedOffset !== undefined ? `failed from offset ${o.failedOffset}` : 'ok';
          void out.line(`${range} attempt ${o.attempt}: ${result}`).catch(() => undefined);
        },
        batchFailed: (t, p, error) => {
          void out.line(`${t}-${p}: batch failed, will be retried: ${error instanceof Error ? error.message : String(error)}`).catch(() => undefined);
        },
        crashed: (error) => crashed?.(error),
        gaveUp: (f, to) => {
          const first = f.records[0]!;
          void out.line(`${first.topic}-${first.partition}: ${f.records.length} record(s) from offset ${first.offset} ${to === undefined ? 'skipped' : `sent to ${to}`} (${f.reason})`).catch(() => undefined);
        },
      },
    );
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message, 'trigger');
    throw error;
  }
  try {
    await dispatcher.start();
    await out.line(`delivering ${topic} to ${target.name} as group ${group} (Ctrl-C to stop)`);
    // Until Ctrl-C, or until the consumer stops for good (its reason is the exit's).
    await Promise.race([untilInterrupted(io.signal), crash]);
  } finally {
    await dispatcher.stop();
    await destination?.close();
  }
  return 0;
}

function parseFilter(text: string): FilterPattern {
  try {
    return JSON.parse(text) as FilterPattern;
  } catch {
    throw new UsageError(`--filter must be a JSON pattern like '{"value":{"type":["order"]}}', not '${text}'`, 'trigger');
  }
}

function startingPosition(value: string | undefined): StartingPosition | undefined {
  if (value === undefined || value === 'earliest' || value === 'latest') return value;
  return { timestamp: parseDatetime(value, '--starting-position') };
}
