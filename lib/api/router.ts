/** The API's routes (lib/core/routes.ts) with their handlers, and matching a request to one. */
import { InvalidRequestError, MethodNotAllowedError, RouteNotFoundError } from '../core/errors.ts';
import { routeTable, type RouteName, type RouteSpec } from '../core/routes.ts';
import { commitOffsets, deleteGroup, describeGroup, heartbeat, joinGroup, leaveGroup, listGroups, resetOffsets } from './groups.ts';
import { runJobsRoute } from './jobs.ts';
import { initProducer } from './producers.ts';
import { fetchRecords, offsetForTime, produce } from './records.ts';
import { alterTopic, createTopic, deleteTopic, describeTopic, listTopics } from './topics.ts';
import type { Handler } from './types.ts';
import { shown, topicName } from './validate.ts';

export interface Route extends RouteSpec {
  readonly handler: Handler;
}

/** Each route's handler, typed by its name: a handler answering another route's shape fails to compile. */
const handlers: { readonly [N in RouteName]: Handler<N> } = {
  createTopic,
  listTopics,
  describeTopic,
  alterTopic,
  deleteTopic,
  produce,
  initProducer,
  fetchRecords,
  offsetForTime,
  runJobs: runJobsRoute,
  joinGroup,
  heartbeat,
  leaveGroup,
  commitOffsets,
  listGroups,
  describeGroup,
  resetOffsets,
  deleteGroup,
};

export const routes: readonly Route[] = routeTable.map((spec) => ({ ...spec, handler: handlers[spec.name] }));

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
