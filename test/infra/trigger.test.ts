/**
 * SluiceTrigger as `cdk synth` writes it: the schedule that starts the dispatcher, what
 * the dispatcher is told, exactly what its role may do, its destination and its alarms,
 * and cdk-nag's verdict.
 */
import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { triggerMetricNames } from '../../lib/core/metrics.ts';
import { triggerDeploymentFromEnv, triggerEnvName } from '../../lib/core/trigger-config.ts';
import { Sluice } from '../../lib/infra/sluice.ts';
import { SluiceTrigger, type SluiceTriggerProps } from '../../lib/infra/trigger.ts';
import { account, nagErrors, resources } from './synth.ts';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

interface Built {
  readonly stack: Stack;
  readonly template: Template;
  readonly trigger: SluiceTrigger;
}

/** A stack with a Sluice, the user's function, and a trigger between them (not bundled). */
function build(props: Partial<SluiceTriggerProps> & { onFailureKind?: 'queue' | 'sns' | 'topic' } = {}, sluiceProps: ConstructorParameters<typeof Sluice>[2] = {}): Built {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'app', { env: { account, region: 'us-east-1' } });
  const sluice = new Sluice(stack, 'Sluice', sluiceProps);
  const billing = new LambdaFunction(stack, 'BillingFunction', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('export const handler = async () => {};') });
  const { onFailureKind, ...rest } = props;
  const onFailure =
    onFailureKind === 'queue' ? { queue: new Queue(stack, 'Dlq', { enforceSSL: true }) } : onFailureKind === 'sns' ? { snsTopic: new Topic(stack, 'Failures', { enforceSSL: true }) } : onFailureKind === 'topic' ? { sluiceTopic: 'orders.dlq' } : undefined;
  const trigger = new SluiceTrigger(stack, 'Billing', { sluice, topic: 'orders', function: billing, ...(onFailure ? { onFailure } : {}), ...rest });
  return { stack, template: Template.fromStack(stack), trigger };
}

const dispatcherOf = (template: Template) => {
  const found = resources(template, 'AWS::Lambda::Function').find(([, r]) => r.Properties.Description === 'Sluice trigger');
  if (!found) throw new Error('no dispatcher');
  return found;
};

/** Every (action, resource) the dispatcher's role is granted, resources as CloudFormation writes them. */
function granted(template: Template): Array<{ action: string; resource: string }> {
  const roleId = (dispatcherOf(template)[1].Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]);
  return resources(template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>)
    .flatMap((s) => list(s.Action).flatMap((action) => list(s.Resource).map((resource) => ({ action: action as string, resource: JSON.stringify(resource) }))));
}

