/**
 * The bench's own local stack, all in this process except DynamoDB Local's Java child:
 * DynamoDB Local in memory and s3rver in a temporary folder on free ports, storage with
 * its tables and bucket, the API, and the local HTTP server on a free 127.0.0.1 port;
 * when asked, also the Kafka gateway on another, over the same storage (as sluice local
 * serves it).
 */
import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApi } from '../../lib/api/index.ts';
import type { ServerFailure } from '../../lib/api/respond.ts';
import { defaultApiConfig, tableNamesWithPrefix } from '../../lib/core/config.ts';
import { startGateway } from '../../lib/kafka/gateway.ts';
import { startDynamoDbLocal, startS3Emulator, type Emulator } from '../../lib/local/emulators.ts';
import { serve, type RunningServer } from '../../lib/local/server.ts';
import { createStorage, type Storage } from '../../lib/storage/index.ts';

export interface BenchStack {
  /** Base URL of the local HTTP server, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The Kafka gateway's bootstrap server, e.g. `127.0.0.1:41235`, when it was asked for. */
  readonly kafka?: string;
  /** The server's storage: its `usage` meter is what the bench reads. */
  readonly storage: Storage;
  /** DynamoDB calls the server's storage made, by command (the meter counts units, not calls). */
  readonly dynamodbCalls: Record<string, number>;
  /** Capacity units those calls consumed, by command (the meter only splits read and write). */
  readonly dynamodbUnits: Record<string, number>;
  /** 5xx details the server logged and connections the gateway closed (kept, not printed, so a failure can quote them). */
  readonly serverLog: string[];
  /** Stops the server and the emulators and removes the temporary folder; safe to call twice. */
  stop(): Promise<void>;
}

export interface BenchStackOptions {
  /** Also serve the Kafka protocol. */
  readonly kafka: boolean;
}

export async function startBenchStack(options: BenchStackOptions): Promise<BenchStack> {
  const stops: Array<() => Promise<void> | void> = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      // Last started, first stopped: the server goes before the databases behind it.
      for (const step of stops.reverse()) {
        try {
          await step();
        } catch {
          // Best effort: the rest must still stop.
        }
      }
    })());

  try {
    const s3Dir = await mkdtemp(join(tmpdir(), 'sluice-bench-s3-'));
    stops.push(() => rm(s3Dir, { recursive: true, force: true }));
    const started = await Promise.allSettled([startDynamoDbLocal({}), startS3Emulator({ dataDir: s3Dir })]);
    for (const result of started) if (result.status === 'fulfilled') stops.push(() => result.value.stop());
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    const [dynamodb, s3] = started.map((r) => (r as PromiseFulfilledResult<Emulator>).value) as [Emulator, Emulator];

    const storage = createStorage({
      region: 'us-east-1',
      tables: tableNamesWithPrefix('bench-'),
      bucket: 'sluice-bench',
      dynamodbEndpoint: dynamodb.endpoint,
      s3Endpoint: s3.endpoint,
      // s3rver accepts only this key; DynamoDB Local accepts any.
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    stops.push(() => storage.destroy());
    await storage.ensureResources();

    const dynamodbCalls: Record<string, number> = {};
    const dynamodbUnits: Record<string, number> = {};
    // Added after the storage's own meter, so it runs inside it: the request already asks
    // for ConsumedCapacity, and the answer carries it.
    storage.clients.dynamodb.middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? 'unknown';
        dynamodbCalls[command] = (dynamodbCalls[command] ?? 0) + 1;
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }).ConsumedCapacity;
        for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
          dynamodbUnits[command] = (dynamodbUnits[command] ?? 0) + (c.CapacityUnits ?? 0);
        }
        return result;
      },
      { step: 'initialize', name: 'sluiceBenchCallCounter' },
    );

    const serverLog: string[] = [];
    const log = (failure: ServerFailure): void => void serverLog.push(JSON.stringify(failure));
    const api = createApi({ storage, log });
    const server: RunningServer = await serve(api, {
      host: '127.0.0.1',
      port: 0,
      maxRequestBytes: defaultApiConfig.maxRequestBytes,
      closeGraceMs: 2_000,
      log,
    });
    stops.push(() => server.close());
    if (!options.kafka) return { url: server.url, storage, dynamodbCalls, dynamodbUnits, serverLog, stop };

    const kafka = await startGateway(storage, {
      host: '127.0.0.1',
      port: 0,
      clusterId: 'sluice-bench',
      autoCreateTopics: false,
      onConnectionError: (error) => void serverLog.push(`Kafka connection closed: ${String(error)}`),
    });
    stops.push(() => kafka.close());
    return { url: server.url, kafka: `${kafka.host}:${kafka.port}`, storage, dynamodbCalls, dynamodbUnits, serverLog, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
