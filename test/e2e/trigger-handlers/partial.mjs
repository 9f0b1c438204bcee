// Answers a partial batch response naming the first record whose value is "fail-once",
// the first time it sees one (TRIGGER_MARKER remembers it across invocations); takes
// everything after that.
import { existsSync, writeFileSync } from 'node:fs';
import { log, records } from './log.mjs';

export async function handler(event, context) {
  const marker = process.env.TRIGGER_MARKER;
  const failing = existsSync(marker) ? undefined : records(event).find((r) => r.value === 'fail-once');
  if (failing === undefined) {
    log(event, context, 'ok');
    return { batchItemFailures: [] };
  }
  writeFileSync(marker, String(failing.offset));
  log(event, context, { failed: failing.offset });
  return { batchItemFailures: [{ itemIdentifier: String(failing.offset) }] };
}
