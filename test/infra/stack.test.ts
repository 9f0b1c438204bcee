/** The stack `npx cdk deploy` builds in one region: every property the deployment promises. */
import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeTable as routes } from '../../lib/core/routes.ts';
import { storageConfigFromEnv, tableNamesWithPrefix, tableRoles } from '../../lib/core/config.ts';
import { metricNames, metricsNamespace } from '../../lib/core/metrics.ts';
import { tableDefinitions } from '../../lib/storage/tables.ts';
import type { SluiceStack } from '../../lib/infra/stack.ts';
import { account, functionId, functionProps, nagErrors, permissions, resources, synthesize } from './synth.ts';

const region = 'us-east-1';
const names = ['produce', 'fetch', 'groups', 'admin', 'jobs'];
const bucketName = `sluice-data-${account}-${region}`;
let stack: SluiceStack;
let template: Template;

beforeAll(() => {
  const synthesized = synthesize([region]);
  stack = synthesized.stacks[0]!;
  template = synthesized.templates[region]!;
});

describe('DynamoDB', () => {
  it('has one table per role, keyed as the local runner keys it', () => {
    for (const role of tableRoles) {
      const { partitionKey, sortKey } = tableDefinitions[role] as { partitionKey: { name: string; type: string }; sortKey?: { name: string; type: string } };
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        TableName: `sluice-${role}`,
        KeySchema: [{ AttributeName: partitionKey.name, KeyType: 'HASH' }, ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' }] : [])],
        AttributeDefinitions: Match.arrayWith([{ AttributeName: partitionKey.name, AttributeType: partitionKey.type }]),
      });
    }
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', tableRoles.length);
  });

  it('lets sealed tail items expire by TTL (the log table only), and tells the functions so', () => {
    const ttl = resources(template, 'AWS::DynamoDB::GlobalTable').map(([, table]) => [table.Properties.TableName, table.Properties.TimeToLiveSpecification]);
    expect(ttl).toEqual(tableRoles.map((role) => [`sluice-${role}`, role === 'log' ? { AttributeName: 'expiresAt', Enabled: true } : undefined]));
    expect(functionProps(template, 'jobs').Environment.Variables.SLUICE_TAIL_CLEANUP).toBe('expire');
  });

  it('bills on demand, keeps point-in-time recovery and deletion protection, and outlives the stack', () => {
    for (const [, table] of resources(template, 'AWS::DynamoDB::GlobalTable')) {
      expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(table.Properties.Replicas).toEqual([
        expect.objectContaining({ Region: region, DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
      ]);
      expect(table.Properties.MultiRegionConsistency).toBeUndefined();
    }
    template.allResources('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('turns deletion protection off only when asked', () => {
    const { templates } = synthesize([region], { deletionProtection: false });
    for (const [, table] of resources(templates[region]!, 'AWS::DynamoDB::GlobalTable')) {
      expect(table.Properties.Replicas[0].DeletionProtectionEnabled).toBe(false);
      expect(table.Properties.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    }
  });
});

describe('S3', () => {
  it('blocks public access, encrypts, versions, and cleans up incomplete uploads and old versions', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: bucketName,
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, NoncurrentVersionExpiration: { NoncurrentDays: 7 } })],
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    // One region: nothing to replicate to.
    expect(resources(template, 'AWS::S3::Bucket')[0]![1].Properties.ReplicationConfiguration).toBeUndefined();
  });

  it('refuses requests without TLS 1.2', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      },
    });
  });
});

