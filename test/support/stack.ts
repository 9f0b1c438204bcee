/** Test support: storage on the emulators that global setup started, with names of its own. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import { createApi } from '../../lib/api/index.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import type { ServerFailureLog } from '../../lib/api/respond.ts';
import type { Api, ApiRequest } from '../../lib/api/types.ts';
import { defaultApiConfig, tableNamesWithPrefix, type StorageConfig } from '../../lib/core/config.ts';
import { serve, type RunningServer } from '../../lib/local/server.ts';
import { createStorage, type Storage, type StorageOptions } from '../../lib/storage/index.ts';

/**
 * Fresh tables and bucket on the test emulators: no state shared with other test files.
 * `tailCleanup: 'delete'` gives the sealer of multi-region strongly consistent tables.
 */
export async function testStorage(options: StorageOptions = {}, settings: Pick<StorageConfig, 'tailCleanup'> = {}): Promise<Storage> {
  const id = randomUUID().slice(0, 8);
  const storage = createStorage(
    {
      region: 'us-east-1',
      tables: tableNamesWithPrefix(`test-${id}-`),
      bucket: `test-${id}`,
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      s3Endpoint: inject('s3Endpoint'),
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      ...settings,
    },
    options,
  );
  await storage.ensureResources();
  return storage;
}

/** Another storage over the same tables: what a second Lambda container sees. */
export function sameTables(config: StorageConfig, options: StorageOptions = {}): Storage {
  return createStorage(config, options);
}

export function randomName(prefix = 'topic'): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`;
}

export interface CallOptions {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  /** Sent as is, for malformed bodies. */
  readonly rawBody?: string | Buffer;
  readonly signal?: AbortSignal;
}

export interface CallResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
}

/** Calls the transport-free API the way the HTTP adapters do, and parses its JSON. */
export async function call(api: Api, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const body =
    options.rawBody !== undefined
      ? Buffer.from(options.rawBody)
      : options.body !== undefined
        ? Buffer.from(JSON.stringify(options.body))
        : undefined;
  const request: ApiRequest = {
    method,
    path,
    query: options.query ?? {},
    headers: { 'content-type': 'application/json' },
    ...(body ? { body } : {}),
    requestId: randomUUID(),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const response = await api(request);
  return { status: response.status, headers: response.headers, body: response.body ? JSON.parse(response.body) : undefined };
}

/** One test file's storage and API, and more containers over the same tables, all closed after the file. */
export interface Stack {
  /** The container the jobs run in, as in `sluice local` and POST /v1/jobs/run. */
  readonly storage: Storage;
  readonly api: Api;
  /** Another container's storage over the same tables: it has cached nothing yet. */
  container(options?: StorageOptions): Storage;
  /** An API on another such container. */
  cold(): Api;
}

export function useStack(settings: Pick<StorageConfig, 'tailCleanup'> = {}): Stack {
  const others: Storage[] = [];
  let storage: Storage | undefined;
  let api: Api | undefined;
  beforeAll(async () => {
    storage = await testStorage({}, settings);
    api = createApi({ storage, runJobs });
  });
  afterAll(() => {
    storage?.destroy();
    for (const other of others) other.destroy();
  });
  const stack: Stack = {
    get storage() {
      return storage!;
    },
    get api() {
      return api!;
    },
    container(options) {
      const other = sameTables(stack.storage.config, options);
      others.push(other);
      return other;
    },
    cold: () => createApi({ storage: stack.container() }),
  };
  return stack;
}

/**
 * The stack's API behind the local HTTP server on a free port, for the whole file: what
 * SDK and CLI tests talk to. `url` is there once the file's setup has run.
 */
export function useServer(stack: Stack, options: { log?: ServerFailureLog } = {}): { readonly url: string } {
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await serve(stack.api, { host: '127.0.0.1', port: 0, maxRequestBytes: defaultApiConfig.maxRequestBytes, ...options });
  });
  afterAll(() => server?.close());
  return {
    get url() {
      return server!.url;
    },
  };
}

/**
 * Runs `job` once, the moment `reader` is about to read a segment object of `topicId`
 * (it has found the segment's index item): a fetch racing the scheduled jobs. Answers
 * whether that moment has come.
 */
export function beforeNextSegmentRead(reader: Storage, topicId: string, job: () => Promise<void>): () => boolean {
  let armed = true;
  reader.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: string }).Key ?? '';
      if (armed && context.commandName === 'GetObjectCommand' && key.startsWith(`segments/${topicId}/`)) {
        armed = false;
        await job();
      }
      return next(args);
    },
    { step: 'initialize', name: `beforeSegmentRead-${randomUUID()}` },
  );
  return () => !armed;
}

/** Each partition's bounds, as describe answers them. */
export async function partitionBounds(api: Api, topic: string) {
  // The bounds only: where sealing stands is the seal tests' business (and topics.test.ts's).
  const partitions = (await call(api, 'GET', `/v1/topics/${topic}`)).body.partitions as Array<{ partition: number; logStartOffset: number; highWatermark: number }>;
  return partitions.map(({ partition, logStartOffset, highWatermark }) => ({ partition, logStartOffset, highWatermark }));
}

/** GET .../offsets?at=... */
export async function offsetAt(api: Api, topic: string, at: string, partition = 0) {
  return (await call(api, 'GET', `/v1/topics/${topic}/partitions/${partition}/offsets`, { query: { at } })).body;
}

export { createApi };
