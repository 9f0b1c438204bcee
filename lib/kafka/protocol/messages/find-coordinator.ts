/**
 * FindCoordinator (key 10), Kafka's FindCoordinatorRequest.json and FindCoordinatorResponse.json.
 * KeyType: 0 group, 1 transaction, 2 share group (v6). v4 batches: the single Key and the
 * flat answer (ErrorCode, NodeId, Host, Port) become CoordinatorKeys and Coordinators.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const FindCoordinatorRequest = {
  name: 'FindCoordinatorRequest',
  type: 'request',
  apiKey: 10,
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'key', type: 'string', versions: '0-3' },
    { name: 'keyType', type: 'int8', versions: '1+', default: 0 },
    { name: 'coordinatorKeys', type: '[]string', versions: '4+' },
  ],
} as const satisfies MessageSpec;

export const FindCoordinatorResponse = {
  name: 'FindCoordinatorResponse',
  type: 'response',
  apiKey: 10,
  validVersions: '0-6',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0-3' },
    { name: 'errorMessage', type: 'string', versions: '1-3', nullableVersions: '1-3', ignorable: true },
    { name: 'nodeId', type: 'int32', versions: '0-3' },
    { name: 'host', type: 'string', versions: '0-3' },
    { name: 'port', type: 'int32', versions: '0-3' },
    {
      name: 'coordinators', type: '[]Coordinator', versions: '4+', fields: [
        { name: 'key', type: 'string', versions: '4+' },
        { name: 'nodeId', type: 'int32', versions: '4+' },
        { name: 'host', type: 'string', versions: '4+' },
        { name: 'port', type: 'int32', versions: '4+' },
        { name: 'errorCode', type: 'int16', versions: '4+' },
        { name: 'errorMessage', type: 'string', versions: '4+', nullableVersions: '4+', ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const FindCoordinator = {
  name: 'FindCoordinator',
  apiKey: 10,
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
} as const satisfies ApiSpec;
