/** Topic config keys as Kafka names them (`retention.ms`) and as the API does (`retentionMs`). */
import type { TopicConfig } from './types.ts';

/** Kafka's name of each API key, in the order `topics describe` shows them. */
export const kafkaConfigNames: Readonly<Record<keyof TopicConfig, string>> = {
  cleanupPolicy: 'cleanup.policy',
  retentionMs: 'retention.ms',
  retentionBytes: 'retention.bytes',
  maxMessageBytes: 'max.message.bytes',
  segmentBytes: 'segment.bytes',
  segmentMs: 'segment.ms',
  deleteRetentionMs: 'delete.retention.ms',
  compressionType: 'compression.type',
};

export const apiConfigKeys = Object.keys(kafkaConfigNames) as Array<keyof TopicConfig>;

/** The API key for a Kafka or camelCase name, or undefined if unknown. */
export function apiConfigKey(name: string): keyof TopicConfig | undefined {
  const trimmed = name.trim();
  return apiConfigKeys.find((key) => key === trimmed || kafkaConfigNames[key] === trimmed);
}
