/**
 * The Lambda handlers as AWS runs them, against DynamoDB Local and the S3 emulator: each
 * functions/*.ts module is imported after its environment is set, as a Lambda container
 * loads it (the handlers read their configuration at module load), and its exported
 * `handler` is called with an API Gateway HTTP API event (payload format 2.0) and a
 * Lambda context. What they write to stdout and stderr is what CloudWatch would receive:
 * Powertools' JSON log lines and metrics in the Embedded Metric Format (EMF).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tableRoles } from '../../lib/core/config.ts';
import { metricNames, metricsNamespace } from '../../lib/core/metrics.ts';
import type { Storage } from '../../lib/storage/index.ts';
import { randomName, testStorage } from '../support/stack.ts';

/** The deployment's name, which the functions' metrics carry as their `service` dimension. */
const service = 'sluice-lambda-test';

type HttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;
interface Functions {
  readonly produce: HttpHandler;
  readonly fetch: HttpHandler;
  readonly groups: HttpHandler;
  readonly admin: HttpHandler;
  readonly jobs: (event: unknown, context: Context) => Promise<unknown>;
}

/**
 * Fresh tables and bucket, and the five functions loaded over them with the environment
 * the deployment gives them (`env` overrides it). Each call loads new module instances.
 */
function useFunctions(env: Record<string, string> = {}): Functions {
  const fn = {} as { -readonly [K in keyof Functions]: Functions[K] };
  let storage: Storage | undefined;
  beforeAll(async () => {
    storage = await testStorage();
    const { config } = storage;
    const vars: Record<string, string> = {
      AWS_REGION: config.region,
      AWS_ENDPOINT_URL_DYNAMODB: config.dynamodbEndpoint!,
      AWS_ENDPOINT_URL_S3: config.s3Endpoint!,
      AWS_ACCESS_KEY_ID: config.credentials!.accessKeyId,
      AWS_SECRET_ACCESS_KEY: config.credentials!.secretAccessKey,
      SLUICE_BUCKET: config.bucket,
      POWERTOOLS_SERVICE_NAME: service,
      ...Object.fromEntries(tableRoles.map((role) => [`SLUICE_${role.toUpperCase()}_TABLE`, config.tables[role]])),
      ...env,
    };
    // A container sees only the deployment's variables, and the functions refuse SLUICE_
    // variables they do not know (SLUICE_ENDPOINT, say, from the shell running the tests).
    for (const name of Object.keys(process.env)) if (name.startsWith('SLUICE_')) vi.stubEnv(name, undefined);
    for (const [name, value] of Object.entries(vars)) vi.stubEnv(name, value);
    vi.resetModules();
    fn.produce = (await import('../../functions/produce.ts')).handler;
    fn.fetch = (await import('../../functions/fetch.ts')).handler;
    fn.groups = (await import('../../functions/groups.ts')).handler;
    fn.admin = (await import('../../functions/admin.ts')).handler;
    fn.jobs = (await import('../../functions/jobs.ts')).handler;
  });
  // The AWS SDK reads its credentials from the environment at the first call, not at load.
  afterAll(() => {
    vi.unstubAllEnvs();
    storage?.destroy();
  });
  return fn;
}

interface EventOptions {
  /** As the client sent it, e.g. `offset=1&offset=0`. */
  readonly query?: string;
  readonly body?: unknown;
  /** API Gateway base64-encodes bodies it does not take for text. */
  readonly base64?: boolean;
}

/** An HTTP API payload 2.0 event, as API Gateway builds it for the `$default` route. */
function httpEvent(method: string, path: string, options: EventOptions = {}): APIGatewayProxyEventV2 {
  const query = options.query ?? '';
  // API Gateway joins repeated parameters with commas here; rawQueryString keeps each.
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(query)) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const domainName = 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com';
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: {
      host: domainName,
      'user-agent': 'sluice-test',
      'x-forwarded-proto': 'https',
      ...(body ? { 'content-type': options.base64 ? 'application/octet-stream' : 'application/json', 'content-length': String(body.length) } : {}),
    },
    ...(query ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName,
      domainPrefix: 'a1b2c3d4e5',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'sluice-test' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body ? { body: options.base64 ? body.toString('base64') : body.toString('utf8') } : {}),
    isBase64Encoded: options.base64 === true,
  };
}

