// Takes every record, TRIGGER_SLEEP_MS after it was invoked: it logs `started` on entry
// and `ok` when done, so a test can stop the dispatcher while an invocation is in flight.
import { setTimeout as sleep } from 'node:timers/promises';
import { log } from './log.mjs';

export async function handler(event, context) {
  log(event, context, 'started');
  await sleep(Number(process.env.TRIGGER_SLEEP_MS ?? 0));
  log(event, context, 'ok');
}
