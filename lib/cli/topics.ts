/** `sluice topics create|list|describe|alter|delete`, shaped like kafka-topics. */
import type { SluiceClient, TopicConfig, TopicDescription } from '../client/client.ts';
import { RemoteError } from '../client/errors.ts';
import { clientFor, commonHelp, parseFlags, parseIntFlag, required, type CommandSpec } from './args.ts';
import { InputError, UsageError } from './errors.ts';
import type { CliIo, Output } from './io.ts';
import { kafkaConfigNames } from '../core/topic-config.ts';
import { formatConfig, parseConfigEntries, parseConfigList, parseConfigNames } from './topic-config.ts';

export const topicsHelp = `Usage: sluice topics <create|list|describe|alter|delete> [options]

  create    --topic T [--partitions N] [--replication-factor N] [--config key=value ...]
            [--if-not-exists]
  list
  describe  [--topic T]   (all topics without --topic)
  alter     --topic T [--partitions N] [--config key=value ...] [--add-config k=v,...]
            [--delete-config k,...]
  delete    --topic T [--if-exists]

Config keys (Kafka or API spelling): cleanup.policy (delete|compact), retention.ms,
retention.bytes, max.message.bytes, segment.bytes, segment.ms,
delete.retention.ms.
Run 'sluice topics <command> --help' for one command's options.
`;

const topicOption = { topic: { type: 'string' } } as const;
const partitionsOption = { partitions: { type: 'string' } } as const;
const configOption = { config: { type: 'string', multiple: true } } as const;

const specs = {
  create: {
    options: { ...topicOption, ...partitionsOption, ...configOption, 'replication-factor': { type: 'string' }, 'if-not-exists': { type: 'boolean' } },
    help: `Usage: sluice topics create --topic T [--partitions N] [--config key=value ...]

Creates a topic.
  --topic T              topic name (required)
  --partitions N         partition count (default 1)
  --replication-factor N accepted for Kafka scripts and changes nothing: DynamoDB and S3
                         replicate every record across three Availability Zones of the region
  --config key=value     topic config, repeatable: cleanup.policy, retention.ms,
                         retention.bytes, max.message.bytes, segment.bytes, segment.ms,
                         delete.retention.ms (camelCase API names work too)
  --if-not-exists        succeed if the topic already exists
${commonHelp}
`,
  },
  list: {
    options: {},
    help: `Usage: sluice topics list

Prints topic names, one per line.
${commonHelp}
`,
  },
  describe: {
    options: topicOption,
    help: `Usage: sluice topics describe [--topic T]

Prints each topic's id, partition count and configs, then one line per partition with
its log start offset and high watermark. Without --topic, describes every topic.
  --topic T              topic name
${commonHelp}
`,
  },
  alter: {
    options: { ...topicOption, ...partitionsOption, ...configOption, 'add-config': { type: 'string', multiple: true }, 'delete-config': { type: 'string', multiple: true } },
    help: `Usage: sluice topics alter --topic T [--partitions N] [--config key=value ...]

Grows the partition count (it never shrinks) and/or changes config keys.
  --topic T              topic name (required)
  --partitions N         new partition count, larger than the current one
  --config key=value     config to set, repeatable (see 'sluice topics create --help')
  --add-config k=v,k=v   the same, comma-separated, as kafka-configs takes it
  --delete-config k,k    restore these keys to their defaults
${commonHelp}
`,
  },
  delete: {
    options: { ...topicOption, 'if-exists': { type: 'boolean' } },
    help: `Usage: sluice topics delete --topic T [--if-exists]

Deletes a topic and its records.
  --topic T              topic name (required)
  --if-exists            succeed if there is no such topic
${commonHelp}
`,
  },
} as const satisfies Record<string, CommandSpec>;

/** Each subcommand's flags and help (a test checks that each help names every flag). */
export const topicsSpecs: Readonly<Record<string, CommandSpec>> = specs;

export const topicCommands: readonly string[] = Object.keys(specs);

/** What --replication-factor gets for an answer: the storage services replicate. */
export const replicationNote =
  'Note: --replication-factor is not used: DynamoDB and S3 replicate every record across three Availability Zones of the region.';

