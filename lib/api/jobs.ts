/** POST /v1/jobs/run: runs sealing, retention, compaction and purges once, and says what it did. */
import { RouteNotFoundError } from '../core/errors.ts';
import type { RunJobsRequest } from '../core/http-contract.ts';
import { validateTopicName } from '../core/topic-config.ts';
import { jsonResponse } from './respond.ts';
import type { AnswerOf, RouteContext } from './types.ts';
import { fields, jsonBody } from './validate.ts';

const runFields = fields<RunJobsRequest>({ topic: true });

export async function runJobsRoute({ storage, request, config, runJobs }: RouteContext): Promise<AnswerOf<'runJobs'>> {
  if (!runJobs) throw new RouteNotFoundError('POST /v1/jobs/run is not served here: the jobs run on their schedule');
  const body = request.body && request.body.length > 0 ? jsonBody(request, runFields, config.maxRequestBytes) : {};
  const topic = body.topic === undefined ? undefined : validateTopicName(body.topic);
  // A person asked: say what is left for later, too.
  return jsonResponse(200, await runJobs(storage, { ...(topic === undefined ? {} : { topic }), reportDeferred: true }));
}