/** `25/Nov/2026:05:09:33 +0000`, the format of requestContext.time. */
function clfTime(date: Date): string {
  const [, day, month, year, time] = /^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/.exec(date.toUTCString())!;
  return `${day}/${month}/${year}:${time} +0000`;
}

/** A Lambda context whose deadline is `timeoutMs` away, on a clock that mocking Date.now cannot move. */
function lambdaContext(timeoutMs = 30_000): Context {
  const deadline = performance.now() + timeoutMs;
  const functionName = 'sluice-test';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, Math.floor(deadline - performance.now())),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/* eslint-disable @typescript-eslint/no-explicit-any */
interface Invocation<R> {
  readonly result: R;
  /** Each JSON line written to stdout or stderr (where the Logger writes errors): what CloudWatch Logs would hold. */
  readonly output: any[];
  readonly elapsedMs: number;
}

/** Calls a handler as the Lambda runtime does, capturing what it writes. */
async function invoke<E, R>(handler: (event: E, context: Context) => Promise<R>, event: E, context = lambdaContext()): Promise<Invocation<R>> {
  const written: string[] = [];
  const capture = (stream: NodeJS.WriteStream) =>
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array) => {
      written.push(chunk.toString());
      return true;
    }) as typeof stream.write);
  const spies = [capture(process.stdout), capture(process.stderr)];
  const started = performance.now();
  try {
    const result = await handler(event, context);
    const lines = written.join('').split('\n').filter((line) => line.startsWith('{'));
    return { result, output: lines.map((line) => JSON.parse(line)), elapsedMs: performance.now() - started };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** Calls an HTTP function and parses its JSON answer. */
async function request(handler: HttpHandler, method: string, path: string, options: EventOptions = {}, context?: Context) {
  const invocation = await invoke(handler, httpEvent(method, path, options), context);
  const { statusCode, headers, body } = invocation.result;
  return { ...invocation, status: statusCode, headers, body: body ? (JSON.parse(body) as any) : undefined };
}

interface Metric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly value: unknown;
  readonly dimensions: Record<string, unknown>;
}

/** The metrics in a handler's EMF documents, as CloudWatch reads them. */
function metricsIn(output: readonly any[]): Metric[] {
  return output
    .filter((doc) => doc._aws)
    .flatMap((doc) =>
      doc._aws.CloudWatchMetrics.flatMap((directive: any) =>
        directive.Metrics.map((m: any) => ({
          namespace: directive.Namespace,
          name: m.Name,
          unit: m.Unit,
          value: doc[m.Name],
          dimensions: Object.fromEntries(directive.Dimensions.flat().map((d: string) => [d, doc[d]])),
        })),
      ),
    );
}
/* eslint-enable @typescript-eslint/no-explicit-any */

const b64 = (bytes: Buffer) => bytes.toString('base64');
const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const everyByteReversed = Buffer.from(everyByte).reverse();

