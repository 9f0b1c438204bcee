/** Lambda handler for the background jobs, run by an EventBridge schedule. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import { storageConfigFromEnv } from '../lib/core/config.ts';
import { summarizeJobs } from '../lib/core/job-report.ts';
import { metricNames } from '../lib/core/metrics.ts';
import { consumerLags } from '../lib/jobs/lag.ts';
import { runJobs } from '../lib/jobs/run.ts';
import { createStorage } from '../lib/storage/index.ts';
import { logger, metrics, observability, traceStorage } from './observability.ts';

const storage = createStorage(storageConfigFromEnv(process.env));
traceStorage(storage);

export const handler = middy()
  .use(observability)
  .handler(async () => {
    const summary = summarizeJobs(await runJobs(storage));
    // One structured line per run: what was sealed, dropped and compacted.
    logger.info('jobs run', { ...summary });
    metrics.addMetric(metricNames.sealLagSeconds, MetricUnit.Seconds, summary.sealLagMs / 1000);
    metrics.addMetric(metricNames.recordsLost, MetricUnit.Count, summary.recordsLost);
    if (summary.recordsLost > 0) logger.error('records lost: tail items expired before they were sealed', { recordsLost: summary.recordsLost });
    for (const { group, totalLag } of await consumerLags(storage)) {
      // A metrics document's dimensions apply to all its values: one document per group.
      const groupMetric = metrics.singleMetric();
      groupMetric.addDimension('group', group);
      groupMetric.addMetric(metricNames.consumerLag, MetricUnit.Count, totalLag);
    }
    return summary;
  });
