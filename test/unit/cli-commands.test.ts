/**
 * The CLI end to end in one process, against a small HTTP server defined here that
 * keeps topics and records in memory and answers the API's shapes. It checks flags,
 * request bodies and printed output; storage behaviour is tested elsewhere.
 */
import { runCli, type CliRun } from '../support/cli.ts';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';

interface StoredRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}
interface FakeTopic {
  topicId: string;
  config: Record<string, unknown>;
  partitions: { logStartOffset: number; records: StoredRecord[] }[];
}
interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  body: any;
}
type Canned = { status: number; body?: unknown } | undefined;
/** A test's own answer for some requests; undefined falls through to the fake. */
type Override = (seen: Seen) => Canned | Promise<Canned>;

interface FakeGroup {
  members: number;
  /** `${topic}/${partition}` → committed offset */
  offsets: Map<string, number>;
}

const topics = new Map<string, FakeTopic>();
const groups = new Map<string, FakeGroup>();
/** Answers of idempotent produce requests, by producer, epoch and sequences: a retry gets the first answer. */
const produced = new Map<string, unknown>();
let nextProducerId = 1;
const seen: Seen[] = [];
let override: Override | undefined;
let inflight = 0;
let maxInflight = 0;
let server: Server;
let endpoint: string;

const notFound = (name: string) => ({ status: 404, body: { error: { code: 'TOPIC_NOT_FOUND', message: `topic '${name}' does not exist`, topic: name } } });
const describeTopic = (name: string, t: FakeTopic) => ({
  name,
  topicId: t.topicId,
  config: t.config,
  partitions: t.partitions.map((p, partition) => ({ partition, logStartOffset: p.logStartOffset, highWatermark: p.logStartOffset + p.records.length })),
});
const encode = (bytes: Buffer | null, encoding: string) => (bytes === null ? null : bytes.toString(encoding as BufferEncoding));

/** The fake API: enough of HTTP API v1 for the CLI's topic, produce and fetch calls. */
async function answer(request: Seen): Promise<{ status: number; body?: unknown }> {
  const forced = await override?.(request);
  if (forced) return forced;
  const parts = request.path.split('/').slice(1).map(decodeURIComponent);
  const [v1, collection, name, sub, p, leaf] = parts;
  if (v1 === 'v1' && collection === 'producers' && request.method === 'POST') {
    return { status: 200, body: { producerId: nextProducerId++, producerEpoch: 0 } };
  }
  if (v1 === 'v1' && collection === 'groups') return answerGroups(request, name, sub, p);
  if (v1 !== 'v1' || collection !== 'topics') return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no route' } } };
  if (name === undefined) {
    if (request.method === 'GET') return { status: 200, body: { topics: [...topics].map(([n, t]) => ({ name: n, partitions: t.partitions.length })) } };
    const { name: newName, partitions, config } = request.body;
    if (topics.has(newName)) return { status: 409, body: { error: { code: 'TOPIC_EXISTS', message: `topic '${newName}' already exists` } } };
    const t: FakeTopic = { topicId: randomUUID(), config: config ?? {}, partitions: Array.from({ length: partitions }, () => ({ logStartOffset: 0, records: [] })) };
    topics.set(newName, t);
    return { status: 201, body: describeTopic(newName, t) };
  }
  const t = topics.get(name);
  if (!t) return notFound(name);
  if (sub === undefined) {
    if (request.method === 'DELETE') {
      topics.delete(name);
      return { status: 204 };
    }
    if (request.method === 'PATCH') {
      Object.assign(t.config, request.body.config ?? {});
      while (t.partitions.length < (request.body.partitions ?? 0)) t.partitions.push({ logStartOffset: 0, records: [] });
    }
    return { status: 200, body: describeTopic(name, t) };
  }
  if (sub === 'records') {
    const { producerId, producerEpoch, sequences } = request.body;
    const idempotence = producerId === undefined ? undefined : JSON.stringify([producerId, producerEpoch, sequences]);
    if (idempotence !== undefined && produced.has(idempotence)) return { status: 200, body: produced.get(idempotence) };
    const encoding = request.body.encoding ?? 'utf8';
    const offsets = (request.body.records as any[]).map((r, i) => {
      const partition = r.partition ?? (r.key ? Buffer.from(r.key).reduce((a, b) => a + b, 0) : i) % t.partitions.length;
      const log = t.partitions[partition]!;
      const offset = log.logStartOffset + log.records.length;
      const bytes = (s: string | null | undefined) => (s == null ? null : Buffer.from(s, encoding));
      log.records.push({ offset, timestamp: 1_700_000_000_000 + offset, key: bytes(r.key), value: bytes(r.value), headers: {} });
      return { partition, offset };
    });
    if (idempotence !== undefined) produced.set(idempotence, { offsets });
    return { status: 200, body: { offsets } };
  }
  const log = t.partitions[Number(p)];
  if (!log) return { status: 400, body: { error: { code: 'INVALID_REQUEST', message: `partition ${p} does not exist` } } };
  const highWatermark = log.logStartOffset + log.records.length;
  if (leaf === 'records') {
    const offset = Number(request.query.get('offset'));
    if (offset < log.logStartOffset || offset > highWatermark) {
      return {
        status: 416,
        body: { error: { code: 'OFFSET_OUT_OF_RANGE', message: `offset ${offset} is outside`, offset, logStartOffset: log.logStartOffset, highWatermark } },
      };
    }
    const max = Number(request.query.get('maxRecords') ?? 500);
    const encoding = request.query.get('encoding') ?? 'utf8';
    const records = log.records.slice(offset - log.logStartOffset, offset - log.logStartOffset + max);
    if (records.length === 0) await new Promise((r) => setTimeout(r, Math.min(Number(request.query.get('waitMs') ?? 0), 20)));
    return {
      status: 200,
      body: {
        records: records.map((r) => ({
          offset: r.offset,
          timestamp: r.timestamp,
          key: encode(r.key, encoding),
          value: encode(r.value, encoding),
          headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, encode(v, encoding)])),
        })),
        nextOffset: offset + records.length,
        highWatermark,
        logStartOffset: log.logStartOffset,
      },
    };
  }
  return { status: 200, body: { offset: request.query.get('at') === 'earliest' ? log.logStartOffset : highWatermark } };
}

