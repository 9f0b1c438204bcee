/**
 * ListOffsets (key 2), Kafka's ListOffsetsRequest.json and ListOffsetsResponse.json.
 *
 * Timestamp -2 asks for the earliest offset, -1 the latest, -3 the one with the largest
 * timestamp (v7+), -4 the local log start (v8+), -5 the last tiered (v9+); any other value
 * the first offset at or after that time. v0 answers with an array of offsets
 * (OldStyleOffsets, up to MaxNumOffsets), v1+ with one offset and its timestamp.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const ListOffsetsRequest = {
  name: 'ListOffsetsRequest',
  type: 'request',
  apiKey: 2,
  validVersions: '0-10',
  flexibleVersions: '6+',
  fields: [
    { name: 'replicaId', type: 'int32', versions: '0+' },
    { name: 'isolationLevel', type: 'int8', versions: '2+' },
    {
      name: 'topics', type: '[]ListOffsetsTopic', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions', type: '[]ListOffsetsPartition', versions: '0+', fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'currentLeaderEpoch', type: 'int32', versions: '4+', default: -1, ignorable: true },
            { name: 'timestamp', type: 'int64', versions: '0+' },
            { name: 'maxNumOffsets', type: 'int32', versions: '0', default: 1 },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '10+', ignorable: true },
  ],
} as const satisfies MessageSpec;

export const ListOffsetsResponse = {
  name: 'ListOffsetsResponse',
  type: 'response',
  apiKey: 2,
  validVersions: '0-10',
  flexibleVersions: '6+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '2+', ignorable: true },
    {
      name: 'topics', type: '[]ListOffsetsTopicResponse', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions', type: '[]ListOffsetsPartitionResponse', versions: '0+', fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
            { name: 'oldStyleOffsets', type: '[]int64', versions: '0' },
            { name: 'timestamp', type: 'int64', versions: '1+', default: -1 },
            { name: 'offset', type: 'int64', versions: '1+', default: -1 },
            { name: 'leaderEpoch', type: 'int32', versions: '4+', default: -1 },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const ListOffsets = {
  name: 'ListOffsets',
  apiKey: 2,
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
} as const satisfies ApiSpec;
