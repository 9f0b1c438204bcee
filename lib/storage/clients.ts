/** Builds the AWS clients from StorageConfig and meters what they consume. */
import { DynamoDBClient, type ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import type { RecordInput } from '../core/codec/record-batch.ts';
import type { StorageConfig } from '../core/config.ts';
import { ThrottledError, UnavailableError } from '../core/errors.ts';

const readCommands = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);
const writeCommands = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);
const throttleErrors = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'SlowDown']);

/**
 * Throttling that outlasted the SDK's own retries, as the typed, retriable 429; a write
 * that lost a race with another region's write to the same item (multi-region strong
 * consistency) as the retriable 503: nothing was written, and trying again can succeed.
 */
function translateRetriable(service: string, error: unknown): unknown {
  const name = (error as Error | undefined)?.name ?? '';
  if (name === 'ReplicatedWriteConflictException') {
    return new UnavailableError(`${service}: a write in another region touched the same item at once; retry`, { cause: error });
  }
  if (!throttleErrors.has(name)) return error;
  return new ThrottledError(`${service} is throttling requests (${name}); retry later`, { cause: error });
}

/**
 * DynamoDB capacity units (from ReturnConsumedCapacity, which every call asks for) and S3
 * requests made by one storage instance: what benchmarks report per MiB.
 */
export class UsageMeter {
  readUnits = 0;
  writeUnits = 0;
  s3Requests: Record<string, number> = {};
  /** Bytes read from segment objects by ranged GETs. */
  s3BytesRead = 0;
  /** Conditional puts that met another writer's item (each still costs write units). */
  appendConflicts = 0;
  /** Records appended to and read from the log, and their key and value bytes. */
  recordsIn = 0;
  bytesIn = 0;
  recordsOut = 0;
  bytesOut = 0;

  addCapacity(command: string, consumed: ConsumedCapacity | ConsumedCapacity[] | undefined): void {
    for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
      // CapacityUnits is the total; DynamoDB Local leaves the read/write split out.
      if (readCommands.has(command)) this.readUnits += c.CapacityUnits ?? 0;
      else this.writeUnits += c.CapacityUnits ?? 0;
    }
  }

  addS3Request(command: string): void {
    this.s3Requests[command] = (this.s3Requests[command] ?? 0) + 1;
  }

  /** Records appended: their count and key and value bytes, what metrics call records and bytes in. */
  countIn(records: readonly RecordInput[]): void {
    this.recordsIn += records.length;
    this.bytesIn += payloadBytes(records);
  }

  /** Records read, as countIn counts them. */
  countOut(records: readonly RecordInput[]): void {
    this.recordsOut += records.length;
    this.bytesOut += payloadBytes(records);
  }
}

function payloadBytes(records: readonly RecordInput[]): number {
  return records.reduce((n, r) => n + (r.key?.length ?? 0) + (r.value?.length ?? 0), 0);
}

export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly s3: S3Client;
  /** In a replica region: a client for the home region's bucket (config.sourceBucket). */
  readonly sourceS3?: S3Client;
}

export function createClients(config: StorageConfig, meter: UsageMeter): AwsClients {
  const common = { region: config.region, ...(config.credentials ? { credentials: config.credentials } : {}) };
  const dynamodb = new DynamoDBClient({
    ...common,
    ...(config.dynamodbEndpoint ? { endpoint: config.dynamodbEndpoint } : {}),
  });
  dynamodb.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? '';
      const metered = readCommands.has(command) || writeCommands.has(command);
      if (metered) (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity ??= 'TOTAL';
      const result = await next(args).catch((error: unknown) => {
        throw translateRetriable('DynamoDB', error);
      });
      if (!metered) return result;
      meter.addCapacity(command, (result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity);
      return result;
    },
    { step: 'initialize', name: 'sluiceUsageMeter' },
  );
  const s3 = s3Client(config, config.region, meter);
  return { dynamodb, s3, ...(config.sourceBucket ? { sourceS3: s3Client(config, config.sourceBucket.region, meter) } : {}) };
}

function s3Client(config: StorageConfig, region: string, meter: UsageMeter): S3Client {
  const s3 = new S3Client({
    region,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint, forcePathStyle: true } : {}),
    // Emulators store aws-chunked framing verbatim when checksums are streamed.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      meter.addS3Request(context.commandName ?? '');
      return next(args).catch((error: unknown) => {
        throw translateRetriable('S3', error);
      });
    },
    { step: 'initialize', name: 'sluiceUsageMeter' },
  );
  return s3;
}