/** The groups routes the CLI's groups commands call: list, describe and reset (dry run or executed). */
function answerGroups(request: Seen, name: string | undefined, sub: string | undefined, leaf: string | undefined): { status: number; body?: unknown } {
  if (name === undefined) return { status: 200, body: { groups: [...groups].map(([group, g]) => ({ group, members: g.members })) } };
  const group = groups.get(name);
  if (!group) return { status: 404, body: { error: { code: 'GROUP_NOT_FOUND', message: `group '${name}' does not exist` } } };
  const bounds = (key: string) => {
    const [topic, partition] = key.split('/') as [string, string];
    const log = topics.get(topic)!.partitions[Number(partition)]!;
    return { topic, partition: Number(partition), logStartOffset: log.logStartOffset, highWatermark: log.logStartOffset + log.records.length };
  };
  if (sub === undefined && request.method === 'GET') {
    const partitions = [...group.offsets].map(([key, committedOffset]) => {
      const { topic, partition, highWatermark } = bounds(key);
      return { topic, partition, committedOffset, highWatermark, lag: highWatermark - committedOffset, owner: null };
    });
    return { status: 200, body: { group: name, state: 'Empty', members: [], partitions, totalLag: partitions.reduce((n, p) => n + p.lag, 0) } };
  }
  if (sub === 'offsets' && leaf === 'reset' && request.method === 'POST') {
    const { topic, to, dryRun } = request.body;
    const t = topics.get(topic);
    if (!t) return notFound(topic);
    const offsets = t.partitions.map((_, partition) => {
      const key = `${topic}/${partition}`;
      const { logStartOffset, highWatermark } = bounds(key);
      const current = group.offsets.get(key) ?? logStartOffset;
      const wanted = to === 'earliest' ? logStartOffset : to === 'latest' ? highWatermark : 'offset' in to ? to.offset : current + to.shiftBy;
      return { topic, partition, offset: Math.min(highWatermark, Math.max(logStartOffset, wanted)) };
    });
    if (dryRun !== true) for (const o of offsets) group.offsets.set(`${o.topic}/${o.partition}`, o.offset);
    return { status: 200, body: { offsets, executed: dryRun !== true } };
  }
  return { status: 404, body: { error: { code: 'NOT_FOUND', message: 'no route' } } };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  inflight++;
  maxInflight = Math.max(maxInflight, inflight);
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://x');
    const text = Buffer.concat(chunks).toString();
    const request: Seen = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body: text ? JSON.parse(text) : undefined };
    seen.push(request);
    const { status, body } = await answer(request);
    res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  } finally {
    inflight--;
  }
}

