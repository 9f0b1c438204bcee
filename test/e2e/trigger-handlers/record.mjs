// Takes every record.
import { log } from './log.mjs';

export async function handler(event, context) {
  log(event, context, 'ok');
}
