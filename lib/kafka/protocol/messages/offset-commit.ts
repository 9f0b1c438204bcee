/**
 * OffsetCommit (key 8), Kafka's OffsetCommitRequest.json and OffsetCommitResponse.json.
 *
 * v0 commits without a group generation (the offsets of a group that has no members); v1
 * adds the generation and member id, and a per-partition CommitTimestamp that v2 drops for
 * a request-wide RetentionTimeMs (-1: the broker's retention), itself gone from v5. v6 adds
 * the leader epoch, v7 the static member's GroupInstanceId. v9 is v8 for the new consumer
 * protocol (KIP-848), where the generation field carries the member epoch. Kafka marks v0-1
 * deprecated.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const OffsetCommitRequest = {
  name: 'OffsetCommitRequest',
  type: 'request',
  apiKey: 8,
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    { name: 'groupId', type: 'string', versions: '0+' },
    { name: 'generationIdOrMemberEpoch', type: 'int32', versions: '1+', default: -1, ignorable: true },
    { name: 'memberId', type: 'string', versions: '1+', ignorable: true },
    { name: 'groupInstanceId', type: 'string', versions: '7+', nullableVersions: '7+', default: null },
    { name: 'retentionTimeMs', type: 'int64', versions: '2-4', default: -1, ignorable: true },
    {
      name: 'topics', type: '[]OffsetCommitRequestTopic', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions', type: '[]OffsetCommitRequestPartition', versions: '0+', fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'committedOffset', type: 'int64', versions: '0+' },
            { name: 'committedLeaderEpoch', type: 'int32', versions: '6+', default: -1, ignorable: true },
            { name: 'commitTimestamp', type: 'int64', versions: '1', default: -1 },
            { name: 'committedMetadata', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetCommitResponse = {
  name: 'OffsetCommitResponse',
  type: 'response',
  apiKey: 8,
  validVersions: '0-9',
  flexibleVersions: '8+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '3+', ignorable: true },
    {
      name: 'topics', type: '[]OffsetCommitResponseTopic', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        {
          name: 'partitions', type: '[]OffsetCommitResponsePartition', versions: '0+', fields: [
            { name: 'partitionIndex', type: 'int32', versions: '0+' },
            { name: 'errorCode', type: 'int16', versions: '0+' },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const OffsetCommit = {
  name: 'OffsetCommit',
  apiKey: 8,
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
} as const satisfies ApiSpec;
