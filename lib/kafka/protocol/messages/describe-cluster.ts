/**
 * DescribeCluster (key 60), Kafka's DescribeClusterRequest.json and DescribeClusterResponse.json:
 * flexible from v0. EndpointType (v1): 1 brokers, 2 controllers.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const DescribeClusterRequest = {
  name: 'DescribeClusterRequest',
  type: 'request',
  apiKey: 60,
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'includeClusterAuthorizedOperations', type: 'bool', versions: '0+' },
    { name: 'endpointType', type: 'int8', versions: '1+', default: 1 },
  ],
} as const satisfies MessageSpec;

export const DescribeClusterResponse = {
  name: 'DescribeClusterResponse',
  type: 'response',
  apiKey: 60,
  validVersions: '0-1',
  flexibleVersions: '0+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
    { name: 'endpointType', type: 'int8', versions: '1+', default: 1 },
    { name: 'clusterId', type: 'string', versions: '0+' },
    { name: 'controllerId', type: 'int32', versions: '0+', default: -1 },
    {
      name: 'brokers', type: '[]DescribeClusterBroker', versions: '0+', fields: [
        { name: 'brokerId', type: 'int32', versions: '0+' },
        { name: 'host', type: 'string', versions: '0+' },
        { name: 'port', type: 'int32', versions: '0+' },
        { name: 'rack', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
      ],
    },
    { name: 'clusterAuthorizedOperations', type: 'int32', versions: '0+', default: -2147483648 },
  ],
} as const satisfies MessageSpec;

export const DescribeCluster = {
  name: 'DescribeCluster',
  apiKey: 60,
  request: DescribeClusterRequest,
  response: DescribeClusterResponse,
} as const satisfies ApiSpec;
