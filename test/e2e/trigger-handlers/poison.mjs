// Fails the whole batch while it holds a record whose value is "poison".
import { log, records } from './log.mjs';

export async function handler(event, context) {
  const poison = records(event).find((r) => r.value === 'poison');
  log(event, context, poison === undefined ? 'ok' : 'threw');
  if (poison !== undefined) throw new Error(`poison record at offset ${poison.offset}`);
}
