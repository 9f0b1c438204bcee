/**
 * The dispatcher's AWS ends: the user's Lambda function as the target (a synchronous
 * Invoke; a function error fails the batch, as under an event source mapping), and an SQS
 * queue or SNS topic as the failure destination. What goes to a queue or topic is what
 * Lambda sends for a Kafka event source: the invocation's context and where the failed
 * records are (topic, partition, first and last offset and timestamp), not the records,
 * which stay in the topic to be read again.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { InvokeFailure } from './delivery.ts';
import type { FailureDestination, FailureReport, TriggerTarget } from './dispatcher.ts';
import type { KafkaEvent } from './event.ts';

/** A function error as Lambda reports it in the Invoke answer's payload. */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
    this.name = 'FunctionError';
  }
}

export class LambdaTarget implements TriggerTarget {
  constructor(
    private readonly lambda: LambdaClient,
    /** Name or ARN. */
    readonly name: string,
  ) {}

  async invoke(event: KafkaEvent): Promise<unknown> {
    const answer = await this.lambda
      .send(new InvokeCommand({ FunctionName: this.name, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }))
      .catch((error: unknown) => {
        // Throttled, refused or unreachable: the function did not run (its errors come as FunctionError).
        throw new InvokeFailure(`invoking ${this.name} failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, { cause: error });
      });
    // The SDK gives null for an empty body; a custom runtime may answer plain text.
    const text = answer.Payload ? Buffer.from(answer.Payload).toString('utf8') : '';
    const payload = parsed(text);
    if (answer.FunctionError !== undefined) {
      const error = typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as { errorMessage?: unknown; errorType?: unknown }) : {};
      // Plain text (not JSON) is the error as the runtime told it.
      const message = typeof error.errorMessage === 'string' ? error.errorMessage : payload === text && text !== '' ? text : answer.FunctionError;
      throw new FunctionError(message, typeof error.errorType === 'string' ? error.errorType : answer.FunctionError);
    }
    return payload;
  }
}

/** JSON as its value, other text as it is, nothing as undefined. */
function parsed(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export type FailureRecord = ReturnType<typeof failureRecord>;

/** Lambda's on-failure record for a Kafka event source, with Sluice's group in place of the event source ARN. */
export function failureRecord(failure: FailureReport, context: { functionArn: string; bootstrapServers: string; now: Date }) {
  const { records } = failure;
  const first = records[0]!;
  const last = records.at(-1)!;
  return {
    requestContext: { functionArn: context.functionArn, condition: failure.reason, approximateInvokeCount: failure.attempts },
    responseContext: failure.error === undefined ? {} : { functionError: 'Unhandled', errorMessage: failure.error },
    version: '1.0',
    timestamp: context.now.toISOString(),
    KafkaBatchInfo: {
      batchSize: records.length,
      bootstrapServers: context.bootstrapServers,
      consumerGroup: failure.group,
      recordsInfo: {
        [`${first.topic}-${first.partition}`]: {
          firstRecordOffset: String(first.offset),
          firstRecordTimestamp: new Date(first.timestamp).toISOString(),
          lastRecordOffset: String(last.offset),
          lastRecordTimestamp: new Date(last.timestamp).toISOString(),
        },
      },
    },
  };
}

interface RecordContext {
  readonly functionArn: string;
  readonly bootstrapServers: string;
}

export class SqsDestination implements FailureDestination {
  readonly name: string;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly context: RecordContext,
  ) {
    this.name = `queue ${queueUrl}`;
  }

  async send(failure: FailureReport): Promise<void> {
    await this.sqs.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(failureRecord(failure, { ...this.context, now: new Date() })) }));
  }
}

export class SnsDestination implements FailureDestination {
  readonly name: string;

  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
    private readonly context: RecordContext,
  ) {
    this.name = `SNS topic ${topicArn}`;
  }

  async send(failure: FailureReport): Promise<void> {
    await this.sns.send(new PublishCommand({ TopicArn: this.topicArn, Message: JSON.stringify(failureRecord(failure, { ...this.context, now: new Date() })) }));
  }
}
