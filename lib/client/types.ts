/**
 * The HTTP API v1 contract as the client sees it (DESIGN.md, "HTTP API v1"): request
 * bodies, query options and response bodies of the topic and record calls.
 */

/** How keys, values and header values are written in a body: text or base64 bytes. */
export type Encoding = 'utf8' | 'base64';

export type CleanupPolicy = 'delete' | 'compact';

/** A topic's settings (Kafka's retention.ms, cleanup.policy, ... in camelCase). */
export interface TopicConfig {
  readonly retentionMs?: number;
  readonly retentionBytes?: number;
  readonly cleanupPolicy?: CleanupPolicy;
  readonly maxMessageBytes?: number;
  readonly segmentBytes?: number;
  readonly segmentMs?: number;
  readonly deleteRetentionMs?: number;
}

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
