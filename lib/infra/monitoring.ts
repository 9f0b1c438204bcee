/**
 * One region's dashboard and alarms: traffic in and out, contention, how far sealing and
 * consumers are behind, and the health of the functions, the API and the tables.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TreatMissingData,
  type IAlarmAction,
  type IMetric,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { TableRole } from '../core/config.ts';
import { metricNames, metricsNamespace } from '../core/metrics.ts';
import type { SluiceFunctionName } from './topology.ts';

export interface SluiceMonitoringProps {
  /** The deployment name: the `service` dimension Powertools puts on every metric. */
  readonly name: string;
  readonly functions: Partial<Record<SluiceFunctionName, IFunction>>;
  readonly api: HttpApi;
  readonly tables: Readonly<Record<TableRole, ITableV2>>;
  /** Seal lag (seconds) that raises an alarm. */
  readonly sealLagAlarmSeconds: number;
  readonly alarmActions: readonly IAlarmAction[];
}

const period = Duration.minutes(5);

export class SluiceMonitoring extends Construct {
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: SluiceMonitoringProps) {
    super(scope, id);
    const sluiceMetric = (metricName: string, statistic: string) =>
      new Metric({ namespace: metricsNamespace, metricName, dimensionsMap: { service: props.name }, statistic, period: Duration.minutes(1) });
    const functions = Object.entries(props.functions) as Array<[SluiceFunctionName, IFunction]>;
    const runsJobs = props.functions.jobs !== undefined;

    const sealLag = sluiceMetric(metricNames.sealLagSeconds, 'Maximum');
    const recordsLost = sluiceMetric(metricNames.recordsLost, 'Sum');
    // One series per kind (an alarm's math takes at most 10 metrics).
    const tableThrottles = (kind: 'Read' | 'Write') =>
      new MathExpression({
        label: `DynamoDB ${kind.toLowerCase()} throttles`,
        expression: 'SUM(METRICS())',
        usingMetrics: Object.fromEntries(
          (Object.entries(props.tables) as Array<[TableRole, ITableV2]>).map(([role, table]) => [`${role}${kind}`, table.metric(`${kind}ThrottleEvents`, { statistic: 'Sum', period })]),
        ),
        period,
      });
    const readThrottles = tableThrottles('Read');
    const writeThrottles = tableThrottles('Write');

    for (const [name, fn] of functions) {
      this.alarm(`${name}-errors`, `Sluice ${name} function: invocations failed (crash, timeout or out of memory)`, fn.metricErrors({ period, statistic: 'Sum' }), 1, props);
      this.alarm(`${name}-throttles`, `Sluice ${name} function: invocations throttled (concurrency exhausted)`, fn.metricThrottles({ period, statistic: 'Sum' }), 1, props);
    }
    this.alarm('api-5xx', 'Sluice API: server errors', props.api.metricServerError({ period, statistic: 'Sum' }), 5, props);
    this.alarm('dynamodb-read-throttles', 'Sluice tables: reads throttled', readThrottles, 1, props);
    this.alarm('dynamodb-write-throttles', 'Sluice tables: writes throttled', writeThrottles, 1, props);
    if (runsJobs) {
      this.alarm(
        'seal-lag',
        `Sluice: tail batches overdue for sealing by more than ${props.sealLagAlarmSeconds} s (jobs failing or too slow)`,
        sealLag.with({ period }),
        props.sealLagAlarmSeconds,
        props,
      );
      // Once is enough: these records are gone.
      const lost = recordsLost.with({ period });
      this.alarm('records-lost', 'Sluice: tail records expired before they were sealed (jobs were down for a day): data lost', lost, 1, props, 1);
    }

    const graph = (title: string, left: IMetric[], right: IMetric[] = []) => new GraphWidget({ title, left, right, width: 8, height: 6 });
    const perFunction = (title: string, metric: (fn: IFunction) => Metric) =>
      graph(title, functions.map(([name, fn]) => metric(fn).with({ label: name })));
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      graph('Records in / out', [sluiceMetric(metricNames.recordsIn, 'Sum'), sluiceMetric(metricNames.recordsOut, 'Sum')]),
      graph('Bytes in / out', [sluiceMetric(metricNames.bytesIn, 'Sum'), sluiceMetric(metricNames.bytesOut, 'Sum')]),
      graph('Append conflicts', [sluiceMetric(metricNames.appendConflicts, 'Sum')]),
    );
    if (runsJobs) {
      this.dashboard.addWidgets(
        graph('Seal lag (s), records lost', [sealLag], [recordsLost]),
        graph('Consumer lag by group (records)', [
          new MathExpression({
            label: '',
            expression: `SEARCH('{${metricsNamespace},group,service} MetricName="${metricNames.consumerLag}" service="${props.name}"', 'Maximum', 60)`,
            period: Duration.minutes(1),
          }),
        ]),
      );
    }
    this.dashboard.addWidgets(
      perFunction('Function errors', (fn) => fn.metricErrors({ statistic: 'Sum' })),
      perFunction('Function throttles', (fn) => fn.metricThrottles({ statistic: 'Sum' })),
      perFunction('Function duration p99 (ms)', (fn) => fn.metricDuration({ statistic: 'p99' })),
      graph('API requests and errors', [props.api.metricCount({ statistic: 'Sum' })], [
        props.api.metricClientError({ statistic: 'Sum' }),
        props.api.metricServerError({ statistic: 'Sum' }),
      ]),
      graph('API latency p99 (ms)', [props.api.metricLatency({ statistic: 'p99' }), props.api.metricIntegrationLatency({ statistic: 'p99' })]),
      graph('DynamoDB throttled requests', [readThrottles, writeThrottles]),
    );
  }

  /** Alarms when `metric` reaches `threshold` in `datapointsToAlarm` (two) of three 5-minute periods. */
  private alarm(id: string, description: string, metric: IMetric, threshold: number, props: SluiceMonitoringProps, datapointsToAlarm = 2): void {
    const alarm = new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(...props.alarmActions);
    this.alarms.push(alarm);
  }
}
