/**
 * DescribeGroups (key 15), Kafka's DescribeGroupsRequest.json and DescribeGroupsResponse.json.
 *
 * ProtocolData (the chosen protocol's name) and each member's metadata and assignment are
 * filled in only for a Stable group; a Dead group has no members. From v3 the client may ask
 * for the group's AuthorizedOperations (a bit field; INT32_MIN, the default, means "not
 * asked"); v4 adds each member's GroupInstanceId.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const DescribeGroupsRequest = {
  name: 'DescribeGroupsRequest',
  type: 'request',
  apiKey: 15,
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [
    { name: 'groups', type: '[]string', versions: '0+' },
    { name: 'includeAuthorizedOperations', type: 'bool', versions: '3+' },
  ],
} as const satisfies MessageSpec;

export const DescribeGroupsResponse = {
  name: 'DescribeGroupsResponse',
  type: 'response',
  apiKey: 15,
  validVersions: '0-5',
  flexibleVersions: '5+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'groups', type: '[]DescribedGroup', versions: '0+', fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'groupId', type: 'string', versions: '0+' },
        { name: 'groupState', type: 'string', versions: '0+' },
        { name: 'protocolType', type: 'string', versions: '0+' },
        { name: 'protocolData', type: 'string', versions: '0+' },
        {
          name: 'members', type: '[]DescribedGroupMember', versions: '0+', fields: [
            { name: 'memberId', type: 'string', versions: '0+' },
            { name: 'groupInstanceId', type: 'string', versions: '4+', nullableVersions: '4+', default: null, ignorable: true },
            { name: 'clientId', type: 'string', versions: '0+' },
            { name: 'clientHost', type: 'string', versions: '0+' },
            { name: 'memberMetadata', type: 'bytes', versions: '0+' },
            { name: 'memberAssignment', type: 'bytes', versions: '0+' },
          ],
        },
        // Not ignorable: leave it at its default when answering v0-2.
        { name: 'authorizedOperations', type: 'int32', versions: '3+', default: -2147483648 },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeGroups = {
  name: 'DescribeGroups',
  apiKey: 15,
  request: DescribeGroupsRequest,
  response: DescribeGroupsResponse,
} as const satisfies ApiSpec;
