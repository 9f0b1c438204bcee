/** Lambda handler for the fetch routes of the HTTP API. */
import { httpHandler } from './http.ts';

export const handler = httpHandler(['fetch']);
