/**
 * OffsetFetch (key 9), Kafka's OffsetFetchRequest.json and OffsetFetchResponse.json.
 *
 * Up to v7 one group: from v2 its Topics may be null (every topic with a committed offset)
 * and the response gains a top-level ErrorCode. v7 adds RequireStable (answer
 * UNSTABLE_OFFSET_COMMIT while a transaction's offsets are pending). v8 batches: GroupId,
 * Topics and the flat answer move into Groups, each with its own ErrorCode. v9 adds the
 * member id and epoch of the new consumer protocol (KIP-848). Kafka marks v0 deprecated.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const OffsetFetchRequest = {
  name: 'OffsetFetchRequest',
  type: 'request',
  apiKey: 9,
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0-7' },
    {
      name: 'topics', type: '[]OffsetFetchRequestTopic', versions: '0-7', nullableVersions: '2-7', fields: [
        { name: 'name', type: 'string', versions: '0-7' },
        { name: 'partitionIndexes', type: '[]int32', versions: '0-7' },
      ],
    },
    {
      name: 'groups', type: '[]OffsetFetchRequestGroup', versions: '8+', fields: [
        { name: 'groupId', type: 'string', versions: '8+' },
        { name: 'memberId', type: 'string', versions: '9+', nullableVersions: '9+', default: null, ignorable: true },
        { name: 'memberEpoch', type: 'int32', versions: '9+', default: -1, ignorable: true },
        {
          name: 'topics', type: '[]OffsetFetchRequestTopics', versions: '8+', nullableVersions: '8+', fields: [
            { name: 'name', type: 'string', versions: '8+' },
            { name: 'partitionIndexes', type: '[]int32', versions: '8+' },
          ],
        },
      ],
    },
    { name: 'requireStable', type: 'bool', versions: '7+', default: false },
  ],
} as const satisfies MessageSpec;

export const OffsetFetchResponse = {
  name: 'OffsetFetchResponse',
  type: 'response',
  apiKey: 9,
  validVersions: '0-9',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    {
      name: 'topics', type: '[]OffsetFetchResponseTopic', versions: '0-7', fields: [
        { name: 'name', type: 'string', versions: '0-7' },
        {
          name: 'partitions', type: '[]OffsetFetchResponsePartition', versions: '0-7', fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0-7' },
            { name: 'committedOffset', type: 'int64', versions: '0-7' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '5-7', default: -1, ignorable: true },
            { name: 'metadata', type: 'string', versions: '0-7', nullableVersions: '0-7' },
            { name: 'errorCode', type: 'int16', versions: '0-7' },
          ],
        },
      ],
    },
    { name: 'errorCode', type: 'int16', versions: '2-7', default: 0, ignorable: true },
    {
      name: 'groups', type: '[]OffsetFetchResponseGroup', versions: '8+', fields: [
        { name: 'groupId', type: 'string', versions: '8+' },
        {
          name: 'topics', type: '[]OffsetFetchResponseTopics', versions: '8+', fields: [
            { name: 'name', type: 'string', versions: '8+' },
            {
              name: 'partitions', type: '[]OffsetFetchResponsePartitions', versions: '8+', fields: [
                { name: 'partitionIndex', type: 'int32', versions: '8+' },
                { name: 'committedOffset', type: 'int64', versions: '8+' },
                { name: 'committedLeaderEpoch', type: 'int32', versions: '8+', default: -1, ignorable: true },
                { name: 'metadata', type: 'string', versions: '8+', nullableVersions: '8+' },
                { name: 'errorCode', type: 'int16', versions: '8+' },
              ],
            },
          ],
        },
        { name: 'errorCode', type: 'int16', versions: '8+', default: 0 },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetFetch = {
  name: 'OffsetFetch',
  apiKey: 9,
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
} as const satisfies ApiSpec;