/** The route part of an execute-api ARN as the template writes it: `GET/v1/topics/orders/...`. */
const routeOf = (resource: string) => /\/\*\/([A-Z]+\/v1\/[^"]*)"/.exec(resource)?.[1];

describe('SluiceTrigger', () => {
  it('starts the dispatcher every minute, and tells it the topic, group, function, options and destination', () => {
    const filters = [{ value: { type: ['order'] } }];
    const { template, trigger } = build({ batchSize: 250, maxBatchingWindow: Duration.seconds(2), bisectBatchOnError: true, retryAttempts: 3, startingPosition: 'earliest', filters, onFailureKind: 'queue' });
    const [dispatcherId, dispatcher] = dispatcherOf(template);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [dispatcherId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    expect(dispatcher.Properties.Timeout).toBe(900);
    expect(dispatcher.Properties.MemorySize).toBe(256);

    // The environment as the dispatcher reads it, with CloudFormation's references left in place.
    const raw = dispatcher.Properties.Environment.Variables[triggerEnvName] as { 'Fn::Join': [string, unknown[]] };
    const text = raw['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'REF')).join('');
    const deployment = triggerDeploymentFromEnv({ [triggerEnvName]: text });
    expect(trigger.group).toMatch(/^trigger-app-billing-[0-9a-f]{8}$/);
    expect(deployment).toMatchObject({
      name: trigger.group.slice('trigger-'.length),
      functionName: 'REF',
      destination: { type: 'sqs', queueUrl: 'REF' },
      options: { topic: 'orders', group: trigger.group, batchSize: 250, batchingWindowMs: 2000, bisectBatchOnFunctionError: true, maxRetryAttempts: 3, startingPosition: 'earliest', filters },
      idleMs: 30_000,
      stopMarginMs: 300_000,
    });
    expect(deployment.endpoint).toContain('execute-api');
  });

  it('grants the dispatcher its API routes for this topic and group, invoking this function, sending to this queue: nothing more', () => {
    const { template, trigger } = build({ onFailureKind: 'queue' });
    const grants = granted(template);
    const routes = grants.filter((g) => g.action === 'execute-api:Invoke').map((g) => routeOf(g.resource));
    const group = trigger.group;
    expect(routes.sort()).toEqual(
      [
        'GET/v1/topics/orders/partitions/*/records',
        'GET/v1/topics/orders/partitions/*/offsets',
        `POST/v1/groups/${group}/members`,
        `POST/v1/groups/${group}/members/*/heartbeat`,
        `DELETE/v1/groups/${group}/members/*`,
        `POST/v1/groups/${group}/offsets`,
      ].sort(),
    );
    // Starting at a time, it reads the group's committed offsets first.
    const atTime = granted(build({ startingPosition: new Date('2026-12-01T00:00:00Z') }).template).map((g) => routeOf(g.resource));
    expect(atTime.filter((r) => r?.startsWith('GET/v1/groups/'))).toHaveLength(1);
    const billingArn = (r: string) => r.includes('BillingFunction');
    const others = grants.filter((g) => g.action !== 'execute-api:Invoke');
    expect(others.filter((g) => g.action === 'lambda:InvokeFunction').every((g) => billingArn(g.resource))).toBe(true);
    expect(others.filter((g) => g.action === 'lambda:InvokeFunction')).toHaveLength(2);
    expect(others.filter((g) => g.action.startsWith('sqs:')).map((g) => g.action).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    expect(others.filter((g) => g.action.startsWith('sqs:')).every((g) => g.resource.includes('Dlq'))).toBe(true);
    const rest = others.filter((g) => !g.action.startsWith('sqs:') && g.action !== 'lambda:InvokeFunction').map((g) => g.action.split(':')[0]);
    // Its own log group and X-Ray; no table, bucket or other function.
    expect(new Set(rest)).toEqual(new Set(['logs', 'xray']));
  });

  it('adds the produce routes of a Sluice topic destination, and SNS publishing for an SNS one', () => {
    const topic = granted(build({ onFailureKind: 'topic' }).template);
    const routes = topic.filter((g) => g.action === 'execute-api:Invoke').map((g) => routeOf(g.resource));
    expect(routes).toEqual(expect.arrayContaining(['POST/v1/topics/orders.dlq/records', 'POST/v1/producers', 'GET/v1/topics/orders.dlq']));
    expect(routes).toHaveLength(9);
    const sns = granted(build({ onFailureKind: 'sns' }).template);
    expect(sns.filter((g) => g.action === 'sns:Publish').map((g) => g.resource.includes('Failures'))).toEqual([true]);
    expect(sns.some((g) => g.action.startsWith('sqs:'))).toBe(false);
  });

  it('alarms on iterator age, on records given up, and on dispatcher errors', () => {
    const { template, trigger } = build({ iteratorAgeAlarm: Duration.minutes(2) });
    expect(trigger.alarms).toHaveLength(3);
    const name = trigger.group.slice('trigger-'.length);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: triggerMetricNames.iteratorAge,
      Namespace: 'Sluice',
      Dimensions: Match.arrayWith([{ Name: 'service', Value: 'sluice' }, { Name: 'trigger', Value: name }]),
      Statistic: 'Maximum',
      Threshold: 120_000,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: triggerMetricNames.recordsFailed, Statistic: 'Sum', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Errors', Namespace: 'AWS/Lambda', Threshold: 1 });
  });

  it('is refused at synth for a JWT-authorized Sluice, options out of Lambda’s bounds, or a stop margin past the timeout', () => {
    expect(() => build({}, { jwt: { issuer: 'https://issuer.example', audience: ['sluice'] } })).toThrow(/IAM/);
    expect(() => build({ batchSize: 20_000 })).toThrow(/batchSize/);
    expect(() => build({ maxRecordAge: Duration.seconds(10) })).toThrow(/maxRecordAgeMs/);
    expect(() => build({ filters: [{ key: ['x'] }] })).toThrow(/value only/);
    expect(() => build({ timeout: Duration.minutes(5), stopMargin: Duration.minutes(5) })).toThrow(/stopMargin/);
    // The function's own timeout (3 s here) must fit in the margin.
    expect(() => build({ stopMargin: Duration.seconds(2) })).toThrow(/longer than its function's timeout/);
  });

  it('passes cdk-nag with every finding acknowledged for a reason (the test’s own function aside)', () => {
    const { stack } = build({ onFailureKind: 'topic' });
    const errors = nagErrors(stack);
    expect(errors.filter((e) => !e.includes('/BillingFunction/'))).toEqual([]);
    // The check runs: the test's bare function is reported.
    expect(errors.length).toBeGreaterThan(0);
  });
});
