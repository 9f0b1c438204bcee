/** Topic administration through the API on DynamoDB Local. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../../lib/api/types.ts';
import { SluiceClient } from '../../lib/client/client.ts';
import { defaultTopicConfig } from '../../lib/core/topic-config.ts';
import { runJobs } from '../../lib/jobs/run.ts';
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

  it('creates, lists and describes a topic with its config and per-partition bounds and sealed offsets', async () => {
    const name = randomName();
    const created = await call(api, 'POST', '/v1/topics', { body: { name, partitions: 3, config: { retentionMs: 60_000 } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, config: { ...defaultTopicConfig, retentionMs: 60_000 } });
    expect(created.body.topicId).toMatch(/^[0-9a-f-]{36}$/);

    await call(api, 'POST', `/v1/topics/${name}/records`, { body: { records: [{ value: 'a', partition: 2 }, { value: 'b', partition: 2 }] } });
    const described = await call(api, 'GET', `/v1/topics/${name}`);
    expect(described.status).toBe(200);
    // The two records are still in the tail: nothing is sealed yet.
    expect(described.body.partitions).toEqual([
      { partition: 0, logStartOffset: 0, highWatermark: 0, sealedOffset: 0 },
      { partition: 1, logStartOffset: 0, highWatermark: 0, sealedOffset: 0 },
      { partition: 2, logStartOffset: 0, highWatermark: 2, sealedOffset: 0 },
    ]);
    // Sealed into a segment by the jobs once old enough (an hour on; kept that long now).
    await call(api, 'PATCH', `/v1/topics/${name}`, { body: { config: { retentionMs: -1 } } });
    await runJobs(storage, { topic: name, now: () => Date.now() + 3_600_000 });
    expect((await call(api, 'GET', `/v1/topics/${name}`)).body.partitions[2]).toEqual({ partition: 2, logStartOffset: 0, highWatermark: 2, sealedOffset: 2 });
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

  it('refuses a partition count equal to the current one, as Kafka does, naming the count; fewer stays refused', async () => {
    const name = randomName();
    await call(api, 'POST', '/v1/topics', { body: { name, partitions: 3 } });
    const before = (await call(api, 'GET', `/v1/topics/${name}`)).body;
    for (const body of [{ partitions: 3 }, { partitions: 3, config: { retentionMs: 5000 } }]) {
      const same = await call(api, 'PATCH', `/v1/topics/${name}`, { body });
      expect(same.status).toBe(400);
      expect(same.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'partitions', partitions: 3 });
      expect(same.body.error.message).toBe(`topic '${name}' already has 3 partitions; partitions can only grow`);
    }
    const fewer = await call(api, 'PATCH', `/v1/topics/${name}`, { body: { partitions: 2 } });
    expect(fewer.body.error).toMatchObject({ code: 'INVALID_REQUEST', partitions: 3 });
    expect(fewer.body.error.message).toMatch(/has 3, asked for 2/);
    // Nothing changed: the config of the refused request did not land either.
    expect((await call(api, 'GET', `/v1/topics/${name}`)).body).toEqual(before);
    expect((await call(api, 'PATCH', `/v1/topics/${name}`, { body: { partitions: 4 } })).body.partitions).toHaveLength(4);
  });

  it("the SDK's alterTopic whose answer was lost: its retry meets its own change and answers the topic", async () => {
    const name = randomName();
    await call(api, 'POST', '/v1/topics', { body: { name, partitions: 1 } });
    let patches = 0;
    // A transport over the API that loses the answer of the first PATCH after it landed.
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const rawBody = init?.body instanceof Uint8Array ? Buffer.from(init.body) : typeof init?.body === 'string' ? init.body : undefined;
      const res = await call(api, init?.method ?? 'GET', url.pathname, { query: Object.fromEntries(url.searchParams), ...(rawBody ? { rawBody } : {}) });
      if (init?.method === 'PATCH' && ++patches === 1) {
        throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
      }
      return new Response(res.body === undefined ? null : JSON.stringify(res.body), { status: res.status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const client = new SluiceClient({ endpoint: 'http://sluice.test:1/', fetch: fetchFn, retries: 3, retryMinDelayMs: 1, retryMaxDelayMs: 5 });
    const altered = await client.alterTopic(name, { partitions: 3, config: { retentionMs: 5000 } });
    expect(patches).toBe(2);
    expect(altered.partitions).toHaveLength(3);
    expect(altered.config.retentionMs).toBe(5000);
    // Without a lost answer, asking for the count the topic has is still refused.
    await expect(client.alterTopic(name, { partitions: 3 })).rejects.toMatchObject({ code: 'INVALID_REQUEST', status: 400 });
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
