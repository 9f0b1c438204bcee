/** `sluice topics create|list|describe|alter|delete`, shaped like kafka-topics. */
import type { SluiceClient, TopicDescription } from '../client/client.ts';
import { RemoteError } from '../core/errors.ts';
import { clientFor, commonHelp, parseFlags, parseIntFlag, required } from './args.ts';
import { UsageError } from './errors.ts';
import type { CliIo, Output } from './io.ts';
import { formatConfig, parseConfigEntries } from './topic-config.ts';

export const topicsHelp = `Usage: sluice topics <create|list|describe|alter|delete> [options]

  create    --topic T [--partitions N] [--config key=value ...] [--if-not-exists]
  list
  describe  [--topic T]   (all topics without --topic)
  alter     --topic T [--partitions N] [--config key=value ...]
  delete    --topic T [--if-exists]

Config keys (Kafka or API spelling): cleanup.policy (delete|compact), retention.ms,
retention.bytes, max.message.bytes, segment.bytes, segment.ms,
delete.retention.ms.
Run 'sluice topics <command> --help' for one command's options.
`;

const help: Readonly<Record<string, string>> = {
  create: `Usage: sluice topics create --topic T [--partitions N] [--config key=value ...]

Creates a topic.
  --topic T              topic name (required)
  --partitions N         partition count (default 1)
  --config key=value     topic config, repeatable: cleanup.policy, retention.ms,
                         retention.bytes, max.message.bytes, segment.bytes, segment.ms
                         (camelCase API names work too)
  --if-not-exists        succeed if the topic already exists
${commonHelp}
`,
  list: `Usage: sluice topics list

Prints topic names, one per line.
${commonHelp}
`,
  describe: `Usage: sluice topics describe [--topic T]

Prints each topic's id, partition count and configs, then one line per partition with
its log start offset and high watermark. Without --topic, describes every topic.
  --topic T              topic name
${commonHelp}
`,
  alter: `Usage: sluice topics alter --topic T [--partitions N] [--config key=value ...]

Grows the partition count (it never shrinks) and/or changes config keys.
  --topic T              topic name (required)
  --partitions N         new partition count
  --config key=value     config to set, repeatable (see 'sluice topics create --help')
${commonHelp}
`,
  delete: `Usage: sluice topics delete --topic T [--if-exists]

Deletes a topic and its records.
  --topic T              topic name (required)
  --if-exists            succeed if there is no such topic
${commonHelp}
`,
};

export const topicCommands: readonly string[] = Object.keys(help);

const topicOption = { topic: { type: 'string' } } as const;
const partitionsOption = { partitions: { type: 'string' } } as const;
const configOption = { config: { type: 'string', multiple: true } } as const;

/** Runs one `topics` subcommand; returns the exit code. */
export async function topicsCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    await (sub === undefined ? writeTo(io.stderr, topicsHelp) : out.write(topicsHelp));
    return sub === undefined ? 2 : 0;
  }
  const text = help[sub];
  if (text === undefined) throw new UsageError(`unknown topics command '${sub}'`, 'topics');
  const command = `topics ${sub}`;
  if (rest.includes('--help') || rest.includes('-h')) {
    await out.write(text);
    return 0;
  }
  switch (sub) {
    case 'create': {
      const flags = parseFlags(rest, { ...topicOption, ...partitionsOption, ...configOption, 'if-not-exists': { type: 'boolean' } }, command);
      const name = required('topic', flags.topic);
      const partitions = flags.partitions === undefined ? 1 : parseIntFlag('--partitions', flags.partitions, 1);
      const config = parseConfigEntries(flags.config);
      const client = clientFor(flags, io.env);
      try {
        await client.createTopic({ name, partitions, ...(Object.keys(config).length > 0 ? { config } : {}) }, { signal: io.signal });
      } catch (error) {
        if (flags['if-not-exists'] && error instanceof RemoteError && error.code === 'TOPIC_EXISTS') return 0;
        throw error;
      }
      await out.line(`Created topic ${name}.`);
      return 0;
    }
    case 'list': {
      const flags = parseFlags(rest, {}, command);
      const { topics } = await clientFor(flags, io.env).listTopics({ signal: io.signal });
      for (const name of topics.map((t) => t.name).sort()) await out.line(name);
      return 0;
    }
    case 'describe': {
      const flags = parseFlags(rest, topicOption, command);
      const client = clientFor(flags, io.env);
      const names = flags.topic !== undefined ? [flags.topic] : await allTopicNames(client, io.signal);
      for (const name of names) {
        const description = await client.describeTopic(name, { signal: io.signal });
        await out.write(formatDescription(description));
      }
      return 0;
    }
    case 'alter': {
      const flags = parseFlags(rest, { ...topicOption, ...partitionsOption, ...configOption }, command);
      const name = required('topic', flags.topic);
      const partitions = flags.partitions === undefined ? undefined : parseIntFlag('--partitions', flags.partitions, 1);
      const config = parseConfigEntries(flags.config);
      if (partitions === undefined && Object.keys(config).length === 0) {
        throw new UsageError('nothing to alter: give --partitions and/or --config');
      }
      await clientFor(flags, io.env).alterTopic(
        name,
        { ...(partitions === undefined ? {} : { partitions }), ...(Object.keys(config).length > 0 ? { config } : {}) },
        { signal: io.signal },
      );
      await out.line(`Altered topic ${name}.`);
      return 0;
    }
    case 'delete': {
      const flags = parseFlags(rest, { ...topicOption, 'if-exists': { type: 'boolean' } }, command);
      const name = required('topic', flags.topic);
      try {
        await clientFor(flags, io.env).deleteTopic(name, { signal: io.signal });
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
