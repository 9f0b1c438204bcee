/**
 * JoinGroup (key 11), Kafka's JoinGroupRequest.json and JoinGroupResponse.json.
 *
 * v1 adds RebalanceTimeoutMs (before it, the session timeout serves). From v4 a member that
 * joins with an empty MemberId is answered MEMBER_ID_REQUIRED with its new id and must join
 * again with it (KIP-394). v5 adds the static member's GroupInstanceId (KIP-345). v7 echoes
 * ProtocolType, and ProtocolName may then be null (KIP-559). v8 adds the member's Reason
 * (KIP-800), v9 SkipAssignment for a leader whose assignment the broker computes. Each
 * member's Metadata is opaque here; for "consumer" groups it is a
 * ConsumerProtocolSubscription (consumer-protocol.ts). Kafka marks v0-1 deprecated.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const JoinGroupRequest = {
  name: 'JoinGroupRequest',
  type: 'request',
  apiKey: 11,
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'sessionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'rebalanceTimeoutMs', type: 'int32', versions: '1+', default: -1, ignorable: true },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null },
    { name: 'protocolType', type: 'string', versions: '0+' },
    {
      name: 'protocols', type: '[]JoinGroupRequestProtocol', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'metadata', type: 'bytes', versions: '0+' },
      ],
    },
    { name: 'reason', type: 'string', versions: '8+', nullableVersions: '8+', default: null, ignorable: true },
  ],
} as const satisfies MessageSpec;

export const JoinGroupResponse = {
  name: 'JoinGroupResponse',
  type: 'response',
  apiKey: 11,
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+', default: -1 },
    { name: 'protocolType', type: 'string', versions: '7+', nullableVersions: '7+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '0+', nullableVersions: '7+' },
    { name: 'leader', type: 'string', versions: '0+' },
    { name: 'skipAssignment', type: 'bool', versions: '9+', default: false },
    { name: 'memberId', type: 'string', versions: '0+' },
    {
      name: 'members', type: '[]JoinGroupResponseMember', versions: '0+', fields: [
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'groupInstanceId', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
        { name: 'metadata', type: 'bytes', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const JoinGroup = {
  name: 'JoinGroup',
  apiKey: 11,
  request: JoinGroupRequest,
  response: JoinGroupResponse,
} as const satisfies ApiSpec;
