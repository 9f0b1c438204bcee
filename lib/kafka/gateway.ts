/**
 * The Kafka gateway: one frame in, one frame out, over the same storage the HTTP API uses.
 * Stateless, as Tansu's brokers and WarpStream's agents are: this gateway is the only
 * broker in its own Metadata answer, leader of every partition and the controller, and
 * storage's conditional writes order everything, so any number of gateways serve one
 * cluster.
 *
 * A frame whose header cannot be read, an API this gateway does not serve, or a version
 * outside its range closes the connection (the transport's doing, on a throw), except
 * ApiVersions, which answers UNSUPPORTED_VERSION with the ranges served, in v0, so the
 * client can pick a version and ask again (Kafka's KIP-511 rule).
 */
import { defaultClassicGroupSettings } from '../core/classic-group.ts';
import type { Storage } from '../storage/index.ts';
import { KafkaGroupCoordinator } from './group-coordinator.ts';
import { apiVersionsHandler } from './handlers/api-versions.ts';
import { describeConfigsHandler, incrementalAlterConfigsHandler } from './handlers/configs.ts';
import { createPartitionsHandler } from './handlers/create-partitions.ts';
import { createTopicsHandler } from './handlers/create-topics.ts';
import { deleteTopicsHandler } from './handlers/delete-topics.ts';
import { describeClusterHandler } from './handlers/describe-cluster.ts';
import { fetchHandler } from './handlers/fetch.ts';
import { findCoordinatorHandler } from './handlers/find-coordinator.ts';
import { deleteGroupsHandler, describeGroupsHandler, listGroupsHandler } from './handlers/group-admin.ts';
import { heartbeatHandler, joinGroupHandler, leaveGroupHandler, syncGroupHandler } from './handlers/groups.ts';
import { offsetCommitHandler, offsetDeleteHandler, offsetFetchHandler } from './handlers/offsets.ts';
import { initProducerIdHandler } from './handlers/init-producer-id.ts';
import { listOffsetsHandler } from './handlers/list-offsets.ts';
import { metadataHandler } from './handlers/metadata.ts';
import { produceHandler } from './handlers/produce.ts';
import type { ApiHandler, ApiRange, GatewaySettings } from './handler.ts';
import { ApiVersions, decode, decodeRequestHeader, encodeResponse, KafkaErrors, ProtocolError } from './protocol/index.ts';
import { serveKafka, type Connection, type FrameHandler, type RunningKafkaServer } from './server.ts';

export const handlers: readonly ApiHandler[] = [
  apiVersionsHandler,
  metadataHandler,
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  initProducerIdHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  createPartitionsHandler,
  describeConfigsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  offsetDeleteHandler,
  listGroupsHandler,
  describeGroupsHandler,
  deleteGroupsHandler,
];

const byKey = new Map(handlers.map((h) => [h.api.apiKey, h]));

/** The ranges ApiVersions advertises: exactly what is served. */
const served: readonly ApiRange[] = handlers.map((h) => ({ apiKey: h.api.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));

export function createGateway(storage: Storage, settings: GatewaySettings): FrameHandler {
  const groups = new KafkaGroupCoordinator(storage, { ...defaultClassicGroupSettings, ...settings.groups });
  return async (frame, connection) => {
    const { header, api, bodyOffset } = decodeRequestHeader(frame);
    const { requestApiKey: key, requestApiVersion: version, correlationId } = header;
    const handler = byKey.get(key);
    if (!api || !handler) throw new ProtocolError(`API key ${key} is not served here`);
    if (version < handler.minVersion || version > handler.maxVersion) {
      if (api.apiKey !== ApiVersions.apiKey) throw new ProtocolError(`${api.name} v${version} is not served here`);
      return encodeResponse(ApiVersions, 0, correlationId, { errorCode: KafkaErrors.UNSUPPORTED_VERSION.code, apiKeys: served });
    }
    const { value } = decode(api.request, version, frame, bodyOffset);
    const body = await handler.handle(value, version, { storage, settings, connection, clientId: header.clientId, served, groups });
    return body === undefined ? undefined : encodeResponse(api, version, correlationId, body);
  };
}


/** The largest Kafka request frame: Kafka's socket.request.max.bytes default. */
export const maxKafkaFrameBytes = 100 * 1024 * 1024;

export interface GatewayOptions {
  readonly host: string;
  /** 0: a free port. */
  readonly port: number;
  /** The host Metadata tells clients to connect to. @default host */
  readonly advertisedHost?: string;
  readonly clusterId: string;
  readonly autoCreateTopics: boolean;
  /** Told why a connection was closed (a bad frame, an API not served). */
  readonly onConnectionError?: (error: unknown, connection: Connection) => void;
  /** Told of an error of the listening socket (EMFILE on accept); it keeps listening. */
  readonly onServerError?: (error: unknown) => void;
}

/** Listens for Kafka clients; Metadata names the port it got. */
export async function startGateway(storage: Storage, options: GatewayOptions): Promise<RunningKafkaServer> {
  let gateway: FrameHandler | undefined;
  const server = await serveKafka((frame, connection) => gateway!(frame, connection), {
    host: options.host,
    port: options.port,
    maxFrameBytes: maxKafkaFrameBytes,
    ...(options.onConnectionError ? { onConnectionError: options.onConnectionError } : {}),
    ...(options.onServerError ? { onServerError: options.onServerError } : {}),
  });
  gateway = createGateway(storage, {
    nodeId: 0,
    advertisedHost: options.advertisedHost ?? options.host,
    advertisedPort: server.port,
    clusterId: options.clusterId,
    autoCreateTopics: options.autoCreateTopics,
  });
  return server;
}
