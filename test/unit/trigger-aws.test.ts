/**
 * The dispatcher's AWS ends (lib/trigger/aws.ts): the user's Lambda function as the
 * target and an SQS queue or SNS topic as the failure destination. The real SDK clients
 * run, signing and (de)serializing included; only the HTTP exchange is made up, by a
 * request handler that keeps each request and answers what AWS would. So the tests see
 * what reaches AWS on the wire and what the SDK makes of AWS's answer.
 */
import { Buffer } from 'node:buffer';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { HttpResponse, type HttpRequest } from '@smithy/protocol-http';
import { describe, expect, it } from 'vitest';
import { FunctionError, LambdaTarget, SnsDestination, SqsDestination, type FailureRecord } from '../../lib/trigger/aws.ts';
import { deliver, firstFailed, type DeliveryFailure, type DeliverySettings } from '../../lib/trigger/delivery.ts';
import type { FailureReport } from '../../lib/trigger/dispatcher.ts';
import { kafkaEvent, type TriggerRecord } from '../../lib/trigger/event.ts';

const T0 = 1_700_000_000_000;
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const BOOTSTRAP = 'https://sluice.example.com';
/** The functionArn the destination is built with (functions/trigger.ts passes the dispatcher function's own ARN). */
const CONTEXT_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:handle-orders`;

/** Static credentials and a region, so no provider chain is consulted; no retries, so one request per call. */
const clientConfig = { region: REGION, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 };

interface Answer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

/** A request as it went out: its body as text. */
interface Sent {
  readonly method: string;
  readonly hostname: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Keeps every request the client sends and answers each with `answer(request)`, never touching the network. */
function fakeAws(answer: (sent: Sent) => Answer) {
  const sent: Sent[] = [];
  const requestHandler = {
    handle: async (request: HttpRequest) => {
      const body = request.body === undefined ? '' : typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body as Uint8Array);
      const one: Sent = { method: request.method, hostname: request.hostname, path: request.path, headers: request.headers, body };
      sent.push(one);
      const a = answer(one);
      const bytes = typeof a.body === 'string' ? Buffer.from(a.body) : (a.body ?? Buffer.alloc(0));
      return { response: new HttpResponse({ statusCode: a.status ?? 200, headers: a.headers ?? {}, body: Readable.from([bytes]) }) };
    },
  };
  return { sent, requestHandler };
}

function topicName(): string {
  return `orders-${randomUUID().slice(0, 8)}`;
}

function record(topic: string, overrides: Partial<TriggerRecord> = {}): TriggerRecord {
  return { topic, partition: 0, offset: 0, timestamp: T0, key: null, value: null, headers: {}, ...overrides };
}

// ---------------------------------------------------------------------------------------
// The target: a synchronous Invoke of the user's function.
// ---------------------------------------------------------------------------------------

/** A LambdaTarget whose Invoke answers `payload` (and the function error header, if given). */
function lambdaAnswering(payload: string, functionError?: string, name = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:handle-orders`) {
  const aws = fakeAws(() => ({
    headers: { 'x-amz-executed-version': '$LATEST', ...(functionError === undefined ? {} : { 'x-amz-function-error': functionError }) },
    body: payload,
  }));
  return { ...aws, target: new LambdaTarget(new LambdaClient({ ...clientConfig, requestHandler: aws.requestHandler }), name) };
}

function batch(topic: string): TriggerRecord[] {
  return [
    record(topic, { partition: 3, offset: 41, key: Buffer.from('order-1'), value: Buffer.from('{"total":12}'), headers: { trace: Buffer.from([1, 2, 255]) } }),
    record(topic, { partition: 3, offset: 42, timestamp: T0 + 5, value: Buffer.from([0, 200, 7]) }),
    record(topic, { partition: 3, offset: 43, timestamp: T0 + 9 }),
  ];
}

