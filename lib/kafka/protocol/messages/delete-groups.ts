/**
 * DeleteGroups (key 42), Kafka's DeleteGroupsRequest.json and DeleteGroupsResponse.json: only
 * an empty group may go (NON_EMPTY_GROUP otherwise), and its committed offsets with it.
 * ThrottleTimeMs is there from v0; v2 is flexible. Kafka marks v0 deprecated.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const DeleteGroupsRequest = {
  name: 'DeleteGroupsRequest',
  type: 'request',
  apiKey: 42,
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [{ name: 'groupsNames', type: '[]string', versions: '0+' }],
} as const satisfies MessageSpec;

export const DeleteGroupsResponse = {
  name: 'DeleteGroupsResponse',
  type: 'response',
  apiKey: 42,
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results', type: '[]DeletableGroupResult', versions: '0+', fields: [
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DeleteGroups = {
  name: 'DeleteGroups',
  apiKey: 42,
  request: DeleteGroupsRequest,
  response: DeleteGroupsResponse,
} as const satisfies ApiSpec;
