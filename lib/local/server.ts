/**
 * The local HTTP server: node:http in front of the transport-free `Api`, doing what API
 * Gateway does on AWS (body size cap, request id) and nothing more.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PayloadTooLargeError } from '../core/errors.ts';
import { errorResponse, logToStderr, type ServerFailureLog } from '../api/respond.ts';
import type { Api, ApiRequest, ApiResponse } from '../api/types.ts';
import { consoleResponse, isConsoleRequest, type ConsoleResponse } from '../console/static.ts';

export interface ServeOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is in the returned `url`. */
  readonly port: number;
  /** Larger request bodies get 413 REQUEST_TOO_LARGE without being read. */
  readonly maxRequestBytes: number;
  /** How long close() lets in-flight requests finish before cutting connections. @default 5 s */
  readonly closeGraceMs?: number;
  /** Where 5xx details go. @default logToStderr */
  readonly log?: ServerFailureLog;
  /**
   * The built web console (dist/console/): GET and HEAD outside /v1 are answered from it
   * (lib/console/static.ts). Unset: every path goes to the API.
   */
  readonly consoleDir?: string;
}

export interface RunningServer {
  /** e.g. `http://127.0.0.1:8790` */
  readonly url: string;
  /** Stops accepting, aborts long polls, resolves when every connection is closed. */
  close(): Promise<void>;
}

/** Serves `api` over HTTP until close(); rejects with the listen error (e.g. EADDRINUSE). */
export async function serve(api: Api, options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? logToStderr;
  const inFlight = new Set<AbortController>();
  let closing = false;

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  // Answer an oversized `Expect: 100-continue` upload before the client sends its body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (declaredLength(req) <= options.maxRequestBytes) res.writeContinue();
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const controller = new AbortController();
    inFlight.add(controller);
    if (closing) controller.abort(new Error('server closing'));
    // 'close' before the response finished: the client went away.
    res.once('close', () => {
      inFlight.delete(controller);
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    let response: ApiResponse | ConsoleResponse;
    let keepAlive = true;
    const body = await readBody(req, options.maxRequestBytes);
    if (body === aborted) return;
    if (body === tooLarge) {
      const error = new PayloadTooLargeError(`request body exceeds ${options.maxRequestBytes} bytes`, {
        details: { maxRequestBytes: options.maxRequestBytes },
      });
      response = errorResponse(error, requestId, log);
      // The rest of the body is not read, so this connection cannot carry another request.
      keepAlive = false;
    } else if (options.consoleDir !== undefined && isConsoleRequest(req.method ?? 'GET', pathOf(req.url ?? '/'))) {
      response = await consoleResponse(options.consoleDir, pathOf(req.url ?? '/'));
    } else {
      try {
        response = await api(toApiRequest(req, body, requestId, controller.signal));
      } catch (error) {
        response = errorResponse(error, requestId, log);
      }
    }
    if (res.destroyed) return;
    const bodyless = response.status === 204 || response.status === 304;
    res.writeHead(response.status, {
      ...response.headers,
      ...(keepAlive && !closing ? {} : { connection: 'close' }),
      ...(bodyless ? {} : { 'content-length': String(Buffer.byteLength(response.body)) }),
      'x-request-id': requestId,
    });
    res.end(bodyless ? undefined : response.body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log({ requestId: '-', error: `http server error: ${String(error)}` }));

  const { address, port } = server.address() as AddressInfo;
  const shownHost = address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        const cutOff = setTimeout(() => server.closeAllConnections(), options.closeGraceMs ?? 5_000);
        server.close(() => {
          clearTimeout(cutOff);
          resolve();
        });
        server.closeIdleConnections();
        for (const controller of inFlight) controller.abort(new Error('server closing'));
      });
      return closed;
    },
  };
}

const tooLarge = Symbol('tooLarge');
const aborted = Symbol('aborted');

/**
 * The whole body; `tooLarge` as soon as it passes `limit` bytes (the rest is discarded,
 * not kept); `aborted` if the client left before sending all of it.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof tooLarge | typeof aborted> {
  if (declaredLength(req) > limit) return Promise.resolve(tooLarge);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Buffer | typeof tooLarge | typeof aborted): void => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      finish(tooLarge);
      // Keep draining (and dropping) so the 413 can be written while the client still sends.
      req.resume();
    };
    const onEnd = (): void => finish(Buffer.concat(chunks, size));
    const onGone = (): void => finish(aborted);
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}

function declaredLength(req: IncomingMessage): number {
  const header = req.headers['content-length'];
  return header === undefined ? 0 : Number(header);
}

function pathOf(target: string): string {
  const mark = target.indexOf('?');
  return mark === -1 ? target : target.slice(0, mark);
}

function toApiRequest(req: IncomingMessage, body: Buffer, requestId: string, signal: AbortSignal): ApiRequest {
  const target = req.url ?? '/';
  const mark = target.indexOf('?');
  const path = mark === -1 ? target : target.slice(0, mark);
  const query: Record<string, string> = {};
  if (mark !== -1) {
    for (const [key, value] of new URLSearchParams(target.slice(mark + 1))) {
      if (!Object.hasOwn(query, key)) query[key] = value;
    }
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return { method: req.method ?? 'GET', path, query, headers, body, requestId, signal };
}
