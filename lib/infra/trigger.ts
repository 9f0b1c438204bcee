/**
 * `SluiceTrigger`: a function attached to a Sluice topic, as an event source mapping
 * attaches one to MSK or Kinesis. A dispatcher function, started by a schedule, reads the
 * topic as a member of a Sluice consumer group through the API (signed with its own
 * role), invokes the function with Kafka's Lambda event, and keeps running while there is
 * work; instances that overlap share the partitions through the group. Its role may call
 * exactly the API routes it uses for this topic and group, invoke this function, and send
 * to this destination.
 */
import { Duration, Names, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Function as FunctionConstruct, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ConfigError } from '../core/errors.ts';
import type { FilterPattern } from '../core/event-filter.ts';
import { metricsNamespace, triggerMetricNames } from '../core/metrics.ts';
import { routeTable } from '../core/routes.ts';
import { triggerEnvName, triggerSettings, type StartingPosition, type TriggerDeployment, type TriggerDestinationConfig } from '../core/trigger-config.ts';
import { validateGroupId, validateTopicName } from '../core/topic-config.ts';
import { SluiceFunction } from './functions.ts';
import { acknowledgeFunction, acknowledgeTrigger } from './nag.ts';
import type { Sluice } from './sluice.ts';

/** Where records go that the function did not take after its retries (or past their age). */
export type SluiceTriggerDestination = { readonly queue: IQueue } | { readonly snsTopic: ITopic } | { readonly sluiceTopic: string };

export interface SluiceTriggerProps {
  readonly sluice: Sluice;
  readonly topic: string;
  readonly function: IFunction;
  /** The consumer group the dispatchers read in; `sluice groups describe` shows its lag. @default `trigger-<path-in-the-app>-<hash>` */
  readonly group?: string;
  /** Most records per invocation, 1..10000. @default 100 */
  readonly batchSize?: number;
  /** Longest wait for a batch to fill. @default 500 ms */
  readonly maxBatchingWindow?: Duration;
  /** Where partitions the group has no offset for start. @default 'latest' */
  readonly startingPosition?: 'earliest' | 'latest' | Date;
  /** Retries of a failed batch; -1 without end. @default -1, or 10 with onFailure (as Lambda) */
  readonly retryAttempts?: number;
  /** Records older than this (60 s to 7 days) are not invoked but sent to onFailure. @default any age */
  readonly maxRecordAge?: Duration;
  /** Split a failed batch in two and retry each half. @default false */
  readonly bisectBatchOnError?: boolean;
  /** Honour a `batchItemFailures` answer. @default true */
  readonly reportBatchItemFailures?: boolean;
  /** Lambda's filter criteria on the record's value (lib/core/event-filter.ts): up to 5 patterns. @default every record */
  readonly filters?: readonly FilterPattern[];
  readonly onFailure?: SluiceTriggerDestination;
  /** When dispatchers start. @default every minute */
  readonly schedule?: Schedule;
  /** A dispatcher with nothing to deliver for this long stops until the next start. @default 30 s */
  readonly idleTime?: Duration;
  /** The dispatcher's Lambda timeout; it stops taking batches `stopMargin` before. @default 15 minutes */
  readonly timeout?: Duration;
  /** Room left for the batch in flight when a dispatcher stops: more than the function's timeout. @default 5 minutes */
  readonly stopMargin?: Duration;
  /** Reserved concurrency of the dispatcher: at most this many at once. @default none */
  readonly maxConcurrency?: number;
  /** The age of the oldest record in an invocation that raises the iterator-age alarm. @default 5 minutes */
  readonly iteratorAgeAlarm?: Duration;
  readonly alarmActions?: readonly IAlarmAction[];
  /** @default one month */
  readonly logRetention?: RetentionDays;
}

/** The API routes a dispatcher calls: reading and committing in its group (describing it to start at a time), and producing to a Sluice topic destination. */
const readerRoutes = ['fetchRecords', 'offsetForTime', 'joinGroup', 'heartbeat', 'leaveGroup', 'commitOffsets'];
const producerRoutes = ['produce', 'initProducer', 'describeTopic'];

