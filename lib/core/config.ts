/**
 * Typed configuration, read once at the edge (env for Lambda, flags for the CLI and
 * the local runner) and passed down. Nothing else reads `process.env`.
 */
import { ConfigError } from './errors.ts';

/** The tables Sluice keeps, by role; their definitions are in lib/storage/tables.ts. */
export const tableRoles = ['topics', 'log', 'partitions', 'segments', 'groups', 'producers'] as const;
export type TableRole = (typeof tableRoles)[number];

/** Where storage lives: table names, bucket and (for emulators) endpoints. */
export interface StorageConfig {
  readonly region: string;
  readonly tables: Readonly<Record<TableRole, string>>;
  readonly bucket: string;
  /** Set for DynamoDB Local or LocalStack; unset on AWS. */
  readonly dynamodbEndpoint?: string;
  readonly s3Endpoint?: string;
  /** Static credentials for emulators; unset means the SDK's default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * Stored batches larger than this are staged in S3 behind a pointer item.
   * @default 8960 where tail items expire, 4864 where the sealer deletes them (inlineBatchBytesFor)
   */
  readonly inlineBatchBytes?: number;
  /**
   * How sealed tail items go: 'expire' by DynamoDB TTL (no write units), or 'delete' by
   * the sealer, where the tables have no TTL (multi-region strong consistency). @default 'expire'
   */
  readonly tailCleanup?: TailCleanupMode;
  /**
   * In a replica region: the home region's bucket, which replicates into `bucket`. A read
   * that misses the local copy (replication lags) falls back to it.
   */
  readonly sourceBucket?: { readonly name: string; readonly region: string };
}

/** DynamoDB items hold at most 400 KB; a batch inline must leave room for its attributes. */
export const MAX_INLINE_BATCH_BYTES = 350 * 1024;

/** Parses the inline-batch threshold (env or flag), refusing what DynamoDB could not store. */
export function parseInlineBatchBytes(text: string, source: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 0 || value > MAX_INLINE_BATCH_BYTES) {
    throw new ConfigError(`${source} must be a byte count from 0 to ${MAX_INLINE_BATCH_BYTES}, not '${text}'`);
  }
  return value;
}

/** The AWS SDK's endpoint variables (AWS_ENDPOINT_URL_DYNAMODB, _S3, or AWS_ENDPOINT_URL for both), where set. */
export function awsEndpointsFromEnv(env: Readonly<Record<string, string | undefined>>): Pick<StorageConfig, 'dynamodbEndpoint' | 's3Endpoint'> {
  const named = (...names: string[]) => names.map((name) => env[name]?.trim()).find((value) => value);
  const dynamodbEndpoint = named('AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL');
  const s3Endpoint = named('AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL');
  return { ...(dynamodbEndpoint ? { dynamodbEndpoint } : {}), ...(s3Endpoint ? { s3Endpoint } : {}) };
}

/** A port number from a flag: 0 means a free one. */
export function parsePort(source: string, text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new ConfigError(`${source} must be a port number (0-65535), not '${text}'`);
  return port;
}

export function parseBoolean(source: string, text: string): boolean {
  if (text !== 'true' && text !== 'false') throw new ConfigError(`${source} takes true or false, not '${text}'`);
  return text === 'true';
}

/** Limits of the HTTP API. */
export interface ApiConfig {
  /** Largest request body accepted, in bytes (API Gateway's own cap is 10 MB). */
  readonly maxRequestBytes: number;
  /** Cap on a fetch's `waitMs` long poll. */
  readonly maxWaitMs: number;
}

export const defaultApiConfig: ApiConfig = { maxRequestBytes: 6 * 1024 * 1024, maxWaitMs: 20_000 };

/** Table names with a common prefix, e.g. `sluice-topics`, `sluice-log`. */
export function tableNamesWithPrefix(prefix: string): Record<TableRole, string> {
  return Object.fromEntries(tableRoles.map((role) => [role, `${prefix}${role}`])) as Record<TableRole, string>;
}

