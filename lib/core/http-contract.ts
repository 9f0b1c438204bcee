/**
 * The HTTP API v1 contract (DESIGN.md, "HTTP API v1"), in one place for both sides: the
 * request bodies and queries each route reads and the answers it gives. lib/api builds
 * its answers against these types (RouteContracts gives each route's pair) and lib/client
 * reads them (lib/client/types.ts re-exports them under the names the SDK's users know),
 * so a field renamed on one side fails to compile on the other.
 *
 * Types only: importing this module loads nothing at run time.
 */
import type { Compression } from './codec/compression.ts';
import type { JobReport } from './job-report.ts';
import type { RouteName, routeTable } from './routes.ts';
import type { TopicConfig as TopicSettings } from './topic-config.ts';

export type { Compression } from './codec/compression.ts';
export type { JobReport } from './job-report.ts';

/** How keys, values and header values are written in a body: text or base64 bytes. */
export type Encoding = 'utf8' | 'base64';

export type CleanupPolicy = TopicSettings['cleanupPolicy'];

/** A topic's compressionType (Kafka's compression.type): 'producer' keeps the producer's choice. */
export type CompressionType = TopicSettings['compressionType'];

/**
 * A topic's settings (Kafka's retention.ms, cleanup.policy, ... in camelCase): the keys the
 * server validates (lib/core/topic-config.ts), each optional in a request; an answer
 * gives them all.
 */
export type TopicConfig = Partial<TopicSettings>;

/** Body of `POST /v1/topics`. */
export interface CreateTopicRequest {
  readonly name: string;
  readonly partitions: number;
  readonly config?: TopicConfig;
}

/** Body of `PATCH /v1/topics/{topic}`; partitions only grow. */
export interface AlterTopicRequest {
  readonly partitions?: number;
  readonly config?: TopicConfig;
}

/** One entry of `GET /v1/topics`: `partitions` is the count. */
export interface TopicSummary {
  readonly name: string;
  readonly partitions: number;
}

export interface ListTopicsResponse {
  readonly topics: readonly TopicSummary[];
}

/** The offset bounds of one partition. */
export interface PartitionDescription {
  readonly partition: number;
  /** First offset still readable (advances with retention). */
  readonly logStartOffset: number;
  /** Offset the next appended record gets. */
  readonly highWatermark: number;
  /**
   * Offsets below this are sealed into segments; the rest are still in the tail. Always
   * given by this version's describe and alter; optional for a client that reads a Sluice
   * deployed before it was.
   */
  readonly sealedOffset?: number;
}

/** Answer of `GET /v1/topics/{topic}` (and of create and alter). */
export interface TopicDescription {
  readonly name: string;
  /** Immutable id: deleting and recreating a name gives a new one. */
  readonly topicId: string;
  readonly partitions: readonly PartitionDescription[];
  readonly config: TopicConfig;
}

/** A record to append. A null value is a tombstone. */
export interface ProduceRecord {
  readonly key?: string | null;
  readonly value: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** Unset: the server picks (by key hash, or spreads unkeyed records). */
  readonly partition?: number;
  /** Create time in ms since the epoch; unset: the server's clock. */
  readonly timestamp?: number;
}

/** Body of `POST /v1/topics/{topic}/records`. */
export interface ProduceRequest {
  readonly records: readonly ProduceRecord[];
  /** How key, value and header values of every record are written; default utf8. */
  readonly encoding?: Encoding;
  /**
   * The codec each batch is stored with when the topic's compressionType is 'producer'
   * (the default); a topic that names a codec overrides it. Default 'none'.
   */
  readonly compression?: Compression;
  /**
   * An idempotent producer's id and epoch (from POST /v1/producers) and the first
   * sequence of each partition written: the request is appended exactly once however
   * often it is sent. Every record then needs a key or a partition.
   */
  readonly producerId?: number;
  readonly producerEpoch?: number;
  readonly sequences?: Readonly<Record<number, number>>;
}

/** Body of `POST /v1/producers`. */
export interface InitProducerRequest {
  /** The same id again gets the same producerId at the next epoch, fencing older instances. */
  readonly transactionalId?: string;
}

/** Answer of `POST /v1/producers`. */
export interface ProducerIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface RecordPosition {
  readonly partition: number;
  readonly offset: number;
}

