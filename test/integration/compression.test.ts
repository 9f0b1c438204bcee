/**
 * compression.type end to end: batches are stored in the topic's codec (or the request's,
 * under 'producer'), in the tail item and in the sealed segment alike, and fetch answers
 * the records byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { COMPRESSIONS, compressionOf, type Compression } from '../../lib/core/codec/compression.ts';
import { readBatchHeader } from '../../lib/core/codec/record-batch.ts';
import { completeBatches } from '../../lib/core/segment.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import { runLater } from '../support/seal-records.ts';
import { call, randomName, useStack } from '../support/stack.ts';

/** Realistic JSON that compresses, and bytes that do not survive a utf8 round trip. */
const jsonValue = (i: number) => JSON.stringify({ id: i, type: 'order.created', customer: { name: `customer ${i % 7}`, tier: 'plus' }, items: [{ sku: `SKU-${i % 5}`, qty: 1 + (i % 3) }] });
const binaryValue = (i: number) => Buffer.from(Array.from({ length: 64 }, (_, j) => (i * 31 + j * 17) & 0xff)).toString('base64');

describe('compression.type', () => {
  const stack = useStack();

  async function createTopic(compressionType?: string): Promise<string> {
    const name = randomName();
    const config = compressionType ? { compressionType } : {};
    const created = await call(stack.api, 'POST', '/v1/topics', { body: { name, partitions: 1, config } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return name;
  }

  async function produce(topic: string, body: Record<string, unknown>) {
    return call(stack.api, 'POST', `/v1/topics/${topic}/records`, { body });
  }

  /** The codec of each batch as stored: from the tail items' bytes, or the sealed segments' objects. */
  async function storedCodecs(topic: string): Promise<{ tail: Compression[]; sealed: Compression[] }> {
    const { topicId } = await stack.storage.topics.get(topic);
    const pk = partitionKey(topicId, 0);
    const tail: Compression[] = [];
    for await (const item of stack.storage.tail.scanForward(pk, 0, () => 100)) {
      tail.push(compressionOf(readBatchHeader(await stack.storage.tail.batchOf(pk, item)).attributes & 7));
    }
    const sealed: Compression[] = [];
    for (const segment of await stack.storage.segments.list(pk)) {
      const { batches } = completeBatches(await stack.storage.segments.readRange(segment.key!, 0, segment.bytes));
      sealed.push(...batches.map((b) => compressionOf(b.header.attributes & 7)));
    }
    return { tail, sealed };
  }

  async function fetchAll(topic: string, encoding: 'utf8' | 'base64') {
    const answer = await call(stack.api, 'GET', `/v1/topics/${topic}/partitions/0/records`, { query: { offset: '0', maxRecords: '1000', encoding } });
    expect(answer.status).toBe(200);
    return answer.body.records as Array<{ offset: number; key: string | null; value: string | null; headers: Record<string, string>; timestamp: number }>;
  }

  it('a zstd topic stores its batches compressed, in the tail and sealed, and fetch returns the records byte for byte', async () => {
    const topic = await createTopic('zstd');
    // Recent: older records would be past retention once the jobs run an hour ahead.
    const now = Date.now() - 60_000;
    const records = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: jsonValue(i), headers: { trace: `t${i}` }, timestamp: now + i }));
    for (let i = 0; i < 40; i += 10) expect((await produce(topic, { records: records.slice(i, i + 10) })).status).toBe(200);
    const binary = Array.from({ length: 5 }, (_, i) => ({ key: null, value: binaryValue(i), timestamp: now + 1000 + i }));
    expect((await produce(topic, { records: binary, encoding: 'base64' })).status).toBe(200);

    expect(await storedCodecs(topic)).toEqual({ tail: ['zstd', 'zstd', 'zstd', 'zstd', 'zstd'], sealed: [] });
    const fetched = await fetchAll(topic, 'utf8');
    expect(fetched.slice(0, 40)).toEqual(records.map((r, offset) => ({ offset, ...r })));
    const fetchedBinary = (await fetchAll(topic, 'base64')).slice(40);
    expect(fetchedBinary.map((r) => [r.offset, r.value, r.timestamp])).toEqual(binary.map((r, i) => [40 + i, r.value, r.timestamp]));

    // Sealing copies the batches as they are: still zstd, and the same records.
    const report = await runLater(stack.storage, topic);
    expect(report.partitions[0]!.seal).toMatchObject({ segments: 1, records: 45 });
    expect((await storedCodecs(topic)).sealed).toEqual(['zstd', 'zstd', 'zstd', 'zstd', 'zstd']);
    const cold = stack.cold();
    const again = await call(cold, 'GET', `/v1/topics/${topic}/partitions/0/records`, { query: { offset: '0', maxRecords: '1000' } });
    expect(again.body.records.slice(0, 40)).toEqual(fetched.slice(0, 40));
  });

  it("under 'producer' (the default) each request's own codec is stored; a named codec or 'uncompressed' overrides it", async () => {
    const producerTopic = await createTopic();
    const described = await call(stack.api, 'GET', `/v1/topics/${producerTopic}`);
    expect(described.body.config.compressionType).toBe('producer');
    for (const compression of [undefined, ...COMPRESSIONS]) {
      const body = { records: [{ value: jsonValue(1) }, { value: jsonValue(2) }], ...(compression ? { compression } : {}) };
      expect((await produce(producerTopic, body)).status).toBe(200);
    }
    expect((await storedCodecs(producerTopic)).tail).toEqual(['none', ...COMPRESSIONS]);
    const values = (await fetchAll(producerTopic, 'utf8')).map((r) => r.value);
    expect(values).toEqual(Array.from({ length: 12 }, (_, i) => jsonValue(1 + (i % 2))));

    const gzipTopic = await createTopic('gzip');
    const plainTopic = await createTopic('uncompressed');
    for (const topic of [gzipTopic, plainTopic]) {
      expect((await produce(topic, { records: [{ value: 'a' }], compression: 'snappy' })).status).toBe(200);
    }
    expect((await storedCodecs(gzipTopic)).tail).toEqual(['gzip']);
    expect((await storedCodecs(plainTopic)).tail).toEqual(['none']);
  });

  it('a topic changed to another codec stores new batches in it; older ones stay readable as they were', async () => {
    const topic = await createTopic('snappy');
    await produce(topic, { records: [{ value: jsonValue(1) }] });
    const altered = await call(stack.api, 'PATCH', `/v1/topics/${topic}`, { body: { config: { compressionType: 'lz4' } } });
    expect(altered.status).toBe(200);
    await produce(topic, { records: [{ value: jsonValue(2) }] });
    expect((await storedCodecs(topic)).tail).toEqual(['snappy', 'lz4']);
    expect((await fetchAll(topic, 'utf8')).map((r) => r.value)).toEqual([jsonValue(1), jsonValue(2)]);
  });

  it('an unknown codec, in the body or the config, is a 400 that changes nothing', async () => {
    const topic = await createTopic();
    const refused = await produce(topic, { records: [{ value: 'a' }], compression: 'brotli' });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'compression' });
    expect(refused.body.error.message).toContain('"zstd"');
    expect(await fetchAll(topic, 'utf8')).toEqual([]);

    const badConfig = await call(stack.api, 'POST', '/v1/topics', { body: { name: randomName(), partitions: 1, config: { compressionType: 'zip' } } });
    expect(badConfig.status).toBe(400);
    expect(badConfig.body.error).toMatchObject({ code: 'INVALID_REQUEST', field: 'config.compressionType' });
  });
});
