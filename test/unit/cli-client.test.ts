import { describe, expect, test } from 'vitest';
import { SluiceClient } from '../../lib/client/client.ts';
import { ConnectionError, RemoteError } from '../../lib/client/errors.ts';
import { backoffDelay, parseRetryAfter } from '../../lib/client/retry.ts';
import { ConfigError } from '../../lib/core/errors.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
}

type Answer = Response | Error;

/** A fetch that records each call and answers from a script (the last answer repeats). */
function scripted(...answers: Array<Answer | (() => Answer)>) {
  const seen: Seen[] = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const body = init?.body instanceof Uint8Array ? JSON.parse(new TextDecoder().decode(init.body)) : undefined;
    seen.push({ method: init?.method ?? 'GET', url: String(input), body });
    const next = answers[Math.min(seen.length - 1, answers.length - 1)]!;
    const answer = typeof next === 'function' ? next() : next;
    if (answer instanceof Error) throw answer;
    return answer.clone();
  }) as typeof fetch;
  return { fetchFn, seen };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const refused = (): Error =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
const unavailable = () => json(503, { error: { code: 'UNAVAILABLE', message: 'busy' } });

function client(fetchFn: typeof fetch, retries = 3): SluiceClient {
  return new SluiceClient({ endpoint: 'http://sluice.test:1/', fetch: fetchFn, retries, retryMinDelayMs: 1, retryMaxDelayMs: 5 });
}

describe('SluiceClient requests', () => {
  test('topic names are URL-encoded in paths and fetch options become the query', async () => {
    const { fetchFn, seen } = scripted(json(200, { records: [], nextOffset: 5, highWatermark: 5, logStartOffset: 0 }));
    await client(fetchFn).fetchRecords('a/b c?', 2, { offset: 5, maxRecords: 10, waitMs: 100, encoding: 'base64' });
    expect(seen[0]).toEqual({
      method: 'GET',
      url: 'http://sluice.test:1/v1/topics/a%2Fb%20c%3F/partitions/2/records?offset=5&maxRecords=10&waitMs=100&encoding=base64',
      body: undefined,
    });
  });

  test('each call uses its method, path and body', async () => {
    const { fetchFn, seen } = scripted(json(200, {}));
    const c = client(fetchFn);
    await c.createTopic({ name: 't', partitions: 3, config: { retentionMs: 1 } });
    await c.listTopics();
    await c.describeTopic('t');
    await c.alterTopic('t', { partitions: 4 });
    await c.produce('t', { records: [{ key: 'k', value: 'v' }] });
    await c.offsetFor('t', 0, 1_700_000_000_000);
    expect(seen.map((s) => `${s.method} ${s.url.replace('http://sluice.test:1', '')} ${JSON.stringify(s.body) ?? ''}`)).toEqual([
      'POST /v1/topics {"name":"t","partitions":3,"config":{"retentionMs":1}}',
      'GET /v1/topics ',
      'GET /v1/topics/t ',
      'PATCH /v1/topics/t {"partitions":4}',
      'POST /v1/topics/t/records {"records":[{"key":"k","value":"v"}]}',
      'GET /v1/topics/t/partitions/0/offsets?at=1700000000000 ',
    ]);
  });

  test('a 204 resolves to undefined', async () => {
    const { fetchFn } = scripted(new Response(null, { status: 204 }));
    await expect(client(fetchFn).deleteTopic('t')).resolves.toBeUndefined();
  });

  test('an endpoint keeps its path prefix; a malformed one is refused', async () => {
    const { fetchFn, seen } = scripted(json(200, { topics: [] }));
    await new SluiceClient({ endpoint: 'https://api.example/prod/', fetch: fetchFn }).listTopics();
    expect(seen[0]?.url).toBe('https://api.example/prod/v1/topics');
    expect(() => new SluiceClient({ endpoint: 'localhost:8790' })).toThrow(ConfigError);
    expect(() => new SluiceClient({ endpoint: 'not a url' })).toThrow(ConfigError);
  });
});

