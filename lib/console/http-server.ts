/**
 * node:http plumbing that `sluice local`'s server and `sluice console`'s proxy share:
 * listening, a per-request AbortSignal (aborted when the client goes away or the server
 * closes, so a long poll stops waiting), a graceful close, and reading a bounded body.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpServer {
  readonly server: Server;
  /** e.g. `http://127.0.0.1:8790` */
  readonly url: string;
  /** True once close() was called: answers should say `connection: close`. */
  closing(): boolean;
  /** Stops accepting, aborts the requests in flight, resolves when every connection is closed (cut after `closeGraceMs`). */
  close(): Promise<void>;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, signal: AbortSignal) => Promise<void>;

/** Serves `handle` on host:port (0: a free one); rejects with the listen error (e.g. EADDRINUSE). */
export async function listenHttp(handle: HttpHandler, options: { readonly host: string; readonly port: number; readonly closeGraceMs?: number; readonly checkContinue?: (req: IncomingMessage, res: ServerResponse) => void }): Promise<HttpServer> {
  const inFlight = new Set<AbortController>();
  let closing = false;
  const dispatch = (req: IncomingMessage, res: ServerResponse): void => {
    const controller = new AbortController();
    inFlight.add(controller);
    if (closing) controller.abort(new Error('server closing'));
    // 'close' before the response finished: the client went away.
    res.once('close', () => {
      inFlight.delete(controller);
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    void handle(req, res, controller.signal);
  };
  const server = createServer(dispatch);
  if (options.checkContinue) {
    const check = options.checkContinue;
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      check(req, res);
      dispatch(req, res);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { address, port } = server.address() as AddressInfo;
  const shownHost = address.includes(':') ? `[${address}]` : address;
  let closed: Promise<void> | undefined;
  return {
    server,
    url: `http://${shownHost}:${port}`,
    closing: () => closing,
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

export const tooLarge = Symbol('tooLarge');
export const aborted = Symbol('aborted');

/**
 * The whole body; `tooLarge` as soon as it passes `limit` bytes (the rest is discarded,
 * not kept); `aborted` if the client left before sending all of it.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof tooLarge | typeof aborted> {
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

/** The request's declared Content-Length, 0 without one. */
export function declaredLength(req: IncomingMessage): number {
  const header = req.headers['content-length'];
  return header === undefined ? 0 : Number(header);
}

/** The path of a request target, without its query. */
export function pathOf(target: string): string {
  const mark = target.indexOf('?');
  return mark === -1 ? target : target.slice(0, mark);
}