describe('Lambda', () => {
  it('has one function per handler: Node.js 22 on arm64, traced, with its own log group', () => {
    template.resourceCountIs('AWS::Lambda::Function', names.length);
    for (const name of names) {
      const fn = functionProps(template, name);
      expect(fn).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler', TracingConfig: { Mode: 'Active' } });
      expect(fn.LoggingConfig.LogGroup).toEqual({ Ref: expect.any(String) });
    }
  });

  it('sizes each function; API functions end before API Gateway does (30 s), fetch outlasts its 20 s long poll', () => {
    const sizing = Object.fromEntries(names.map((name) => [name, [functionProps(template, name).MemorySize, functionProps(template, name).Timeout]]));
    expect(sizing).toEqual({ produce: [1024, 20], fetch: [1024, 25], groups: [512, 10], admin: [2048, 29], jobs: [2048, 240] });
    expect(() => synthesize([region], { functions: { fetch: { timeout: Duration.seconds(20) } } })).toThrow("the fetch function's timeout must exceed its 20 s long poll");
    expect(() => synthesize([region], { functions: { produce: { timeout: Duration.seconds(30) } } })).toThrow(
      "the produce function's timeout must be at most 29 s: API Gateway ends requests at 30 s",
    );
  });

  it('reserves concurrency only where asked', () => {
    expect(functionProps(template, 'produce').ReservedConcurrentExecutions).toBeUndefined();
    const { templates } = synthesize([region], { functions: { jobs: { reservedConcurrentExecutions: 2 }, fetch: { memorySize: 3008 } } });
    expect(functionProps(templates[region]!, 'jobs').ReservedConcurrentExecutions).toBe(2);
    expect(functionProps(templates[region]!, 'fetch').MemorySize).toBe(3008);
    expect(functionProps(templates[region]!, 'fetch').ReservedConcurrentExecutions).toBeUndefined();
  });

  it("gives every function the configuration its handler reads, and nothing storageConfigFromEnv would refuse", () => {
    for (const name of names) {
      const variables = functionProps(template, name).Environment.Variables as Record<string, string>;
      expect(storageConfigFromEnv({ AWS_REGION: region, ...variables })).toEqual({
        region,
        tables: tableNamesWithPrefix('sluice-'),
        bucket: bucketName,
        tailCleanup: 'expire',
      });
      expect(variables).toMatchObject({ POWERTOOLS_SERVICE_NAME: 'sluice', POWERTOOLS_METRICS_NAMESPACE: metricsNamespace });
    }
  });
});