/** Runs one `topics` subcommand; returns the exit code. */
export async function topicsCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await (sub === undefined ? writeTo(io.stderr, topicsHelp) : out.write(topicsHelp));
    return sub === undefined ? 2 : 0;
  }
  if (!Object.hasOwn(specs, sub)) throw new UsageError(`unknown topics command '${sub}'`, 'topics');
  const command = `topics ${sub}`;
  if (rest.includes('--help') || rest.includes('-h')) {
    await out.write(specs[sub as keyof typeof specs].help);
    return 0;
  }
  switch (sub) {
    case 'create': {
      const flags = parseFlags(rest, specs.create.options, command);
      const name = required('topic', flags.topic);
      const partitions = flags.partitions === undefined ? 1 : parseIntFlag('--partitions', flags.partitions, 1);
      if (flags['replication-factor'] !== undefined) parseIntFlag('--replication-factor', flags['replication-factor'], 1, 32767);
      const config = parseConfigEntries(flags.config);
      const client = await clientFor(flags, io);
      try {
        await client.createTopic({ name, partitions, ...(Object.keys(config).length > 0 ? { config } : {}) }, { signal: io.signal });
      } catch (error) {
        if (flags['if-not-exists'] && error instanceof RemoteError && error.code === 'TOPIC_EXISTS') return 0;
        throw error;
      }
      await out.line(`Created topic ${name}.`);
      if (flags['replication-factor'] !== undefined) await out.line(replicationNote);
      return 0;
    }
    case 'list': {
      const flags = parseFlags(rest, specs.list.options, command);
      const { topics } = await (await clientFor(flags, io)).listTopics({ signal: io.signal });
      for (const name of topics.map((t) => t.name).sort()) await out.line(name);
      return 0;
    }
    case 'describe': {
      const flags = parseFlags(rest, specs.describe.options, command);
      const client = await clientFor(flags, io);
      const names = flags.topic !== undefined ? [flags.topic] : await allTopicNames(client, io.signal);
      for (const name of names) {
        const description = await client.describeTopic(name, { signal: io.signal });
        await out.write(formatDescription(description));
      }
      return 0;
    }
    case 'alter': {
      const flags = parseFlags(rest, specs.alter.options, command);
      const name = required('topic', flags.topic);
      const partitions = flags.partitions === undefined ? undefined : parseIntFlag('--partitions', flags.partitions, 1);
      const config = alteredConfig(flags.config, flags['add-config'], flags['delete-config']);
      if (partitions === undefined && Object.keys(config).length === 0) {
        throw new UsageError('nothing to alter: give --partitions, --config, --add-config and/or --delete-config');
      }
      const client = await clientFor(flags, io);
      if (partitions !== undefined) {
        // Kafka refuses a count that does not grow the topic; so does the API, but saying
        // why here needs no round trip through an error.
        const current = (await client.describeTopic(name, { signal: io.signal })).partitions.length;
        if (partitions <= current) {
          throw new InputError(`topic '${name}' has ${current} partition(s); --partitions must be larger (partitions only grow), not ${partitions}`);
        }
      }
      await client.alterTopic(
        name,
        { ...(partitions === undefined ? {} : { partitions }), ...(Object.keys(config).length > 0 ? { config } : {}) },
        { signal: io.signal },
      );
      await out.line(`Altered topic ${name}.`);
      return 0;
    }
    case 'delete': {
      const flags = parseFlags(rest, specs.delete.options, command);
      const name = required('topic', flags.topic);
      try {
        await (await clientFor(flags, io)).deleteTopic(name, { signal: io.signal });
      } catch (error) {
        if (flags['if-exists'] && error instanceof RemoteError && error.code === 'TOPIC_NOT_FOUND') return 0;
        throw error;
      }
      await out.line(`Deleted topic ${name}.`);
      return 0;
    }
  }
  throw new UsageError(`unknown topics command '${sub}'`, 'topics');
}

/** --config, --add-config and --delete-config as one config change; a key in two of them is refused. */
function alteredConfig(set: readonly string[] | undefined, add: readonly string[] | undefined, remove: readonly string[] | undefined): Partial<TopicConfig> {
  const config = parseConfigEntries([...(set ?? []), ...parseConfigList(add)]);
  const restored = parseConfigNames(remove);
  for (const key of Object.keys(restored)) {
    if (key in config) throw new UsageError(`config ${kafkaConfigNames[key as keyof TopicConfig]} is both set and deleted`);
  }
  return { ...config, ...restored };
}

/**
 * kafka-topics' describe layout: a header line, then one tab-indented line per partition.
 *
 *   Topic: orders	TopicId: 9b1c…	PartitionCount: 2	Configs: cleanup.policy=delete
 *   	Topic: orders	Partition: 0	LogStartOffset: 0	HighWatermark: 17
 */
export function formatDescription(topic: TopicDescription): string {
  const header = [
    `Topic: ${topic.name}`,
    `TopicId: ${topic.topicId}`,
    `PartitionCount: ${topic.partitions.length}`,
    `Configs: ${formatConfig(topic.config ?? {})}`,
  ].join('\t');
  const partitions = [...topic.partitions]
    .sort((a, b) => a.partition - b.partition)
    .map((p) =>
      [
        '',
        `Topic: ${topic.name}`,
        `Partition: ${p.partition}`,
        `LogStartOffset: ${p.logStartOffset}`,
        `HighWatermark: ${p.highWatermark}`,
      ].join('\t'),
    );
  return [header, ...partitions].join('\n') + '\n';
}

async function allTopicNames(client: SluiceClient, signal: AbortSignal | undefined): Promise<string[]> {
  const { topics } = await client.listTopics({ signal });
  return topics.map((t) => t.name).sort();
}

function writeTo(stream: NodeJS.WritableStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}
