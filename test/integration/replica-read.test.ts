/**
 * A replica region's reads: its bucket is a cross-region replica of the home bucket and
 * lags it, so an object it does not have yet is read from the home bucket; once the
 * replica has it, the home bucket is not asked.
 */
import { randomBytes } from 'node:crypto';
import { CopyObjectCommand, CreateBucketCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { runJobs } from '../../lib/jobs/run.ts';
import { createStorage } from '../../lib/storage/index.ts';
import { call, createApi, randomName, useStack } from '../support/stack.ts';

describe('reads in a replica region', () => {
  const stack = useStack();

  it('fall back to the home bucket for what has not replicated yet, and stop asking it once it has', async () => {
    const home = stack.api;
    const topic = randomName();
    await call(home, 'POST', '/v1/topics', { body: { name: topic, partitions: 1 } });
    // Large records: staged objects, then a sealed segment, both only in the home bucket.
    const values = Array.from({ length: 3 }, () => randomBytes(7_000).toString('base64'));
    for (const value of values) await call(home, 'POST', `/v1/topics/${topic}/records`, { body: { records: [{ value }] } });
    const staged = await call(home, 'POST', `/v1/topics/${topic}/records`, { body: { records: [{ value: values[0] }] } });
    expect(staged.status).toBe(200);
    await runJobs(stack.storage, { topic, now: () => Date.now() + 3_600_000 });
    await call(home, 'POST', `/v1/topics/${topic}/records`, { body: { records: [{ value: values[1] }] } });

    const replicaBucket = `${stack.storage.config.bucket}-replica`;
    const replica = createStorage({
      ...stack.storage.config,
      region: 'eu-west-1',
      bucket: replicaBucket,
      sourceBucket: { name: stack.storage.config.bucket, region: stack.storage.config.region },
    });
    await replica.clients.s3.send(new CreateBucketCommand({ Bucket: replicaBucket }));
    let sourceGets = 0;
    replica.clients.sourceS3!.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetObjectCommand') sourceGets++;
        return next(args);
      },
      { step: 'initialize', name: 'countSourceGets' },
    );
    const replicaApi = createApi({ storage: replica });
    const readAll = async () => {
      const read: string[] = [];
      for (let offset = 0, end = 1; offset < end; ) {
        const { body } = await call(replicaApi, 'GET', `/v1/topics/${topic}/partitions/0/records`, { query: { offset: String(offset) } });
        read.push(...body.records.map((r: { value: string }) => r.value));
        [offset, end] = [body.nextOffset, body.highWatermark];
      }
      return read;
    };
    try {
      const expected = [...values, values[0], values[1]];
      expect(await readAll()).toEqual(expected);
      expect(sourceGets).toBeGreaterThanOrEqual(2);

      // Replication catches up: every object is in the replica, and the home bucket is not asked.
      const { Contents } = await stack.storage.clients.s3.send(new ListObjectsV2Command({ Bucket: stack.storage.config.bucket }));
      for (const { Key } of Contents ?? []) {
        await replica.clients.s3.send(new CopyObjectCommand({ Bucket: replicaBucket, Key, CopySource: `${stack.storage.config.bucket}/${Key}` }));
      }
      sourceGets = 0;
      expect(await readAll()).toEqual(expected);
      expect(sourceGets).toBe(0);
    } finally {
      replica.destroy();
    }
  });
});