export class SluiceTrigger extends Construct {
  readonly dispatcher: SluiceFunction;
  readonly group: string;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: SluiceTriggerProps) {
    super(scope, id);
    const { sluice } = props;
    if (sluice.authorization !== 'iam') throw new ConfigError('a SluiceTrigger signs its API calls with its role: the Sluice API must authorize with IAM, not JWTs');
    const topic = validateTopicName(props.topic, 'topic');
    // Unique in the app, readable in `sluice groups`: two triggers called Billing in
    // different scopes must not share a group, metrics or alarms.
    const name = Names.uniqueResourceName(this, { maxLength: 80, separator: '-' }).toLowerCase();
    this.group = validateGroupId(props.group ?? `trigger-${name}`, 'group');
    const destination = destinationConfig(props.onFailure);
    const options = {
      topic,
      group: this.group,
      ...(props.batchSize === undefined ? {} : { batchSize: props.batchSize }),
      ...(props.maxBatchingWindow === undefined ? {} : { batchingWindowMs: props.maxBatchingWindow.toMilliseconds() }),
      ...(props.startingPosition === undefined ? {} : { startingPosition: startingPosition(props.startingPosition) }),
      ...(props.retryAttempts === undefined ? {} : { maxRetryAttempts: props.retryAttempts }),
      ...(props.maxRecordAge === undefined ? {} : { maxRecordAgeMs: props.maxRecordAge.toMilliseconds() }),
      ...(props.bisectBatchOnError === undefined ? {} : { bisectBatchOnFunctionError: props.bisectBatchOnError }),
      ...(props.reportBatchItemFailures === undefined ? {} : { reportBatchItemFailures: props.reportBatchItemFailures }),
      ...(props.filters === undefined ? {} : { filters: props.filters }),
    };
    // Refused at synth, not at the first start.
    triggerSettings(options, destination !== undefined);
    const timeout = props.timeout ?? Duration.minutes(15);
    const stopMargin = props.stopMargin ?? Duration.minutes(5);
    if (stopMargin.toMilliseconds() >= timeout.toMilliseconds()) throw new ConfigError('a SluiceTrigger stopMargin must be shorter than its timeout');
    // Else a dispatcher stopping would leave an invocation running past its own end.
    const functionTimeout = props.function instanceof FunctionConstruct ? (props.function.timeout ?? Duration.seconds(3)) : undefined;
    if (functionTimeout && functionTimeout.toMilliseconds() >= stopMargin.toMilliseconds()) {
      throw new ConfigError(`a SluiceTrigger stopMargin (${stopMargin.toHumanString()}) must be longer than its function's timeout (${functionTimeout.toHumanString()})`);
    }
    const deployment: TriggerDeployment = {
      name,
      endpoint: sluice.api.url,
      functionName: props.function.functionArn,
      ...(destination === undefined ? {} : { destination }),
      options,
      idleMs: (props.idleTime ?? Duration.seconds(30)).toMilliseconds(),
      stopMarginMs: stopMargin.toMilliseconds(),
    };

    this.dispatcher = new SluiceFunction(this, 'Dispatcher', {
      name: 'trigger',
      // Tokens (the API's URL, the function's ARN) are resolved inside the JSON.
      environment: { [triggerEnvName]: Stack.of(this).toJsonString(deployment), POWERTOOLS_SERVICE_NAME: sluice.name, POWERTOOLS_METRICS_NAMESPACE: metricsNamespace },
      logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
      timeout,
      ...(props.maxConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.maxConcurrency }),
    });
    const role = this.dispatcher.role;

    const routes = [...readerRoutes, ...(props.startingPosition instanceof Date ? ['describeGroup'] : [])];
    const routeArns = routes.map((route) => routeArn(sluice, route, topic, this.group));
    if (destination?.type === 'topic') routeArns.push(...producerRoutes.map((route) => routeArn(sluice, route, destination.topic, this.group)));
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['execute-api:Invoke'], resources: routeArns }));
    props.function.grantInvoke(role);
    if (props.onFailure && 'queue' in props.onFailure) props.onFailure.queue.grantSendMessages(role);
    if (props.onFailure && 'snsTopic' in props.onFailure) props.onFailure.snsTopic.grantPublish(role);
    acknowledgeFunction(this.dispatcher, []);
    acknowledgeTrigger(this.dispatcher, [...routeArns, `${props.function.functionArn}:*`]);

    new Rule(this, 'Schedule', {
      description: `Sluice trigger ${id}: starts the dispatcher of ${topic} to its function`,
      schedule: props.schedule ?? Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.dispatcher.function, { retryAttempts: 0 })],
    });

    const metric = (metricName: string, statistic: string) =>
      new Metric({ namespace: metricsNamespace, metricName, dimensionsMap: { service: sluice.name, trigger: name }, statistic, period: Duration.minutes(5) });
    const ageMs = (props.iteratorAgeAlarm ?? Duration.minutes(5)).toMilliseconds();
    this.alarm('IteratorAge', `Sluice trigger ${id}: records reach the function more than ${ageMs / 1000} s after they were produced`, metric(triggerMetricNames.iteratorAge, 'Maximum'), ageMs, props);
    this.alarm('RecordsFailed', `Sluice trigger ${id}: records the function did not take after its retries`, metric(triggerMetricNames.recordsFailed, 'Sum'), 1, props);
    this.alarm('DispatcherErrors', `Sluice trigger ${id}: the dispatcher failed (crash, timeout, or the API refused it)`, this.dispatcher.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, props);
  }

  private alarm(id: string, description: string, metric: Metric, threshold: number, props: SluiceTriggerProps): void {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    for (const action of props.alarmActions ?? []) alarm.addAlarmAction(action);
    this.alarms.push(alarm);
  }
}

/** The ARN of one route of the Sluice API, for this topic and group; other path parameters (partition, member) are any. */
function routeArn(sluice: Sluice, name: string, topic: string, group: string): string {
  const route = routeTable.find((r) => r.name === name);
  if (!route) throw new ConfigError(`no API route ${name}`);
  const path = route.path.replace('{topic}', topic).replace('{group}', group).replace(/\{[^}]+\}/g, '*');
  return sluice.api.httpApi.arnForExecuteApi(route.method, path, '*');
}

function destinationConfig(onFailure: SluiceTriggerDestination | undefined): TriggerDestinationConfig | undefined {
  if (onFailure === undefined) return undefined;
  if ('queue' in onFailure) return { type: 'sqs', queueUrl: onFailure.queue.queueUrl };
  if ('snsTopic' in onFailure) return { type: 'sns', topicArn: onFailure.snsTopic.topicArn };
  return { type: 'topic', topic: validateTopicName(onFailure.sluiceTopic, 'onFailure.sluiceTopic') };
}

function startingPosition(value: 'earliest' | 'latest' | Date): StartingPosition {
  return value instanceof Date ? { timestamp: value.getTime() } : value;
}
