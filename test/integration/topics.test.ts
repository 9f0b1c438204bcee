/** Topic administration through the API on DynamoDB Local. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../../lib/api/types.ts';
import { defaultTopicConfig } from '../../lib/core/topic-config.ts';
import type { Storage } from '../../lib/storage/index.ts';
import { call, createApi, randomName, sameTables, testStorage } from '../support/stack.ts';

describe('topics', () => {
  let storage: Storage;
  let api: Api;
  beforeAll(async () => {
    storage = await testStorage();
    api = createApi({ storage });
  });
  afterAll(() => storage.destroy());

  it('creates, lists and describes a topic with its config and per-partition bounds', async () => {
    const name = randomName();
    const created = await call(api, 'POST', '/v1/topics', { body: { name, partitions: 3, config: { retentionMs: 60_000 } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, config: { ...defaultTopicConfig, retentionMs: 60_000 } });
    expect(created.body.topicId).toMatch(/^[0-9a-f-]{36}$/);

    await call(api, 'POST', `/v1/topics/${name}/records`, { body: { records: [{ value: 'a', partition: 2 }, { value: 'b', partition: 2 }] } });
    const described = await call(api, 'GET', `/v1/topics/${name}`);
    expect(described.status).toBe(200);
    expect(described.body.partitions).toEqual([
      { partition: 0, logStartOffset: 0, highWatermark: 0 },
      { partition: 1, logStartOffset: 0, highWatermark: 0 },
      { partition: 2, logStartOffset: 0, highWatermark: 2 },
    ]);
    const listed = await call(api, 'GET', '/v1/topics');
    expect(listed.body.topics).toContainEqual({ name, partitions: 3 });
  });

  it('grows partitions and changes config; another container sees the new partition at once', async () => {
    const name = randomName();
    await call(api, 'POST', '/v1/topics', { body: { name, partitions: 1 } });
    const other = createApi({ storage: sameTables(storage.config) });
    // The other container caches the topic with one partition...
    expect((await call(other, 'POST', `/v1/topics/${name}/records`, { body: { records: [{ value: 'x' }] } })).status).toBe(200);

    const altered = await call(api, 'PATCH', `/v1/topics/${name}`, { body: { partitions: 4, config: { cleanupPolicy: 'compact', maxMessageBytes: 4096 } } });
    expect(altered.status).toBe(200);
    expect(altered.body.partitions).toHaveLength(4);
    expect(altered.body.config).toMatchObject({ cleanupPolicy: 'compact', maxMessageBytes: 4096 });
    const configOnly = await call(api, 'PATCH', `/v1/topics/${name}`, { body: { config: { retentionMs: 1000 } } });
    expect(configOnly.body.config).toMatchObject({ cleanupPolicy: 'compact', retentionMs: 1000 });

    // ...and still takes an explicit partition that only the new count allows.
    const res = await call(other, 'POST', `/v1/topics/${name}/records`, { body: { records: [{ key: 'k', value: 'y', partition: 3 }] } });
    expect(res.status).toBe(200);
    expect(res.body.offsets).toEqual([{ partition: 3, offset: 0 }]);
  });

  it('delete then create under the same name gets a new topicId and shows none of the old data', async () => {
    const name = randomName();
    const first = await call(api, 'POST', '/v1/topics', { body: { name, partitions: 1 } });
    await call(api, 'POST', `/v1/topics/${name}/records`, { body: { records: [{ value: 'old' }] } });
    expect((await call(api, 'DELETE', `/v1/topics/${name}`)).status).toBe(204);
    expect((await call(api, 'GET', `/v1/topics/${name}`)).status).toBe(404);
    expect((await call(api, 'GET', '/v1/topics')).body.topics.map((t: { name: string }) => t.name)).not.toContain(name);

    const second = await call(api, 'POST', '/v1/topics', { body: { name, partitions: 1 } });
    expect(second.body.topicId).not.toBe(first.body.topicId);
    const fetched = await call(api, 'GET', `/v1/topics/${name}/partitions/0/records`, { query: { offset: '0' } });
    expect(fetched.body).toMatchObject({ records: [], highWatermark: 0 });
  });

  it('a compacted topic refuses keyless records (400, nothing lands) and takes keyed ones', async () => {
    const name = randomName();
    await call(api, 'POST', '/v1/topics', { body: { name, partitions: 1, config: { cleanupPolicy: 'compact' } } });
    const keyless = await call(api, 'POST', `/v1/topics/${name}/records`, { body: { records: [{ key: 'a', value: '1' }, { value: '2' }] } });
    expect(keyless.status).toBe(400);
    expect(keyless.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'records[1].key' });
    expect((await call(api, 'GET', `/v1/topics/${name}`)).body.partitions[0].highWatermark).toBe(0);
    const keyed = await call(api, 'POST', `/v1/topics/${name}/records`, { body: { records: [{ key: 'a', value: '1' }] } });
    expect(keyed.status).toBe(200);
  });

  it('two containers creating the same name: exactly one wins, the other gets 409', async () => {
    const name = randomName();
    const other = createApi({ storage: sameTables(storage.config) });
    const results = await Promise.all([api, other].map((a) => call(a, 'POST', '/v1/topics', { body: { name, partitions: 2 } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });
});
