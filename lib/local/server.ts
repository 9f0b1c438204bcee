/**
 * The local HTTP server: node:http in front of the transport-free `Api`, doing what API
 * Gateway does on AWS (body size cap, request id) and nothing more.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PayloadTooLargeError } from '../core/errors.ts';
import { errorResponse, logToStderr, type ServerFailureLog } from '../api/respond.ts';
import type { Api, ApiRequest, ApiResponse } from '../api/types.ts';
import { aborted, declaredLength, listenHttp, pathOf, readBody, tooLarge, type HttpServer } from '../console/http-server.ts';
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
  // Set once listening; a request cannot arrive before.
  let http: HttpServer;

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const requestId = randomUUID();
    let response: ApiResponse | ConsoleResponse;
    let keepAlive = true;
    const body = await readBody(req, options.maxRequestBytes);
    if (body === aborted) return;
    const path = pathOf(req.url ?? '/');
    if (body === tooLarge) {
      const error = new PayloadTooLargeError(`request body exceeds ${options.maxRequestBytes} bytes`, {
        details: { maxRequestBytes: options.maxRequestBytes },
      });
      response = errorResponse(error, requestId, log);
      // The rest of the body is not read, so this connection cannot carry another request.
      keepAlive = false;
    } else if (options.consoleDir !== undefined && isConsoleRequest(req.method ?? 'GET', path)) {
      response = await consoleResponse(options.consoleDir, path);
    } else {
      try {
        response = await api(toApiRequest(req, body, requestId, signal));
      } catch (error) {
        response = errorResponse(error, requestId, log);
      }
    }
    if (res.destroyed) return;
    const bodyless = response.status === 204 || response.status === 304;
    res.writeHead(response.status, {
      ...response.headers,
      ...(keepAlive && !http.closing() ? {} : { connection: 'close' }),
      ...(bodyless ? {} : { 'content-length': String(Buffer.byteLength(response.body)) }),
      'x-request-id': requestId,
    });
    res.end(bodyless ? undefined : response.body);
  }

  http = await listenHttp(handle, {
    host: options.host,
    port: options.port,
    ...(options.closeGraceMs === undefined ? {} : { closeGraceMs: options.closeGraceMs }),
    // Answer an oversized `Expect: 100-continue` upload before the client sends its body.
    checkContinue: (req, res) => {
      if (declaredLength(req) <= options.maxRequestBytes) res.writeContinue();
    },
  });
  http.server.on('error', (error) => log({ requestId: '-', error: `http server error: ${String(error)}` }));
  return { url: http.url, close: () => http.close() };
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
