/**
 * ListGroups (key 16), Kafka's ListGroupsRequest.json and ListGroupsResponse.json: every
 * group the coordinator knows. v4 adds StatesFilter and each group's GroupState (KIP-518),
 * v5 TypesFilter and GroupType ("classic", "consumer"; KIP-848). An empty filter lists all.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const ListGroupsRequest = {
  name: 'ListGroupsRequest',
  type: 'request',
  apiKey: 16,
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'statesFilter', type: '[]string', versions: '4+' },
    { name: 'typesFilter', type: '[]string', versions: '5+' },
  ],
} as const satisfies MessageSpec;

export const ListGroupsResponse = {
  name: 'ListGroupsResponse',
  type: 'response',
  apiKey: 16,
  validVersions: '0-5',
  flexibleVersions: '3+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'groups', type: '[]ListedGroup', versions: '0+', fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '4+', ignorable: true },
        { name: 'groupType', type: 'string', versions: '5+', ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const ListGroups = {
  name: 'ListGroups',
  apiKey: 16,
  request: ListGroupsRequest,
  response: ListGroupsResponse,
} as const satisfies ApiSpec;
