/** What a Kafka API handler is and what it is given: the gateway's settings, storage, the connection. */
import type { ClassicGroupSettings } from '../core/classic-group.ts';
import type { StorageConfig } from '../core/config.ts';
import type { Storage } from '../storage/index.ts';
import type { KafkaGroupCoordinator } from './group-coordinator.ts';
import type { ApiSpec, RequestOf, ResponseInputOf } from './protocol/index.ts';
import type { Connection } from './server.ts';

export interface GatewaySettings {
  /** This gateway as its Metadata answers name it: the address clients connect to. */
  readonly nodeId: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /** Stable per deployment, so a client that caches it sees one cluster. */
  readonly clusterId: string;
  /** Metadata for an unknown topic creates it (one partition), as Kafka's default broker does. */
  readonly autoCreateTopics: boolean;
  /** Kafka's group.* settings, where they differ from Kafka's defaults. */
  readonly groups?: Partial<ClassicGroupSettings>;
}

/**
 * The cluster id every gateway over the same storage answers: its bucket's name, unique
 * to one deployment (S3 names are global), so clients see one cluster whichever gateway
 * they reach.
 */
export function clusterIdOf(config: Pick<StorageConfig, 'bucket'>): string {
  return config.bucket;
}

export interface GatewayContext {
  readonly storage: Storage;
  readonly settings: GatewaySettings;
  readonly connection: Connection;
  /** The request header's client id. */
  readonly clientId: string | null;
  /** Every group's coordinator, over storage: the same for every connection. */
  readonly groups: KafkaGroupCoordinator;
  /** The versions of each API this gateway serves, as ApiVersions tells them. */
  readonly served: readonly ApiRange[];
}

export interface ApiRange {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/** One API served: the versions advertised and the handler; undefined answers nothing (acks=0). */
export interface ApiHandler<A extends ApiSpec = ApiSpec> {
  readonly api: A;
  readonly minVersion: number;
  readonly maxVersion: number;
  handle(request: RequestOf<A>, version: number, context: GatewayContext): Promise<ResponseInputOf<A> | undefined>;
}

/** Keeps each handler's request and response types tied to its API. */
export function apiHandler<A extends ApiSpec>(handler: ApiHandler<A>): ApiHandler {
  return handler as unknown as ApiHandler;
}

