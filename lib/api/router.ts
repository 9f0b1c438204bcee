/** Routes of the HTTP API v1 and their matching: the one table of what the API serves. */
import type { ApiConfig } from '../core/config.ts';
import { InvalidRequestError, MethodNotAllowedError, RouteNotFoundError } from '../core/errors.ts';
import type { Storage } from '../storage/index.ts';
import { commitOffsets, deleteGroup, describeGroup, heartbeat, joinGroup, leaveGroup, listGroups, resetOffsets } from './groups.ts';
import { runJobsRoute } from './jobs.ts';
import { initProducer } from './producers.ts';
import { fetchRecords, offsetForTime, produce } from './records.ts';
import { alterTopic, createTopic, deleteTopic, describeTopic, listTopics } from './topics.ts';
import type { ApiRequest, ApiResponse } from './types.ts';
import { shown, topicName } from './validate.ts';

export interface RouteContext {
  readonly storage: Storage;
  readonly config: ApiConfig;
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  /** Keyless records of one request stick to one partition; successive requests rotate. */
  readonly keylessPartition: (partitions: number) => number;
}

export type Handler = (context: RouteContext) => Promise<ApiResponse>;

/** Which Lambda function serves a route; the local server serves them all. */
export type RouteGroup = 'produce' | 'fetch' | 'groups' | 'admin';

export interface Route {
  readonly method: string;
  readonly path: string;
  readonly group: RouteGroup;
  readonly handler: Handler;
}

export const routes: readonly Route[] = [
  { method: 'POST', path: '/v1/topics', group: 'admin', handler: createTopic },
  { method: 'GET', path: '/v1/topics', group: 'admin', handler: listTopics },
  { method: 'GET', path: '/v1/topics/{topic}', group: 'admin', handler: describeTopic },
  { method: 'PATCH', path: '/v1/topics/{topic}', group: 'admin', handler: alterTopic },
  { method: 'DELETE', path: '/v1/topics/{topic}', group: 'admin', handler: deleteTopic },
  { method: 'POST', path: '/v1/topics/{topic}/records', group: 'produce', handler: produce },
  { method: 'POST', path: '/v1/producers', group: 'produce', handler: initProducer },
  { method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/records', group: 'fetch', handler: fetchRecords },
  { method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/offsets', group: 'fetch', handler: offsetForTime },
  { method: 'POST', path: '/v1/jobs/run', group: 'admin', handler: runJobsRoute },
  { method: 'POST', path: '/v1/groups/{group}/members', group: 'groups', handler: joinGroup },
  { method: 'POST', path: '/v1/groups/{group}/members/{member}/heartbeat', group: 'groups', handler: heartbeat },
  { method: 'DELETE', path: '/v1/groups/{group}/members/{member}', group: 'groups', handler: leaveGroup },
  { method: 'POST', path: '/v1/groups/{group}/offsets', group: 'groups', handler: commitOffsets },
  { method: 'GET', path: '/v1/groups', group: 'admin', handler: listGroups },
  { method: 'GET', path: '/v1/groups/{group}', group: 'admin', handler: describeGroup },
  { method: 'POST', path: '/v1/groups/{group}/offsets/reset', group: 'admin', handler: resetOffsets },
  { method: 'DELETE', path: '/v1/groups/{group}', group: 'admin', handler: deleteGroup },
];

/** The route for a request and its path parameters, or 404 / 405. */
export function matchRoute(method: string, path: string): { route: Route; params: Record<string, string> } {
  const segments = path.split('/').slice(1);
  let pathMatched = false;
  for (const route of routes) {
    const params = matchPath(route.path.split('/').slice(1), segments);
    if (!params) continue;
    pathMatched = true;
    if (route.method === method.toUpperCase()) {
      if (params.topic !== undefined) topicName(params.topic, 'topic');
      return { route, params };
    }
  }
  const shownPath = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  if (pathMatched) throw new MethodNotAllowedError(`${method.slice(0, 20)} is not allowed on ${shownPath}`);
  throw new RouteNotFoundError(`no route for ${method.slice(0, 20)} ${shownPath}`);
}

function matchPath(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (want.startsWith('{')) {
      try {
        params[want.slice(1, -1)] = decodeURIComponent(got);
      } catch {
        throw new InvalidRequestError(`malformed escape in path segment ${shown(got)}`);
      }
    } else if (want !== got) {
      return undefined;
    }
  }
  return params;
}
