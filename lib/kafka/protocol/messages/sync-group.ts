/**
 * SyncGroup (key 14), Kafka's SyncGroupRequest.json and SyncGroupResponse.json: the leader
 * sends every member's assignment, the others an empty list, and each gets its own back.
 * Assignments are opaque here; for "consumer" groups each is a ConsumerProtocolAssignment
 * (consumer-protocol.ts). v3 adds the static member's GroupInstanceId; from v5 the client
 * sends ProtocolType and ProtocolName, which the broker checks against the group's and
 * echoes back (KIP-559).
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const SyncGroupRequest = {
  name: 'SyncGroupRequest',
  type: 'request',
  apiKey: 14,
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationId', type: 'int32', versions: '0+' },
    { name: 'memberId', type: 'string', versions: '0+' },
    { name: 'groupInstanceId', type: 'string', versions: '3+', nullableVersions: '3+', default: null },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    {
      name: 'assignments', type: '[]SyncGroupRequestAssignment', versions: '0+', fields: [
        { name: 'memberId', type: 'string', versions: '0+' },
        { name: 'assignment', type: 'bytes', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const SyncGroupResponse = {
  name: 'SyncGroupResponse',
  type: 'response',
  apiKey: 14,
  validVersions: '0-5',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'protocolType', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'protocolName', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
    { name: 'assignment', type: 'bytes', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const SyncGroup = {
  name: 'SyncGroup',
  apiKey: 14,
  request: SyncGroupRequest,
  response: SyncGroupResponse,
} as const satisfies ApiSpec;
