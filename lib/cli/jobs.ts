/** `sluice jobs run [--topic T]`: runs the background jobs once and prints what they did. */
import { summarizeJobs, type PartitionReport } from '../core/job-report.ts';
import { clientFor, commonHelp, parseFlags } from './args.ts';
import { UsageError } from './errors.ts';
import type { CliIo, Output } from './io.ts';

export const jobsHelp = `Usage: sluice jobs run [--topic T]

Runs sealing (tail batches into S3 segments), retention, compaction and the purge of
deleted topics once, now, instead of waiting for the schedule; prints what they did.
  --topic T              only this topic
${commonHelp}
`;

export async function jobsCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help') || rest.includes('-h')) {
    await out.write(jobsHelp);
    return 0;
  }
  if (sub !== 'run') throw new UsageError(sub === undefined ? 'jobs needs a command: run' : `unknown jobs command '${sub}'`, 'jobs');
  const flags = parseFlags(rest, { topic: { type: 'string' } }, 'jobs run');
  const report = await clientFor(flags, io.env).runJobs(flags.topic === undefined ? {} : { topic: flags.topic }, { signal: io.signal });
  for (const partition of report.partitions) {
    const line = describe(partition);
    if (line) await out.line(`${partition.topic}-${partition.partition}: ${line}`);
  }
  for (const topic of report.purgedTopics) await out.line(`${topic}: deleted topic's data removed`);
  const s = summarizeJobs(report);
  await out.line(
    `${s.partitions} partition(s): ${s.segmentsSealed} segment(s) sealed (${s.recordsSealed} records), ` +
      `${s.segmentsDeleted} dropped by retention, ${s.recordsCompacted} record(s) compacted away, ` +
      `${s.garbageDeleted} orphan object(s) removed${s.skipped ? `, ${s.skipped} busy (another run holds them)` : ''}`,
  );
  return 0;
}

function describe(p: PartitionReport): string {
  if (p.skipped) return 'busy (another run holds its lease)';
  const parts: string[] = [];
  if (p.seal?.segments) parts.push(`sealed ${p.seal.records} records into ${p.seal.segments} segment(s)`);
  if (p.retention?.segmentsDeleted) parts.push(`retention dropped ${p.retention.segmentsDeleted} segment(s), log starts at ${p.retention.logStartOffset}`);
  if (p.compaction?.recordsRemoved) parts.push(`compaction removed ${p.compaction.recordsRemoved} record(s)`);
  if (p.garbageDeleted) parts.push(`removed ${p.garbageDeleted} orphan object(s)`);
  return parts.join('; ');
}
