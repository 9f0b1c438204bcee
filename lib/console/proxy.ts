/**
 * `sluice console`'s server, the way `kubectl proxy` works: on this machine it serves the
 * built web console (./static.ts) and forwards every /v1 request to a deployed Sluice,
 * signed (SigV4) with the user's own AWS credentials when the endpoint is an execute-api
 * URL or a region is given. Nothing new is exposed on AWS, and IAM still decides what the
 * person at the browser may do. Node code (the root tsconfig checks it).
 *
 *   browser ──unsigned──▶ 127.0.0.1:8791 ──┬── GET/HEAD outside /v1: dist/console/
 *                                          └── /v1/...: signed ──▶ endpoint ──▶ streamed back
 *
 * Because the proxy lends the user's credentials to whoever reaches it, it answers only
 * requests addressed to a loopback name (or the host it was told to listen on), which
 * stops DNS rebinding, and refuses /v1 requests that another web origin's page sends.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { ConfigError } from '../core/errors.ts';
import { signerFor, type SigningOptions } from '../client/signing.ts';
import { aborted, listenHttp, pathOf, readBody, tooLarge } from './http-server.ts';
import { consoleResponse, isConsoleRequest } from './static.ts';

export const defaultConsolePort = 8791;

/** API Gateway's payload limit: a larger body could never be accepted upstream. */
const defaultMaxRequestBytes = 10 * 1024 * 1024;

export interface ConsoleProxyOptions {
  /** The Sluice API to forward to, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  readonly endpoint: string;
  /** Address to listen on. @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port; the chosen one is in the returned `url`. @default 8791 */
  readonly port?: number;
  /** The built console (dist/console/); a missing one is answered with a "not built" page. */
  readonly consoleDir: string;
  /** As the SDK takes it (lib/client/signing.ts); `false` sends requests unsigned. @default by endpoint */
  readonly signing?: SigningOptions | false;
  /** Larger request bodies get 413 REQUEST_TOO_LARGE. @default 10 MiB */
  readonly maxRequestBytes?: number;
  /** How upstream requests are sent (a test passes a fake). @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

export interface RunningConsoleProxy {
  /** e.g. `http://127.0.0.1:8791` */
  readonly url: string;
  /** Stops accepting, aborts forwarded requests (long polls too), resolves when closed. */
  close(): Promise<void>;
}

/** One request to pass on: `target` is the path and query as the browser sent them. */
export interface ForwardRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | undefined;
  readonly signal?: AbortSignal;
}

/** Request headers passed on; the rest (cookies, the browser's own) stay on this machine. */
const forwardedRequestHeaders = ['accept', 'content-type'];

/** Response headers passed back; fetch has already decoded the body, so no content-encoding or length. */
const forwardedResponseHeaders = ['content-type', 'retry-after', 'x-request-id', 'apigw-requestid', 'cache-control'];

/**
 * The function that sends one request to `endpoint` (its path, e.g. an API stage, is
 * kept in front of the request's) and returns the endpoint's answer, signing it when the
 * SDK would: the same `signerFor` and `RequestSigner` the SDK's client uses. Throws
 * ConfigError for an endpoint or signing it cannot use.
 */
export function forwarder(options: Pick<ConsoleProxyOptions, 'endpoint' | 'signing' | 'fetch'>): (request: ForwardRequest) => Promise<Response> {
  const base = endpointUrl(options.endpoint);
  const signer = signerFor(base, options.signing);
  const send = options.fetch ?? globalThis.fetch.bind(globalThis);
  const prefix = base.href.replace(/\/+$/, '');
  return async (request) => {
    const url = new URL(prefix + request.target);
    let headers: Record<string, string> = {};
    for (const name of forwardedRequestHeaders) {
      const value = request.headers[name];
      if (value !== undefined) headers[name] = value;
    }
    const body = request.body !== undefined && request.body.length > 0 ? request.body : undefined;
    if (signer) headers = await signer.sign({ method: request.method, url, headers, body });
    const init: RequestInit = { method: request.method, headers, redirect: 'manual' };
    if (body !== undefined) init.body = body;
    if (request.signal) init.signal = request.signal;
    return send(url, init);
  };
}

