/**
 * `sluice console`'s proxy (lib/console/proxy.ts) with a fake upstream fetch: what it
 * forwards to an execute-api endpoint is signed with the user's credentials, what it
 * forwards to a plain local endpoint is not, and the browser's side is guarded.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { forwarder, startConsoleProxy, type RunningConsoleProxy } from '../../lib/console/proxy.ts';

const executeApi = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

interface Sent {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** A fetch that records what it was asked to send and answers `answer`. */
function fakeFetch(answer: () => Response = () => Response.json({ topics: [] })): { fetch: typeof fetch; sent: Sent[] } {
  const sent: Sent[] = [];
  const fake = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const body = init.body === undefined || init.body === null ? undefined : Buffer.from(init.body as Uint8Array).toString();
    sent.push({ url: String(input), method: init.method ?? 'GET', headers: { ...(init.headers as Record<string, string>) }, body });
    return answer();
  }) as typeof fetch;
  return { fetch: fake, sent };
}

const authorization = /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/;

describe('forwarder', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('signs a request to an execute-api endpoint with SigV4 for its region', async () => {
    const { fetch, sent } = fakeFetch();
    const forward = forwarder({ endpoint: executeApi, signing: { credentials }, fetch });
    const body = Buffer.from(JSON.stringify({ name: 'orders', partitions: 3 }));
    await forward({ method: 'POST', target: '/v1/topics?x=1', headers: { 'content-type': 'application/json', cookie: 'secret=1' }, body });
    expect(sent).toHaveLength(1);
    const [request] = sent;
    expect(request!.url).toBe(`${executeApi}/v1/topics?x=1`);
    expect(request!.method).toBe('POST');
    expect(request!.body).toBe('{"name":"orders","partitions":3}');
    expect(request!.headers.authorization).toMatch(authorization);
    expect(request!.headers.authorization!.match(authorization)![1]!.split(';')).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-date']));
    expect(request!.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request!.headers['content-type']).toBe('application/json');
    // The browser's own headers stay here.
    expect(request!.headers.cookie).toBeUndefined();
    expect(request!.headers['x-amz-security-token']).toBeUndefined();
  });

  it('sends the session token of temporary credentials', async () => {
    const { fetch, sent } = fakeFetch();
    const forward = forwarder({ endpoint: executeApi, signing: { credentials: { ...credentials, sessionToken: 'TOKEN/123' } }, fetch });
    await forward({ method: 'GET', target: '/v1/topics', headers: {} });
    expect(sent[0]!.headers.authorization).toMatch(authorization);
    expect(sent[0]!.headers['x-amz-security-token']).toBe('TOKEN/123');
    expect(sent[0]!.headers.authorization!.match(authorization)![1]!.split(';')).toContain('x-amz-security-token');
  });

  it('signs with credentials from the standard AWS chain, as `sluice console` does', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', 'FROM-ENV');
    const { fetch, sent } = fakeFetch();
    await forwarder({ endpoint: executeApi, fetch })({ method: 'GET', target: '/v1/topics', headers: {} });
    expect(sent[0]!.headers.authorization).toMatch(authorization);
    expect(sent[0]!.headers['x-amz-security-token']).toBe('FROM-ENV');
  });

  it('keeps an endpoint path (an API stage) in front of the request path', async () => {
    const { fetch, sent } = fakeFetch();
    await forwarder({ endpoint: `${executeApi}/prod/`, signing: { credentials }, fetch })({ method: 'GET', target: '/v1/topics/a%20b', headers: {} });
    expect(sent[0]!.url).toBe(`${executeApi}/prod/v1/topics/a%20b`);
  });

  it('does not sign a request to a plain local endpoint', async () => {
    const { fetch, sent } = fakeFetch();
    const forward = forwarder({ endpoint: 'http://127.0.0.1:8790', fetch });
    await forward({ method: 'GET', target: '/v1/topics/orders/partitions/0/records?offset=0&waitMs=1000', headers: { accept: 'application/json' } });
    expect(sent[0]!.url).toBe('http://127.0.0.1:8790/v1/topics/orders/partitions/0/records?offset=0&waitMs=1000');
    expect(sent[0]!.headers).toEqual({ accept: 'application/json' });
  });

  it('signs any endpoint given a region (a custom domain)', async () => {
    const { fetch, sent } = fakeFetch();
    await forwarder({ endpoint: 'https://sluice.example.com', signing: { region: 'eu-west-1', credentials }, fetch })({ method: 'GET', target: '/v1/topics', headers: {} });
    expect(sent[0]!.headers.authorization).toMatch(authorization);
  });
});

