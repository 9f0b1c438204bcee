/**
 * The Sluice SDK: `new Sluice({ endpoint })`, then `producer()`, `consumer({ groupId })`
 * and `admin()`, shaped like kafkajs. `SluiceClient` underneath has one method per route.
 */
export { Sluice, type SluiceConfig } from './sluice.ts';
export { Producer } from './producer.ts';
export { CompressionTypes } from './messages.ts';
export type {
  Message,
  MessageHeaders,
  ProducerBatch,
  ProducerEvents,
  ProducerOptions,
  ProducerRecord,
  RecordMetadata,
  TopicMessages,
} from './producer-types.ts';
export { Consumer, HandlerRetriesExceededError } from './consumer.ts';
export type {
  BatchProcessPayload,
  ConsumerEvents,
  ConsumerOptions,
  ConsumerRetryOptions,
  ConsumerSubscribeTopic,
  ConsumerSubscribeTopics,
  EachBatchPayload,
  EachMessagePayload,
  OffsetsByTopicPartition,
  RunOptions,
  TopicPartitionOffset,
} from './consumer-types.ts';
export {
  Admin,
  type AdminGroupDescription,
  type ConfigEntry,
  type GroupOverview,
  type ITopicConfig,
  type MemberDescription,
  type PartitionMetadata,
  type PartitionOffset,
  type TopicMetadata,
} from './admin.ts';
export type { Batch, KafkaMessage, TopicPartitions } from './partitions.ts';
export type { InstrumentationEvent, RemoveListener, RetryOptions } from './instrumentation.ts';
export { SluiceClient, type CallOptions, type SluiceClientOptions } from './client.ts';
export type { AwsCredentials, AwsCredentialsProvider, SigningOptions } from './signing.ts';
export type * from './types.ts';
export type { Compression, CompressionType } from '../core/http-contract.ts';
export { ConfigError, InvalidRequestError, SluiceError } from '../core/errors.ts';
export { ConnectionError, InvalidResponseError, RemoteError } from './errors.ts';
