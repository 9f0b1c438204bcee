/**
 * The APIs the gateway's codec knows, each over its full range in Kafka's specs (the mirror's
 * 2024 snapshot); which versions the gateway advertises in ApiVersions is the handlers' call.
 */
import type { ApiSpec } from '../schema.ts';
import { ApiVersions } from './api-versions.ts';
import { ConsumerProtocolAssignment, ConsumerProtocolSubscription } from './consumer-protocol.ts';
import { CreatePartitions } from './create-partitions.ts';
import { CreateTopics } from './create-topics.ts';
import { DeleteGroups } from './delete-groups.ts';
import { DeleteTopics } from './delete-topics.ts';
import { DescribeCluster } from './describe-cluster.ts';
import { DescribeConfigs } from './describe-configs.ts';
import { DescribeGroups } from './describe-groups.ts';
import { Fetch } from './fetch.ts';
import { FindCoordinator } from './find-coordinator.ts';
import { Heartbeat } from './heartbeat.ts';
import { IncrementalAlterConfigs } from './incremental-alter-configs.ts';
import { InitProducerId } from './init-producer-id.ts';
import { JoinGroup } from './join-group.ts';
import { LeaveGroup } from './leave-group.ts';
import { ListGroups } from './list-groups.ts';
import { ListOffsets } from './list-offsets.ts';
import { Metadata } from './metadata.ts';
import { OffsetCommit } from './offset-commit.ts';
import { OffsetDelete } from './offset-delete.ts';
import { OffsetFetch } from './offset-fetch.ts';
import { Produce } from './produce.ts';
import { SyncGroup } from './sync-group.ts';

export {
  ApiVersions,
  ConsumerProtocolAssignment,
  ConsumerProtocolSubscription,
  CreatePartitions,
  CreateTopics,
  DeleteGroups,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  DescribeGroups,
  Fetch,
  FindCoordinator,
  Heartbeat,
  IncrementalAlterConfigs,
  InitProducerId,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  Produce,
  SyncGroup,
};

/**
 * Every API defined here, by API key. The consumer protocol's data messages
 * (ConsumerProtocolSubscription, ConsumerProtocolAssignment) have no key and are not here.
 */
export const APIS: readonly ApiSpec[] = [
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  OffsetCommit,
  OffsetFetch,
  FindCoordinator,
  JoinGroup,
  Heartbeat,
  LeaveGroup,
  SyncGroup,
  DescribeGroups,
  ListGroups,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  InitProducerId,
  DescribeConfigs,
  CreatePartitions,
  DeleteGroups,
  IncrementalAlterConfigs,
  OffsetDelete,
  DescribeCluster,
];

const byKey = new Map(APIS.map((api) => [api.apiKey, api]));

/** The API with this key, or undefined for one not defined here. */
export function apiByKey(apiKey: number): ApiSpec | undefined {
  return byKey.get(apiKey);
}