/** Answer of a produce: one position per record, in request order. */
export interface ProduceResponse {
  readonly offsets: readonly RecordPosition[];
}

/** Query of `GET /v1/topics/{topic}/partitions/{p}/records`. */
export interface FetchRequest {
  readonly offset: number;
  readonly maxRecords?: number;
  readonly maxBytes?: number;
  /** Long poll: at the end of the log, wait up to this long for the first new record. */
  readonly waitMs?: number;
  /** How key, value and header values are written in the answer; default utf8. */
  readonly encoding?: Encoding;
}

export interface FetchedRecord {
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface FetchResponse {
  readonly records: readonly FetchedRecord[];
  /** Offset to ask for next (the last record's offset + 1, or the asked offset). */
  readonly nextOffset: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
}

/** Where to look up an offset: the log's ends, or the first record at or after a time (ms). */
export type OffsetSpec = 'earliest' | 'latest' | number;

/** Answer of `GET /v1/topics/{topic}/partitions/{p}/offsets`. */
export interface OffsetResponse {
  readonly offset: number;
  readonly timestamp?: number;
}

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Body of `POST /v1/groups/{group}/members`. */
export interface JoinGroupRequest {
  readonly topics: readonly string[];
  /** A member that misses heartbeats this long is dropped and its leases freed; default 30000, 1000..300000. */
  readonly sessionTimeoutMs?: number;
  /** Static membership: the same id rejoins as the same member and gets its partitions back. */
  readonly instanceId?: string;
}

/** A partition lease a member holds. */
export interface GroupAssignment extends TopicPartition {
  /** Names the lease in commits: a commit with an older epoch is fenced. */
  readonly leaseEpoch: number;
  /** The next offset to read, or null: start at the consumer's reset policy. */
  readonly committedOffset: number | null;
}

/** Answer of a join. */
export interface JoinGroupResponse {
  readonly memberId: string;
  readonly assignments: readonly GroupAssignment[];
  readonly heartbeatIntervalMs: number;
}

/** Answer of a heartbeat: the member's current set, which may have grown or shrunk. */
export interface HeartbeatResponse {
  readonly assignments: readonly GroupAssignment[];
}

/** One offset to commit: the next offset to read, under the lease epoch the member holds. */
export interface OffsetCommit extends TopicPartition {
  readonly offset: number;
  readonly leaseEpoch: number;
  readonly metadata?: string;
}

/** Body of `POST /v1/groups/{group}/offsets`. */
export interface CommitOffsetsRequest {
  readonly memberId: string;
  readonly offsets: readonly OffsetCommit[];
}

/** One partition's outcome of a commit: an `error` code (FENCED) means nothing was committed for it. */
export interface CommitResult extends TopicPartition {
  readonly error?: string;
}

export interface CommitOffsetsResponse {
  readonly results: readonly CommitResult[];
}

export interface GroupSummary {
  readonly group: string;
  /** Live members. */
  readonly members: number;
}

export interface ListGroupsResponse {
  readonly groups: readonly GroupSummary[];
}

/** Sluice's lease groups are Empty or Stable; a Kafka-protocol group is in any of Kafka's classic states. */
export type GroupState = 'Empty' | 'Stable' | 'PreparingRebalance' | 'CompletingRebalance';

export interface GroupMemberDescription {
  readonly memberId: string;
  readonly instanceId?: string;
  /** A Kafka-protocol member's client id and address. */
  readonly clientId?: string;
  readonly host?: string;
  readonly assignments: readonly TopicPartition[];
}

export interface GroupPartitionDescription extends TopicPartition {
  readonly committedOffset: number | null;
  readonly highWatermark: number;
  /** highWatermark - committedOffset, or null without a committed offset. */
  readonly lag: number | null;
  /** The member holding the lease, or null. */
  readonly owner: string | null;
}

/** Answer of `GET /v1/groups/{group}`. */
export interface GroupDescription {
  readonly group: string;
  readonly state: GroupState;
  readonly members: readonly GroupMemberDescription[];
  readonly partitions: readonly GroupPartitionDescription[];
  readonly totalLag: number;
}

/** Where a reset moves a group's committed offsets on every partition of a topic. */
export type ResetTarget =
  | 'earliest'
  | 'latest'
  | { readonly offset: number }
  | { readonly timestamp: number }
  | { readonly shiftBy: number };

/** Body of `POST /v1/groups/{group}/offsets/reset`. */
export interface ResetOffsetsRequest {
  readonly topic: string;
  readonly to: ResetTarget;
  /** true plans only (nothing changes); unset or false sets the offsets. */
  readonly dryRun?: boolean;
}

export interface ResetOffsetsResponse {
  readonly offsets: ReadonlyArray<TopicPartition & { readonly offset: number }>;
  readonly executed: boolean;
}

/** Query of `GET /v1/topics/{topic}/partitions/{p}/offsets`; unset: latest. */
export interface OffsetQuery {
  readonly at?: OffsetSpec;
}

/** Body of `POST /v1/jobs/run` (optional): one topic, or all. Answered with a JobReport. */
export interface RunJobsRequest {
  readonly topic?: string;
}

/**
 * Every refusal and failure: a stable code, a message, and the details of the error
 * (lib/core/errors.ts) beside them. A 5xx carries only code, message and requestId.
 */
export interface ErrorResponse {
  readonly error: {
    readonly code: string;
    readonly message: string;
    /** Present (true) on a 4xx worth retrying (a 429, a conflict that passes). */
    readonly retriable?: true;
    /** On a 5xx: the id to quote; the detail went to the server's log. */
    readonly requestId?: string;
    /** Machine-readable details (e.g. an offset's bounds, the refused field). */
    readonly [detail: string]: unknown;
  };
}

/** The answer of a 204: no body. */
export type NoContent = undefined;

/** What one route reads (a JSON body or a query, `never` where none) and answers, with which status. */
export interface Exchange<Request, Response, Status extends number = 200, Query = never> {
  readonly request: Request;
  readonly query: Query;
  readonly response: Response;
  readonly status: Status;
}

/** Each route of lib/core/routes.ts, by name, with what it reads and answers. */
export interface RouteContracts {
  readonly createTopic: Exchange<CreateTopicRequest, TopicDescription, 201>;
  readonly listTopics: Exchange<never, ListTopicsResponse>;
  readonly describeTopic: Exchange<never, TopicDescription>;
  readonly alterTopic: Exchange<AlterTopicRequest, TopicDescription>;
  readonly deleteTopic: Exchange<never, NoContent, 204>;
  readonly produce: Exchange<ProduceRequest, ProduceResponse>;
  readonly initProducer: Exchange<InitProducerRequest, ProducerIdentity>;
  readonly fetchRecords: Exchange<never, FetchResponse, 200, FetchRequest>;
  readonly offsetForTime: Exchange<never, OffsetResponse, 200, OffsetQuery>;
  readonly runJobs: Exchange<RunJobsRequest, JobReport>;
  readonly joinGroup: Exchange<JoinGroupRequest, JoinGroupResponse>;
  readonly heartbeat: Exchange<never, HeartbeatResponse>;
  readonly leaveGroup: Exchange<never, NoContent, 204>;
  readonly commitOffsets: Exchange<CommitOffsetsRequest, CommitOffsetsResponse>;
  readonly listGroups: Exchange<never, ListGroupsResponse>;
  readonly describeGroup: Exchange<never, GroupDescription>;
  readonly resetOffsets: Exchange<ResetOffsetsRequest, ResetOffsetsResponse>;
  readonly deleteGroup: Exchange<never, NoContent, 204>;
}

/** The JSON body route `N` reads (`never`: none). A route missing from RouteContracts fails here. */
export type RequestOf<N extends RouteName> = RouteContracts[N]['request'];
/** The query route `N` reads (`never`: none). */
export type QueryOf<N extends RouteName> = RouteContracts[N]['query'];
/** The body route `N` answers on success. */
export type ResponseOf<N extends RouteName> = RouteContracts[N]['response'];
/** The status of route `N`'s success: 200 unless the table says 201 or 204. */
export type StatusOf<N extends RouteName> = RouteContracts[N]['status'];
/** The HTTP method of route `N` (lib/core/routes.ts). */
export type MethodOf<N extends RouteName> = Extract<(typeof routeTable)[number], { readonly name: N }>['method'];
