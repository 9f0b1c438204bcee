/** Lambda handler for the produce routes of the HTTP API. */
import { httpHandler } from './http.ts';

export const handler = httpHandler(['produce']);