describe('LambdaTarget', () => {
  it('invokes the function synchronously with the Kafka event as its payload', async () => {
    const name = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:handle-orders:live`;
    const { target, sent } = lambdaAnswering('null', undefined, name);
    const records = batch(topicName());
    await target.invoke(kafkaEvent(records, BOOTSTRAP));

    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request!.method).toBe('POST');
    expect(request!.hostname).toBe(`lambda.${REGION}.amazonaws.com`);
    // Invoke's path names the function; a qualified ARN keeps its alias.
    expect(decodeURIComponent(request!.path)).toBe(`/2015-03-31/functions/${name}/invocations`);
    expect(request!.headers['x-amz-invocation-type']).toBe('RequestResponse');
    // What the function receives is the event's JSON, records grouped under "<topic>-<partition>".
    expect(JSON.parse(request!.body)).toEqual(JSON.parse(JSON.stringify(kafkaEvent(records, BOOTSTRAP))));
    expect(Object.keys((JSON.parse(request!.body) as { records: object }).records)).toEqual([`${records[0]!.topic}-3`]);
  });

  it('answers the function\'s parsed answer, which a partial batch response is read from', async () => {
    const answer = { batchItemFailures: [{ itemIdentifier: '42' }] };
    const { target } = lambdaAnswering(JSON.stringify(answer));
    const records = batch(topicName());
    const got = await target.invoke(kafkaEvent(records, BOOTSTRAP));
    expect(got).toEqual(answer);
    expect(firstFailed(got, records)).toBe(42);
  });

  it('answers JSON null for a function that returned nothing, which reports no failures', async () => {
    // A Node.js or Python handler that returns nothing answers the JSON "null".
    const records = batch(topicName());
    const { target } = lambdaAnswering('null');
    const got = await target.invoke(kafkaEvent(records, BOOTSTRAP));
    expect(got).toBeNull();
    expect(firstFailed(got, records)).toBeUndefined();
  });

  // For an empty body the SDK (3.1178) answers `Payload: null`, though its type says
  // undefined: a function that answers nothing must not fail its batch.
  it('answers undefined for an empty payload', async () => {
    const { target } = lambdaAnswering('');
    await expect(target.invoke(kafkaEvent(batch(topicName()), BOOTSTRAP))).resolves.toBeUndefined();
  });

  it('rejects with a FunctionError carrying the error\'s message and type when the function throws', async () => {
    const payload = { errorType: 'ValidationError', errorMessage: 'order 41 has no total', trace: ['ValidationError: order 41 has no total', '    at handler (/var/task/index.mjs:3:9)'] };
    const { target } = lambdaAnswering(JSON.stringify(payload), 'Unhandled');
    const error = await target.invoke(kafkaEvent(batch(topicName()), BOOTSTRAP)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FunctionError);
    expect(error).toMatchObject({ name: 'FunctionError', message: 'order 41 has no total', errorType: 'ValidationError' });
  });

  it('rejects with the function error\'s kind when the payload names no type (a timeout)', async () => {
    // What Lambda answers for a function that ran out of time: a message and no type.
    const { target } = lambdaAnswering(JSON.stringify({ errorMessage: '2024-05-01T10:00:03.000Z 1b2c Task timed out after 3.00 seconds' }), 'Unhandled');
    await expect(target.invoke(kafkaEvent(batch(topicName()), BOOTSTRAP))).rejects.toMatchObject({
      name: 'FunctionError',
      message: '2024-05-01T10:00:03.000Z 1b2c Task timed out after 3.00 seconds',
      errorType: 'Unhandled',
    });
  });

  it.each([
    ['a JSON null', 'null'],
    ['a JSON string', '"boom"'],
    ['a JSON array', '["boom"]'],
    ['an object without errorMessage', '{"message":"boom"}'],
  ])('rejects with a FunctionError named after the function error for %s', async (_what, payload) => {
    const { target } = lambdaAnswering(payload, 'Unhandled');
    const error = await target.invoke(kafkaEvent(batch(topicName()), BOOTSTRAP)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FunctionError);
    expect(error).toMatchObject({ message: 'Unhandled', errorType: 'Unhandled' });
  });

  it('rejects with a FunctionError named after the function error for an empty payload', async () => {
    const { target } = lambdaAnswering('', 'Unhandled');
    await expect(target.invoke(kafkaEvent(batch(topicName()), BOOTSTRAP))).rejects.toMatchObject({ name: 'FunctionError', message: 'Unhandled', errorType: 'Unhandled' });
  });

  // A custom runtime may post plain text to its error endpoint: still the function's error.
  it('rejects with a FunctionError when the function error\'s payload is not JSON', async () => {
    const { target } = lambdaAnswering('Segmentation fault (core dumped)', 'Unhandled');
    await expect(target.invoke(kafkaEvent(batch(topicName()), BOOTSTRAP))).rejects.toBeInstanceOf(FunctionError);
  });

  it('rejects when Lambda refuses the invocation (throttled), so the batch is not taken as done', async () => {
    const aws = fakeAws(() => ({
      status: 429,
      headers: { 'x-amzn-errortype': 'TooManyRequestsException', 'content-type': 'application/json' },
      body: JSON.stringify({ Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }),
    }));
    const target = new LambdaTarget(new LambdaClient({ ...clientConfig, requestHandler: aws.requestHandler }), 'handle-orders');
    await expect(target.invoke(kafkaEvent(batch(topicName()), BOOTSTRAP))).rejects.toMatchObject({ name: 'InvokeFailure', message: expect.stringContaining('TooManyRequestsException') });
  });
});

// ---------------------------------------------------------------------------------------
// The destinations: Lambda's on-failure record for a Kafka event source.
// ---------------------------------------------------------------------------------------

function md5(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** An SQS queue that takes every message; the SDK checks the answer's MD5 against the body it sent. */
function fakeQueue() {
  return fakeAws((sent) => {
    const { MessageBody } = JSON.parse(sent.body) as { MessageBody: string };
    return { headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: md5(MessageBody) }) };
  });
}

function fakeTopic() {
  return fakeAws(() => ({
    headers: { 'content-type': 'text/xml' },
    body: `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
  }));
}

