/** Topic names and per-topic configuration: validated once, with Kafka's rules and defaults. */
import type { Compression } from './codec/compression.ts';
import { InvalidRequestError } from './errors.ts';

export interface TopicConfig {
  /** Records older than this are deleted; -1 keeps them forever (Kafka's retention.ms). */
  readonly retentionMs: number;
  /** A partition's size beyond which its oldest data is deleted; -1 for no limit. */
  readonly retentionBytes: number;
  readonly cleanupPolicy: 'delete' | 'compact';
  /** Largest encoded record (as a one-record batch) a producer may send. */
  readonly maxMessageBytes: number;
  /** Sealed segments roll at this size (Kafka's segment.bytes). */
  readonly segmentBytes: number;
  /** ...or at this age (Kafka's segment.ms). */
  readonly segmentMs: number;
  /** How long compaction keeps a tombstone before dropping it (Kafka's delete.retention.ms). */
  readonly deleteRetentionMs: number;
  /** The codec batches are stored with; 'producer' keeps each request's own (Kafka's compression.type). */
  readonly compressionType: CompressionType;
}

/** Kafka's compression.type values: a codec, 'uncompressed', or 'producer'. */
export const COMPRESSION_TYPES = ['producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type CompressionType = (typeof COMPRESSION_TYPES)[number];

export const defaultTopicConfig: TopicConfig = {
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  cleanupPolicy: 'delete',
  maxMessageBytes: 1024 * 1024,
  segmentBytes: 64 * 1024 * 1024,
  segmentMs: 10 * 60 * 1000,
  deleteRetentionMs: 24 * 3600 * 1000,
  compressionType: 'producer',
};

/**
 * Kafka's name of each config key (the API's are camelCase), in the order `topics
 * describe` shows them: the CLI, the SDK's admin and the Kafka gateway speak Kafka's.
 */
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

/**
 * A config value as Kafka's tools write it, text: a number for numeric keys (anything else
 * is NaN, which mergeTopicConfig refuses with the key's rule), the text itself otherwise.
 */
export function configValueFromText(key: keyof TopicConfig, text: string): string | number {
  if (typeof defaultTopicConfig[key] === 'string') return text;
  return /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
}

/** The codec a batch is stored with: the topic's, or with 'producer' the request's own (default none). */
export function batchCompression(compressionType: CompressionType, requested: Compression | undefined): Compression {
  if (compressionType === 'producer') return requested ?? 'none';
  return compressionType === 'uncompressed' ? 'none' : compressionType;
}

/** The most partitions a topic may have: each is a DynamoDB partition key of its own. */
export const MAX_PARTITIONS = 1000;
/** A request body is at most 6 MiB (Lambda's payload limit), so no record can be larger. */
export const MAX_MESSAGE_BYTES_LIMIT = 5 * 1024 * 1024;

const namePattern = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's topic name rule: 1 to 249 of [a-zA-Z0-9._-], and not "." or "..". */
export function validateTopicName(name: unknown, field = 'name'): string {
  return validateName(name, 'topic name', field);
}

/** Group ids follow the topic rule: they name paths and keys. */
export function validateGroupId(name: unknown, field = 'group'): string {
  return validateName(name, 'group id', field);
}

function validateName(name: unknown, what: string, field: string): string {
  if (typeof name !== 'string' || !namePattern.test(name) || name === '.' || name === '..') {
    // A short prefix: the value may be megabytes long, or nested past what stringify can walk.
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) + (name.length > 40 ? '…' : '') : `(a ${typeof name})`;
    throw new InvalidRequestError(`invalid ${what} ${shown}: use 1 to 249 of a-z A-Z 0-9 . _ - (not "." or "..")`, {
      details: { field },
    });
  }
  return name;
}

export function validatePartitionCount(value: unknown, field = 'partitions'): number {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > MAX_PARTITIONS) {
    throw new InvalidRequestError(`${field} must be an integer from 1 to ${MAX_PARTITIONS}`, { details: { field } });
  }
  return value as number;
}

type Rule = (value: unknown, key: string) => unknown;

const integer = (min: number, max: number, allowUnlimited: boolean): Rule => (value, key) => {
  if (Number.isSafeInteger(value) && (((value as number) >= min && (value as number) <= max) || (allowUnlimited && value === -1))) {
    return value;
  }
  const range = `${allowUnlimited ? '-1 or ' : ''}an integer from ${min} to ${max}`;
  throw new InvalidRequestError(`config.${key} must be ${range}`, { details: { field: `config.${key}` } });
};

const oneOf = (values: readonly string[]): Rule => (value, key) => {
  if (typeof value === 'string' && values.includes(value)) return value;
  throw new InvalidRequestError(`config.${key} must be one of ${values.map((v) => `"${v}"`).join(', ')}`, { details: { field: `config.${key}` } });
};

const rules: Record<keyof TopicConfig, Rule> = {
  retentionMs: integer(1, Number.MAX_SAFE_INTEGER, true),
  retentionBytes: integer(1, Number.MAX_SAFE_INTEGER, true),
  cleanupPolicy: oneOf(['delete', 'compact']),
  maxMessageBytes: integer(64, MAX_MESSAGE_BYTES_LIMIT, false),
  segmentBytes: integer(1024 * 1024, 1024 * 1024 * 1024, false),
  segmentMs: integer(1000, Number.MAX_SAFE_INTEGER, false),
  deleteRetentionMs: integer(0, Number.MAX_SAFE_INTEGER, false),
  compressionType: oneOf(COMPRESSION_TYPES),
};

/**
 * Merges a partial config over `base`, refusing unknown keys (they are usually typos)
 * and values out of range.
 */
export function mergeTopicConfig(base: TopicConfig, update: unknown): TopicConfig {
  if (update === undefined) return base;
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    throw new InvalidRequestError('config must be an object', { details: { field: 'config' } });
  }
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(update)) {
    // Own keys only: 'constructor' or 'toString' must not find Object's methods.
    const rule = Object.hasOwn(rules, key) ? rules[key as keyof TopicConfig] : undefined;
    if (!rule) {
      throw new InvalidRequestError(`unknown config key '${key}'; known: ${Object.keys(rules).join(', ')}`, {
        details: { field: `config.${key}` },
      });
    }
    merged[key] = rule(value, key);
  }
  return merged as unknown as TopicConfig;
}
