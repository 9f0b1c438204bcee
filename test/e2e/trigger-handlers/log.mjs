// What the trigger tests' handlers share: one JSON line per invocation, appended to the
// file named by TRIGGER_LOG, so the test (another process) sees what each one was given.
import { Buffer } from 'node:buffer';
import { appendFileSync } from 'node:fs';

const decode = (base64) => (base64 === undefined ? null : Buffer.from(base64, 'base64').toString('utf8'));

/** The event's records, in event order, with key and value decoded. */
export function records(event) {
  return Object.entries(event.records).flatMap(([group, list]) =>
    list.map((r) => ({ group, topic: r.topic, partition: r.partition, offset: r.offset, key: decode(r.key), value: decode(r.value) })),
  );
}

/** Appends one line: what the handler got, and what it answered (`ok`, `threw`, or the offset it reported failed). */
export function log(event, context, outcome) {
  const line = {
    tag: process.env.TRIGGER_TAG ?? null,
    pid: process.pid,
    at: Date.now(),
    eventSource: event.eventSource,
    bootstrapServers: event.bootstrapServers,
    functionName: context.functionName,
    remainingMs: context.getRemainingTimeInMillis(),
    requestId: context.awsRequestId,
    records: records(event),
    outcome,
  };
  // One synchronous write per line: lines of partitions delivered at once never interleave.
  appendFileSync(process.env.TRIGGER_LOG, JSON.stringify(line) + '\n');
}
