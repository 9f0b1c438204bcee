/**
 * Heartbeat (key 12), Kafka's HeartbeatRequest.json and HeartbeatResponse.json: a member
 * of a classic group says it is alive; REBALANCE_IN_PROGRESS in the answer tells it to join
 * again. v3 adds the static member's GroupInstanceId; the response only gains throttling.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const HeartbeatRequest = {
  name: 'HeartbeatRequest',
  type: 'request',
  apiKey: 12,
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
  ],
} as const satisfies MessageSpec;

export const HeartbeatResponse = {
  name: 'HeartbeatResponse',
  type: 'response',
  apiKey: 12,
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const Heartbeat = {
  name: 'Heartbeat',
  apiKey: 12,
  request: HeartbeatRequest,
  response: HeartbeatResponse,
} as const satisfies ApiSpec;
