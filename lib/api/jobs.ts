/** POST /v1/jobs/run: runs sealing, retention, compaction and purges once, and says what it did. */
import { RouteNotFoundError } from '../core/errors.ts';
import { validateTopicName } from '../core/topic-config.ts';
import { jsonResponse } from './respond.ts';
import type { ApiResponse, RouteContext } from './types.ts';
import { jsonBody } from './validate.ts';

export async function runJobsRoute({ storage, request, config, runJobs }: RouteContext): Promise<ApiResponse> {
  if (!runJobs) throw new RouteNotFoundError('POST /v1/jobs/run is not served here: the jobs run on their schedule');
  const body = request.body && request.body.length > 0 ? jsonBody(request, ['topic'], config.maxRequestBytes) : {};
  const topic = body.topic === undefined ? undefined : validateTopicName(body.topic);
  return jsonResponse(200, await runJobs(storage, topic === undefined ? {} : { topic }));
}
