/**
 * `Sluice`: the whole system in one region, as one construct to put in any stack. For
 * several regions, put one in a stack per region with the same home and replica regions
 * (lib/infra/stack.ts does that); each works out from its stack's region what it runs.
 */
import { CfnOutput, Duration, Stack, Token } from 'aws-cdk-lib';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { storageEnv } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { metricsNamespace } from '../core/metrics.ts';
import { SluiceApi } from './api.ts';
import { SluiceFunction, type FunctionOptions } from './functions.ts';
import { SluiceMonitoring } from './monitoring.ts';
import { acknowledgeFunction, acknowledgeStorage } from './nag.ts';
import { functionAccess, grantStorage } from './permissions.ts';
import { SluiceStorage } from './storage.ts';
import { constructId, regionRole, topology, validateName, type Consistency, type SluiceFunctionName, type Topology } from './topology.ts';

export interface SluiceProps {
  /**
   * Starts every name: tables `<name>-topics`, ..., bucket `<name>-data-<account>-<region>`,
   * the API, and the metrics' `service` dimension.
   * @default 'sluice'
   */
  readonly name?: string;
  /** The region that takes every write and runs the background jobs. @default the stack's region */
  readonly homeRegion?: string;
  /** Regions that hold replicas of the data and serve reads (see lib/infra/topology.ts). @default none */
  readonly replicaRegions?: readonly string[];
  /** How the tables replicate. @default 'strong' (MRSC) for exactly three regions, else 'eventual' */
  readonly consistency?: Consistency;
  /** Deletion protection on every table and replica. @default true */
  readonly deletionProtection?: boolean;
  /** Days a deleted or overwritten object stays recoverable (the bucket is versioned). @default 7 */
  readonly noncurrentVersionDays?: number;
  /** Memory, timeout and reserved concurrency per function. @default lib/infra/functions.ts functionDefaults, no reserved concurrency */
  readonly functions?: Partial<Record<SluiceFunctionName, FunctionOptions>>;
  /** Authorize with JWTs from this issuer instead of IAM (SigV4). @default IAM */
  readonly jwt?: { readonly issuer: string; readonly audience: readonly string[] };
  /** Request rate (per second) and burst for the whole API. @default 1000 per second, burst 2000 */
  readonly throttle?: ThrottleSettings;
  /** When the background jobs run. @default every minute */
  readonly jobsSchedule?: Schedule;
  /** How long function and access logs are kept. @default one month */
  readonly logRetention?: RetentionDays;
  /** Seal lag, in seconds, that raises the seal-lag alarm. @default 900 */
  readonly sealLagAlarmSeconds?: number;
  /** What every alarm does when it fires, e.g. an SnsAction. @default none */
  readonly alarmActions?: readonly IAlarmAction[];
}

const defaultThrottle: Required<ThrottleSettings> = { rateLimit: 1000, burstLimit: 2000 };

export class Sluice extends Construct {
  /** Starts every name, and is the `service` dimension of the metrics. */
  readonly name: string;
  /** How the API authorizes callers: a SluiceTrigger's dispatcher signs its calls, so it needs IAM. */
  readonly authorization: 'iam' | 'jwt';
  readonly topology: Topology;
  readonly storage: SluiceStorage;
  readonly functions: Partial<Record<SluiceFunctionName, SluiceFunction>> = {};
  readonly api: SluiceApi;
  readonly monitoring: SluiceMonitoring;

  constructor(scope: Construct, id: string, props: SluiceProps = {}) {
    super(scope, id);
    const name = validateName(props.name ?? 'sluice');
    this.name = name;
    this.authorization = props.jwt ? 'jwt' : 'iam';
    const region = Stack.of(this).region;
    const spansRegions = props.homeRegion !== undefined || (props.replicaRegions ?? []).length > 0 || props.consistency !== undefined;
    if (spansRegions && Token.isUnresolved(region)) {
      throw new ConfigError('a multi-region Sluice needs a stack with an explicit region (env: { region })');
    }
    // One region may be left to deploy time (an environment-agnostic stack).
    this.topology = spansRegions ? topology(props.homeRegion ?? region, props.replicaRegions ?? [], props.consistency) : { home: region, replicas: [], consistency: 'eventual' };
    const role = regionRole(this.topology, region);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;

    this.storage = new SluiceStorage(this, 'Storage', {
      name,
      topology: this.topology,
      role,
      deletionProtection: props.deletionProtection ?? true,
      noncurrentVersionDays: props.noncurrentVersionDays ?? 7,
    });
    acknowledgeStorage(this.storage);
    const environment = this.environment(name);
    for (const fn of role.functions) {
      const created = new SluiceFunction(this, constructId(fn), { name: fn, environment, logRetention, ...props.functions?.[fn] });
      acknowledgeFunction(created, grantStorage(created.role, functionAccess[fn], this.storage));
      this.functions[fn] = created;
    }
    const handler = (fn: SluiceFunctionName): IFunction | undefined => this.functions[fn]?.function;

    this.api = new SluiceApi(this, 'Api', {
      name,
      handlers: { fetch: handler('fetch')!, produce: handler('produce'), groups: handler('groups'), admin: handler('admin') },
      authorizer: props.jwt ? new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, { jwtAudience: [...props.jwt.audience] }) : new HttpIamAuthorizer(),
      throttle: props.throttle ?? defaultThrottle,
      logRetention,
    });

    const jobs = handler('jobs');
    if (jobs) {
      new Rule(this, 'JobsSchedule', {
        description: 'Sluice background jobs: sealing, retention, compaction, purges, lag metrics',
        schedule: props.jobsSchedule ?? Schedule.rate(Duration.minutes(1)),
        targets: [new LambdaFunction(jobs, { retryAttempts: 0 })],
      });
    }

    this.monitoring = new SluiceMonitoring(this, 'Monitoring', {
      name,
      functions: Object.fromEntries(role.functions.map((fn) => [fn, handler(fn)!])),
      api: this.api.httpApi,
      tables: this.storage.tables,
      sealLagAlarmSeconds: props.sealLagAlarmSeconds ?? 900,
      alarmActions: props.alarmActions ?? [],
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: `Sluice API in ${role.isHome ? 'the home region' : 'a replica region (reads)'}` });
    new CfnOutput(this, 'Functions', { value: role.functions.join(' '), description: 'What this region runs: writes and jobs run in the home region only' });
  }

  /**
   * What every function reads at start (storageConfigFromEnv in lib/core/config.ts, which
   * refuses SLUICE_ variables it does not know) and what Powertools reads.
   */
  private environment(name: string): Record<string, string> {
    const { tableNames, bucketName, sourceBucket, sourceRegion } = this.storage;
    return {
      ...storageEnv({
        tables: tableNames,
        bucket: bucketName,
        tailCleanup: this.topology.consistency === 'strong' ? 'delete' : 'expire',
        ...(sourceBucket && sourceRegion ? { sourceBucket: { name: sourceBucket.bucketName, region: sourceRegion } } : {}),
      }),
      POWERTOOLS_SERVICE_NAME: name,
      POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
    };
  }
}
