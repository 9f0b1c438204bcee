/**
 * kafka-python 2.0 (Debian's python3-kafka) against the Kafka gateway of a running `sluice
 * local`: its producer with every codec, its consumer by assignment, its ListOffsets calls,
 * each checked against what Sluice's HTTP API holds; and ListOffsets v7's MAX_TIMESTAMP,
 * which kafka-python cannot ask, as a raw request, before and after sealing. The client
 * runs in Python scripts beside this file (kafka-python/) that print JSON lines.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBatchHeader } from '../../lib/core/codec/record-batch.ts';
import { defaultBucketName, defaultTableNames } from '../../lib/core/config.ts';
import { partitionForKey } from '../../lib/core/partitioner.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import { decodeResponse, encodeRequest, Fetch, KafkaErrors, ListOffsets, type ApiSpec, type MessageInput, type MessageValue } from '../../lib/kafka/protocol/index.ts';
import { createStorage, type Storage } from '../../lib/storage/index.ts';
import { repoRoot, startSluiceLocal, type SluiceLocal } from '../support/sluice-local.ts';

/** Debian's interpreter, which has python3-kafka: another python3 may come first on PATH. */
const python = '/usr/bin/python3';
const scripts = join(repoRoot, 'test', 'e2e', 'kafka-python');
const codecIds = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
type Codec = keyof typeof codecIds;

interface StoredRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

interface Sent {
  partition: number;
  offset: number;
  timestamp: number;
}

interface RecordIn {
  key: string | null;
  value: string | null;
  headers?: Record<string, string>;
  partition?: number;
  timestamp?: number;
}

const topicName = (what: string) => `kp-${what}-${randomUUID().slice(0, 8)}`;

/** Runs a script of kafka-python/ with `input` on stdin; its stdout's JSON lines. */
function runScript(script: string, args: readonly (string | number)[], input = ''): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = execFile(python, [join(scripts, script), ...args.map(String)], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown));
    });
    child.stdin!.end(input);
  });
}

