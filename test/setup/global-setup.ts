/**
 * Starts DynamoDB Local (in memory) and the S3 emulator (in a temporary folder) once per
 * test run, on free ports, and hands their endpoints to the tests:
 *
 *   const endpoint = inject('dynamodbEndpoint');
 *
 * Tests keep apart by making their own random table, topic and bucket names.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, startS3Emulator } from '../../lib/local/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** e.g. `http://127.0.0.1:41234`, DynamoDB Local started by the global setup. */
    dynamodbEndpoint: string;
    /** e.g. `http://127.0.0.1:41235`, s3rver: credentials S3RVER/S3RVER, path-style. */
    s3Endpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3Dir = await mkdtemp(join(tmpdir(), 'sluice-test-s3-'));
  const [dynamodb, s3] = await Promise.allSettled([startDynamoDbLocal({}), startS3Emulator({ dataDir: s3Dir })]);
  const teardown = async (): Promise<void> => {
    await Promise.all([dynamodb, s3].map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    await rm(s3Dir, { recursive: true, force: true });
  };
  if (dynamodb.status === 'rejected' || s3.status === 'rejected') {
    await teardown();
    throw dynamodb.status === 'rejected' ? dynamodb.reason : (s3 as PromiseRejectedResult).reason;
  }
  project.provide('dynamodbEndpoint', dynamodb.value.endpoint);
  project.provide('s3Endpoint', s3.value.endpoint);
  return teardown;
}
