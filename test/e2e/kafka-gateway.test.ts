/**
 * The Kafka protocol gateway of a running `sluice local`, driven by real Kafka clients:
 * kafkajs (admin, idempotent producer, ListOffsets) and kcat (librdkafka: produce with
 * every codec, consume to the end), with what each stores checked through the HTTP API,
 * and bad frames that must close one connection, never the gateway.
 */
import { execFile } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiVersions,
  decodeResponse,
  DescribeCluster,
  encodeRequest,
  Fetch,
  IncrementalAlterConfigs,
  KafkaErrors,
  Metadata,
  Produce,
  type ApiSpec,
  type MessageInput,
  type MessageValue,
} from '../../lib/kafka/protocol/index.ts';
import { encodeBatch, readBatchHeader } from '../../lib/core/codec/record-batch.ts';
import { startSluiceGateway, startSluiceLocal, type SluiceLocal } from '../support/sluice-local.ts';

const run = promisify(execFile);

interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

describe('the Kafka gateway of sluice local', () => {
  let local: SluiceLocal;
  let kafka: Kafka;
  beforeAll(async () => {
    local = await startSluiceLocal();
    kafka = new Kafka({ clientId: 'sluice-test', brokers: [local.bootstrapServer], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  }, 120_000);
  afterAll(() => local?.stop());

  /** Sends bytes and answers what came back before the gateway closed the connection (or 2 s passed). */
  function exchange(bytes: Buffer, waitMs = 2000): Promise<{ closed: boolean; data: Buffer }> {
    const [host, port] = local.bootstrapServer.split(':') as [string, string];
    return new Promise((resolve) => {
      const socket = net.connect(Number(port), host);
      const chunks: Buffer[] = [];
      const finish = (closed: boolean) => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ closed, data: Buffer.concat(chunks) });
      };
      const timer = setTimeout(() => finish(false), waitMs);
      socket.on('data', (c) => {
        chunks.push(c);
        // One whole answer is all a request gets.
        const all = Buffer.concat(chunks);
        if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) finish(false);
      });
      socket.on('close', () => finish(true));
      socket.on('error', () => undefined);
      socket.write(bytes);
    });
  }

  function sized(body: Buffer): Buffer {
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    return Buffer.concat([size, body]);
  }

  /** One request of `api` at `version` on a connection of its own; its decoded answer. */
  async function ask<A extends ApiSpec>(api: A, version: number, body: MessageInput<A['request']>): Promise<MessageValue<A['response']>> {
    const { data } = await exchange(sized(encodeRequest(api, version, { correlationId: 9, clientId: 'sluice-test' }, body)));
    expect(data.length, `${api.name} v${version} answered`).toBeGreaterThan(4);
    return decodeResponse(api, version, data.subarray(4)).body;
  }

  async function httpRecords(topic: string, partition: number): Promise<FetchedRecord[]> {
    const answer = await fetch(`${local.url}/v1/topics/${topic}/partitions/${partition}/records?offset=0&maxRecords=1000`);
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { records: FetchedRecord[] }).records;
  }

  it('kafkajs: admin creates a topic, an idempotent producer sends compressed keyed records, HTTP reads them at the offsets it was told', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] })).toBe(true);
      const described = (await (await fetch(`${local.url}/v1/topics/orders`)).json()) as { partitions: unknown[]; config: { retentionMs: number } };
      expect(described.partitions).toHaveLength(3);
      expect(described.config.retentionMs).toBe(86_400_000);

      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      const messages = Array.from({ length: 30 }, (_, i) => ({ key: `customer-${i % 5}`, value: JSON.stringify({ order: i }), headers: { source: `web-${i}` }, timestamp: String(1_790_000_000_000 + i) }));
      const sent = await producer.send({ topic: 'orders', compression: CompressionTypes.GZIP, messages });
      await producer.disconnect();
      expect(sent.every((r) => r.errorCode === 0)).toBe(true);

      // Each partition holds its keys' records in send order, at the offsets kafkajs was told.
      let total = 0;
      const partitionOf = new Map<number, number>();
      const partitionOfOrder = (order: number) => partitionOf.get(order);
      for (const { partition, baseOffset } of sent) {
        const stored = await httpRecords('orders', partition);
        expect(stored[0]?.offset).toBe(Number(baseOffset));
        for (const record of stored) {
          const i = (JSON.parse(record.value!) as { order: number }).order;
          partitionOf.set(i, partition);
          expect(record).toEqual({ offset: record.offset, key: `customer-${i % 5}`, value: JSON.stringify({ order: i }), headers: { source: `web-${i}` }, timestamp: 1_790_000_000_000 + i });
        }
        expect(stored.map((r) => (JSON.parse(r.value!) as { order: number }).order)).toEqual([...stored.map((r) => (JSON.parse(r.value!) as { order: number }).order)].sort((a, b) => a - b));
        total += stored.length;
      }
      expect(total).toBe(30);

      // ListOffsets: latest per partition, earliest 0, and by time.
      const offsets = await admin.fetchTopicOffsets('orders');
      expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(30);
      expect(offsets.every((o) => o.low === '0')).toBe(true);
      // By time: the partition holding order 29 answers its offset; the others have nothing
      // that recent, which kafkajs reads as their end.
      const last = sent.find((r) => r.partition === partitionOfOrder(29))!;
      const lastOffset = (await httpRecords('orders', last.partition)).find((r) => r.value === JSON.stringify({ order: 29 }))!.offset;
      const byTime = await admin.fetchTopicOffsetsByTimestamp('orders', 1_790_000_000_000 + 29);
      for (const { partition, offset } of byTime) {
        const high = offsets.find((o) => o.partition === partition)!.high;
        expect(offset, `partition ${partition}`).toBe(partition === last.partition ? String(lastOffset) : high);
      }
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it("kafkajs's idempotent producer: replies lost with the connection are retried, and nothing is stored twice", async () => {
    await fetch(`${local.url}/v1/topics`, { method: 'POST', body: JSON.stringify({ name: 'payments', partitions: 1 }) });
    const [host, port] = local.bootstrapServer.split(':') as [string, string];
    // Between kafkajs and the gateway: forwards everything, but cuts the connection instead
    // of passing on the reply to each of the first `cuts` Produce requests (after the
    // gateway has stored the batch).
    let cuts = 2;
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(port), host);
      const produceIds = new Set<number>();
      const frames = (onFrame: (frame: Buffer) => boolean) => {
        let pending = Buffer.alloc(0);
        return (chunk: Buffer) => {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
            const frame = pending.subarray(0, 4 + pending.readInt32BE(0));
            pending = pending.subarray(frame.length);
            if (!onFrame(frame)) return;
          }
        };
      };
      client.on('data', frames((frame) => {
        if (frame.readInt16BE(4) === Produce.apiKey) produceIds.add(frame.readInt32BE(8));
        upstream.write(frame);
        return true;
      }));
      upstream.on('data', frames((frame) => {
        if (produceIds.has(frame.readInt32BE(4)) && cuts > 0) {
          cuts--;
          client.destroy();
          upstream.destroy();
          return false;
        }
        client.write(frame);
        return true;
      }));
      for (const socket of [client, upstream]) socket.on('error', () => undefined).on('close', () => (socket === client ? upstream : client).destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const proxyPort = (proxy.address() as net.AddressInfo).port;
    const viaProxy = new Kafka({
      clientId: 'sluice-test',
      brokers: [`127.0.0.1:${proxyPort}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 5, initialRetryTime: 50 },
      // Every connection, the advertised broker's too, goes through the proxy.
      socketFactory: ({ onConnect }) => net.connect({ host: '127.0.0.1', port: proxyPort }, onConnect),
    });
    const producer = viaProxy.producer({ idempotent: true, maxInFlightRequests: 1 });
    try {
      await producer.connect();
      for (let i = 0; i < 4; i++) await producer.send({ topic: 'payments', messages: [{ key: `p${i}`, value: `payment-${i}` }] });
    } finally {
      await producer.disconnect();
      proxy.close();
    }
    expect(cuts, 'replies cut').toBe(0);
    expect((await httpRecords('payments', 0)).map((r) => [r.offset, r.value])).toEqual([0, 1, 2, 3].map((i) => [i, `payment-${i}`]));
  }, 60_000);

  it('kafkajs admin and raw requests: partitions grow, configs are described and altered, topics are deleted; Metadata v12 carries topic ids', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'billing', numPartitions: 2 }] });
      const metadata = await ask(Metadata, 12, { topics: [{ name: 'billing' }], allowAutoTopicCreation: false });
      const http = (await (await fetch(`${local.url}/v1/topics/billing`)).json()) as { topicId: string };
      expect(metadata.topics[0]).toMatchObject({ name: 'billing', errorCode: 0, topicId: http.topicId.replaceAll('-', '') });
      expect(metadata.topics[0]!.partitions).toHaveLength(2);

      await admin.createPartitions({ topicPartitions: [{ topic: 'billing', count: 5 }] });
      expect((await admin.fetchTopicMetadata({ topics: ['billing'] })).topics[0]!.partitions).toHaveLength(5);
      await expect(admin.createPartitions({ topicPartitions: [{ topic: 'billing', count: 3 }] })).rejects.toMatchObject({ type: 'INVALID_PARTITIONS' });

      const altered = await ask(IncrementalAlterConfigs, 1, {
        resources: [
          { resourceType: 2, resourceName: 'billing', configs: [{ name: 'retention.ms', configOperation: 0, value: '3600000' }, { name: 'compression.type', configOperation: 0, value: 'zstd' }] },
          { resourceType: 2, resourceName: 'billing', configs: [{ name: 'retention.ms', configOperation: 0, value: 'soon' }] },
          { resourceType: 2, resourceName: 'no-such-topic', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }] },
        ],
      });
      expect(altered.responses.map((r) => r.errorCode)).toEqual([0, KafkaErrors.INVALID_CONFIG.code, KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code]);
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: 'billing' }] });
      const entries = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e]));
      expect(entries['retention.ms']).toMatchObject({ configValue: '3600000', isDefault: false });
      expect(entries['compression.type']).toMatchObject({ configValue: 'zstd', isDefault: false });
      expect(entries['cleanup.policy']).toMatchObject({ configValue: 'delete', isDefault: true });
      // Back to the default (DELETE), as kafka-configs --delete-config does.
      await ask(IncrementalAlterConfigs, 0, { resources: [{ resourceType: 2, resourceName: 'billing', configs: [{ name: 'retention.ms', configOperation: 1, value: null }] }] });
      const after = (await (await fetch(`${local.url}/v1/topics/billing`)).json()) as { config: { retentionMs: number; compressionType: string } };
      expect(after.config).toMatchObject({ retentionMs: 7 * 24 * 3600 * 1000, compressionType: 'zstd' });

      // The topic's compression.type applies to what Kafka clients send: stored as zstd.
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: 'billing', messages: [{ key: 'k', value: 'v', partition: 0 }] });
      await producer.disconnect();
      const [stored] = await httpRecords('billing', 0);
      expect(stored).toMatchObject({ key: 'k', value: 'v' });
      const fetchedRaw = await ask(Fetch, 4, { maxWaitMs: 0, minBytes: 1, topics: [{ topic: 'billing', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
      const batch = fetchedRaw.responses[0]!.partitions[0]!.records!;
      expect(readBatchHeader(batch).attributes & 0x07, 'the batch codec (4 is zstd)').toBe(4);
      const fetched = await admin.fetchTopicOffsets('billing');
      expect(fetched.find((o) => o.partition === 0)!.high).toBe('1');

      const cluster = await ask(DescribeCluster, 0, { includeClusterAuthorizedOperations: false });
      expect(cluster.brokers).toEqual([{ brokerId: 0, host: '127.0.0.1', port: Number(local.bootstrapServer.split(':')[1]), rack: null }]);
      expect(cluster.clusterId).toBe(metadata.clusterId);

      await admin.deleteTopics({ topics: ['billing'] });
      expect((await fetch(`${local.url}/v1/topics/billing`)).status).toBe(404);
      await expect(admin.deleteTopics({ topics: ['billing'] })).rejects.toThrow(/does not host this topic-partition|UNKNOWN_TOPIC/i);
    } finally {
      await admin.disconnect();
    }
  }, 60_000);

  it('Produce refuses two batches in one partition (INVALID_RECORD) and a corrupt one (CORRUPT_MESSAGE), storing nothing', async () => {
    await fetch(`${local.url}/v1/topics`, { method: 'POST', body: JSON.stringify({ name: 'strict', partitions: 1 }) });
    const batch = (value: string) => encodeBatch({ baseOffset: 0, records: [{ key: null, value: Buffer.from(value), headers: [], timestamp: Date.now() }] });
    const corrupt = batch('c');
    corrupt[corrupt.length - 1]! ^= 0xff;
    const answer = await ask(Produce, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: 'strict', partitionData: [{ index: 0, records: Buffer.concat([batch('a'), batch('b')]) }] }],
    });
    expect(answer.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: KafkaErrors.INVALID_RECORD.code, baseOffset: -1n });
    const corrupted = await ask(Produce, 7, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'strict', partitionData: [{ index: 0, records: corrupt }] }] });
    expect(corrupted.responses[0]!.partitionResponses[0]!.errorCode).toBe(KafkaErrors.CORRUPT_MESSAGE.code);
    expect(await httpRecords('strict', 0)).toEqual([]);
  });

  it('kcat: lines produced with each codec come back in order per partition; records produced over HTTP are seen too', async () => {
    await fetch(`${local.url}/v1/topics`, { method: 'POST', body: JSON.stringify({ name: 'lines', partitions: 2 }) });
    const sent: string[] = [];
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const lines = Array.from({ length: 4 }, (_, i) => `key-${i % 2}:${codec}-${i}`);
      sent.push(...lines);
      const producer = run('kcat', ['-b', local.bootstrapServer, '-t', 'lines', '-P', '-K:', '-z', codec], { timeout: 30_000 });
      producer.child.stdin!.end(`${lines.join('\n')}\n`);
      await producer;
    }
    const http = await fetch(`${local.url}/v1/topics/lines/records`, {
      method: 'POST',
      body: JSON.stringify({ records: [{ key: 'key-0', value: 'over-http', headers: { via: 'http' }, partition: 0 }] }),
    });
    expect(http.status).toBe(200);

    const { stdout } = await run('kcat', ['-b', local.bootstrapServer, '-t', 'lines', '-C', '-e', '-q', '-f', '%p|%o|%k|%s|%h\\n'], { timeout: 30_000 });
    const read = stdout.trim().split('\n').map((line) => line.split('|'));
    expect(read).toHaveLength(sent.length + 1);
    for (const partition of ['0', '1']) {
      const here = read.filter(([p]) => p === partition);
      expect(here.map(([, offset]) => Number(offset)), `offsets of partition ${partition}`).toEqual(here.map((_, i) => i));
      const keys = new Set(here.map(([, , key]) => key));
      // Keys hash to one partition each; each key's lines arrive in the order sent.
      for (const key of keys) {
        const values = here.filter(([, , k]) => k === key).map(([, , , value]) => value).filter((v) => v !== 'over-http');
        expect(values).toEqual(sent.filter((line) => line.startsWith(`${key}:`)).map((line) => line.slice(key!.length + 1)));
      }
    }
    expect(read.find(([, , , value]) => value === 'over-http')).toEqual(['0', expect.any(String), 'key-0', 'over-http', 'via=http']);
  }, 90_000);

  it('sluice gateway: a second gateway over the same storage; what one takes in, the other and HTTP give out', async () => {
    const gateway = await startSluiceGateway(local);
    try {
      await run('kcat', ['-b', gateway.bootstrapServer, '-L', '-J'], { timeout: 20_000 }).then(({ stdout }) => {
        expect(JSON.parse(stdout)).toMatchObject({ brokers: [{ name: gateway.bootstrapServer }] });
      });
      const producer = run('kcat', ['-b', gateway.bootstrapServer, '-t', 'shared', '-P', '-K:', '-p', '0'], { timeout: 30_000 });
      producer.child.stdin!.end('a:one\nb:two\n');
      await producer;
      // Auto-created by the second gateway's Metadata, read through the first one's.
      const { stdout } = await run('kcat', ['-b', local.bootstrapServer, '-t', 'shared', '-C', '-e', '-q', '-f', '%o %k %s\\n'], { timeout: 30_000 });
      expect(stdout.trim().split('\n')).toEqual(['0 a one', '1 b two']);
      expect((await httpRecords('shared', 0)).map((r) => [r.offset, r.key, r.value])).toEqual([[0, 'a', 'one'], [1, 'b', 'two']]);
    } finally {
      expect(await gateway.stop()).toBe(0);
    }
  }, 60_000);

  it('a bad frame closes its own connection; the gateway goes on serving others', async () => {
    const healthy = async () => {
      const { stdout } = await run('kcat', ['-b', local.bootstrapServer, '-L', '-J'], { timeout: 20_000 });
      expect((JSON.parse(stdout) as { brokers: unknown[] }).brokers).toHaveLength(1);
    };

    let seed = 7;
    const random = Buffer.from(Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff));
    const cases: Array<[string, Buffer]> = [
      ['random bytes', random],
      ['a declared size of 2 GB', Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])],
      ['a negative size', Buffer.from([0xff, 0xff, 0xff, 0xf0])],
      ['an unknown API key', sized(Buffer.from([0x7f, 0x00, 0, 0, 0, 0, 0, 1, 0xff, 0xff]))],
      ['Metadata at version 99', sized(Buffer.concat([encodeRequest(Metadata, 1, { correlationId: 1, clientId: 't' }, { topics: [] }).subarray(0, 2), Buffer.from([0, 99]), encodeRequest(Metadata, 1, { correlationId: 1, clientId: 't' }, { topics: [] }).subarray(4)]))],
      ['a body cut short', sized(encodeRequest(Metadata, 1, { correlationId: 1, clientId: 't' }, { topics: [{ name: 'orders' }] }).subarray(0, 12))],
    ];
    for (const [what, bytes] of cases) {
      const { closed } = await exchange(bytes);
      expect(closed, what).toBe(true);
      await healthy();
    }
    // A truncated frame waits for the rest; meanwhile other connections are served.
    const waiting = exchange(Buffer.from([0, 0, 1, 0, 0, 3]));
    await healthy();
    expect((await waiting).closed).toBe(false);

    // ApiVersions at a version not served: UNSUPPORTED_VERSION in v0, with the ranges served.
    const request = encodeRequest(ApiVersions, 3, { correlationId: 42, clientId: 't' }, {});
    request.writeInt16BE(99, 2);
    const { data } = await exchange(sized(request));
    const answer = decodeResponse(ApiVersions, 0, data.subarray(4));
    expect(answer.correlationId).toBe(42);
    expect(answer.body.errorCode).toBe(KafkaErrors.UNSUPPORTED_VERSION.code);
    expect(answer.body.apiKeys.find((k) => k.apiKey === ApiVersions.apiKey)).toEqual({ apiKey: 18, minVersion: 0, maxVersion: 3 });
  }, 60_000);
});