beforeAll(async () => {
  server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
afterEach(() => {
  topics.clear();
  groups.clear();
  produced.clear();
  seen.length = 0;
  override = undefined;
  maxInflight = 0;
});

/** Runs `sluice <argv>` in process with the test server as SLUICE_ENDPOINT. */
const sluice = (argv: string[], options: CliRun = {}) => runCli(argv, endpoint, options);

const name = () => `t-${randomUUID().slice(0, 8)}`;

/** The produce requests seen, in order. */
const producePosts = () => seen.filter((s) => s.method === 'POST' && s.path.endsWith('/records'));
/** Each produce request's records as key and value only. */
const producedRecords = () => producePosts().map((s) => s.body.records.map(({ key, value }: any) => ({ ...(key === undefined ? {} : { key }), value })));

async function withTopic(partitions = 1): Promise<string> {
  const topic = name();
  expect((await sluice(['topics', 'create', '--topic', topic, '--partitions', String(partitions)])).code).toBe(0);
  seen.length = 0;
  return topic;
}

describe('sluice topics', () => {
  test('create sends Kafka config keys as the API camelCase keys', async () => {
    const topic = name();
    const result = await sluice(['topics', 'create', '--topic', topic, '--partitions', '3', '--config', 'retention.ms=60000', '--config', 'cleanupPolicy=compact']);
    expect(result).toEqual({ code: 0, stdout: `Created topic ${topic}.\n`, stderr: '' });
    expect(seen[0]).toMatchObject({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: 3, config: { retentionMs: 60_000, cleanupPolicy: 'compact' } } });
  });

  test('create of an existing topic is one error line and exit 1, unless --if-not-exists', async () => {
    const topic = await withTopic();
    expect(await sluice(['topics', 'create', '--topic', topic])).toEqual({ code: 1, stdout: '', stderr: `sluice: TOPIC_EXISTS: topic '${topic}' already exists\n` });
    expect((await sluice(['topics', 'create', '--topic', topic, '--if-not-exists'])).code).toBe(0);
  });

  test('list prints sorted names', async () => {
    await sluice(['topics', 'create', '--topic', 'zeta']);
    await sluice(['topics', 'create', '--topic', 'alpha']);
    expect(await sluice(['topics', 'list'])).toEqual({ code: 0, stdout: 'alpha\nzeta\n', stderr: '' });
  });

  test('describe prints the header line and one line per partition', async () => {
    const topic = await withTopic(2);
    await sluice(['produce', '--topic', topic, '--partition', '1'], { stdin: 'a\nb\nc\n' });
    const { code, stdout } = await sluice(['topics', 'describe', '--topic', topic]);
    const { topicId } = topics.get(topic)!;
    expect(code).toBe(0);
    expect(stdout).toBe(
      `Topic: ${topic}\tTopicId: ${topicId}\tPartitionCount: 2\tConfigs: \n` +
        `\tTopic: ${topic}\tPartition: 0\tLogStartOffset: 0\tHighWatermark: 0\n` +
        `\tTopic: ${topic}\tPartition: 1\tLogStartOffset: 0\tHighWatermark: 3\n`,
    );
  });

  test('alter sends partitions and config; with neither it is a usage error', async () => {
    const topic = await withTopic();
    expect((await sluice(['topics', 'alter', '--topic', topic, '--partitions', '4', '--config', 'segment.ms=1000'])).code).toBe(0);
    expect(seen.find((s) => s.method === 'PATCH')).toMatchObject({ path: `/v1/topics/${topic}`, body: { partitions: 4, config: { segmentMs: 1000 } } });
    expect(await sluice(['topics', 'alter', '--topic', topic])).toEqual({
      code: 2,
      stdout: '',
      stderr: "sluice: nothing to alter: give --partitions, --config, --add-config and/or --delete-config (see 'sluice topics alter --help')\n",
    });
  });

  test('alter --partitions with the current count (or fewer) is refused in one line, exit 1, as Kafka refuses it', async () => {
    const topic = await withTopic(3);
    for (const count of ['3', '2']) {
      expect(await sluice(['topics', 'alter', '--topic', topic, '--partitions', count])).toEqual({
        code: 1,
        stdout: '',
        stderr: `sluice: topic '${topic}' has 3 partition(s); --partitions must be larger (partitions only grow), not ${count}\n`,
      });
    }
    expect(seen.filter((s) => s.method === 'PATCH')).toHaveLength(0);
  });

  test("the API's own refusal of a partition count is one line and exit 1 too", async () => {
    const topic = await withTopic(1);
    override = (s) =>
      s.method === 'PATCH' ? { status: 400, body: { error: { code: 'INVALID_REQUEST', message: 'topic has 2 partitions; partitions only grow' } } } : undefined;
    expect(await sluice(['topics', 'alter', '--topic', topic, '--partitions', '2'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'sluice: INVALID_REQUEST: topic has 2 partitions; partitions only grow\n',
    });
  });

  test('alter --add-config k=v,k=v sets keys; --delete-config k restores its default', async () => {
    const topic = await withTopic();
    const result = await sluice(['topics', 'alter', '--topic', topic, '--add-config', 'retention.ms=60000,segment.ms=1000', '--delete-config', 'cleanup.policy']);
    expect(result).toEqual({ code: 0, stdout: `Altered topic ${topic}.\n`, stderr: '' });
    expect(seen.find((s) => s.method === 'PATCH')?.body).toEqual({ config: { retentionMs: 60_000, segmentMs: 1000, cleanupPolicy: 'delete' } });
    seen.length = 0;
    expect((await sluice(['topics', 'alter', '--topic', topic, '--delete-config', 'retention.ms,segment.ms'])).code).toBe(0);
    expect(seen.find((s) => s.method === 'PATCH')?.body).toEqual({ config: { retentionMs: 604_800_000, segmentMs: 600_000 } });
    expect(await sluice(['topics', 'alter', '--topic', topic, '--add-config', 'retention.ms=1', '--delete-config', 'retention.ms'])).toMatchObject({
      code: 2,
      stderr: "sluice: config retention.ms is both set and deleted (see 'sluice topics alter --help')\n",
    });
  });

  test('create --replication-factor N is accepted; the answer says the storage services replicate', async () => {
    const topic = name();
    const result = await sluice(['topics', 'create', '--topic', topic, '--partitions', '2', '--replication-factor', '3']);
    expect(result).toEqual({
      code: 0,
      stdout: `Created topic ${topic}.\nNote: --replication-factor is not used: DynamoDB and S3 replicate every record across three Availability Zones of the region.\n`,
      stderr: '',
    });
    expect(seen[0]?.body).toEqual({ name: topic, partitions: 2 });
    expect((await sluice(['topics', 'create', '--topic', name(), '--replication-factor', '0'])).code).toBe(2);
  });

  test('delete, and an unknown topic is one line with the code and exit 1', async () => {
    const topic = await withTopic();
    expect(await sluice(['topics', 'delete', '--topic', topic])).toEqual({ code: 0, stdout: `Deleted topic ${topic}.\n`, stderr: '' });
    expect(await sluice(['topics', 'describe', '--topic', topic])).toEqual({
      code: 1,
      stdout: '',
      stderr: `sluice: TOPIC_NOT_FOUND: topic '${topic}' does not exist\n`,
    });
    expect((await sluice(['topics', 'delete', '--topic', topic, '--if-exists'])).code).toBe(0);
  });

  test('--bootstrap-server works as --endpoint and names with slashes are encoded', async () => {
    const result = await sluice(['topics', 'describe', '--topic', 'a/b', '--bootstrap-server', endpoint.replace('http://', '')], { env: {} });
    expect(result.stderr).toBe("sluice: TOPIC_NOT_FOUND: topic 'a/b' does not exist\n");
    expect(seen[0]?.path).toBe('/v1/topics/a%2Fb');
  });

  test('an unreachable endpoint is one line and exit 1', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await sluice(['topics', 'list'], { env: { SLUICE_ENDPOINT: `http://127.0.0.1:${port}` } })).toEqual({
      code: 1,
      stdout: '',
      stderr: `sluice: cannot reach http://127.0.0.1:${port} (is 'sluice local' running?)\n`,
    });
  });

  test('usage errors exit 2 with one line; --help prints help and exits 0', async () => {
    expect(await sluice(['topics', 'create', '--topic', 't', '--bogus'])).toMatchObject({ code: 2, stdout: '' });
    expect((await sluice(['topics', 'create', '--topic', 't', '--bogus'])).stderr.split('\n')).toHaveLength(2);
    expect(await sluice(['topics', 'create', '--partitions', 'x', '--topic', 't'])).toMatchObject({ code: 2 });
    const help = await sluice(['topics', 'create', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: sluice topics create --topic T');
    for (const command of [['produce'], ['consume'], ['topics'], []]) {
      expect((await sluice([...command, '--help'])).code).toBe(0);
    }
    expect(seen).toHaveLength(0);
  });
});

describe('sluice produce', () => {
  test('--key-separator splits each line at the first separator, in order', async () => {
    const topic = await withTopic();
    const result = await sluice(['produce', '--topic', topic, '--key-separator', ':'], { stdin: 'k1:a:1\nk2:b\r\n:c\n' });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(producedRecords()).toEqual([[{ key: 'k1', value: 'a:1' }, { key: 'k2', value: 'b' }, { key: '', value: 'c' }]]);
  });

  test("--property parse.key=true uses Kafka's tab separator, key.separator overrides it", async () => {
    const topic = await withTopic();
    await sluice(['produce', '--topic', topic, '--property', 'parse.key=true'], { stdin: 'k\tv\n' });
    await sluice(['produce', '--topic', topic, '--property', 'parse.key=true', '--property', 'key.separator=='], { stdin: 'k=v\n' });
    expect(producedRecords()).toEqual([[{ key: 'k', value: 'v' }], [{ key: 'k', value: 'v' }]]);
  });

  test('a line without the separator fails with its line number after sending the lines before it', async () => {
    const topic = await withTopic();
    const result = await sluice(['produce', '--topic', topic, '--key-separator', ':'], { stdin: 'a:1\nb:2\nno key\nc:3\n' });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'sluice: line 3: no key separator ":" found\n' });
    expect(topics.get(topic)!.partitions[0]!.records.map((r) => r.value?.toString())).toEqual(['1', '2']);
  });

  test('batches of at most 500 lines, one request in flight, in order', async () => {
    const topic = await withTopic(1);
    override = async (s) => {
      if (s.method === 'POST') await new Promise((r) => setTimeout(r, 20));
      return undefined;
    };
    const lines = Array.from({ length: 1_234 }, (_, i) => `line-${i}`);
    const result = await sluice(['produce', '--topic', topic, '--partition', '0'], { stdin: lines.join('\n') + '\n' });
    expect(result.code).toBe(0);
    expect(producedRecords().map((records) => records.length)).toEqual([500, 500, 234]);
    expect(maxInflight).toBe(1);
    expect(topics.get(topic)!.partitions[0]!.records.map((r) => r.value?.toString())).toEqual(lines);
    expect(producePosts().every((s) => s.body.records.every((r: any) => r.partition === 0))).toBe(true);
  });

  test('batches stay under 512 KiB', async () => {
    const topic = await withTopic(1);
    const line = 'x'.repeat(100 * 1024);
    await sluice(['produce', '--topic', topic], { stdin: `${line}\n`.repeat(12) });
    const posts = producePosts();
    expect(posts.map((s) => s.body.records.length)).toEqual([5, 5, 2]);
    for (const post of posts) expect(JSON.stringify(post.body).length).toBeLessThanOrEqual(512 * 1024);
  });

  test('the linger sends a typed line without waiting for more input', async () => {
    const topic = await withTopic();
    const stdin = new PassThrough();
    const running = sluice(['produce', '--topic', topic, '--linger-ms', '10'], { stdin });
    stdin.write('first\n');
    await expect.poll(() => topics.get(topic)!.partitions[0]!.records.length, { timeout: 2_000 }).toBe(1);
    stdin.end('second\n');
    expect((await running).code).toBe(0);
    expect(topics.get(topic)!.partitions[0]!.records.map((r) => r.value?.toString())).toEqual(['first', 'second']);
  });

  test('Ctrl-C sends what was read and exits 0', async () => {
    const topic = await withTopic();
    const stdin = new PassThrough();
    const interrupt = new AbortController();
    const running = sluice(['produce', '--topic', topic, '--linger-ms', '60000'], { stdin, signal: interrupt.signal });
    stdin.write('pending\n');
    // The CLI has read the line (nothing left in the pipe): Ctrl-C now.
    await expect.poll(() => stdin.readableLength, { timeout: 2_000, interval: 5 }).toBe(0);
    interrupt.abort();
    expect((await running).code).toBe(0);
    expect(topics.get(topic)!.partitions[0]!.records.map((r) => r.value?.toString())).toEqual(['pending']);
  });

  test('binary lines go as base64', async () => {
    const topic = await withTopic();
    await sluice(['produce', '--topic', topic], { stdin: Readable.from([Buffer.from([0xff, 0x0a])]) });
    expect(producePosts()[0]?.body).toMatchObject({ records: [{ value: '/w==', partition: 0 }], encoding: 'base64' });
  });

  test("records go through the SDK's idempotent producer: a producer id, and sequences per partition", async () => {
    const topic = await withTopic(2);
    expect((await sluice(['produce', '--topic', topic, '--key-separator', ':'], { stdin: 'a:1\nb:2\nc:3\n' })).code).toBe(0);
    expect(seen.filter((s) => s.path === '/v1/producers')).toHaveLength(1);
    const [post] = producePosts();
    expect(post?.body).toMatchObject({ producerId: expect.any(Number), producerEpoch: 0, sequences: expect.any(Object) });
    // The SDK places each record (by key hash) so the sequences can number them.
    expect(post?.body.records.every((r: any) => Number.isInteger(r.partition))).toBe(true);
    expect(Object.keys(post?.body.sequences).sort()).toEqual([...new Set(post?.body.records.map((r: any) => String(r.partition)))].sort());
  });

  test('--compression-codec is sent as the body\'s compression; none, or no flag, leaves the field out', async () => {
    const topic = await withTopic();
    expect(await sluice(['produce', '--topic', topic, '--compression-codec', 'zstd'], { stdin: 'a\nb\n' })).toEqual({ code: 0, stdout: '', stderr: '' });
    expect((await sluice(['produce', '--topic', topic, '--compression-codec'], { stdin: 'c\n' })).code).toBe(0);
    expect((await sluice(['produce', '--topic', topic, '--compression-codec=none'], { stdin: 'd\n' })).code).toBe(0);
    expect((await sluice(['produce', '--topic', topic], { stdin: 'e\n' })).code).toBe(0);
    expect(producePosts().map((s) => [s.body.compression ?? '(absent)', s.body.records.map((r: any) => r.value)])).toEqual([
      ['zstd', ['a', 'b']],
      ['gzip', ['c']],
      ['(absent)', ['d']],
      ['(absent)', ['e']],
    ]);
    expect(producePosts().slice(2).every((s) => !('compression' in s.body))).toBe(true);
  });

  test('an unknown --compression-codec is a usage error before any request', async () => {
    const topic = await withTopic();
    expect(await sluice(['produce', '--topic', topic, '--compression-codec', 'brotli'], { stdin: 'a\n' })).toEqual({
      code: 2,
      stdout: '',
      stderr: "sluice: --compression-codec must be one of none, gzip, snappy, lz4, zstd, not 'brotli' (see 'sluice produce --help')\n",
    });
    expect(seen).toHaveLength(0);
  });

  test('a produce whose answer was lost (503 after it landed) is retried unchanged and lands once', async () => {
    const topic = await withTopic();
    let failures = 0;
    override = async (s) => {
      if (s.method !== 'POST' || !s.path.endsWith('/records') || failures > 0) return undefined;
      failures++;
      await answer(s); // it lands (failures > 0: this override lets it through)...
      return { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'busy' } } }; // ...but the answer is lost
    };
    const result = await sluice(['produce', '--topic', topic], { stdin: 'once\n' });
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
    const posts = producePosts();
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body).toEqual(posts[0]!.body);
    expect(topics.get(topic)!.partitions[0]!.records.map((r) => r.value?.toString())).toEqual(['once']);
  });

  test('a produce refused for good (400) is one line and exit 1, not retried', async () => {
    const topic = await withTopic();
    override = (s) => (s.path.endsWith('/records') ? { status: 400, body: { error: { code: 'INVALID_REQUEST', message: 'no' } } } : undefined);
    expect(await sluice(['produce', '--topic', topic], { stdin: 'x\n' })).toEqual({ code: 1, stdout: '', stderr: 'sluice: INVALID_REQUEST: no\n' });
    expect(producePosts()).toHaveLength(1);
  });

  test('a line longer than --max-line-bytes is refused in one line after the lines before it are sent', async () => {
    const topic = await withTopic();
    const result = await sluice(['produce', '--topic', topic, '--max-line-bytes', '8'], { stdin: 'short\n12345678\n123456789\nnever\n' });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'sluice: line 3 is longer than 8 bytes (the limit; see --max-line-bytes)\n' });
    expect(topics.get(topic)!.partitions[0]!.records.map((r) => r.value?.toString())).toEqual(['short', '12345678']);
    const property = await sluice(['produce', '--topic', topic, '--property', 'max.line.bytes=2'], { stdin: 'abc\n' });
    expect(property.stderr).toBe('sluice: line 1 is longer than 2 bytes (the limit; see --max-line-bytes)\n');
  });

  test('a 100 MB stdin line without a newline is refused at the 1 MiB default without reading it all', async () => {
    const topic = await withTopic();
    let pulled = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const stdin = Readable.from(
      (function* () {
        for (let i = 0; i < 1600; i++) {
          pulled++;
          yield chunk;
        }
      })(),
    );
    const result = await sluice(['produce', '--topic', topic], { stdin });
    expect(result).toEqual({ code: 1, stdout: '', stderr: 'sluice: line 1 is longer than 1048576 bytes (the limit; see --max-line-bytes)\n' });
    expect(pulled).toBeLessThan(40);
    expect(producePosts()).toHaveLength(0);
  });

  test('an unknown topic fails before reading stdin', async () => {
    const result = await sluice(['produce', '--topic', 'missing'], { stdin: 'x\n' });
    expect(result).toEqual({ code: 1, stdout: '', stderr: "sluice: TOPIC_NOT_FOUND: topic 'missing' does not exist\n" });
  });
});

