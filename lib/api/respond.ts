/** The one place where results and errors become HTTP responses. */
import { InternalError, SluiceError } from '../core/errors.ts';
import type { ApiResponse } from './types.ts';

const jsonHeaders = { 'content-type': 'application/json' } as const;

export function jsonResponse(status: number, body: unknown): ApiResponse {
  return { status, headers: jsonHeaders, body: JSON.stringify(body) };
}

/** A JSON answer whose text the caller built (a fetch measures it as it grows). */
export function jsonText(status: number, body: string): ApiResponse {
  return { status, headers: jsonHeaders, body };
}

export function emptyResponse(status = 204): ApiResponse {
  return { status, headers: {}, body: '' };
}

/** A 5xx's detail, for the log: the request it answered and what failed, with its causes. */
export interface ServerFailure {
  readonly requestId: string;
  readonly error: unknown;
}

/** Where the edges send ServerFailures: Powertools' Logger on Lambda, stderr locally. */
export type ServerFailureLog = (failure: ServerFailure) => void;

/** One JSON line on stderr: the default where no log is given. */
export const logToStderr: ServerFailureLog = (failure) => console.error(JSON.stringify({ level: 'error', ...failure }));

/**
 * Shows a caller its own mistakes (4xx) in full; any other failure is a plain 5xx with
 * the request id, and its detail goes to the log, never to the caller.
 */
export function errorResponse(error: unknown, requestId: string, log: ServerFailureLog = logToStderr): ApiResponse {
  if (error instanceof SluiceError && error.status < 500) {
    return {
      status: error.status,
      headers: { ...jsonHeaders, ...retryAfter(error) },
      // A 4xx is final unless it says otherwise (a 429, or a conflict that passes).
      body: JSON.stringify({ error: { code: error.code, message: error.message, ...error.details, ...(error.retriable ? { retriable: true } : {}) } }),
    };
  }
  const shown = error instanceof SluiceError ? error : new InternalError('internal error');
  log({ requestId, error: describe(error) });
  return {
    status: shown.status,
    headers: { ...jsonHeaders, ...retryAfter(shown) },
    body: JSON.stringify({ error: { code: shown.code, message: `${shown.message} (request ${requestId})`, requestId } }),
  };
}

function retryAfter(error: SluiceError): Record<string, string> {
  return error.retriable ? { 'retry-after': '1' } : {};
}

function describe(error: unknown): unknown {
  if (!(error instanceof Error)) return String(error);
  return { name: error.name, message: error.message, stack: error.stack, cause: error.cause ? describe(error.cause) : undefined };
}
