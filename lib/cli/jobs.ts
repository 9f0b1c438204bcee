/** `sluice jobs run [--topic T]`: runs the background jobs once and prints what they did and what they left for later. */
import { summarizeJobs, type Deferral, type PartitionReport } from '../core/job-report.ts';
import { clientFor, commonHelp, parseFlags, type CommandSpec } from './args.ts';
import { UsageError } from './errors.ts';
import type { CliIo, Output } from './io.ts';

export const jobsHelp = `Usage: sluice jobs run [--topic T]

Runs sealing (tail batches into S3 segments), retention, compaction and the purge of
deleted topics once, now, instead of waiting for the schedule; prints what they did, and
what they left for later with the time it is due and the setting that decides it:
  orders-0: 12 record(s) unsealed, due at 14:02:10 (segment.ms)
  old-topic: deleted, purged after 14:05:00
  --topic T              only this topic
${commonHelp}
`;

const options = { topic: { type: 'string' } } as const;

export const jobsSpec: CommandSpec = { options, help: jobsHelp };

export async function jobsCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help') || rest.includes('-h')) {
    await out.write(jobsHelp);
    return 0;
  }
  if (sub !== 'run') throw new UsageError(sub === undefined ? 'jobs needs a command: run' : `unknown jobs command '${sub}'`, 'jobs');
  const flags = parseFlags(rest, options, 'jobs run');
  const report = await (await clientFor(flags, io)).runJobs(flags.topic === undefined ? {} : { topic: flags.topic }, { signal: io.signal });
  const now = Date.now();
  for (const partition of report.partitions) {
    const name = `${partition.topic}-${partition.partition}`;
    const line = describe(partition);
    if (line) await out.line(`${name}: ${line}`);
    for (const deferral of partition.deferred ?? []) await out.line(`${name}: ${describeDeferral(deferral, now)}`);
  }
  for (const topic of report.purgedTopics) await out.line(`${topic}: deleted topic's data removed`);
  for (const pending of report.pendingPurges ?? []) {
    await out.line(`${pending.topic}: deleted, ${pending.dueAt <= now ? 'purged by the next run' : `purged after ${clock(pending.dueAt, now)}`}`);
  }
  const s = summarizeJobs(report);
  const later = report.partitions.reduce((n, p) => n + (p.deferred?.length ?? 0), 0) + (report.pendingPurges?.length ?? 0);
  await out.line(
    `${s.partitions} partition(s): ${s.segmentsSealed} segment(s) sealed (${s.recordsSealed} records), ` +
      `${s.segmentsDeleted} dropped by retention, ${s.recordsCompacted} record(s) compacted away, ` +
      `${s.garbageDeleted} orphan object(s) removed${s.skipped ? `, ${s.skipped} busy (another run holds them)` : ''}` +
      `${later ? `, ${later} left for later` : ''}`,
  );
  return 0;
}

function describe(p: PartitionReport): string {
  if (p.skipped) return 'busy (another run holds its lease)';
  const parts: string[] = [];
  if (p.seal?.recordsLost) parts.push(`LOST ${p.seal.recordsLost} record(s): their tail items expired before they were sealed`);
  if (p.seal?.segments) parts.push(`sealed ${p.seal.records} records into ${p.seal.segments} segment(s)`);
  if (p.retention?.segmentsDeleted) parts.push(`retention dropped ${p.retention.segmentsDeleted} segment(s), log starts at ${p.retention.logStartOffset}`);
  if (p.compaction?.recordsRemoved) parts.push(`compaction removed ${p.compaction.recordsRemoved} record(s)`);
  if (p.garbageDeleted) parts.push(`removed ${p.garbageDeleted} orphan object(s)`);
  return parts.join('; ');
}

/** `12 record(s) unsealed, due at 14:02:10 (segment.ms)`. */
export function describeDeferral(d: Deferral, now: number): string {
  const when = d.dueAt <= now ? 'due now' : `due at ${clock(d.dueAt, now)}`;
  const what = d.job === 'seal' ? 'unsealed,' : 'kept until retention drops them,';
  return `${d.records} record(s) ${what} ${when} (${d.reason})`;
}

/** A time in local time: `14:02:10` on the day of `now`, else with its date. */
export function clock(ms: number, now: number): string {
  const at = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const time = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  return at.toDateString() === new Date(now).toDateString() ? time : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${time}`;
}
