/** The one place where results and errors become HTTP responses. */
import { InternalError, SluiceError } from '../core/errors.ts';
import type { ErrorResponse, NoContent } from '../core/http-contract.ts';
import type { Answer, ApiResponse } from './types.ts';

const jsonHeaders = { 'content-type': 'application/json' } as const;

/**
 * A JSON answer. `Body` is not inferred from `body`: it comes from where the answer goes
 * (a handler's declared AnswerOf<route>), and `body` is checked against it, excess
 * fields included, so the contract and what is sent cannot drift apart.
 */
export function jsonResponse<Body, Status extends number>(status: Status, body: NoInfer<Body>): Answer<Body, Status> {
  return answer({ status, headers: jsonHeaders, body: JSON.stringify(body) });
}

/**
 * A JSON answer whose text the caller built (a fetch measures it as it grows). Its type
 * is the caller's word: build the text from values typed by the contract's parts.
 */
export function jsonText<Body, Status extends number>(status: Status, body: string): Answer<Body, Status> {
  return answer({ status, headers: jsonHeaders, body });
}

export function emptyResponse(status: 204 = 204): Answer<NoContent, 204> {
  return answer({ status, headers: {}, body: '' });
}

/** The one place a response gets its contract type (a compile-time tag, nothing at run time). */
function answer<Body, Status extends number>(response: ApiResponse): Answer<Body, Status> {
  return response as Answer<Body, Status>;
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
      body: JSON.stringify({
        error: { code: error.code, message: error.message, ...error.details, ...(error.retriable ? { retriable: true as const } : {}) },
      } satisfies ErrorResponse),
    };
  }
  const shown = error instanceof SluiceError ? error : new InternalError('internal error');
  log({ requestId, error: describe(error) });
  return {
    status: shown.status,
    headers: { ...jsonHeaders, ...retryAfter(shown) },
    body: JSON.stringify({ error: { code: shown.code, message: `${shown.message} (request ${requestId})`, requestId } } satisfies ErrorResponse),
  };
}

function retryAfter(error: SluiceError): Record<string, string> {
  return error.retriable ? { 'retry-after': '1' } : {};
}

function describe(error: unknown): unknown {
  if (!(error instanceof Error)) return String(error);
  return { name: error.name, message: error.message, stack: error.stack, cause: error.cause ? describe(error.cause) : undefined };
}
