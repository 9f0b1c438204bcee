/** The HTTP API without a transport: the local server and the Lambda handlers both call this. */
import { defaultApiConfig, type ApiConfig } from '../core/config.ts';
import type { Storage } from '../storage/index.ts';
import { errorResponse, type ServerFailureLog } from './respond.ts';
import type { RouteGroup } from '../core/routes.ts';
import { matchRoute } from './router.ts';
import type { Api, JobsRunner } from './types.ts';
import { checkQuery, invalid, requestLimits } from './validate.ts';
import { RouteNotFoundError } from '../core/errors.ts';

export interface ApiOptions {
  readonly storage: Storage;
  /** @default defaultApiConfig */
  readonly config?: ApiConfig;
  /** Serve only these routes (one Lambda function each); @default all */
  readonly groups?: readonly RouteGroup[];
  /** Runs the jobs for POST /v1/jobs/run (lib/jobs/run.ts's runJobs); @default none: that route answers 404 */
  readonly runJobs?: JobsRunner;
  /** Where 5xx details go. @default logToStderr */
  readonly log?: ServerFailureLog;
}

export function createApi(options: ApiOptions): Api {
  const config = options.config ?? defaultApiConfig;
  let keyless = Math.floor(Math.random() * 1_000_000);
  const keylessPartition = (partitions: number) => keyless++ % partitions;
  return async (request) => {
    try {
      // Bounded before anything walks them: a route ignores query parameters it does not read.
      if (request.path.length > requestLimits.maxPathLength) throw invalid('path', `must be at most ${requestLimits.maxPathLength} characters`);
      checkQuery(request);
      const { route, params } = matchRoute(request.method, request.path);
      if (options.groups && !options.groups.includes(route.group)) {
        throw new RouteNotFoundError(`no route for ${request.method} ${request.path} on this function`);
      }
      return await route.handler({ storage: options.storage, config, request, params, keylessPartition, runJobs: options.runJobs });
    } catch (err) {
      return errorResponse(err, request.requestId, options.log);
    }
  };
}