/** True when requests to `endpoint` would be signed with these options. */
export function isSigned(endpoint: string, signing: SigningOptions | false | undefined): boolean {
  return signerFor(endpointUrl(endpoint), signing) !== undefined;
}

/** Serves the console and forwards /v1 until close(); rejects with the listen error (e.g. EADDRINUSE). */
export async function startConsoleProxy(options: ConsoleProxyOptions): Promise<RunningConsoleProxy> {
  const forward = forwarder(options);
  const host = options.host ?? '127.0.0.1';
  const maxRequestBytes = options.maxRequestBytes ?? defaultMaxRequestBytes;

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    const path = pathOf(target);
    if (!acceptedHost(req.headers.host, host)) {
      sendError(res, 403, 'FORBIDDEN', `the console proxy answers only requests to localhost, not to '${req.headers.host ?? ''}'`);
      return;
    }
    if (isConsoleRequest(method, path)) {
      const answer = await consoleResponse(options.consoleDir, path);
      res.writeHead(answer.status, { ...answer.headers, 'content-length': String(Buffer.byteLength(answer.body)) });
      res.end(answer.body);
      return;
    }
    if (path !== '/v1' && !path.startsWith('/v1/')) {
      sendError(res, 405, 'METHOD_NOT_ALLOWED', `${method} ${path}: outside /v1 the console proxy serves only GET and HEAD`);
      return;
    }
    // A page of another origin may send requests here too; the browser says whose it is.
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host)) {
      sendError(res, 403, 'FORBIDDEN', `requests from ${origin} are not forwarded: only the console's own pages may use this proxy`);
      return;
    }
    const body = await readBody(req, maxRequestBytes);
    if (body === aborted) return;
    if (body === tooLarge) {
      sendError(res, 413, 'REQUEST_TOO_LARGE', `request body exceeds ${maxRequestBytes} bytes`, { connection: 'close' });
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[name] = value;
    let answer: Response;
    try {
      // The signal is aborted when the browser goes away (a long poll it gave up on): stop waiting upstream too.
      answer = await forward({ method, target, headers, body, signal });
    } catch (error) {
      if (signal.aborted) return void res.destroy();
      if (error instanceof ConfigError) sendError(res, 500, 'SIGNING_FAILED', error.message);
      else sendError(res, 502, 'UNREACHABLE', `cannot reach ${options.endpoint}: ${messageOf(error)}`);
      return;
    }
    const passed: Record<string, string> = {};
    for (const name of forwardedResponseHeaders) {
      const value = answer.headers.get(name);
      if (value !== null) passed[name] = value;
    }
    res.writeHead(answer.status, passed);
    if (answer.body === null || method === 'HEAD') {
      await answer.body?.cancel().catch(() => undefined);
      res.end();
      return;
    }
    // Streamed as it arrives; a failure midway cuts the connection, which the browser sees.
    await pipeline(Readable.fromWeb(answer.body as NodeReadableStream), res).catch(() => res.destroy());
  }

  const http = await listenHttp(
    (req, res, signal) =>
      handle(req, res, signal).catch((error: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'INTERNAL', `console proxy failed: ${messageOf(error)}`);
        else res.destroy();
      }),
    { host, port: options.port ?? defaultConsolePort },
  );
  return { url: http.url, close: () => http.close() };
}

function endpointUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`endpoint '${endpoint}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`endpoint '${endpoint}' must be an http or https URL`);
  if (url.search || url.hash) throw new ConfigError(`endpoint '${endpoint}' must not carry a query or fragment`);
  return url;
}

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The Host header names this machine's loopback (or the address the proxy was told to use), any port. */
function acceptedHost(header: string | undefined, listenHost: string): boolean {
  if (header === undefined) return false;
  const name = header.replace(/:\d+$/, '').toLowerCase();
  const listening = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
  return loopbackNames.has(name) || name.endsWith('.localhost') || (name === listening.toLowerCase() && !isWildcard(listenHost));
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host?.toLowerCase();
  } catch {
    return false;
  }
}

/** An error in the API's own shape, so the console shows it as it shows the API's. */
function sendError(res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return error.message + cause;
  }
  return String(error);
}