describe('startConsoleProxy', () => {
  let consoleDir: string;
  const running: RunningConsoleProxy[] = [];

  beforeAll(() => {
    consoleDir = mkdtempSync(join(tmpdir(), 'sluice-console-'));
    writeFileSync(join(consoleDir, 'index.html'), '<!doctype html><title>Sluice</title>');
  });
  afterAll(async () => {
    await Promise.all(running.map((proxy) => proxy.close()));
    rmSync(consoleDir, { recursive: true, force: true });
  });

  async function start(options: Partial<Parameters<typeof startConsoleProxy>[0]> = {}): Promise<RunningConsoleProxy> {
    const proxy = await startConsoleProxy({ endpoint: executeApi, signing: { credentials }, port: 0, consoleDir, ...options });
    running.push(proxy);
    return proxy;
  }

  it('forwards /v1 signed and passes the answer back; serves the console elsewhere', async () => {
    const { fetch, sent } = fakeFetch(() => Response.json({ error: { code: 'TOPIC_EXISTS', message: 'x' } }, { status: 409, headers: { 'retry-after': '1', 'set-cookie': 'a=b' } }));
    const proxy = await start({ fetch });
    const answer = await globalThis.fetch(`${proxy.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"t","partitions":1}' });
    expect(answer.status).toBe(409);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(await answer.json()).toEqual({ error: { code: 'TOPIC_EXISTS', message: 'x' } });
    expect(sent[0]!.url).toBe(`${executeApi}/v1/topics`);
    expect(sent[0]!.body).toBe('{"name":"t","partitions":1}');
    expect(sent[0]!.headers.authorization).toMatch(authorization);

    const page = await globalThis.fetch(`${proxy.url}/topics/orders`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Sluice</title>');
    expect(sent).toHaveLength(1);
  });

  it('answers 502 UNREACHABLE in the API error shape when the endpoint does not answer', async () => {
    const proxy = await start({ endpoint: 'http://127.0.0.1:9', signing: undefined });
    const answer = await globalThis.fetch(`${proxy.url}/v1/topics`);
    expect(answer.status).toBe(502);
    const body = (await answer.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('UNREACHABLE');
    expect(body.error.message).toContain('http://127.0.0.1:9');
  });

  it("answers the static page's 'not built' 404 when the console is not built", async () => {
    const proxy = await start({ consoleDir: join(consoleDir, 'missing') });
    const answer = await globalThis.fetch(`${proxy.url}/`);
    expect(answer.status).toBe(404);
    expect(await answer.text()).toContain("Run 'npm run build'");
  });

  it('refuses requests from another web origin and to a host name that is not this machine', async () => {
    const { fetch, sent } = fakeFetch();
    const proxy = await start({ fetch });
    const crossSite = await globalThis.fetch(`${proxy.url}/v1/topics`, { method: 'DELETE', headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    const sameSite = await globalThis.fetch(`${proxy.url}/v1/topics`, { headers: { origin: proxy.url } });
    expect(sameSite.status).toBe(200);

    const port = new URL(proxy.url).port;
    const rebound = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/v1/topics', headers: { host: `evil.example:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(rebound).toBe(403);
    expect(sent).toHaveLength(1);
  });
});