describe('least privilege, per function', () => {
  const baseline = [
    'logs:CreateLogStream on logs',
    'logs:PutLogEvents on logs',
    'xray:PutTelemetryRecords on *',
    'xray:PutTraceSegments on *',
  ];
  const dataWrites = /^(dynamodb:(Put|Update|Delete|BatchWrite)|s3:(Put|Delete))/;

  it('fetch reads and cannot write anything', () => {
    const granted = permissions(template, 'fetch');
    expect([...granted].filter((p) => dataWrites.test(p))).toEqual([]);
    expect([...granted].sort()).toEqual(
      [
        ...baseline,
        'dynamodb:GetItem on table:topics',
        'dynamodb:GetItem on table:partitions',
        'dynamodb:Query on table:log',
        'dynamodb:Query on table:segments',
        's3:GetObject on bucket:staged/*',
        's3:GetObject on bucket:segments/*',
        's3:ListBucket on bucket',
      ].sort(),
    );
  });

  it('produce appends and keeps producer state, and cannot change topics nor touch groups', () => {
    const granted = permissions(template, 'produce');
    expect([...granted].filter((p) => / on table:groups|(?<!GetItem) on table:topics|DeleteItem on table:(?!producers)/.test(p))).toEqual([]);
    expect([...granted].sort()).toEqual(
      [
        ...baseline,
        'dynamodb:GetItem on table:topics',
        'dynamodb:GetItem on table:partitions',
        'dynamodb:Query on table:log',
        'dynamodb:PutItem on table:log',
        // An idempotent retry looks for its earlier try in sealed segments.
        'dynamodb:Query on table:segments',
        's3:GetObject on bucket:segments/*',
        's3:ListBucket on bucket',
        ...['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'].map((op) => `dynamodb:${op} on table:producers`),
        's3:PutObject on bucket:staged/*',
      ].sort(),
    );
  });

  it('groups touches the groups table and reads topics, nothing else', () => {
    expect([...permissions(template, 'groups')].sort()).toEqual(
      [
        ...baseline,
        'dynamodb:GetItem on table:topics',
        ...['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'].map((op) => `dynamodb:${op} on table:groups`),
      ].sort(),
    );
  });

  it('jobs seal, expire, compact, purge and read lag; they never write records nor producer state', () => {
    const granted = permissions(template, 'jobs');
    expect([...granted].filter((p) => /PutItem on table:log|table:producers|s3:PutObject on bucket:staged/.test(p))).toEqual([]);
    expect([...granted].sort()).toEqual(
      [
        ...baseline,
        'dynamodb:GetItem on table:topics',
        'dynamodb:Scan on table:topics',
        'dynamodb:DeleteItem on table:topics',
        'dynamodb:Query on table:log',
        'dynamodb:BatchWriteItem on table:log',
        'dynamodb:GetItem on table:partitions',
        'dynamodb:UpdateItem on table:partitions',
        'dynamodb:DeleteItem on table:partitions',
        'dynamodb:Query on table:segments',
        'dynamodb:PutItem on table:segments',
        'dynamodb:DeleteItem on table:segments',
        'dynamodb:Query on table:groups',
        'dynamodb:Scan on table:groups',
        's3:GetObject on bucket:staged/*',
        's3:GetObject on bucket:segments/*',
        's3:PutObject on bucket:segments/*',
        's3:DeleteObject on bucket:staged/*',
        's3:DeleteObject on bucket:segments/*',
        's3:ListBucket on bucket',
      ].sort(),
    );
  });

  it('admin manages topics and groups and can run the jobs (POST /v1/jobs/run), but never appends', () => {
    const granted = permissions(template, 'admin');
    for (const p of permissions(template, 'jobs')) expect(granted).toContain(p);
    for (const p of ['dynamodb:PutItem on table:topics', 'dynamodb:UpdateItem on table:groups', 'dynamodb:DeleteItem on table:groups']) expect(granted).toContain(p);
    expect([...granted].filter((p) => /PutItem on table:log|table:producers|s3:PutObject on bucket:staged/.test(p))).toEqual([]);
  });

  it('each role is its own: no managed policies, no role shared by two functions', () => {
    const roles = names.map((name) => functionProps(template, name).Role['Fn::GetAtt'][0]);
    expect(new Set(roles).size).toBe(names.length);
    for (const [, role] of resources(template, 'AWS::IAM::Role')) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('API Gateway', () => {
  it('serves every route of the router on the function its group names, plus a catch-all on fetch', () => {
    const json = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
    const served = resources(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => {
      const integration = json[r.Properties.Target['Fn::Join'][1][1].Ref]!;
      const fnId = integration.Properties.IntegrationUri['Fn::GetAtt'][0] as string;
      const group = ['produce', 'fetch', 'groups', 'admin'].find((name) => functionId(template, name) === fnId);
      return `${r.Properties.RouteKey} -> ${group}`;
    });
    expect(served.sort()).toEqual([...routes.map((r) => `${r.method} ${r.path} -> ${r.group}`), '$default -> fetch'].sort());
  });

  it('authorizes every route with IAM (SigV4) by default', () => {
    template.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'AWS_IAM' });
  });

  it('takes a JWT authorizer instead when given an issuer', () => {
    const { templates } = synthesize([region], { jwt: { issuer: 'https://issuer.example.com', audience: ['sluice'] } });
    templates[region]!.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://issuer.example.com', Audience: ['sluice'] },
    });
    templates[region]!.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT' });
  });

  it('throttles the stage (defaults, or as configured) and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 },
      AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, Format: Match.stringLikeRegexp('requestId.*caller.*routeKey.*status') },
    });
    const { templates } = synthesize([region], { throttle: { rateLimit: 10, burstLimit: 20 } });
    templates[region]!.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } });
  });
});