export const defaultTableNames = tableNamesWithPrefix('sluice-');
export const defaultBucketName = 'sluice-data';

/** The env variables a Lambda function reads, all named here so a typo is refused. */
const envNames = {
  table: (role: TableRole) => `SLUICE_${role.toUpperCase()}_TABLE`,
  bucket: 'SLUICE_BUCKET',
  inlineBatchBytes: 'SLUICE_INLINE_BATCH_BYTES',
  tailCleanup: 'SLUICE_TAIL_CLEANUP',
  sourceBucket: 'SLUICE_SOURCE_BUCKET',
  sourceRegion: 'SLUICE_SOURCE_REGION',
} as const;
const envKeys = [
  ...tableRoles.map(envNames.table),
  envNames.bucket,
  envNames.inlineBatchBytes,
  envNames.tailCleanup,
  envNames.sourceBucket,
  envNames.sourceRegion,
];

export const TAIL_CLEANUP_MODES = ['expire', 'delete'] as const;
export type TailCleanupMode = (typeof TAIL_CLEANUP_MODES)[number];

/** The environment that storageConfigFromEnv reads back: what the CDK stack gives each function. */
export function storageEnv(settings: {
  readonly tables: Readonly<Record<TableRole, string>>;
  readonly bucket: string;
  readonly tailCleanup?: TailCleanupMode;
  readonly sourceBucket?: { readonly name: string; readonly region: string };
}): Record<string, string> {
  return {
    ...Object.fromEntries(tableRoles.map((role) => [envNames.table(role), settings.tables[role]])),
    [envNames.bucket]: settings.bucket,
    ...(settings.tailCleanup ? { [envNames.tailCleanup]: settings.tailCleanup } : {}),
    ...(settings.sourceBucket ? { [envNames.sourceBucket]: settings.sourceBucket.name, [envNames.sourceRegion]: settings.sourceBucket.region } : {}),
  };
}

/** Reads the storage configuration of a Lambda function from its environment. */
export function storageConfigFromEnv(env: Readonly<Record<string, string | undefined>>): StorageConfig {
  const unknown = Object.keys(env).filter(
    (k) => k.startsWith('SLUICE_') && !envKeys.includes(k),
  );
  if (unknown.length > 0) throw new ConfigError(`unknown configuration variable(s): ${unknown.join(', ')}`);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new ConfigError('AWS_REGION is not set');
  const sourceBucket = env[envNames.sourceBucket];
  const sourceRegion = env[envNames.sourceRegion];
  if ((sourceBucket === undefined) !== (sourceRegion === undefined)) {
    throw new ConfigError(`${envNames.sourceBucket} and ${envNames.sourceRegion} go together`);
  }
  const inlineBatchBytes = env[envNames.inlineBatchBytes];
  const tailCleanup = env[envNames.tailCleanup];
  if (tailCleanup !== undefined && !(TAIL_CLEANUP_MODES as readonly string[]).includes(tailCleanup)) {
    throw new ConfigError(`${envNames.tailCleanup} must be ${TAIL_CLEANUP_MODES.join(' or ')}, not '${tailCleanup}'`);
  }
  return {
    region,
    tables: Object.fromEntries(
      tableRoles.map((role) => [role, env[envNames.table(role)] ?? defaultTableNames[role]]),
    ) as Record<TableRole, string>,
    bucket: env[envNames.bucket] ?? defaultBucketName,
    ...(inlineBatchBytes !== undefined ? { inlineBatchBytes: parseInlineBatchBytes(inlineBatchBytes, envNames.inlineBatchBytes) } : {}),
    ...(tailCleanup !== undefined ? { tailCleanup: tailCleanup as TailCleanupMode } : {}),
    ...(sourceBucket !== undefined && sourceRegion !== undefined ? { sourceBucket: { name: sourceBucket, region: sourceRegion } } : {}),
  };
}
