import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { serve, type RunningServer } from '../../lib/local/server.ts';
import type { ServerFailure } from '../../lib/api/respond.ts';
import type { Api, ApiRequest, ApiResponse } from '../../lib/api/types.ts';

// The adapter is what is under test, so the Api behind it is a fake that records calls.
const servers: RunningServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(api: Api, maxRequestBytes = 1024): Promise<{ url: string; server: RunningServer }> {
  const server = await serve(api, { host: '127.0.0.1', port: 0, maxRequestBytes, log: () => {} });
  servers.push(server);
  return { url: server.url, server };
}

function recordingApi(): { api: Api; calls: ApiRequest[] } {
  const calls: ApiRequest[] = [];
  const api: Api = async (request) => {
    calls.push(request);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true }) };
  };
  return { api, calls };
}

/** Sends a body in chunks without a content-length (chunked encoding). */
function sendChunked(url: string, chunks: Buffer[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}/v1/upload`, { method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    // The server may close after answering while we still write: that is expected here.
    req.on('error', (error) => (error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error)));
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (condition()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in time'));
      else setTimeout(check, 10);
    };
    check();
  });
}

describe('serve', () => {
  it('passes method, path, first query values, lower-cased headers and body to the api', async () => {
    const { api, calls } = recordingApi();
    const { url } = await start(api);
    const response = await fetch(`${url}/v1/topics/orders/records?offset=5&offset=9&encoding=base64&empty=`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Custom-Thing': 'Value' },
      body: '{"records":[]}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
    expect(calls).toHaveLength(1);
    const call = calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.path).toBe('/v1/topics/orders/records');
    expect(call.query).toEqual({ offset: '5', encoding: 'base64', empty: '' });
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers['x-custom-thing']).toBe('Value');
    expect(call.body?.toString('utf8')).toBe('{"records":[]}');
    expect(call.signal?.aborted).toBe(false);
  });

  it('sends the request id back as x-request-id, a new one per request', async () => {
    const { api, calls } = recordingApi();
    const { url } = await start(api);
    const first = await fetch(`${url}/v1/topics`);
    const second = await fetch(`${url}/v1/topics`);
    expect(first.headers.get('x-request-id')).toBe(calls[0]!.requestId);
    expect(second.headers.get('x-request-id')).toBe(calls[1]!.requestId);
    expect(calls[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls[0]!.requestId).not.toBe(calls[1]!.requestId);
  });

  it('keeps a binary body intact', async () => {
    const { api, calls } = recordingApi();
    const { url } = await start(api, 1024 * 1024);
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(200_000)]);
    const response = await fetch(`${url}/v1/blob`, { method: 'PUT', body: bytes });
    expect(response.status).toBe(200);
    expect(Buffer.compare(calls[0]!.body!, bytes)).toBe(0);
  });

  it('gives an empty body, not undefined, to a request without one', async () => {
    const { api, calls } = recordingApi();
    const { url } = await start(api);
    await fetch(`${url}/v1/topics`);
    expect(calls[0]!.body?.length).toBe(0);
    expect(calls[0]!.query).toEqual({});
  });

  it('accepts a body of exactly maxRequestBytes', async () => {
    const { api, calls } = recordingApi();
    const { url } = await start(api, 1024);
    const response = await fetch(`${url}/v1/x`, { method: 'POST', body: Buffer.alloc(1024, 7) });
    expect(response.status).toBe(200);
    expect(calls[0]!.body?.length).toBe(1024);
  });

  it('answers the api status and headers, and a 204 with no body', async () => {
    const { url } = await start(async (request): Promise<ApiResponse> =>
      request.path === '/empty'
        ? { status: 204, headers: {}, body: '' }
        : { status: 201, headers: { 'content-type': 'application/json', 'retry-after': '1' }, body: '{"n":"é"}' },
    );
    const created = await fetch(`${url}/made`, { method: 'POST' });
    expect(created.status).toBe(201);
    expect(created.headers.get('retry-after')).toBe('1');
    expect(created.headers.get('content-length')).toBe(String(Buffer.byteLength('{"n":"é"}')));
    expect(await created.json()).toEqual({ n: 'é' });
    const empty = await fetch(`${url}/empty`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
  });

  it('answers 413 REQUEST_TOO_LARGE past maxRequestBytes without calling the api', async () => {
    const { api, calls } = recordingApi();
    const { url } = await start(api, 1024);
    const response = await fetch(`${url}/v1/x`, { method: 'POST', body: Buffer.alloc(1025, 7) });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string } };
    expect(body.error.code).toBe('REQUEST_TOO_LARGE');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(calls).toHaveLength(0);
  });

  it('answers 413 to a chunked body that grows past the limit', async () => {
    const { api, calls } = recordingApi();
    const { url } = await start(api, 1024);
    const result = await sendChunked(url, [Buffer.alloc(800, 1), Buffer.alloc(800, 2), Buffer.alloc(800, 3)]);
    expect(result.status).toBe(413);
    expect(JSON.parse(result.body).error.code).toBe('REQUEST_TOO_LARGE');
    expect(calls).toHaveLength(0);
    // The server still serves new connections afterwards.
    expect((await fetch(`${url}/v1/topics`)).status).toBe(200);
  });

  it('answers a thrown error through errorResponse: 500 with the request id, no detail', async () => {
    const logged: ServerFailure[] = [];
    const server = await serve(
      async () => {
        throw new Error('secret detail');
      },
      { host: '127.0.0.1', port: 0, maxRequestBytes: 1024, log: (failure) => logged.push(failure) },
    );
    servers.push(server);
    const response = await fetch(`${server.url}/v1/topics`);
    expect(response.status).toBe(500);
    const requestId = response.headers.get('x-request-id');
    const text = await response.text();
    expect(text).not.toContain('secret detail');
    expect(JSON.parse(text).error).toMatchObject({ code: 'INTERNAL', requestId });
    expect(logged).toMatchObject([{ requestId, error: { message: 'secret detail' } }]);
  });

  it('aborts the signal when the client disconnects', async () => {
    let seen: AbortSignal | undefined;
    const { url } = await start(async (request) => {
      seen = request.signal;
      await new Promise((resolve) => request.signal?.addEventListener('abort', resolve));
      return { status: 200, headers: {}, body: '' };
    });
    const req = httpRequest(`${url}/v1/topics/t/partitions/0/records?waitMs=20000`);
    req.on('error', () => {});
    req.end();
    await until(() => seen !== undefined);
    expect(seen!.aborted).toBe(false);
    req.destroy();
    await until(() => seen!.aborted);
  });

  it('close() aborts long polls, lets them answer and resolves when all sockets are gone', async () => {
    const polls: AbortSignal[] = [];
    const { url, server } = await start(async (request): Promise<ApiResponse> => {
      if (request.path === '/v1/warmup') return { status: 204, headers: {}, body: '' };
      polls.push(request.signal!);
      await new Promise((resolve) => request.signal?.addEventListener('abort', resolve));
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"records":[]}' };
    });
    // An idle keep-alive connection must not hold close() up either.
    expect((await fetch(`${url}/v1/warmup`)).status).toBe(204);
    const answers = [1, 2].map(
      () =>
        new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
          httpRequest(`${url}/v1/topics/t/partitions/0/records?waitMs=20000`, (res: IncomingMessage) => {
            res.resume().on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
          })
            .on('error', reject)
            .end();
        }),
    );
    await until(() => polls.length === 2);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(polls.every((signal) => signal.aborted)).toBe(true);
    for (const answer of await Promise.all(answers)) {
      expect(answer).toEqual({ status: 200, connection: 'close' });
    }
    await expect(fetch(`${url}/v1/topics`)).rejects.toThrow();
  });

  it('rejects with the listen error when the port is taken', async () => {
    const { url } = await start(recordingApi().api);
    const port = Number(new URL(url).port);
    await expect(serve(recordingApi().api, { host: '127.0.0.1', port, maxRequestBytes: 1 })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
