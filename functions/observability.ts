/**
 * Powertools for AWS Lambda, shared by the handlers: structured logs, metrics (written to
 * stdout in CloudWatch's Embedded Metric Format) and X-Ray traces. Powertools reads its
 * own POWERTOOLS_* variables: POWERTOOLS_SERVICE_NAME, the deployment's name, becomes the
 * `service` dimension of every metric, which dashboards and alarms select on. Outside
 * Lambda the Tracer switches itself off.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { ServerFailure } from '../lib/api/respond.ts';
import type { Api } from '../lib/api/types.ts';
import { metricNames, metricsNamespace } from '../lib/core/metrics.ts';
import type { UsageMeter } from '../lib/storage/clients.ts';
import type { Storage } from '../lib/storage/index.ts';

export const logger = new Logger();
export const tracer = new Tracer();
export const metrics = new Metrics({
  namespace: metricsNamespace,
  // Metrics warns after every invocation that published nothing (most admin calls, every
  // 4xx): noise, not news. Its other warnings are about invalid dimensions; ours (service
  // and a validated group id) are always valid.
  logger: logger.createChild({ logLevel: 'ERROR' }),
});

/** The middlewares every handler wears, in the order the Powertools docs give. */
export const observability = [
  // Responses carry records: user data, and far more than an X-Ray segment holds.
  captureLambdaHandler(tracer, { captureResponse: false }),
  injectLambdaContext(logger),
  logMetrics(metrics),
];

/** Traces each DynamoDB and S3 call of `storage` as an X-Ray subsegment. */
export function traceStorage(storage: Storage): void {
  tracer.captureAWSv3Client(storage.clients.dynamodb);
  tracer.captureAWSv3Client(storage.clients.s3);
  if (storage.clients.sourceS3) tracer.captureAWSv3Client(storage.clients.sourceS3);
}

// No topic dimension: each topic would add five custom metrics to the monthly bill, and
// dashboards would have to search for them rather than read one metric.
const usageMetrics = [
  { counter: 'recordsIn', name: metricNames.recordsIn, unit: MetricUnit.Count },
  { counter: 'bytesIn', name: metricNames.bytesIn, unit: MetricUnit.Bytes },
  { counter: 'recordsOut', name: metricNames.recordsOut, unit: MetricUnit.Count },
  { counter: 'bytesOut', name: metricNames.bytesOut, unit: MetricUnit.Bytes },
  { counter: 'appendConflicts', name: metricNames.appendConflicts, unit: MetricUnit.Count },
] as const;

/**
 * `api`, adding what each request made the storage count to the invocation's metrics. A
 * Lambda container serves one request at a time, so the meter's change across a call is
 * that request's. Only non-zero counts are emitted.
 */
export function meteredApi(api: Api, usage: UsageMeter): Api {
  return async (request) => {
    const before = usageMetrics.map(({ counter }) => usage[counter]);
    const response = await api(request);
    usageMetrics.forEach(({ counter, name, unit }, i) => {
      const delta = usage[counter] - before[i]!;
      if (delta > 0) metrics.addMetric(name, unit, delta);
    });
    return response;
  };
}

/**
 * Where lib/api sends the detail of each 5xx answer: to the Logger, so it carries the
 * invocation's context and stays queryable.
 */
export function logServerError({ requestId, error }: ServerFailure): void {
  logger.error({ message: 'request failed', requestId, error });
}
