/** `sluice groups list|describe|reset-offsets|delete`, shaped like kafka-consumer-groups. */
import type { ResetTarget } from '../client/types.ts';
import { clientFor, commonHelp, parseFlags, parseIntFlag, required } from './args.ts';
import { UsageError } from './errors.ts';
import type { CliIo, Output } from './io.ts';

export const groupsHelp = `Usage: sluice groups <list|describe|reset-offsets|delete> [options]

  list
  describe       --group G
  reset-offsets  --group G --topic T (--to-earliest | --to-latest | --to-offset N |
                 --to-datetime 2026-11-25T10:00:00Z | --shift-by N) [--execute]
                 (a dry run that prints the plan unless --execute; refused while members are active)
  delete         --group G   (refused while members are active)
${commonHelp}
`;

export async function groupsCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h' || rest.includes('--help') || rest.includes('-h')) {
    await out.write(groupsHelp);
    return sub === undefined ? 2 : 0;
  }
  const command = `groups ${sub}`;
  switch (sub) {
    case 'list': {
      const flags = parseFlags(rest, {}, command);
      const { groups } = await clientFor(flags, io.env).listGroups({ signal: io.signal });
      for (const g of groups) await out.line(g.group);
      return 0;
    }
    case 'describe': {
      const flags = parseFlags(rest, { group: { type: 'string' } }, command);
      const group = required('group', flags.group);
      const described = await clientFor(flags, io.env).describeGroup(group, { signal: io.signal });
      if (described.members.length === 0) await out.line(`Consumer group '${group}' has no active members.\n`);
      await out.write(
        table(
          ['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID'],
          described.partitions.map((p) => [group, p.topic, p.partition, p.committedOffset ?? '-', p.highWatermark, p.lag ?? '-', p.owner ?? '-']),
        ),
      );
      return 0;
    }
    case 'reset-offsets': {
      const flags = parseFlags(
        negativeValuesJoined(rest, ['--shift-by', '--to-offset']),
        {
          group: { type: 'string' },
          topic: { type: 'string' },
          'to-earliest': { type: 'boolean' },
          'to-latest': { type: 'boolean' },
          'to-offset': { type: 'string' },
          'to-datetime': { type: 'string' },
          'shift-by': { type: 'string' },
          execute: { type: 'boolean' },
          'dry-run': { type: 'boolean' },
        },
        command,
      );
      const group = required('group', flags.group);
      const topic = required('topic', flags.topic);
      const targets: ResetTarget[] = [];
      if (flags['to-earliest']) targets.push('earliest');
      if (flags['to-latest']) targets.push('latest');
      if (flags['to-offset'] !== undefined) targets.push({ offset: parseIntFlag('--to-offset', flags['to-offset']) });
      if (flags['to-datetime'] !== undefined) targets.push({ timestamp: parseDatetime(flags['to-datetime']) });
      if (flags['shift-by'] !== undefined) targets.push({ shiftBy: parseIntFlag('--shift-by', flags['shift-by'], -Number.MAX_SAFE_INTEGER) });
      if (targets.length !== 1) throw new UsageError('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by', command);
      if (flags.execute && flags['dry-run']) throw new UsageError('--execute and --dry-run exclude each other', command);
      const plan = await clientFor(flags, io.env).resetGroupOffsets(group, { topic, to: targets[0]!, execute: flags.execute === true }, { signal: io.signal });
      await out.write(table(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], plan.offsets.map((o) => [group, o.topic, o.partition, o.offset])));
      if (!plan.executed) await out.line('(dry run: nothing changed; add --execute to apply)');
      return 0;
    }
    case 'delete': {
      const flags = parseFlags(rest, { group: { type: 'string' } }, command);
      const group = required('group', flags.group);
      await clientFor(flags, io.env).deleteGroup(group, { signal: io.signal });
      await out.line(`Deletion of requested consumer group ('${group}') was successful.`);
      return 0;
    }
    default:
      throw new UsageError(`unknown groups command '${sub}'`, 'groups');
  }
}

/** `--shift-by -2`, as Kafka users type it: parseArgs would read `-2` as a flag. */
function negativeValuesJoined(argv: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (flags.includes(argv[i]!) && next !== undefined && /^-\d+$/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else {
      out.push(argv[i]!);
    }
  }
  return out;
}

/** Kafka's --to-datetime takes a local date-time; we take any ISO 8601 text Date can read. */
function parseDatetime(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || ms < 0) throw new UsageError(`--to-datetime must be an ISO 8601 date-time like 2026-11-25T10:00:00Z, not '${text}'`);
  return ms;
}

/** Columns padded to their widest cell, as kafka-consumer-groups prints them. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]! + 2))).join('').trimEnd()).join('\n') + '\n';
}