describe('the HTTP functions behind API Gateway', () => {
  const fn = useFunctions();

  async function createTopic(partitions = 1, config?: Record<string, unknown>) {
    const name = randomName('lambda');
    const created = await request(fn.admin, 'POST', '/v1/topics', { body: { name, partitions, ...(config ? { config } : {}) } });
    expect(created.status).toBe(201);
    return name;
  }

  it('create a topic, produce binary records in a base64-encoded body, fetch them back byte for byte, with metrics', async () => {
    const topic = await createTopic(2);
    const produced = await request(fn.produce, 'POST', `/v1/topics/${topic}/records`, {
      base64: true,
      body: {
        encoding: 'base64',
        records: [
          { partition: 1, key: b64(everyByte), value: b64(everyByteReversed), headers: { raw: b64(everyByte) } },
          { partition: 1, key: null, value: b64(Buffer.from([0x00, 0xff, 0x0a, 0x22, 0x5c, 0xc3])) },
        ],
      },
    });
    expect(produced.status).toBe(200);
    expect(produced.body).toEqual({ offsets: [{ partition: 1, offset: 0 }, { partition: 1, offset: 1 }] });
    const bytesIn = 256 + 256 + 6; // keys and values, not headers
    expect(metricsIn(produced.output)).toEqual([
      { namespace: metricsNamespace, name: metricNames.recordsIn, unit: 'Count', value: 2, dimensions: { service } },
      { namespace: metricsNamespace, name: metricNames.bytesIn, unit: 'Bytes', value: bytesIn, dimensions: { service } },
    ]);

    const fetched = await request(fn.fetch, 'GET', `/v1/topics/${topic}/partitions/1/records`, { query: 'offset=0&encoding=base64' });
    expect(fetched.status).toBe(200);
    const [first, second] = fetched.body.records;
    expect(Buffer.from(first.key, 'base64').equals(everyByte)).toBe(true);
    expect(Buffer.from(first.value, 'base64').equals(everyByteReversed)).toBe(true);
    expect(Buffer.from(first.headers.raw, 'base64').equals(everyByte)).toBe(true);
    expect(second.key).toBeNull();
    expect([...Buffer.from(second.value, 'base64')]).toEqual([0x00, 0xff, 0x0a, 0x22, 0x5c, 0xc3]);
    expect(fetched.body.nextOffset).toBe(2);
    expect(metricsIn(fetched.output).map(({ name, value }) => ({ name, value }))).toEqual([
      { name: metricNames.recordsOut, value: 2 },
      { name: metricNames.bytesOut, value: bytesIn },
    ]);
  });

  it('emits no metrics for a request that moved no records', async () => {
    const listed = await request(fn.admin, 'GET', '/v1/topics');
    expect(listed.status).toBe(200);
    expect(listed.output).toEqual([]);
  });

  it('takes the first of repeated query parameters, as the local server does', async () => {
    const topic = await createTopic();
    const produced = await request(fn.produce, 'POST', `/v1/topics/${topic}/records`, { body: { records: ['a', 'b', 'c'].map((value) => ({ value })) } });
    expect(produced.status).toBe(200);
    const fetched = await request(fn.fetch, 'GET', `/v1/topics/${topic}/partitions/0/records`, { query: 'offset=1&offset=0&maxRecords=1&maxRecords=3' });
    expect(fetched.status).toBe(200);
    expect(fetched.body.records.map((r: { offset: number; value: string }) => [r.offset, r.value])).toEqual([[1, 'b']]);
  });

  it('answers bad input with a 4xx and the error shape, and routes only its own function', async () => {
    const missing = await request(fn.produce, 'POST', `/v1/topics/${randomName('missing')}/records`, { body: { records: [{ value: 'x' }] } });
    expect(missing.status).toBe(404);
    expect(missing.headers).toMatchObject({ 'content-type': 'application/json' });
    expect(missing.body).toMatchObject({ error: { code: 'TOPIC_NOT_FOUND', message: expect.stringContaining('does not exist') } });

    const topic = await createTopic();
    const negative = await request(fn.fetch, 'GET', `/v1/topics/${topic}/partitions/0/records`, { query: 'offset=-1' });
    expect(negative.status).toBe(400);
    expect(negative.body.error.code).toBe('INVALID_REQUEST');

    // Creating topics is the admin function's route, not the produce function's.
    const elsewhere = await request(fn.produce, 'POST', '/v1/topics', { body: { name: randomName(), partitions: 1 } });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error.code).toBe('NOT_FOUND');
  });

  it('answers a long poll at the log end before the Lambda deadline', async () => {
    const topic = await createTopic();
    const timeoutMs = 2_500;
    const polled = await request(fn.fetch, 'GET', `/v1/topics/${topic}/partitions/0/records`, { query: 'offset=0&waitMs=20000' }, lambdaContext(timeoutMs));
    expect(polled.status).toBe(200);
    expect(polled.body).toMatchObject({ records: [], nextOffset: 0, highWatermark: 0 });
    // It waited for records as long as the deadline allowed, and answered before it.
    expect(polled.elapsedMs).toBeGreaterThan(1_000);
    expect(polled.elapsedMs).toBeLessThan(timeoutMs);
  });
});

