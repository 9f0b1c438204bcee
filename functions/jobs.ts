/** Lambda handler for the background jobs, run by an EventBridge schedule. */
import middy from '@middy/core';
import { storageConfigFromEnv } from '../lib/core/config.ts';
import { summarizeJobs } from '../lib/core/job-report.ts';
import { runJobs } from '../lib/jobs/run.ts';
import { createStorage } from '../lib/storage/index.ts';

const storage = createStorage(storageConfigFromEnv(process.env));

export const handler = middy().handler(async () => {
  const report = await runJobs(storage);
  // One structured line per run: what was sealed, dropped and compacted.
  console.log(JSON.stringify({ level: 'info', msg: 'jobs run', ...summarizeJobs(report) }));
  return summarizeJobs(report);
});
