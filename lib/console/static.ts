/**
 * Serves the web console (dist/console/, built by lib/console/build.ts) at the root of
 * `sluice local` (lib/local/server.ts) and of `sluice console` (./proxy.ts): a GET or HEAD
 * outside /v1 gets the file it names if there is one, else index.html, so the console's
 * History API paths (/topics/orders/messages?...) load the app, which draws the page from
 * the URL. The API under /v1 is never answered here. Node code: the root tsconfig checks
 * it, not the console's browser one.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The console as `npm run build` leaves it in this package (lib/console/build.ts writes it). */
export const builtConsoleDir = fileURLToPath(new URL('../../dist/console', import.meta.url));

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/** A static answer: like the API's, with a body that may be bytes. */
export interface ConsoleResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
}

/** True for a request the console answers: GET or HEAD of a path outside /v1. */
export function isConsoleRequest(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && path !== '/v1' && !path.startsWith('/v1/');
}

/** The answer for `path` from the console folder `dir` (a 404 text page if it was not built). */
export async function consoleResponse(dir: string, path: string): Promise<ConsoleResponse> {
  const file = (await fileIn(dir, path)) ?? join(dir, 'index.html');
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    return {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: `The Sluice web console is not built (no ${join(dir, 'index.html')}).\nRun 'npm run build', then reload. The HTTP API is under /v1.\n`,
    };
  }
  const type = contentTypes[extname(file)] ?? 'application/octet-stream';
  // index.html is revalidated so a rebuilt app is picked up; the rest is small.
  return { status: 200, headers: { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }, body };
}

/** The regular file `path` names inside `dir`, or undefined (also for any path that would leave it). */
async function fileIn(dir: string, path: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const file = normalize(join(dir, decoded));
  if (!file.startsWith(normalize(dir) + sep)) return undefined;
  const info = await stat(file).catch(() => undefined);
  return info?.isFile() ? file : undefined;
}
