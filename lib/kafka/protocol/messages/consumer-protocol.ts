/**
 * The consumer protocol's embedded messages, Kafka's ConsumerProtocolSubscription.json and
 * ConsumerProtocolAssignment.json: the bytes a "consumer" group carries opaquely in
 * JoinGroup's protocol metadata (a member's subscription) and SyncGroup's assignments (what
 * the leader gave each member). They have no API key and are never flexible; each travels as
 * an int16 version, then the struct (encodeVersioned and decodeVersioned, versioned.ts).
 *
 * Subscription: v1 adds OwnedPartitions (cooperative rebalancing, KIP-429), v2 GenerationId (KIP-792),
 * v3 RackId (rack-aware assignment, KIP-881). Assignment v1-3 are v0: its version follows the
 * subscription's. A newer version than these is read as the newest known, as Kafka does:
 * versions may only add fields at the end. UserData is null by default, where kafkajs writes
 * empty bytes.
 */
import type { MessageSpec } from '../schema.ts';

export const ConsumerProtocolSubscription = {
  name: 'ConsumerProtocolSubscription',
  type: 'data',
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: [
    { name: 'topics', type: '[]string', versions: '0+' },
    { name: 'userData', type: 'bytes', versions: '0+', nullableVersions: '0+', default: null },
    {
      name: 'ownedPartitions', type: '[]TopicPartition', versions: '1+', ignorable: true, fields: [
        { name: 'topic', type: 'string', versions: '1+' },
        { name: 'partitions', type: '[]int32', versions: '1+' },
      ],
    },
    { name: 'generationId', type: 'int32', versions: '2+', default: -1, ignorable: true },
    { name: 'rackId', type: 'string', versions: '3+', nullableVersions: '3+', default: null, ignorable: true },
  ],
} as const satisfies MessageSpec;

export const ConsumerProtocolAssignment = {
  name: 'ConsumerProtocolAssignment',
  type: 'data',
  validVersions: '0-3',
  flexibleVersions: 'none',
  fields: [
    {
      name: 'assignedPartitions', type: '[]TopicPartition', versions: '0+', fields: [
        { name: 'topic', type: 'string', versions: '0+' },
        { name: 'partitions', type: '[]int32', versions: '0+' },
      ],
    },
    { name: 'userData', type: 'bytes', versions: '0+', nullableVersions: '0+', default: null },
  ],
} as const satisfies MessageSpec;
