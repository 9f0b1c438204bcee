/** Lambda handler for the admin routes of the HTTP API. */
import { runJobs } from '../lib/jobs/run.ts';
import { httpHandler } from './http.ts';

// POST /v1/jobs/run is an admin route: this function runs the jobs on request.
export const handler = httpHandler(['admin'], { runJobs });
