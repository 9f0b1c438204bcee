/**
 * Lambda handler of a SluiceTrigger's dispatcher, started by its schedule: it joins the
 * trigger's consumer group through the Sluice API (signed with this function's role) and
 * delivers the topic to the user's function until there has been nothing to deliver for
 * a while, or its own time runs short; the next scheduled start goes on from the committed
 * offsets. Instances that overlap share the partitions through the group.
 */
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { Sluice } from '../lib/client/sluice.ts';
import { triggerMetricNames } from '../lib/core/metrics.ts';
import { triggerDeploymentFromEnv, type TriggerDeployment } from '../lib/core/trigger-config.ts';
import { LambdaTarget, SnsDestination, SqsDestination } from '../lib/trigger/aws.ts';
import { TopicDestination } from '../lib/trigger/destinations.ts';
import { Dispatcher, type FailureDestination } from '../lib/trigger/dispatcher.ts';
import { logger, metrics, observability } from './observability.ts';

const deployment = triggerDeploymentFromEnv(process.env);
const sluice = new Sluice({ endpoint: deployment.endpoint, clientId: `trigger-${deployment.name}` });
const target = new LambdaTarget(new LambdaClient({}), deployment.functionName);

function destinationOf(d: TriggerDeployment): FailureDestination | undefined {
  // Lambda's on-failure record names the function the records were for.
  const context = { functionArn: d.functionName, bootstrapServers: d.endpoint };
  switch (d.destination?.type) {
    case undefined:
      return undefined;
    case 'topic':
      return new TopicDestination(sluice, d.destination.topic);
    case 'sqs':
      return new SqsDestination(new SQSClient({}), d.destination.queueUrl, context);
    case 'sns':
      return new SnsDestination(new SNSClient({}), d.destination.topicArn, context);
  }
}

/** One metrics document per value set, each with the trigger's dimension. */
function emit(name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number): void {
  const metric = metrics.singleMetric();
  metric.addDimension('trigger', deployment.name);
  metric.addMetric(name, unit, value);
}

export const handler = middy()
  .use(observability)
  .handler(async (_event: unknown, context: Context) => {
    const destination = destinationOf(deployment);
    const dispatcher = new Dispatcher(sluice, { ...deployment.options, bootstrapServers: deployment.endpoint }, target, destination, {
      invoked: (outcome) => {
        emit(triggerMetricNames.iteratorAge, MetricUnit.Milliseconds, Date.now() - Math.min(...outcome.records.map((r) => r.timestamp)));
        if (!outcome.ok || outcome.failedOffset !== undefined) {
          emit(triggerMetricNames.failedInvocations, MetricUnit.Count, 1);
          logger.warn('invocation failed', { partition: outcome.records[0]!.partition, firstOffset: outcome.records[0]!.offset, attempt: outcome.attempt, error: outcome.error, failedOffset: outcome.failedOffset });
        }
      },
      gaveUp: (failure, to) => {
        emit(triggerMetricNames.recordsFailed, MetricUnit.Count, failure.records.length);
        logger.error('records given up', { reason: failure.reason, records: failure.records.length, firstOffset: failure.records[0]!.offset, destination: to ?? 'none' });
      },
      batchFailed: (topic, partition, error) => logger.warn('batch failed outside the function; it is delivered again', { topic, partition, error: error instanceof Error ? error.message : String(error) }),
    });
    try {
      await dispatcher.start();
      const invocations = await dispatcher.runUntilIdle(deployment.idleMs, () => context.getRemainingTimeInMillis() <= deployment.stopMarginMs);
      logger.info('dispatcher stopped', { invocations });
      return { invocations };
    } finally {
      // A frozen container must not keep a member (its heartbeats) or a producer.
      await dispatcher.stop();
      await destination?.close?.();
    }
  });
