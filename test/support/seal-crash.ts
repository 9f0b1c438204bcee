/**
 * A job run that dies: runs the background jobs for one topic in a process of its own and
 * kills that process with SIGKILL at one storage call (before it is sent, or after its
 * reply arrived), the way a Lambda dies on a timeout or an out-of-memory. Nothing after
 * the call runs: no `finally`, no lease release.
 *
 *   node --import tsx test/support/seal-crash.ts '<json SealCrashSpec>'
 *
 * Exits 0 with `{"completed": true, "calls": [...]}` on stdout when the run made fewer
 * calls than the fault selects (the fault never fired).
 */
import type { StorageConfig } from '../../lib/core/config.ts';
import { runJobs, type JobOptions } from '../../lib/jobs/run.ts';
import { createStorage } from '../../lib/storage/index.ts';
import { FaultInjector, type CallSelector, type FaultMode } from './faults.ts';

export interface SealCrashSpec {
  readonly config: StorageConfig;
  readonly topic: string;
  readonly at: CallSelector;
  readonly mode: FaultMode;
  /** How far ahead of the real clock the jobs run, so every tail item is old enough. */
  readonly clockShiftMs: number;
  readonly garbageGraceMs?: number;
}

const spec = JSON.parse(process.argv[2] ?? '') as SealCrashSpec;
const storage = createStorage(spec.config);
const faults = new FaultInjector(storage);
const options: JobOptions = {
  topic: spec.topic,
  now: () => Date.now() + spec.clockShiftMs,
  ...(spec.garbageGraceMs !== undefined ? { garbageGraceMs: spec.garbageGraceMs } : {}),
};
const run = await faults.failing({ at: spec.at, mode: spec.mode, effect: 'kill' }, () => runJobs(storage, options));
storage.destroy();
if (!run.outcome.ok) {
  process.stderr.write(`${String(run.outcome.error)}\n`);
  process.exit(1);
}
process.stdout.write(JSON.stringify({ completed: true, calls: run.calls }));
