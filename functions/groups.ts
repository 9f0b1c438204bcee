/** Lambda handler for the consumer group routes (join, heartbeat, leave, commit). */
import { httpHandler } from './http.ts';

export const handler = httpHandler(['groups']);