describe('background jobs', () => {
  it('run every minute on an EventBridge schedule, without retries (the next run retries)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [functionId(template, 'jobs'), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { FunctionName: { Ref: functionId(template, 'jobs') }, MaximumRetryAttempts: 0 });
  });
});

describe('observability', () => {
  type Alarm = { Properties: Record<string, any> };
  const alarms = () => resources(template, 'AWS::CloudWatch::Alarm').map(([, a]) => a as Alarm);
  const lambdaAlarm = (metric: string, name: string) =>
    alarms().find((a) => a.Properties.MetricName === metric && a.Properties.Dimensions?.[0]?.Value?.Ref === functionId(template, name));

  it('alarms on errors and throttles of every function', () => {
    for (const name of names) {
      expect(lambdaAlarm('Errors', name)?.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(lambdaAlarm('Throttles', name)?.Properties).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 1 });
    }
  });

  it('alarms on seal lag, records lost, API server errors and DynamoDB throttles', () => {
    expect(alarms().find((a) => a.Properties.MetricName === metricNames.sealLagSeconds)?.Properties).toMatchObject({
      Namespace: metricsNamespace,
      Dimensions: [{ Name: 'service', Value: 'sluice' }],
      Statistic: 'Maximum',
      Threshold: 900,
    });
    // A single lost record raises it.
    expect(alarms().find((a) => a.Properties.MetricName === metricNames.recordsLost)?.Properties).toMatchObject({
      Namespace: metricsNamespace,
      Statistic: 'Sum',
      Threshold: 1,
      DatapointsToAlarm: 1,
    });
    expect(alarms().find((a) => a.Properties.MetricName === '5xx')?.Properties).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 5 });
    const throttleMetrics = alarms()
      .filter((a) => a.Properties.Metrics)
      .flatMap((a) => (a.Properties.Metrics as Array<Record<string, any>>).filter((m) => m.MetricStat).map((m) => m.MetricStat.Metric.MetricName as string));
    expect(new Set(throttleMetrics)).toEqual(new Set(['ReadThrottleEvents', 'WriteThrottleEvents']));
    expect(throttleMetrics).toHaveLength(2 * tableRoles.length);
  });

  it('alarms notify the SNS topic named for them, in their region', () => {
    const { templates } = synthesize([region], {}, { alarmTopicName: 'ops' });
    const alarms = resources(templates[region]!, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(resources(template, 'AWS::CloudWatch::Alarm').length);
    for (const [, alarm] of alarms) expect(alarm.Properties.AlarmActions).toEqual([`arn:aws:sns:${region}:${account}:ops`]);
  });

  it('has a dashboard of traffic, contention, seal and consumer lag, functions, API and tables', () => {
    const [, dashboard] = resources(template, 'AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const metric of Object.values(metricNames)) expect(body).toContain(metric);
    for (const metric of ['Errors', 'Throttles', 'Duration', '4xx', '5xx', 'ReadThrottleEvents', 'WriteThrottleEvents']) expect(body).toContain(metric);
    expect(body).toContain(`SEARCH('{${metricsNamespace},group,service} MetricName=\\\\\\"${metricNames.consumerLag}\\\\\\" service=\\\\\\"sluice\\\\\\"'`);
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('finds no error that is not acknowledged with a reason', () => {
    expect(nagErrors(stack)).toEqual([]);
    const acknowledged = stack.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const { data } of acknowledged) for (const reason of Object.values(data as Record<string, string>)) expect(reason.length).toBeGreaterThan(60);
  });

  it('reports what nobody acknowledged', () => {
    const { stacks } = synthesize([region]);
    stacks[0]!.sluice.functions.fetch!.role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));
    expect(nagErrors(stacks[0]!)).toContain('AwsSolutions-IAM5[Action::dynamodb:*] at sluice-us-east-1/Sluice/Fetch/Role/DefaultPolicy/Resource');
  });
});
