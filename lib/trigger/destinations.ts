/**
 * A failure destination that is a Sluice topic (`orders.dlq`): each record the function
 * did not take is produced there with its key, value, headers and timestamp, and headers
 * that say where it came from and why it failed. The SDK's idempotent producer sends it,
 * so a retried send lands once.
 */
import type { Producer } from '../client/producer.ts';
import type { Sluice } from '../client/sluice.ts';
import type { FailureDestination, FailureReport } from './dispatcher.ts';

/** Headers a dead-lettered record carries besides its own. */
export const dlqHeaders = {
  topic: 'sluice.dlq.topic',
  partition: 'sluice.dlq.partition',
  offset: 'sluice.dlq.offset',
  reason: 'sluice.dlq.reason',
  error: 'sluice.dlq.error',
  attempts: 'sluice.dlq.attempts',
  function: 'sluice.dlq.function',
  group: 'sluice.dlq.group',
} as const;

/** An error message longer than this is cut in the header. */
const maxErrorChars = 1_000;

export class TopicDestination implements FailureDestination {
  readonly name: string;
  private readonly producer: Producer;

  constructor(
    sluice: Sluice,
    private readonly topic: string,
  ) {
    this.name = `topic ${topic}`;
    this.producer = sluice.producer();
  }

  async send(failure: FailureReport): Promise<void> {
    await this.producer.send({
      topic: this.topic,
      messages: failure.records.map((r) => ({
        key: r.key,
        value: r.value,
        timestamp: r.timestamp,
        headers: {
          ...r.headers,
          [dlqHeaders.topic]: r.topic,
          [dlqHeaders.partition]: String(r.partition),
          [dlqHeaders.offset]: String(r.offset),
          [dlqHeaders.reason]: failure.reason,
          ...(failure.error === undefined ? {} : { [dlqHeaders.error]: failure.error.slice(0, maxErrorChars) }),
          [dlqHeaders.attempts]: String(failure.attempts),
          [dlqHeaders.function]: failure.functionName,
          [dlqHeaders.group]: failure.group,
        },
      })),
    });
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}
