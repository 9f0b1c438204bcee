/** Records for the sealing tests: recent timestamps, values that say their index, and a job run an hour on. */
import type { RecordInput } from '../../lib/core/codec/record-batch.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import type { Storage } from '../../lib/storage/index.ts';

export const HOUR = 3_600_000;
/** Runs the jobs as if an hour had passed, so every tail item is old enough to seal. */
export const runLater = (storage: Storage, topic: string) => runJobs(storage, { topic, now: () => Date.now() + HOUR });

/** Recent timestamps: retention (7 days by default) must not drop what these tests seal. */
export const T0 = Date.now() - 60_000;
export const valueOf = (i: number, size: number) => Buffer.from(`${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26))));
export const recordsFrom = (start: number, count: number, size: number): RecordInput[] =>
  Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${start + i}`), value: valueOf(start + i, size), headers: [{ key: 'h', value: Buffer.from('v') }], timestamp: T0 + start + i }));
