/** `sluice groups list|describe|reset-offsets|delete`, shaped like kafka-consumer-groups. */
import type { Admin } from '../client/admin.ts';
import type { GroupDescription, ResetTarget } from '../client/types.ts';
import { clientFor, commonHelp, parseFlags, parseIntFlag, required, sluiceFor, type CommandSpec } from './args.ts';
import { InputError, UsageError } from './errors.ts';
import type { CliIo, Output } from './io.ts';

export const groupsHelp = `Usage: sluice groups <list|describe|reset-offsets|delete> [options]

  list
  describe       --group G | --all-groups
  reset-offsets  --group G (--topic T[:P,P...] ... | --all-topics)
                 (--to-earliest | --to-latest | --to-offset N |
                  --to-datetime 2026-11-25T10:00:00Z | --shift-by N) [--execute]
                 (a dry run that prints the plan unless --execute; refused while members are active)
  delete         --group G   (refused while members are active)
Run 'sluice groups <command> --help' for one command's options.
`;

const groupOption = { group: { type: 'string' } } as const;

const specs = {
  list: {
    options: {},
    help: `Usage: sluice groups list

Prints consumer group names, one per line.
${commonHelp}
`,
  },
  describe: {
    options: { group: { type: 'string', multiple: true }, 'all-groups': { type: 'boolean' } },
    help: `Usage: sluice groups describe (--group G ... | --all-groups)

Prints kafka-consumer-groups' table: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET
LAG CONSUMER-ID HOST CLIENT-ID, one row per partition the group has an offset or a member for.
  --group G              the group (repeatable)
  --all-groups           every group
${commonHelp}
`,
  },
  'reset-offsets': {
    options: {
      ...groupOption,
      topic: { type: 'string', multiple: true },
      'all-topics': { type: 'boolean' },
      'to-earliest': { type: 'boolean' },
      'to-latest': { type: 'boolean' },
      'to-offset': { type: 'string' },
      'to-datetime': { type: 'string' },
      'shift-by': { type: 'string' },
      execute: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
    help: `Usage: sluice groups reset-offsets --group G (--topic T[:P,P...] ... | --all-topics) <target> [--execute]

Moves a group's committed offsets. Prints the plan; nothing changes without --execute
(as kafka-consumer-groups). Refused while the group has active members.
  --group G              the group (required)
  --topic T              every partition of T; T:0,2 only partitions 0 and 2 (repeatable)
  --all-topics           every topic the group has offsets for
  --to-earliest          to each partition's log start
  --to-latest            to each partition's log end
  --to-offset N          to offset N (within the log's bounds)
  --to-datetime D        to the first offset at or after D (ISO 8601, 2026-11-25T10:00:00Z)
  --shift-by N           by N from the committed offset (negative moves back: --shift-by -2)
  --dry-run              print the plan only (the default)
  --execute              apply the plan
${commonHelp}
`,
  },
  delete: {
    options: groupOption,
    help: `Usage: sluice groups delete --group G

Deletes a group's committed offsets and leases. Refused while the group has active members.
  --group G              the group (required)
${commonHelp}
`,
  },
} as const satisfies Record<string, CommandSpec>;

/** Each subcommand's flags and help (a test checks that each help names every flag). */
export const groupsSpecs: Readonly<Record<string, CommandSpec>> = specs;

export async function groupsCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
    if (sub === undefined) {
      io.stderr.write(groupsHelp);
      return 2;
    }
    await out.write(groupsHelp);
    return 0;
  }
  if (!Object.hasOwn(specs, sub)) throw new UsageError(`unknown groups command '${sub}'`, 'groups');
  const spec = specs[sub as keyof typeof specs];
  if (rest.includes('--help') || rest.includes('-h')) {
    await out.write(spec.help);
    return 0;
  }
  const command = `groups ${sub}`;
  switch (sub) {
    case 'list': {
      const flags = parseFlags(rest, specs.list.options, command);
      const { groups } = await (await clientFor(flags, io)).listGroups({ signal: io.signal });
      for (const g of groups) await out.line(g.group);
      return 0;
    }
    case 'describe': {
      const flags = parseFlags(rest, specs.describe.options, command);
      if ((flags.group?.length ?? 0) > 0 && flags['all-groups']) throw new UsageError('give --group or --all-groups, not both', command);
      const client = await clientFor(flags, io);
      const names = flags['all-groups'] ? (await client.listGroups({ signal: io.signal })).groups.map((g) => g.group) : flags.group ?? [];
      if (!flags['all-groups'] && names.length === 0) throw new UsageError('missing required --group (or --all-groups)', command);
      for (const [i, group] of names.entries()) {
        if (i > 0) await out.line('');
        await out.write(describeText(group, await client.describeGroup(group, { signal: io.signal })));
      }
      return 0;
    }
    case 'reset-offsets':
      return resetOffsets(rest, command, io, out);
    case 'delete': {
      const flags = parseFlags(rest, specs.delete.options, command);
      const group = required('group', flags.group);
      await (await clientFor(flags, io)).deleteGroup(group, { signal: io.signal });
      await out.line(`Deletion of requested consumer group ('${group}') was successful.`);
      return 0;
    }
  }
  throw new UsageError(`unknown groups command '${sub}'`, 'groups');
}

