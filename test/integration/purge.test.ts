/**
 * Deleting a topic: the API answers at once, and the jobs then remove its tail items,
 * segment items, partition state and objects in the background. The name, created again,
 * shows none of the old data.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import type { Api } from '../../lib/api/types.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import { call, createApi, randomName, useStack } from '../support/stack.ts';

const HOUR = 3_600_000;

/** `count` records of `size` bytes for one partition: > 8 KB in all makes a staged batch. */
const batch = (tag: string, count: number, size: number, partition: number) =>
  Array.from({ length: count }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag}-${i}:`.padEnd(size, '.'), partition }));

async function produce(api: Api, topic: string, records: readonly object[]): Promise<number[]> {
  const res = await call(api, 'POST', `/v1/topics/${topic}/records`, { body: { records } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.offsets.map((o: { offset: number }) => o.offset);
}

describe('purging deleted topics', () => {
  const stack = useStack();

  /** Everything stored for a topic id, straight from the tables and the bucket. */
  async function leftovers(topicId: string, partitions: number) {
    const found = { tailItems: 0, segmentItems: 0, partitionStates: 0, stagedObjects: 0, segmentObjects: 0 };
    for (let p = 0; p < partitions; p++) {
      const pk = partitionKey(topicId, p);
      found.tailItems += (await stack.storage.tail.query({ pk, forward: true, limit: 100 })).length;
      found.segmentItems += (await stack.storage.segments.list(pk)).length;
      const { Item } = await stack.storage.clients.dynamodb.send(
        new GetItemCommand({ TableName: stack.storage.config.tables.partitions, Key: { pk: { S: pk } }, ConsistentRead: true }),
      );
      if (Item) found.partitionStates++;
    }
    found.stagedObjects = (await stack.storage.segments.listObjects(`staged/${topicId}/`)).length;
    found.segmentObjects = (await stack.storage.segments.listObjects(`segments/${topicId}/`)).length;
    return found;
  }
  const nothing = { tailItems: 0, segmentItems: 0, partitionStates: 0, stagedObjects: 0, segmentObjects: 0 };

  it('removes tail items, segments, partition state and objects; the name created again shows none of it', async () => {
    const name = randomName();
    const created = await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions: 2 } });
    const topicId: string = created.body.topicId;
    // Inline and staged batches in both partitions, sealed; then more of both left in the tail.
    for (const p of [0, 1]) {
      await produce(stack.api, name, batch('inline', 5, 50, p));
      await produce(stack.api, name, batch('staged', 10, 1000, p));
    }
    await runJobs(stack.storage, { topic: name, now: () => Date.now() + HOUR });
    await produce(stack.api, name, batch('tail-staged', 10, 1000, 0));
    await produce(stack.api, name, batch('tail-inline', 3, 50, 0));
    await produce(stack.api, name, batch('tail-inline', 3, 50, 1));
    const before = await leftovers(topicId, 2);
    // The 4 sealed items linger until they expire; their staged objects went when they were sealed.
    expect(before).toEqual({ tailItems: 7, segmentItems: 2, partitionStates: 2, stagedObjects: 1, segmentObjects: 2 });

    expect((await call(stack.api, 'DELETE', `/v1/topics/${name}`)).status).toBe(204);
    expect((await call(stack.api, 'GET', `/v1/topics/${name}`)).body.error.code).toBe('TOPIC_NOT_FOUND');
    const fetched = await call(stack.api, 'GET', `/v1/topics/${name}/partitions/0/records`, { query: { offset: '0' } });
    expect(fetched.status).toBe(404);
    expect((await call(stack.api, 'POST', `/v1/topics/${name}/records`, { body: { records: [{ value: 'x' }] } })).status).toBe(404);
    // Deleting answers at once; the data goes in the background.
    expect(await leftovers(topicId, 2)).toEqual(before);

    // The jobs, some time later (all topics: the purge is not part of a one-topic run).
    const report = await runJobs(stack.storage, { now: () => Date.now() + HOUR });
    expect(report.purgedTopics).toContain(name);
    expect(await leftovers(topicId, 2)).toEqual(nothing);
    expect((await stack.storage.topics.listDeleted()).map((d) => d.topic.topicId)).not.toContain(topicId);
    expect((await runJobs(stack.storage, { now: () => Date.now() + HOUR })).purgedTopics).not.toContain(name);

    // The name again: a new id, empty partitions, and only what is produced from now on.
    const again = await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions: 2 } });
    expect(again.status).toBe(201);
    expect(again.body.topicId).not.toBe(topicId);
    for (const client of [stack.api, stack.cold()]) {
      expect((await call(client, 'GET', `/v1/topics/${name}`)).body.partitions).toEqual([
        { partition: 0, logStartOffset: 0, highWatermark: 0, sealedOffset: 0 },
        { partition: 1, logStartOffset: 0, highWatermark: 0, sealedOffset: 0 },
      ]);
      for (const p of [0, 1]) {
        const res = await call(client, 'GET', `/v1/topics/${name}/partitions/${p}/records`, { query: { offset: '0' } });
        expect(res.body).toMatchObject({ records: [], nextOffset: 0, highWatermark: 0, logStartOffset: 0 });
        const earliest = await call(client, 'GET', `/v1/topics/${name}/partitions/${p}/offsets`, { query: { at: 'earliest' } });
        expect(earliest.body).toEqual({ offset: 0 });
      }
    }
    expect(await produce(stack.api, name, [{ value: 'new', partition: 0 }])).toEqual([0]);
    const res = await call(stack.api, 'GET', `/v1/topics/${name}/partitions/0/records`, { query: { offset: '0' } });
    expect(res.body.records.map((r: { value: string }) => r.value)).toEqual(['new']);
  });

  it('a name created again before the purge keeps its new data', async () => {
    const name = randomName();
    const first = (await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions: 1 } })).body.topicId as string;
    await produce(stack.api, name, batch('old', 10, 1000, 0));
    await runJobs(stack.storage, { topic: name, now: () => Date.now() + HOUR });
    await produce(stack.api, name, batch('old-tail', 3, 50, 0));
    expect((await call(stack.api, 'DELETE', `/v1/topics/${name}`)).status).toBe(204);

    const second = (await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions: 1 } })).body.topicId as string;
    await produce(stack.api, name, batch('new', 10, 1000, 0));
    // Seals the new topic and purges the old one in the same run.
    const report = await runJobs(stack.storage, { now: () => Date.now() + HOUR });
    expect(report.purgedTopics).toContain(name);
    await produce(stack.api, name, batch('new-tail', 3, 50, 0));

    expect(await leftovers(first, 1)).toEqual(nothing);
    // The sealed item lingers until it expires, beside the unsealed one.
    expect(await leftovers(second, 1)).toMatchObject({ tailItems: 2, segmentItems: 1, partitionStates: 1, segmentObjects: 1 });
    const res = await call(stack.cold(), 'GET', `/v1/topics/${name}/partitions/0/records`, {
      query: { offset: '0' },
    });
    expect(res.body.records.map((r: { key: string }) => r.key)).toEqual(batch('new', 10, 1, 0).map((r) => r.key));
    expect(res.body.highWatermark).toBe(13);
  });

  it('a produce from a container that still caches the deleted topic leaves nothing behind once the jobs have run', async () => {
    const name = randomName();
    const topicId = (await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions: 1 } })).body.topicId as string;
    // Another container has produced to the topic and caches its metadata (its cache is a
    // minute long here, so the test does not race the 5 s default).
    const stale = stack.container({ topicCacheMs: 60_000 });
    const staleApi = createApi({ storage: stale });
    await produce(staleApi, name, batch('before', 3, 50, 0));

    expect((await call(stack.api, 'DELETE', `/v1/topics/${name}`)).status).toBe(204);
    await runJobs(stack.storage);
    // The stale container appends under the old id: refused, or at least purged later.
    const late = await call(staleApi, 'POST', `/v1/topics/${name}/records`, { body: { records: batch('late', 10, 1000, 0) } });
    expect([200, 404]).toContain(late.status);
    await runJobs(stack.storage, { now: () => Date.now() + HOUR });
    expect(await leftovers(topicId, 1)).toEqual(nothing);
  });
});
