/** Lambda handler for the admin routes of the HTTP API. */
import { httpHandler } from './http.ts';

export const handler = httpHandler(['admin']);
