/**
 * The SDK producer's `compression` and batching against the real API over HTTP (DynamoDB
 * Local and the S3 emulator): records sent with each codec come back as sent, from the tail
 * and from sealed segments; concurrent sends share requests. The stored bytes themselves
 * are checked in the storage and codec tests.
 */
import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { CompressionTypes, Sluice, type Message } from '../../lib/client/index.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import { randomName, useServer, useStack } from '../support/stack.ts';

const HOUR = 3_600_000;

describe('SDK compression', () => {
  const stack = useStack();
  const server = useServer(stack, { log: () => undefined });
  const seenBodies: Array<{ path: string; body: any }> = [];

  /** A fetch that keeps each produce body before passing it on. */
  const recording: typeof fetch = (input, init) => {
    const path = new URL(String(input)).pathname;
    if (init?.method === 'POST' && path.endsWith('/records')) seenBodies.push({ path, body: JSON.parse(Buffer.from(init.body as Uint8Array).toString()) });
    return fetch(input, init);
  };
  const sluice = () => new Sluice({ endpoint: server.url, fetch: recording, retry: { retries: 3, initialRetryTime: 20, maxRetryTime: 200 } });

  async function topicWith(partitions: number): Promise<string> {
    const topic = randomName();
    expect(await sluice().admin().createTopics({ topics: [{ topic, numPartitions: partitions }] })).toBe(true);
    return topic;
  }

  /** Every record of a partition in offset order, values and keys as base64 so bytes compare exactly. */
  async function readAll(topic: string, partition = 0) {
    const { records } = await sluice().client.fetchRecords(topic, partition, { offset: 0, maxRecords: 10_000, encoding: 'base64' });
    return records.map((r) => ({ offset: r.offset, key: r.key, value: r.value, headers: r.headers }));
  }

  const b64 = (v: string | Buffer) => (Buffer.isBuffer(v) ? v : Buffer.from(v)).toString('base64');
  /** Text that compresses well and bytes that do not, keys, headers and a tombstone. */
  const messagesFor = (tag: string): Message[] => [
    { key: `${tag}-k1`, value: `${tag} `.repeat(500), headers: { codec: tag } },
    { value: Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7919 + tag.length) % 256)) },
    { key: `${tag}-k2`, value: null },
    { value: '' },
  ];
  const expected = (messages: readonly Message[], from: number) =>
    messages.map((m, i) => ({
      offset: from + i,
      key: m.key === undefined || m.key === null ? null : b64(m.key),
      value: m.value === null ? null : b64(m.value),
      headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([key, value]) => [key, b64(value!)])),
    }));

  it.each(Object.entries(CompressionTypes))('records sent with %s come back as sent, before and after they are sealed', async (name, type) => {
    const topic = await topicWith(1);
    const producer = sluice().producer({ compression: type });
    const messages = messagesFor(name);
    await producer.send({ topic, messages });
    await producer.disconnect();
    const bodies = seenBodies.filter((s) => s.path === `/v1/topics/${topic}/records`).map((s) => s.body);
    expect(bodies.map((b) => b.compression)).toEqual([type === CompressionTypes.None ? undefined : name.toLowerCase()]);

    const records = expected(messages, 0);
    expect(await readAll(topic)).toEqual(records);
    const report = await runJobs(stack.storage, { topic, now: () => Date.now() + HOUR });
    expect(report.partitions[0]?.seal?.records).toBe(messages.length);
    expect(await readAll(topic)).toEqual(records);
  });

  it('concurrent sends with different codecs to one topic land in send order, each request with one codec', async () => {
    const topic = await topicWith(1);
    const producer = sluice().producer({ linger: 20 });
    const codecs = [CompressionTypes.ZSTD, CompressionTypes.ZSTD, CompressionTypes.GZIP, CompressionTypes.None, CompressionTypes.Snappy, CompressionTypes.LZ4];
    const sends = codecs.map((compression, i) => producer.send({ topic, compression, messages: [{ value: `m${i}` }] }));
    const results = await Promise.all(sends);
    await producer.disconnect();
    expect(results.map((r) => r[0]!.offsets)).toEqual(codecs.map((_, i) => [i]));
    const bodies = seenBodies.filter((s) => s.path === `/v1/topics/${topic}/records`).map((s) => s.body);
    expect(bodies.map((b) => [b.compression ?? 'none', b.records.map((r: any) => r.value)])).toEqual([
      ['zstd', ['m0', 'm1']],
      ['gzip', ['m2']],
      ['none', ['m3']],
      ['snappy', ['m4']],
      ['lz4', ['m5']],
    ]);
    expect((await readAll(topic)).map((r) => Buffer.from(r.value!, 'base64').toString())).toEqual(codecs.map((_, i) => `m${i}`));
  });

  it('sends from concurrent loops share requests while one is in flight', async () => {
    const topic = await topicWith(4);
    const producer = sluice().producer();
    const perRequest: number[] = [];
    producer.on('producer.network.request', (e) => {
      if (e.payload.error === undefined) perRequest.push(e.payload.records);
    });
    const value = 'x'.repeat(1024);
    const loops = 16;
    const sendsPerLoop = 10;
    await Promise.all(
      Array.from({ length: loops }, async (_, loop) => {
        for (let i = 0; i < sendsPerLoop; i++) {
          await producer.send({ topic, messages: Array.from({ length: 10 }, (_, r) => ({ key: `k${loop}-${i}-${r}`, value })) });
        }
      }),
    );
    await producer.disconnect();
    expect(perRequest.reduce((a, b) => a + b, 0)).toBe(loops * sendsPerLoop * 10);
    // One send alone is 10 records; while a request is out, the other loops' sends queue and go together.
    expect(perRequest.length).toBeLessThan(loops * sendsPerLoop / 4);
  });
});
