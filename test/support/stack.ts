/** Test support: storage on the emulators that global setup started, with names of its own. */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createApi } from '../../lib/api/index.ts';
import type { Api, ApiRequest } from '../../lib/api/types.ts';
import { tableNamesWithPrefix, type StorageConfig } from '../../lib/core/config.ts';
import { createStorage, type Storage, type StorageOptions } from '../../lib/storage/index.ts';

/** Fresh tables and bucket on the test emulators: no state shared with other test files. */
export async function testStorage(options: StorageOptions = {}): Promise<Storage> {
  const id = randomUUID().slice(0, 8);
  const storage = createStorage(
    {
      region: 'us-east-1',
      tables: tableNamesWithPrefix(`test-${id}-`),
      bucket: `test-${id}`,
      dynamodbEndpoint: inject('dynamodbEndpoint'),
      s3Endpoint: inject('s3Endpoint'),
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
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

export { createApi };