describe('the jobs function', () => {
  const fn = useFunctions();

  async function createTopic(config: Record<string, unknown>) {
    const name = randomName('jobs');
    expect((await request(fn.admin, 'POST', '/v1/topics', { body: { name, partitions: 1, config } })).status).toBe(201);
    return name;
  }

  async function produceThree(topic: string) {
    const produced = await request(fn.produce, 'POST', `/v1/topics/${topic}/records`, { body: { records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] } });
    expect(produced.status).toBe(200);
  }

  /** Runs the jobs function as if `laterMs` had passed since now. */
  async function runJobs(laterMs = 0) {
    const realNow = Date.now;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + laterMs);
    try {
      const { output } = await invoke(fn.jobs, {});
      const run = output.find((line) => line.message === 'jobs run');
      const metric = (name: string) => metricsIn(output).filter((m) => m.name === name);
      return { run, sealLag: metric(metricNames.sealLagSeconds), recordsLost: metric(metricNames.recordsLost), consumerLag: metric(metricNames.consumerLag) };
    } finally {
      clock.mockRestore();
    }
  }

  it('reports the seal lag: batches past the minimum age that no segment holds yet', async () => {
    // Sealed as soon as the sealer may take it (older than 2 minutes, segmentMs passed).
    const quick = await createTopic({ segmentMs: 60_000 });
    await produceThree(quick);
    const sealed = await runJobs(130_000);
    expect(sealed.run).toMatchObject({ level: 'INFO', segmentsSealed: 1, recordsSealed: 3, sealLagMs: 0 });
    expect(sealed.sealLag).toEqual([{ namespace: metricsNamespace, name: metricNames.sealLagSeconds, unit: 'Seconds', value: 0, dimensions: { service } }]);
    expect(sealed.recordsLost).toEqual([{ namespace: metricsNamespace, name: metricNames.recordsLost, unit: 'Count', value: 0, dimensions: { service } }]);

    // Waits for its segment (an hour): too young to count at first, then lagging.
    const slow = await createTopic({ segmentMs: 3_600_000 });
    await produceThree(slow);
    expect((await runJobs()).sealLag.map((m) => m.value)).toEqual([0]);
    const waiting = await runJobs(130_000);
    expect(waiting.run).toMatchObject({ segmentsSealed: 0 });
    const [lag] = waiting.sealLag;
    expect(lag!.value).toBeGreaterThanOrEqual(130);
    expect(lag!.value).toBeLessThan(190);
  });

  it("reports each group's total lag, as describe computes it, with the group as dimension", async () => {
    const topic = await createTopic({});
    await produceThree(topic);
    const group = randomName('group');
    const joined = await request(fn.groups, 'POST', `/v1/groups/${group}/members`, { body: { topics: [topic] } });
    expect(joined.status).toBe(200);
    const [assignment] = joined.body.assignments;
    const committed = await request(fn.groups, 'POST', `/v1/groups/${group}/offsets`, {
      body: { memberId: joined.body.memberId, offsets: [{ topic, partition: 0, offset: 1, leaseEpoch: assignment.leaseEpoch }] },
    });
    expect(committed.status).toBe(200);
    const described = await request(fn.admin, 'GET', `/v1/groups/${group}`);
    expect(described.body.totalLag).toBe(2);

    const { consumerLag } = await runJobs();
    expect(consumerLag.filter((m) => m.dimensions.group === group)).toEqual([
      { namespace: metricsNamespace, name: metricNames.consumerLag, unit: 'Count', value: 2, dimensions: { service, group } },
    ]);
  });
});

describe('a 5xx answer', () => {
  // A table that does not exist: every read fails inside the system, not in the request.
  const fn = useFunctions({ SLUICE_TOPICS_TABLE: `missing-${randomUUID()}` });

  it('carries the request id, and the error log line quotes it', async () => {
    const context = lambdaContext();
    const failed = await request(fn.admin, 'GET', '/v1/topics', {}, context);
    expect(failed.status).toBe(500);
    expect(failed.body.error).toMatchObject({ code: 'INTERNAL', requestId: context.awsRequestId });
    const logged = failed.output.filter((line) => line.level === 'ERROR');
    expect(logged).toEqual([
      expect.objectContaining({
        message: 'request failed',
        requestId: context.awsRequestId,
        function_request_id: context.awsRequestId,
        error: expect.objectContaining({ name: 'ResourceNotFoundException' }),
      }),
    ]);
  });
});