/** One group's kafka-consumer-groups table, after a line if it has no members. */
export function describeText(group: string, described: GroupDescription): string {
  const header = described.members.length === 0 ? `Consumer group '${group}' has no active members.\n\n` : '';
  return (
    header +
    table(
      ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'],
      described.partitions.map((p) => {
        const owner = described.members.find((m) => m.memberId === p.owner);
        return [group, p.topic, p.partition, p.committedOffset ?? '-', p.highWatermark, p.lag ?? '-', p.owner ?? '-', owner?.host ?? '-', owner?.clientId ?? '-'];
      }),
    )
  );
}

/** A `--topic` value: the topic and, after a colon, the partitions to include (all without). */
export interface TopicSelection {
  readonly topic: string;
  readonly partitions?: readonly number[];
}

/** Parses Kafka's `--topic T` or `--topic T:0,1,2`. */
export function parseTopicSelection(value: string): TopicSelection {
  const at = value.lastIndexOf(':');
  if (at < 0) return { topic: value };
  const topic = value.slice(0, at);
  if (topic === '') throw new UsageError(`--topic '${value}' names no topic`);
  const list = value.slice(at + 1).split(',').map((p) => p.trim());
  const partitions = [...new Set(list.map((p) => parseIntFlag(`--topic ${topic}: partition`, p)))].sort((a, b) => a - b);
  return { topic, partitions };
}

async function resetOffsets(argv: readonly string[], command: string, io: CliIo, out: Output): Promise<number> {
  const flags = parseFlags(argv, specs['reset-offsets'].options, command);
  const group = required('group', flags.group);
  const selections = (flags.topic ?? []).map(parseTopicSelection);
  if ((selections.length > 0) === (flags['all-topics'] === true)) throw new UsageError('give --topic (one or more) or --all-topics', command);
  const to = resetTarget(flags, command);
  if (flags.execute && flags['dry-run']) throw new UsageError('--execute and --dry-run exclude each other', command);
  const execute = flags.execute === true;
  const sluice = await sluiceFor(flags, io);
  const admin = sluice.admin();
  const targets = flags['all-topics'] ? await groupTopics(admin, group) : selections;

  const rows: Array<Array<string | number>> = [];
  let executed = execute;
  for (const { topic, partitions } of targets) {
    if (partitions === undefined) {
      const plan = await admin.resetGroupOffsets({ groupId: group, topic, to, dryRun: !execute });
      rows.push(...plan.offsets.map((o) => [group, o.topic, o.partition, o.offset]));
      executed &&= plan.executed;
      continue;
    }
    // Only some partitions: the API resets whole topics, so plan all and set those.
    const plan = await admin.resetGroupOffsets({ groupId: group, topic, to, dryRun: true });
    const chosen = plan.offsets.filter((o) => partitions.includes(o.partition));
    const missing = partitions.filter((p) => !chosen.some((o) => o.partition === p));
    if (missing.length > 0) throw new InputError(`topic '${topic}' has no partition ${missing.join(', ')} (it has ${plan.offsets.length})`);
    if (execute) await admin.setOffsets({ groupId: group, topic, partitions: chosen.map((o) => ({ partition: o.partition, offset: o.offset })) });
    rows.push(...chosen.map((o) => [group, o.topic, o.partition, o.offset]));
  }
  await out.write(table(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], rows));
  if (!executed) await out.line('(dry run: nothing changed; add --execute to apply)');
  return 0;
}

/** `--all-topics`: the topics the group has offsets (or members) for, as kafka-consumer-groups takes them. */
async function groupTopics(admin: Admin, group: string): Promise<TopicSelection[]> {
  const [described] = (await admin.describeGroups([group])).groups;
  const topics = [...new Set((described?.partitions ?? []).map((p) => p.topic))].sort();
  if (topics.length === 0) throw new InputError(`group '${group}' has no offsets to reset`);
  return topics.map((topic) => ({ topic }));
}

type ResetFlags = {
  'to-earliest'?: boolean | undefined;
  'to-latest'?: boolean | undefined;
  'to-offset'?: string | undefined;
  'to-datetime'?: string | undefined;
  'shift-by'?: string | undefined;
};

function resetTarget(flags: ResetFlags, command: string): ResetTarget {
  const targets: ResetTarget[] = [];
  if (flags['to-earliest']) targets.push('earliest');
  if (flags['to-latest']) targets.push('latest');
  if (flags['to-offset'] !== undefined) targets.push({ offset: parseIntFlag('--to-offset', flags['to-offset']) });
  if (flags['to-datetime'] !== undefined) targets.push({ timestamp: parseDatetime(flags['to-datetime']) });
  if (flags['shift-by'] !== undefined) targets.push({ shiftBy: parseIntFlag('--shift-by', flags['shift-by'], -Number.MAX_SAFE_INTEGER) });
  if (targets.length !== 1) throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by', command);
  return targets[0]!;
}

/** Kafka's --to-datetime takes a local date-time; we take any ISO 8601 text Date can read. */
export function parseDatetime(text: string, flag = '--to-datetime'): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < 0) throw new UsageError(`${flag} must be an ISO 8601 date-time like 2026-11-25T10:00:00Z, not '${text}'`);
  return ms;
}

/** Columns padded to their widest cell, as kafka-consumer-groups prints them. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join('').trimEnd()).join('\n') + '\n';
}
