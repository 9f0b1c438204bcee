/**
 * LeaveGroup (key 13), Kafka's LeaveGroupRequest.json and LeaveGroupResponse.json.
 *
 * Up to v2 one member leaves, named by MemberId. v3 batches: Members, each a member id
 * and/or a static GroupInstanceId, answered one by one beside the top-level ErrorCode
 * (KIP-345). v5 adds each member's Reason (KIP-800).
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const LeaveGroupRequest = {
  name: 'LeaveGroupRequest',
  type: 'request',
  apiKey: 13,
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0-2' },
    {
      name: 'members', type: '[]MemberIdentity', versions: '3+', fields: [
        { name: 'memberId', type: 'string', versions: '3+' },
        { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
        { name: 'reason', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const LeaveGroupResponse = {
  name: 'LeaveGroupResponse',
  type: 'response',
  apiKey: 13,
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'members', type: '[]MemberResponse', versions: '3+', fields: [
        { name: 'memberId', type: 'string', versions: '3+' },
        // Nullable, but with no declared default: Kafka's implicit "" stands.
        { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+' },
        { name: 'errorCode', type: 'int16', versions: '3+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const LeaveGroup = {
  name: 'LeaveGroup',
  apiKey: 13,
  request: LeaveGroupRequest,
  response: LeaveGroupResponse,
} as const satisfies ApiSpec;