describe('sluice consume', () => {
  async function seeded(): Promise<string> {
    const topic = await withTopic(2);
    await sluice(['produce', '--topic', topic, '--partition', '0', '--key-separator', ':'], { stdin: 'a:0-0\nb:0-1\n' });
    await sluice(['produce', '--topic', topic, '--partition', '1', '--key-separator', ':'], { stdin: 'c:1-0\n' });
    seen.length = 0;
    return topic;
  }

  test('--from-beginning reads every partition; values one per line; the total on stderr', async () => {
    const topic = await seeded();
    const result = await sluice(['consume', '--topic', topic, '--from-beginning', '--max-messages', '3']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean).sort()).toEqual(['0-0', '0-1', '1-0']);
    expect(result.stderr).toBe('Processed a total of 3 messages\n');
    expect(seen.filter((s) => s.path.endsWith('/records')).every((s) => s.query.get('waitMs') !== null)).toBe(true);
  });

  test('--print-key and --property print.* follow Kafka field order', async () => {
    const topic = await seeded();
    const keyed = await sluice(['consume', '--topic', topic, '--partition', '0', '--from-beginning', '--max-messages', '2', '--print-key']);
    expect(keyed.stdout).toBe('a\t0-0\nb\t0-1\n');
    const props = await sluice([
      'consume', '--topic', topic, '--partition', '0', '--offset', '1', '--max-messages', '1',
      '--property', 'print.key=true', '--property', 'print.offset=true', '--property', 'print.partition=true',
      '--property', 'print.timestamp=true', '--property', 'key.separator= | ',
    ]);
    expect(props.stdout).toBe('CreateTime:1700000000001 | Partition:0 | Offset:1 | b | 0-1\n');
  });

  test('--json prints one object per line', async () => {
    const topic = await seeded();
    const result = await sluice(['consume', '--topic', topic, '--partition', '1', '--from-beginning', '--max-messages', '1', '--json']);
    expect(JSON.parse(result.stdout)).toEqual({ topic, partition: 1, offset: 0, timestamp: 1_700_000_000_000, key: 'c', value: '1-0', headers: {} });
  });

  test('latest is the default start; --timeout-ms ends a quiet wait', async () => {
    const topic = await seeded();
    const started = Date.now();
    const result = await sluice(['consume', '--topic', topic, '--timeout-ms', '200']);
    expect(result).toEqual({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen.filter((s) => s.path.endsWith('/records')).map((s) => s.query.get('offset')).sort()).toContain('2');
  });

  test('Ctrl-C stops a consumer, which reports its total and exits 0', async () => {
    const topic = await seeded();
    const interrupt = new AbortController();
    const running = sluice(['consume', '--topic', topic, '--from-beginning'], { signal: interrupt.signal });
    // Ctrl-C once it is waiting at the end of both partitions, every record handled.
    const polls = () => seen.filter((s) => s.path.endsWith('/records')).map((s) => `${s.path.split('/')[5]}@${s.query.get('offset')}`);
    await expect.poll(polls, { timeout: 5_000, interval: 5 }).toEqual(expect.arrayContaining(['0@2', '1@1']));
    interrupt.abort();
    const result = await running;
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('Processed a total of 3 messages\n');
  });

  test('an offset past the log end continues at the end (416 carries the bounds)', async () => {
    const topic = await seeded();
    const result = await sluice(['consume', '--topic', topic, '--partition', '0', '--offset', '9', '--timeout-ms', '100']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('sluice: partition 0: offset 9 is out of range, continuing at 2\nProcessed a total of 0 messages\n');
  });

  test('a partition the topic lacks is a usage error', async () => {
    const topic = await seeded();
    expect(await sluice(['consume', '--topic', topic, '--partition', '5'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `sluice: --partition 5 does not exist (topic '${topic}' has 2) (see 'sluice consume --help')\n`,
    });
  });
});

describe('sluice (Kafka habits)', () => {
  async function closedPort(): Promise<number> {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    return port;
  }

  test('--version prints the package.json version', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(await sluice(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  test('--bootstrap-server a:1,b:2 uses the first that answers; hosts without a scheme are http', async () => {
    const down = await closedPort();
    await sluice(['topics', 'create', '--topic', 'here']);
    const list = `127.0.0.1:${down},${endpoint.replace('http://', '')}`;
    expect(await sluice(['topics', 'list', '--bootstrap-server', list], { env: {} })).toEqual({ code: 0, stdout: 'here\n', stderr: '' });
    expect(await sluice(['--bootstrap-server', list, 'topics', 'list'], { env: {} })).toMatchObject({ code: 0, stdout: 'here\n' });
  });

  test('a --bootstrap-server list where none answers is one line and exit 1', async () => {
    const [a, b] = [await closedPort(), await closedPort()];
    expect(await sluice(['topics', 'list', '--bootstrap-server', `127.0.0.1:${a},127.0.0.1:${b}`], { env: {} })).toEqual({
      code: 1,
      stdout: '',
      stderr: `sluice: cannot reach any of http://127.0.0.1:${a}, http://127.0.0.1:${b}\n`,
    });
  });

  test('consume --offset -1 is latest, not an "ambiguous" parse error', async () => {
    const topic = await withTopic();
    const result = await sluice(['consume', '--topic', topic, '--offset', '-1', '--timeout-ms', '50']);
    expect(result).toEqual({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' });
  });

  test('consume --max-messages 0 reads nothing', async () => {
    const topic = await withTopic();
    await sluice(['produce', '--topic', topic], { stdin: 'a\n' });
    seen.length = 0;
    expect(await sluice(['consume', '--topic', topic, '--from-beginning', '--max-messages', '0'])).toEqual({
      code: 0,
      stdout: '',
      stderr: 'Processed a total of 0 messages\n',
    });
    expect(seen.filter((s) => s.path.endsWith('/records'))).toHaveLength(0);
  });
});

describe('sluice groups', () => {
  async function groupOn(...names: string[]): Promise<string> {
    const group = `g-${randomUUID().slice(0, 8)}`;
    const offsets = new Map<string, number>();
    for (const topic of names) {
      await sluice(['produce', '--topic', topic, '--partition', '0'], { stdin: 'a\nb\nc\nd\n' });
      for (let p = 0; p < topics.get(topic)!.partitions.length; p++) offsets.set(`${topic}/${p}`, p === 0 ? 3 : 0);
    }
    groups.set(group, { members: 0, offsets });
    seen.length = 0;
    return group;
  }
  const resets = () => seen.filter((s) => s.path.endsWith('/offsets/reset')).map((s) => s.body);

  test('reset-offsets is a dry run unless --execute, as kafka-consumer-groups', async () => {
    const topic = await withTopic();
    const group = await groupOn(topic);
    const dry = await sluice(['groups', 'reset-offsets', '--group', group, '--topic', topic, '--to-earliest']);
    expect(dry.stdout).toContain('(dry run: nothing changed; add --execute to apply)');
    expect(resets()).toEqual([{ topic, to: 'earliest', dryRun: true }]);
    expect(groups.get(group)!.offsets.get(`${topic}/0`)).toBe(3);
    seen.length = 0;
    const done = await sluice(['groups', 'reset-offsets', '--group', group, '--topic', topic, '--to-earliest', '--execute']);
    expect(done).toEqual({ code: 0, stdout: `GROUP${' '.repeat(group.length - 3)}TOPIC${' '.repeat(topic.length - 3)}PARTITION  NEW-OFFSET\n${group}  ${topic}  0          0\n`, stderr: '' });
    expect(resets()).toEqual([{ topic, to: 'earliest' }]);
    expect(groups.get(group)!.offsets.get(`${topic}/0`)).toBe(0);
  });

  test('--shift-by -2 is a negative shift, not an "ambiguous" parse error', async () => {
    const topic = await withTopic();
    const group = await groupOn(topic);
    const result = await sluice(['groups', 'reset-offsets', '--group', group, '--topic', topic, '--shift-by', '-2', '--execute']);
    expect(result.code).toBe(0);
    expect(resets()).toEqual([{ topic, to: { shiftBy: -2 } }]);
    expect(groups.get(group)!.offsets.get(`${topic}/0`)).toBe(1);
  });

  test('--all-topics resets every topic the group has offsets for', async () => {
    const [one, two] = [await withTopic(), await withTopic(2)];
    const group = await groupOn(one, two);
    const result = await sluice(['groups', 'reset-offsets', '--group', group, '--all-topics', '--to-latest']);
    expect(result.code).toBe(0);
    expect(resets().map((r) => r.topic).sort()).toEqual([one, two].sort());
    expect(result.stdout.trimEnd().split('\n').slice(1, -1).map((l) => l.split(/\s+/).slice(1))).toEqual(
      [[one, '0', '4'], [two, '0', '4'], [two, '1', '0']].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
  });

  test('--topic T:1 plans only the partitions named; a partition the topic lacks is one line, exit 1', async () => {
    const topic = await withTopic(3);
    const group = await groupOn(topic);
    const result = await sluice(['groups', 'reset-offsets', '--group', group, '--topic', `${topic}:0,2`, '--to-latest']);
    expect(result.stdout.trimEnd().split('\n').slice(1, -1).map((l) => l.split(/\s+/).slice(2))).toEqual([['0', '4'], ['2', '0']]);
    expect(await sluice(['groups', 'reset-offsets', '--group', group, '--topic', `${topic}:7`, '--to-latest'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `sluice: topic '${topic}' has no partition 7 (it has 3)\n`,
    });
  });

  test('describe --all-groups prints each group', async () => {
    const topic = await withTopic();
    const [a, b] = [await groupOn(topic), await groupOn(topic)];
    const result = await sluice(['groups', 'describe', '--all-groups']);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter((l) => l.startsWith('g-')).map((l) => l.split(/\s+/)[0])).toEqual([a, b]);
    expect((await sluice(['groups', 'describe'])).code).toBe(2);
  });

  test('each groups command has its own --help; usage errors point at it', async () => {
    for (const sub of ['list', 'describe', 'reset-offsets', 'delete']) {
      const help = await sluice(['groups', sub, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: sluice groups ${sub}`);
    }
    expect(await sluice(['groups', 'reset-offsets', '--group', 'g', '--topic', 't'])).toMatchObject({
      code: 2,
      stderr: "sluice: give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by (see 'sluice groups reset-offsets --help')\n",
    });
    expect(seen).toHaveLength(0);
  });
});

describe('sluice jobs run', () => {
  test('says what it left for later and when', async () => {
    const now = Date.now();
    const hhmmss = (ms: number) => new Date(ms).toTimeString().slice(0, 8);
    const sealDue = now + 10 * 60_000;
    const purgeDue = now + 5 * 60_000;
    override = (s) =>
      s.path === '/v1/jobs/run'
        ? {
            status: 200,
            body: {
              partitions: [
                { topic: 'orders', partition: 0, skipped: false, deferred: [{ job: 'seal', records: 12, dueAt: sealDue, reason: 'segment.ms' }] },
                { topic: 'orders', partition: 1, skipped: false },
              ],
              purgedTopics: [],
              pendingPurges: [{ topic: 'old', deletedAt: now, dueAt: purgeDue }],
            },
          }
        : undefined;
    const result = await sluice(['jobs', 'run']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    const sameDay = (ms: number) => new Date(ms).toDateString() === new Date(now).toDateString();
    if (sameDay(sealDue) && sameDay(purgeDue)) {
      expect(lines.slice(0, 2)).toEqual([`orders-0: 12 record(s) unsealed, due at ${hhmmss(sealDue)} (segment.ms)`, `old: deleted, purged after ${hhmmss(purgeDue)}`]);
    }
    expect(lines.at(-1)).toMatch(/, 2 left for later$/);
  });
});
