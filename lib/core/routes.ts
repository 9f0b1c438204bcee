/**
 * The HTTP API v1's routes as data: what lib/api serves (router.ts gives each its
 * handler) and what the CDK stack puts in front of each function, without loading either.
 */

/** Which Lambda function serves a route; the local server serves them all. */
export type RouteGroup = 'produce' | 'fetch' | 'groups' | 'admin';

export interface RouteSpec {
  readonly name: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly group: RouteGroup;
}

export const routeTable = [
  { name: 'createTopic', method: 'POST', path: '/v1/topics', group: 'admin' },
  { name: 'listTopics', method: 'GET', path: '/v1/topics', group: 'admin' },
  { name: 'describeTopic', method: 'GET', path: '/v1/topics/{topic}', group: 'admin' },
  { name: 'alterTopic', method: 'PATCH', path: '/v1/topics/{topic}', group: 'admin' },
  { name: 'deleteTopic', method: 'DELETE', path: '/v1/topics/{topic}', group: 'admin' },
  { name: 'produce', method: 'POST', path: '/v1/topics/{topic}/records', group: 'produce' },
  { name: 'initProducer', method: 'POST', path: '/v1/producers', group: 'produce' },
  { name: 'fetchRecords', method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/records', group: 'fetch' },
  { name: 'offsetForTime', method: 'GET', path: '/v1/topics/{topic}/partitions/{partition}/offsets', group: 'fetch' },
  { name: 'runJobs', method: 'POST', path: '/v1/jobs/run', group: 'admin' },
  { name: 'joinGroup', method: 'POST', path: '/v1/groups/{group}/members', group: 'groups' },
  { name: 'heartbeat', method: 'POST', path: '/v1/groups/{group}/members/{member}/heartbeat', group: 'groups' },
  { name: 'leaveGroup', method: 'DELETE', path: '/v1/groups/{group}/members/{member}', group: 'groups' },
  { name: 'commitOffsets', method: 'POST', path: '/v1/groups/{group}/offsets', group: 'groups' },
  { name: 'listGroups', method: 'GET', path: '/v1/groups', group: 'admin' },
  { name: 'describeGroup', method: 'GET', path: '/v1/groups/{group}', group: 'admin' },
  { name: 'resetOffsets', method: 'POST', path: '/v1/groups/{group}/offsets/reset', group: 'admin' },
  { name: 'deleteGroup', method: 'DELETE', path: '/v1/groups/{group}', group: 'admin' },
] as const satisfies readonly RouteSpec[];

export type RouteName = (typeof routeTable)[number]['name'];