describe('SluiceClient errors', () => {
  test('an error answer becomes a RemoteError with its code, status and details', async () => {
    const body = { error: { code: 'OFFSET_OUT_OF_RANGE', message: 'offset 9 is outside [0, 5]', offset: 9, logStartOffset: 0, highWatermark: 5 } };
    const { fetchFn, seen } = scripted(json(416, body));
    const error = await client(fetchFn).fetchRecords('t', 0, { offset: 9 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', status: 416, retriable: false, details: { logStartOffset: 0, highWatermark: 5 } });
    expect(seen).toHaveLength(1);
  });

  test('a non-JSON error body still gives an error with the status', async () => {
    const { fetchFn } = scripted(new Response('<html>bad gateway</html>', { status: 502 }));
    await expect(client(fetchFn, 0).listTopics()).rejects.toMatchObject({ code: 'INTERNAL', status: 502, message: 'HTTP 502' });
  });
});

describe('SluiceClient retries', () => {
  test('idempotent calls retry 429 and 5xx, then succeed', async () => {
    const { fetchFn, seen } = scripted(unavailable(), json(429, { error: { code: 'THROTTLED', message: 'slow down' } }), json(200, { topics: [] }));
    await expect(client(fetchFn).listTopics()).resolves.toEqual({ topics: [] });
    expect(seen).toHaveLength(3);
  });

  test('retries are bounded', async () => {
    const { fetchFn, seen } = scripted(unavailable());
    await expect(client(fetchFn, 2).deleteTopic('t')).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 503 });
    expect(seen).toHaveLength(3);
  });

  test('PATCH is retried; 4xx answers are not', async () => {
    const patch = scripted(unavailable(), json(200, { name: 't' }));
    await client(patch.fetchFn).alterTopic('t', { partitions: 2 });
    expect(patch.seen).toHaveLength(2);
    const notFound = scripted(json(404, { error: { code: 'TOPIC_NOT_FOUND', message: "topic 't' does not exist" } }));
    await expect(client(notFound.fetchFn).describeTopic('t')).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' });
    expect(notFound.seen).toHaveLength(1);
  });

  test('produce and create are never retried: a retry could append or create twice', async () => {
    const produce = scripted(unavailable(), json(200, { offsets: [] }));
    await expect(client(produce.fetchFn).produce('t', { records: [{ value: 'v' }] })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(produce.seen).toHaveLength(1);
    const create = scripted(refused);
    await expect(client(create.fetchFn).createTopic({ name: 't', partitions: 1 })).rejects.toBeInstanceOf(ConnectionError);
    expect(create.seen).toHaveLength(1);
  });

  test('network failures are retried, then reported as ConnectionError', async () => {
    const flaky = scripted(refused, json(200, { topics: [] }));
    await expect(client(flaky.fetchFn).listTopics()).resolves.toEqual({ topics: [] });
    const down = scripted(refused);
    const error = await client(down.fetchFn, 1).listTopics().catch((e: unknown) => e);
    expect(down.seen).toHaveLength(2);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error).toMatchObject({ code: 'UNREACHABLE', endpoint: 'http://sluice.test:1', message: 'cannot reach http://sluice.test:1 (ECONNREFUSED)' });
  });

  test('an aborted call stops retrying and rejects with the abort reason', async () => {
    const controller = new AbortController();
    const { fetchFn, seen } = scripted(() => {
      controller.abort(new Error('stop'));
      return unavailable();
    });
    const slow = new SluiceClient({ endpoint: 'http://sluice.test:1', fetch: fetchFn, retryMinDelayMs: 10_000, retryMaxDelayMs: 10_000 });
    await expect(slow.listTopics({ signal: controller.signal })).rejects.toThrow('stop');
    expect(seen).toHaveLength(1);
  });
});

describe('backoff', () => {
  const policy = { retries: 5, minDelayMs: 100, maxDelayMs: 1_000 };
  test('full jitter: uniform below an exponentially growing, capped ceiling', () => {
    expect(backoffDelay(0, policy, 0, () => 0)).toBe(0);
    expect(backoffDelay(0, policy, 0, () => 0.999)).toBe(99);
    expect(backoffDelay(2, policy, 0, () => 0.999)).toBe(399);
    expect(backoffDelay(10, policy, 0, () => 0.999)).toBe(999);
  });
  test("a server's Retry-After is a floor, still capped", () => {
    expect(backoffDelay(0, policy, 500, () => 0)).toBe(500);
    expect(backoffDelay(0, policy, 5_000, () => 0)).toBe(1_000);
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT')).toBe(0);
    expect(parseRetryAfter(null)).toBe(0);
  });
});
