/**
 * OffsetDelete (key 47), Kafka's OffsetDeleteRequest.json and OffsetDeleteResponse.json: drop
 * a group's committed offsets for partitions it no longer subscribes to (KIP-496). One
 * version, never flexible; the response puts ErrorCode before ThrottleTimeMs, unlike the
 * other APIs.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const OffsetDeleteRequest = {
  name: 'OffsetDeleteRequest',
  type: 'request',
  apiKey: 47,
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    {
      name: 'topics', type: '[]OffsetDeleteRequestTopic', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions', type: '[]OffsetDeleteRequestPartition', versions: '0+', fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetDeleteResponse = {
  name: 'OffsetDeleteResponse',
  type: 'response',
  apiKey: 47,
  validVersions: '0',
  flexibleVersions: 'none',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'throttleTimeMs', type: 'int32', versions: '0+', ignorable: true },
    {
      name: 'topics', type: '[]OffsetDeleteResponseTopic', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions', type: '[]OffsetDeleteResponsePartition', versions: '0+', fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetDelete = {
  name: 'OffsetDelete',
  apiKey: 47,
  request: OffsetDeleteRequest,
  response: OffsetDeleteResponse,
} as const satisfies ApiSpec;
