/**
 * The function bundles as `cdk deploy` would upload them: esbuild's output, small, and
 * loadable as the Lambda runtime loads it (an ES module, with the AWS SDK external and
 * the function's environment), answering a request.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { triggerEnvName } from '../../lib/core/trigger-config.ts';
import type { SluiceStack } from '../../lib/infra/stack.ts';
import { SluiceTrigger } from '../../lib/infra/trigger.ts';
import { functionProps, synthesize } from './synth.ts';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const region = 'us-east-1';
const maxBundleBytes = 300 * 1024;
// Inside the project, as cdk.out is, so the externals resolve from node_modules the way
// the runtime resolves them from its own.
mkdirSync(join(projectRoot, 'cdk.out'), { recursive: true });
const outdir = mkdtempSync(join(projectRoot, 'cdk.out', 'test-bundles-'));
let template: Template;

beforeAll(() => {
  // With bundling and CloudFormation's own template checks, as `cdk synth` runs; with a
  // SluiceTrigger, whose dispatcher is bundled as well.
  const extend = (stack: SluiceStack) => {
    const fn = new LambdaFunction(stack, 'Billing', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('export const handler = async () => {};') });
    new SluiceTrigger(stack, 'BillingTrigger', { sluice: stack.sluice, topic: 'orders', function: fn });
  };
  template = synthesize([region], {}, { bundle: true, outdir, extend }).templates[region]!;
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

const bundleOf = (name: string) => join(outdir, `asset.${(functionProps(template, name).Code.S3Key as string).replace(/\.zip$/, '')}`, 'index.mjs');

/** Imports the bundle in a fresh Node.js with a Lambda-like environment; with `event`, invokes it. */
function invoke(name: string, event?: unknown): { status: number | null; result?: unknown; output: string } {
  const script = `
    const { handler } = await import(${JSON.stringify(`file://${bundleOf(name)}`)});
    const event = ${JSON.stringify(event ?? null)};
    const context = { awsRequestId: 'test-request', functionName: 'sluice-${name}', functionVersion: '$LATEST', memoryLimitInMB: '1024',
      invokedFunctionArn: 'arn:aws:lambda:${region}:111111111111:function:sluice-${name}', getRemainingTimeInMillis: () => 10000 };
    const result = event === null ? typeof handler : await handler(event, context);
    console.log('RESULT ' + JSON.stringify(result));`;
  const child = spawnSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      PATH: process.env.PATH,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      AWS_LAMBDA_FUNCTION_NAME: `sluice-${name}`,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0',
      ...(functionProps(template, name).Environment.Variables as Record<string, string>),
      // The trigger's one variable holds references CloudFormation resolves; these are what it would write.
      ...(name === 'trigger' ? { [triggerEnvName]: JSON.stringify({ name: 'billing-trigger', endpoint: `https://abc123.execute-api.${region}.amazonaws.com/`, functionName: 'billing', options: { topic: 'orders', group: 'trigger-billing' }, idleMs: 30_000, stopMarginMs: 300_000 }) } : {}),
    },
  });
  // The last lines, each cut short: a failure in a minified bundle quotes a whole line of it.
  const output = `${child.stdout}${child.stderr}`.split('\n').slice(-20).map((l) => l.slice(0, 300)).join('\n');
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return { status: child.status, output, ...(line ? { result: JSON.parse(line.slice('RESULT '.length)) as unknown } : {}) };
}

const unmatched = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/v1/nowhere',
  rawQueryString: '',
  headers: {},
  isBase64Encoded: false,
  requestContext: { http: { method: 'GET', path: '/v1/nowhere', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' }, requestId: 'r1', stage: '$default' },
};

describe('function bundles', () => {
  it.each(['produce', 'fetch', 'groups', 'admin', 'jobs', 'trigger'])('%s is a minified ES module under 300 KB', (name) => {
    const bytes = statSync(bundleOf(name)).size;
    console.log(`bundle ${name}: ${(bytes / 1024).toFixed(1)} KB`);
    expect(bytes).toBeLessThan(maxBundleBytes);
  });

  it.each(['produce', 'fetch', 'groups', 'admin'])('%s loads as Lambda loads it and answers a request with the API’s own JSON', (name) => {
    const { status, result, output } = invoke(name, unmatched);
    expect(status, output).toBe(0);
    expect(result).toMatchObject({ statusCode: 404 });
    expect(JSON.parse((result as { body: string }).body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it.each(['jobs', 'trigger'])('%s loads and exports its handler', (name) => {
    const { status, result, output } = invoke(name);
    expect(status, output).toBe(0);
    expect(result).toBe('function');
  });
});
