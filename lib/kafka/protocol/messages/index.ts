/**
 * The APIs the gateway's codec knows, each over its full range in Kafka's specs (the mirror's
 * 2024 snapshot); which versions the gateway advertises in ApiVersions is the handlers' call.
 */
import type { ApiSpec } from '../schema.ts';
import { ApiVersions } from './api-versions.ts';
import { CreatePartitions } from './create-partitions.ts';
import { CreateTopics } from './create-topics.ts';
import { DeleteTopics } from './delete-topics.ts';
import { DescribeCluster } from './describe-cluster.ts';
import { DescribeConfigs } from './describe-configs.ts';
import { Fetch } from './fetch.ts';
import { FindCoordinator } from './find-coordinator.ts';
import { IncrementalAlterConfigs } from './incremental-alter-configs.ts';
import { InitProducerId } from './init-producer-id.ts';
import { ListOffsets } from './list-offsets.ts';
import { Metadata } from './metadata.ts';
import { Produce } from './produce.ts';

export {
  ApiVersions,
  CreatePartitions,
  CreateTopics,
  DeleteTopics,
  DescribeCluster,
  DescribeConfigs,
  Fetch,
  FindCoordinator,
  IncrementalAlterConfigs,
  InitProducerId,
  ListOffsets,
  Metadata,
  Produce,
};

/** Every API defined here, by API key. */
export const APIS: readonly ApiSpec[] = [
  Produce,
  Fetch,
  ListOffsets,
  Metadata,
  FindCoordinator,
  ApiVersions,
  CreateTopics,
  DeleteTopics,
  InitProducerId,
  DescribeConfigs,
  CreatePartitions,
  IncrementalAlterConfigs,
  DescribeCluster,
];

const byKey = new Map(APIS.map((api) => [api.apiKey, api]));

/** The API with this key, or undefined for one not defined here. */
export function apiByKey(apiKey: number): ApiSpec | undefined {
  return byKey.get(apiKey);
}
