/**
 * Input shaped to make validation slow, over real HTTP to the local server: each is
 * refused with a 4xx in well under a second, and a request sent alongside it is answered
 * in that time too (validation never holds the event loop for long). Before the fix, a
 * record with 200,000 headers took 26 s of CPU and a 100,000-key sequences map 12.5 s.
 */
import { describe, expect, it } from 'vitest';
import { call, randomName, useServer, useStack } from '../support/stack.ts';

const stack = useStack();
const server = useServer(stack);
const topic = randomName('slow-input');

interface Timed {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

async function send(method: string, path: string, body?: string): Promise<Timed> {
  const started = performance.now();
  const res = await fetch(`${server.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, body: text, ms: performance.now() - started };
}

/** The bad request, and 20 ms into it a GET /v1/topics: both answered within a second. */
async function withNeighbour(method: string, path: string, body: string): Promise<{ bad: Timed; neighbour: Timed }> {
  const bad = send(method, path, body);
  await new Promise((resolve) => setTimeout(resolve, 20));
  const neighbour = send('GET', '/v1/topics');
  return { bad: await bad, neighbour: await neighbour };
}

function expectRefused(result: Timed, status: number, code: string, message?: RegExp): void {
  expect(result.status).toBe(status);
  const { error } = JSON.parse(result.body) as { error: { code: string; message: string } };
  expect(error.code).toBe(code);
  if (message) expect(error.message).toMatch(message);
  expect(error.message.length).toBeLessThan(600);
  expect(result.ms).toBeLessThan(1000);
}

const records = `/v1/topics/${topic}/records`;

describe('input shaped to be slow', () => {
  it('creates the topic', async () => {
    expect((await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: 2 } })).status).toBe(201);
  });

  it('a record with 200,000 headers (3 MB): 400 within a second, and a GET alongside it too', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 200_000; i++) headers[`header-${i}`] = 'v';
    const body = JSON.stringify({ records: [{ value: 'a', partition: 0, headers }] });
    expect(body.length).toBeGreaterThan(3_000_000);
    const { bad, neighbour } = await withNeighbour('POST', records, body);
    expectRefused(bad, 400, 'INVALID_REQUEST', /^records\[0\]\.headers: at most 64 headers per record$/);
    expect(neighbour.status).toBe(200);
    expect(neighbour.ms).toBeLessThan(1000);
  });

  it('a sequences map of 100,000 keys: 400 within a second, and a GET alongside it too', async () => {
    const sequences: Record<string, number> = {};
    for (let i = 0; i < 100_000; i++) sequences[String(i)] = 0;
    const body = JSON.stringify({ records: [{ value: 'a', partition: 0 }], producerId: 1, producerEpoch: 0, sequences });
    const { bad, neighbour } = await withNeighbour('POST', records, body);
    expectRefused(bad, 400, 'INVALID_REQUEST', /^sequences: at most 1 partitions/);
    expect(neighbour.status).toBe(200);
    expect(neighbour.ms).toBeLessThan(1000);
  });

  it('a body of 6 million open brackets, and one of a million closed ones: 400 within a second', async () => {
    const open = await withNeighbour('POST', records, '['.repeat(6_000_000));
    expectRefused(open.bad, 400, 'INVALID_REQUEST', /deeper than 32 levels/);
    expect(open.neighbour.ms).toBeLessThan(1000);
    const closed = `{"name": ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`;
    expectRefused(await send('POST', '/v1/topics', closed), 400, 'INVALID_REQUEST', /deeper than 32 levels/);
  });

  it('a deeply nested value within the depth limit, where a name is expected: 400 with a short message', async () => {
    const name = JSON.parse('['.repeat(30) + '"x"' + ']'.repeat(30)) as unknown;
    expectRefused(await send('POST', '/v1/topics', JSON.stringify({ name, partitions: 1 })), 400, 'INVALID_REQUEST', /^name: must be a topic name/);
  });

  it('a huge query string is refused fast, by the server (431) or the API (400)', async () => {
    const huge = await send('GET', `/v1/topics/${topic}/partitions/0/records?offset=0&x=${'y'.repeat(100_000)}`);
    expect(huge.status).toBeGreaterThanOrEqual(400);
    expect(huge.status).toBeLessThan(500);
    expect(huge.ms).toBeLessThan(1000);
    const many = Array.from({ length: 500 }, (_, i) => `p${i}=1`).join('&');
    expectRefused(await send('GET', `/v1/topics?${many}`), 400, 'INVALID_REQUEST', /at most 16 query parameters/);
    expectRefused(await send('GET', `/v1/topics/${topic}/partitions/0/records?offset=0&encoding=${'b'.repeat(5000)}`), 400, 'INVALID_REQUEST', /at most 256 characters/);
  });

  it('megabytes of base64, valid or not, are checked without overflowing the stack', async () => {
    // 6 MB of base64 in one value: a backtracking regular expression overflowed here (a 500).
    const valid = 'A'.repeat(6_000_000);
    const tooLarge = await send('POST', records, JSON.stringify({ encoding: 'base64', records: [{ value: valid, partition: 0 }] }));
    expectRefused(tooLarge, 413, 'RECORD_TOO_LARGE');
    const broken = await send('POST', records, JSON.stringify({ encoding: 'base64', records: [{ value: `${'A'.repeat(5_000_000)}!!!!`, partition: 0 }] }));
    expectRefused(broken, 400, 'INVALID_REQUEST', /^records\[0\]\.value: is not valid base64$/);
  });

  it('a topic name, field name or transactionalId of megabytes is refused with a short message', async () => {
    expectRefused(await send('POST', '/v1/topics', JSON.stringify({ name: 'n'.repeat(5_000_000) })), 400, 'INVALID_REQUEST');
    expectRefused(await send('POST', '/v1/topics', JSON.stringify({ ['k'.repeat(5_000_000)]: 1 })), 400, 'INVALID_REQUEST', /unknown field/);
    expectRefused(await send('POST', '/v1/producers', JSON.stringify({ transactionalId: 't'.repeat(5_000_000) })), 400, 'INVALID_REQUEST');
    const keys = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, 1]));
    expectRefused(await send('POST', '/v1/topics', JSON.stringify({ name: randomName(), config: keys })), 400, 'INVALID_REQUEST', /^config: at most/);
  });

  it('none of it changed anything', async () => {
    const described = await call(stack.api, 'GET', `/v1/topics/${topic}`);
    expect(described.body.partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([0, 0]);
    expect((await call(stack.api, 'GET', '/v1/topics')).body.topics).toEqual([{ name: topic, partitions: 2 }]);
  });
});