const queueUrl = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/Orders-Failures`;
const topicArn = `arn:aws:sns:${REGION}:${ACCOUNT}:orders-failures`;

function sqsDestination() {
  const aws = fakeQueue();
  const destination = new SqsDestination(new SQSClient({ ...clientConfig, requestHandler: aws.requestHandler }), queueUrl, { functionArn: CONTEXT_ARN, bootstrapServers: BOOTSTRAP });
  return { ...aws, destination };
}

function snsDestination() {
  const aws = fakeTopic();
  const destination = new SnsDestination(new SNSClient({ ...clientConfig, requestHandler: aws.requestHandler }), topicArn, { functionArn: CONTEXT_ARN, bootstrapServers: BOOTSTRAP });
  return { ...aws, destination };
}

/** The message an SQS SendMessage request carried, and the queue it went to. */
function sqsMessage(sent: Sent): { queueUrl: string; record: FailureRecord } {
  expect(sent.headers['x-amz-target']).toBe('AmazonSQS.SendMessage');
  const { QueueUrl, MessageBody } = JSON.parse(sent.body) as { QueueUrl: string; MessageBody: string };
  return { queueUrl: QueueUrl, record: JSON.parse(MessageBody) as FailureRecord };
}

function snsMessage(sent: Sent): { topicArn: string; record: FailureRecord } {
  const form = new URLSearchParams(sent.body);
  expect(form.get('Action')).toBe('Publish');
  return { topicArn: form.get('TopicArn')!, record: JSON.parse(form.get('Message')!) as FailureRecord };
}

/** Three records of one partition, offsets past 2^32 to show they are not cut down. */
function failedRecords(topic: string): TriggerRecord[] {
  return [
    record(topic, { partition: 7, offset: 5_000_000_001, timestamp: Date.UTC(2024, 4, 1, 10, 0, 0, 123) }),
    record(topic, { partition: 7, offset: 5_000_000_002, timestamp: Date.UTC(2024, 4, 1, 10, 0, 1, 0) }),
    record(topic, { partition: 7, offset: 5_000_000_009, timestamp: Date.UTC(2024, 4, 1, 10, 0, 2, 456) }),
  ];
}

function report(records: readonly TriggerRecord[], overrides: Partial<FailureReport> = {}): FailureReport {
  return { records, reason: 'RetryAttemptsExhausted', error: 'order 41 has no total', attempts: 3, functionName: 'handle-orders', group: `trigger-${randomUUID().slice(0, 8)}`, ...overrides };
}

/** Sends `failure` and answers the record as it was sent, with the clock before and after. */
async function sendThrough(kind: 'sqs' | 'sns', failure: FailureReport) {
  const before = Date.now();
  if (kind === 'sqs') {
    const { destination, sent } = sqsDestination();
    await destination.send(failure);
    expect(sent).toHaveLength(1);
    const { queueUrl: to, record: r } = sqsMessage(sent[0]!);
    return { to, record: r, before, after: Date.now() };
  }
  const { destination, sent } = snsDestination();
  await destination.send(failure);
  expect(sent).toHaveLength(1);
  const { topicArn: to, record: r } = snsMessage(sent[0]!);
  return { to, record: r, before, after: Date.now() };
}

describe.each([
  ['SqsDestination', 'sqs', queueUrl],
  ['SnsDestination', 'sns', topicArn],
] as const)('%s', (_name, kind, address) => {
  it('sends Lambda\'s on-failure record for records whose retries ran out', async () => {
    const topic = topicName();
    const records = failedRecords(topic);
    const failure = report(records);
    const { to, record: sent, before, after } = await sendThrough(kind, failure);

    expect(to).toBe(address);
    expect(sent).toEqual({
      requestContext: { functionArn: CONTEXT_ARN, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { functionError: 'Unhandled', errorMessage: 'order 41 has no total' },
      version: '1.0',
      timestamp: expect.any(String),
      KafkaBatchInfo: {
        batchSize: 3,
        bootstrapServers: BOOTSTRAP,
        consumerGroup: failure.group,
        recordsInfo: {
          [`${topic}-7`]: {
            firstRecordOffset: '5000000001',
            firstRecordTimestamp: '2024-05-01T10:00:00.123Z',
            lastRecordOffset: '5000000009',
            lastRecordTimestamp: '2024-05-01T10:00:02.456Z',
          },
        },
      },
    });
    // When it was sent, in ISO 8601 as Lambda writes it.
    expect(sent.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(sent.timestamp)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(sent.timestamp)).toBeLessThanOrEqual(after);
  });

  it('sends records past their age with that condition and no error', async () => {
    const topic = topicName();
    const records = failedRecords(topic).slice(0, 1);
    const { record: sent } = await sendThrough(kind, report(records, { reason: 'RecordAgeExceeded', error: undefined, attempts: 0 }));

    expect(sent.requestContext).toEqual({ functionArn: CONTEXT_ARN, condition: 'RecordAgeExceeded', approximateInvokeCount: 0 });
    // The function never failed on these: nothing claims it did.
    expect(sent.responseContext).toEqual({});
    // One record is both the first and the last.
    expect(sent.KafkaBatchInfo.batchSize).toBe(1);
    expect(sent.KafkaBatchInfo.recordsInfo).toEqual({
      [`${topic}-7`]: {
        firstRecordOffset: '5000000001',
        firstRecordTimestamp: '2024-05-01T10:00:00.123Z',
        lastRecordOffset: '5000000001',
        lastRecordTimestamp: '2024-05-01T10:00:00.123Z',
      },
    });
  });

  it('carries an error message with quotes, newlines and non-ASCII intact', async () => {
    const error = 'bad "total" in ordre n°41\n    at handler (/var/task/index.mjs:3:9) & more';
    const { record: sent } = await sendThrough(kind, report(failedRecords(topicName()), { error }));
    expect(sent.responseContext).toEqual({ functionError: 'Unhandled', errorMessage: error });
  });
});

describe('a destination that refuses', () => {
  // The dispatcher commits past the records only once the destination took them: a send
  // that fails must reject, so the batch is delivered again.
  it('rejects when the queue does not exist', async () => {
    const aws = fakeAws(() => ({
      status: 400,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': 'AWS.SimpleQueueService.NonExistentQueue;Sender' },
      body: JSON.stringify({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' }),
    }));
    const destination = new SqsDestination(new SQSClient({ ...clientConfig, requestHandler: aws.requestHandler }), queueUrl, { functionArn: CONTEXT_ARN, bootstrapServers: BOOTSTRAP });
    await expect(destination.send(report(failedRecords(topicName())))).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it('rejects when publishing to the topic is not allowed', async () => {
    const aws = fakeAws(() => ({
      status: 403,
      headers: { 'content-type': 'text/xml' },
      body: '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>not authorized to perform: SNS:Publish</Message></Error><RequestId>r</RequestId></ErrorResponse>',
    }));
    const destination = new SnsDestination(new SNSClient({ ...clientConfig, requestHandler: aws.requestHandler }), topicArn, { functionArn: CONTEXT_ARN, bootstrapServers: BOOTSTRAP });
    await expect(destination.send(report(failedRecords(topicName())))).rejects.toMatchObject({ name: 'AuthorizationErrorException' });
  });
});

// ---------------------------------------------------------------------------------------
// Target and destination in one delivery: what a user sees end to end.
// ---------------------------------------------------------------------------------------

function settings(overrides: Partial<DeliverySettings> = {}): DeliverySettings {
  return { maxRetryAttempts: 1, maxRecordAgeMs: -1, bisectBatchOnFunctionError: false, reportBatchItemFailures: false, retryBackoff: { minDelayMs: 0, maxDelayMs: 0 }, ...overrides };
}

/** Delivers `records` to `target`, handing what it gives up to `destination`; answers the commits and give-ups. */
async function deliverTo(target: LambdaTarget, records: readonly TriggerRecord[], s: DeliverySettings, destination?: SqsDestination) {
  const done: number[] = [];
  const gaveUp: DeliveryFailure[] = [];
  const group = `trigger-${randomUUID().slice(0, 8)}`;
  await deliver(
    records,
    {
      invoke: (chunk) => target.invoke(kafkaEvent(chunk, BOOTSTRAP)),
      done: async (offset) => {
        done.push(offset);
      },
      giveUp: async (failure) => {
        gaveUp.push(failure);
        await destination?.send({ ...failure, functionName: target.name, group });
      },
      now: () => Date.now(),
      signal: new AbortController().signal,
    },
    s,
  );
  return { done, gaveUp, group };
}

describe('LambdaTarget in a delivery', () => {
  it('puts the function\'s own error message in the queue once the retries are spent', async () => {
    const { target, sent: invocations } = lambdaAnswering(JSON.stringify({ errorType: 'Error', errorMessage: 'database is down' }), 'Unhandled');
    const queue = sqsDestination();
    const topic = topicName();
    const records = failedRecords(topic);
    const { done, group } = await deliverTo(target, records, settings({ maxRetryAttempts: 1 }), queue.destination);

    expect(invocations).toHaveLength(2);
    expect(done).toEqual([5_000_000_010]);
    const { record: sent } = sqsMessage(queue.sent[0]!);
    expect(sent.requestContext).toEqual({ functionArn: CONTEXT_ARN, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 });
    expect(sent.responseContext).toEqual({ functionError: 'Unhandled', errorMessage: 'database is down' });
    expect(sent.KafkaBatchInfo.consumerGroup).toBe(group);
  });

  // A successful answer that is not JSON (AWS's own bash runtime tutorial answers plain
  // text) is a success, not a batch to invoke again.
  it('takes a successful plain-text answer as success when batch item failures are not reported', async () => {
    const { target, sent: invocations } = lambdaAnswering('OK');
    const records = failedRecords(topicName());
    const { done, gaveUp } = await deliverTo(target, records, settings({ maxRetryAttempts: 2, reportBatchItemFailures: false }));
    expect(gaveUp).toEqual([]);
    expect(invocations).toHaveLength(1);
    expect(done).toEqual([5_000_000_010]);
  });
});