describe('kafka-python against sluice local', () => {
  let local: SluiceLocal;
  beforeAll(async () => {
    local = await startSluiceLocal();
  }, 120_000);
  afterAll(() => local?.stop());

  async function createTopic(name: string, partitions: number): Promise<void> {
    const answer = await fetch(`${local.url}/v1/topics`, { method: 'POST', body: JSON.stringify({ name, partitions }) });
    expect(answer.status).toBe(201);
  }

  async function produceHttp(topic: string, records: readonly RecordIn[]): Promise<number[]> {
    const answer = await fetch(`${local.url}/v1/topics/${topic}/records`, { method: 'POST', body: JSON.stringify({ records }) });
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { offsets: Array<{ offset: number }> }).offsets.map((o) => o.offset);
  }

  async function httpRecords(topic: string, partition: number): Promise<StoredRecord[]> {
    const answer = await fetch(`${local.url}/v1/topics/${topic}/partitions/${partition}/records?offset=0&maxRecords=1000`);
    expect(answer.status).toBe(200);
    return ((await answer.json()) as { records: StoredRecord[] }).records;
  }

  /** KafkaProducer sends `records`; the version it settled on and each record's metadata, in order. */
  async function producePython(topic: string, codec: Codec, records: readonly RecordIn[]): Promise<{ apiVersion: number[]; sent: Sent[] }> {
    const [first, ...sent] = await runScript('produce.py', [local.bootstrapServer, topic, codec], JSON.stringify(records));
    return { apiVersion: (first as { apiVersion: number[] }).apiVersion, sent: sent as Sent[] };
  }

  async function consumePython(topic: string, partition: number, ...from: number[]): Promise<{ records: StoredRecord[]; position: number; end: number }> {
    const lines = await runScript('consume.py', [local.bootstrapServer, topic, partition, ...from]);
    const { position, end } = lines.at(-1) as { position: number; end: number };
    return { records: lines.slice(0, -1) as StoredRecord[], position, end };
  }

  /** One request of `api` at `version` on a connection of its own; its decoded answer. */
  function ask<A extends ApiSpec>(api: A, version: number, body: MessageInput<A['request']>): Promise<MessageValue<A['response']>> {
    const request = encodeRequest(api, version, { correlationId: 7, clientId: 'kafka-python-test' }, body);
    const frame = Buffer.alloc(4 + request.length);
    frame.writeInt32BE(request.length);
    request.copy(frame, 4);
    const [host, port] = local.bootstrapServer.split(':') as [string, string];
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), host);
      let data = Buffer.alloc(0);
      socket.on('data', (chunk) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= 4 && data.length >= 4 + data.readInt32BE(0)) {
          socket.destroy();
          resolve(decodeResponse(api, version, data.subarray(4, 4 + data.readInt32BE(0))).body);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`${api.name} v${version}: the connection closed with no answer`)));
      socket.write(frame);
    });
  }

  /** The codec id of every batch a raw Fetch from offset 0 answers for the partition. */
  async function batchCodecs(topic: string, partition: number): Promise<number[]> {
    const answer = await ask(Fetch, 4, { maxWaitMs: 0, minBytes: 1, topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] });
    const records = answer.responses[0]!.partitions[0]!.records!;
    const codecs: number[] = [];
    for (let at = 0; at < records.length; at += 12 + readBatchHeader(records, at).batchLength) codecs.push(readBatchHeader(records, at).attributes & 0x07);
    return codecs;
  }

  it("KafkaProducer with each codec: keyed records land in murmur2's partition, at the offsets its futures report, stored in that codec", async () => {
    const codecs = Object.keys(codecIds) as Codec[];
    await Promise.all(
      codecs.map(async (codec) => {
        const topic = topicName(codec);
        await createTopic(topic, 3);
        const records = Array.from({ length: 9 }, (_, i) => ({ key: `user-${i % 4}`, value: `${codec}-${i}`, headers: { codec, seq: String(i) } }));
        const { apiVersion, sent } = await producePython(topic, codec, records);
        // Guessed from ApiVersions (no api_version given): zstd needs 2.1 or later.
        expect(apiVersion[0]! * 100 + apiVersion[1]!, `${codec}: api_version ${apiVersion.join('.')}`).toBeGreaterThanOrEqual(201);
        expect(sent, codec).toHaveLength(records.length);

        const stored = new Map<number, StoredRecord[]>();
        for (const partition of [0, 1, 2]) stored.set(partition, await httpRecords(topic, partition));
        expect([...stored.values()].flat(), codec).toHaveLength(records.length);
        records.forEach((record, i) => {
          const { partition, offset, timestamp } = sent[i]!;
          expect(partition, `${codec} record ${i}`).toBe(partitionForKey(Buffer.from(record.key), 3));
          expect(stored.get(partition)!.find((r) => r.offset === offset), `${codec} record ${i}`).toEqual({ offset, timestamp, key: record.key, value: record.value, headers: record.headers });
        });
        const codecsStored = (await Promise.all([0, 1, 2].map((partition) => batchCodecs(topic, partition)))).flat();
        expect(codecsStored.length, codec).toBeGreaterThan(0);
        expect(new Set(codecsStored), `${codec}: the codecs of the stored batches`).toEqual(new Set([codecIds[codec]]));
      }),
    );
  }, 90_000);

  it('KafkaConsumer by assignment: every record from the beginning in offset order, those produced over HTTP too; a seek into a batch starts there', async () => {
    const topic = topicName('consume');
    await createTopic(topic, 2);
    const py = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `py-${from + i}`, headers: { n: String(from + i) }, partition: 1 }));
    await producePython(topic, 'gzip', py(0, 5));
    await produceHttp(topic, [0, 1].map((i) => ({ key: `h${i}`, value: `http-${i}`, headers: { via: 'http' }, partition: 1 })));
    await producePython(topic, 'lz4', py(5, 4));
    // Another partition's records must not show up.
    await produceHttp(topic, [{ key: 'other', value: 'partition-0', partition: 0 }]);
    const stored = await httpRecords(topic, 1);
    expect(stored.map((r) => r.value)).toEqual(['py-0', 'py-1', 'py-2', 'py-3', 'py-4', 'http-0', 'http-1', 'py-5', 'py-6', 'py-7', 'py-8']);

    const all = await consumePython(topic, 1);
    expect(all.records).toEqual(stored);
    expect([all.position, all.end]).toEqual([11, 11]);

    // Offset 2 is inside the first batch (0-4), which a fetch returns whole: the client skips
    // what is below. A 64-byte max.partition.fetch.bytes still gets a batch per fetch.
    const fromTwo = await consumePython(topic, 1, 2, 64);
    expect(fromTwo.records).toEqual(stored.slice(2));
    expect(fromTwo.position).toBe(11);
  }, 90_000);

  it('ListOffsets through kafka-python: beginning_offsets, end_offsets, and offsets_for_times the first record at or after a time', async () => {
    const topic = topicName('offsets');
    await createTopic(topic, 2);
    const t = Date.now() - 600_000;
    // Out of order on purpose: by time means the first offset at or after, not the nearest.
    const timestamps = [t, t + 1000, t + 3000, t + 2000, t + 3000, t + 4000];
    const { sent } = await producePython(topic, 'snappy', timestamps.map((timestamp, i) => ({ key: null, value: `v${i}`, partition: 0, timestamp })));
    expect(sent.map((s) => [s.offset, s.timestamp])).toEqual(timestamps.map((ts, i) => [i, ts]));
    expect(await produceHttp(topic, [{ key: null, value: 'late', partition: 0, timestamp: t + 500 }])).toEqual([6]);

    const [answer] = (await runScript('offsets.py', [local.bootstrapServer, topic, 2, t - 1, t + 1500, t + 4000, t + 4001])) as Array<{
      beginning: Record<string, number>;
      end: Record<string, number>;
      forTimes: Array<{ timestamp: number; partition: number; offset: number | null; recordTimestamp: number | null }>;
    }>;
    expect(answer!.beginning).toEqual({ 0: 0, 1: 0 });
    expect(answer!.end).toEqual({ 0: 7, 1: 0 });
    const onPartition0 = answer!.forTimes.filter((f) => f.partition === 0).map((f) => [f.timestamp, f.offset, f.recordTimestamp]);
    expect(onPartition0).toEqual([
      [t - 1, 0, t],
      [t + 1500, 2, t + 3000],
      [t + 4000, 5, t + 4000],
      // After every record: Kafka answers -1, which kafka-python reads as None.
      [t + 4001, null, null],
    ]);
    // An empty partition has nothing at any time.
    expect(answer!.forTimes.filter((f) => f.partition === 1).every((f) => f.offset === null)).toBe(true);
  }, 60_000);

  it('ListOffsets v7 MAX_TIMESTAMP (-3): the first record with the largest timestamp, from the tail and from a sealed segment', async () => {
    const topic = topicName('maxts');
    await createTopic(topic, 2);
    const t = Date.now() - 600_000;
    const maxTimestamp = async (partition: number) => {
      const answer = await ask(ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp: -3n }] }] });
      const { errorCode, offset, timestamp } = answer.topics[0]!.partitions[0]!;
      return { errorCode, offset: Number(offset), timestamp: Number(timestamp) };
    };

    // The largest timestamp twice, in two batches: the first of them is the answer.
    await producePython(topic, 'zstd', [t, t + 5000, t + 1000].map((timestamp, i) => ({ key: null, value: `a${i}`, partition: 0, timestamp })));
    await produceHttp(topic, [t + 2000, t + 5000].map((timestamp, i) => ({ key: null, value: `b${i}`, partition: 0, timestamp })));
    await producePython(topic, 'none', [{ key: null, value: 'c0', partition: 0, timestamp: t + 3000 }]);
    expect(await maxTimestamp(0)).toEqual({ errorCode: 0, offset: 1, timestamp: t + 5000 });
    expect(await maxTimestamp(1), 'an empty partition').toEqual({ errorCode: 0, offset: -1, timestamp: -1 });
    expect((await maxTimestamp(2)).errorCode, 'a partition the topic does not have').toBe(KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code);

    // Seal the partition into a segment, as the jobs do once its items are old enough.
    const endpoint = (name: string) => new RegExp(`^  ${name} +(http://\\S+)`, 'm').exec(local.output())?.[1];
    const storage: Storage = createStorage({
      region: 'us-east-1',
      tables: defaultTableNames,
      bucket: defaultBucketName,
      dynamodbEndpoint: endpoint('DynamoDB'),
      s3Endpoint: endpoint('S3'),
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      const report = await runJobs(storage, { topic, now: () => Date.now() + 3_600_000 });
      expect(report.partitions.find((p) => p.partition === 0)?.seal).toMatchObject({ segments: 1, records: 6 });
    } finally {
      storage.destroy();
    }
    expect(await maxTimestamp(0), 'from the segment').toEqual({ errorCode: 0, offset: 1, timestamp: t + 5000 });
    // Newer records in the tail beside the segment: older than the largest, then newer.
    expect(await produceHttp(topic, [{ key: null, value: 'd0', partition: 0, timestamp: t + 4000 }])).toEqual([6]);
    expect(await maxTimestamp(0)).toEqual({ errorCode: 0, offset: 1, timestamp: t + 5000 });
    expect(await produceHttp(topic, [{ key: null, value: 'e0', partition: 0, timestamp: t + 9000 }, { key: null, value: 'e1', partition: 0, timestamp: t + 9000 }])).toEqual([7, 8]);
    expect(await maxTimestamp(0), 'from the tail').toEqual({ errorCode: 0, offset: 7, timestamp: t + 9000 });

    // kafka-python reads the sealed records and the tail after them, in order.
    const { records } = await consumePython(topic, 0);
    expect(records.map((r) => [r.offset, r.value])).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'c0', 'd0', 'e0', 'e1'].map((v, i) => [i, v]));
  }, 90_000);
});
