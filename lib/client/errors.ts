/**
 * The client's own errors: no answer came back (ConnectionError), an answer that is not
 * the contract's JSON (InvalidResponseError), and a server's error answer rebuilt with
 * its code and status (RemoteError). Subclasses of core's SluiceError, so one
 * `instanceof SluiceError` covers them and the server's errors alike.
 */
import type { ErrorResponse } from '../core/http-contract.ts';
import { SluiceError } from '../core/errors.ts';

/**
 * No HTTP answer came back: connection refused, DNS failure, reset or timeout. Status 0
 * because there is no HTTP status; retriable, since nothing says the server is gone for
 * good (but the client retries only calls that are safe to repeat).
 */
export class ConnectionError extends SluiceError {
  readonly code = 'UNREACHABLE';
  readonly status = 0;
  override readonly retriable = true;
  /** The endpoint that could not be reached. */
  readonly endpoint: string;
  constructor(endpoint: string, cause: unknown) {
    super(`cannot reach ${endpoint}${describeCause(cause)}`, { cause, details: { endpoint } });
    this.endpoint = endpoint;
  }
}

/** A 2xx answer whose body is not the JSON the contract promises. */
export class InvalidResponseError extends SluiceError {
  readonly code = 'INVALID_RESPONSE';
  readonly status = 502;
}

/** An error answered by a server, rebuilt on the client side with its code and status. */
export class RemoteError extends SluiceError {
  readonly code: string;
  readonly status: number;
  override readonly retriable: boolean;
  /** `retriable`: what the server said; unsaid, 429 and 5xx are. */
  constructor(code: string, status: number, message: string, details: Record<string, unknown> = {}, retriable?: boolean) {
    super(message, { details });
    this.code = code;
    this.status = status;
    this.retriable = retriable ?? (status === 429 || status >= 500);
  }
}

/** API Gateway's names for its own refusals, which carry no code. */
const gatewayCodes: ReadonlyMap<number, string> = new Map([
  [401, 'UNAUTHORIZED'],
  [403, 'FORBIDDEN'],
]);

/**
 * The error of a non-2xx answer, from its parsed body: the API's ErrorResponse,
 * `{error: {code, message, ...details}}`, or API Gateway's own refusals (IAM
 * authorization, throttling, a failed integration), `{"message": "..."}`, whose message
 * says what was wrong with the signature or credentials. The body is whatever came back,
 * so each field is checked before it is used.
 */
export function errorFromResponse(status: number, body: unknown): RemoteError {
  if (body !== null && typeof body === 'object' && !('error' in body) && 'message' in body && typeof body.message === 'string') {
    return new RemoteError(gatewayCodes.get(status) ?? 'INTERNAL', status, body.message, {});
  }
  const error: Partial<Record<keyof ErrorResponse['error'], unknown>> = (body as Partial<ErrorResponse> | null)?.error ?? {};
  const { code, message, retriable, ...details } = error;
  return new RemoteError(
    typeof code === 'string' ? code : 'INTERNAL',
    status,
    typeof message === 'string' ? message : `HTTP ${status}`,
    details,
    retriable === true ? true : undefined,
  );
}

/**
 * Errors of global fetch that mean "no answer": its TypeError ("fetch failed", with the
 * socket error as cause), our per-try timeout, or a bare system error from a custom fetch.
 */
export function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof SluiceError) return false;
  return (
    error.name === 'TypeError' ||
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    typeof (error as { code?: unknown }).code === 'string'
  );
}

/** The error code of a network failure from global fetch (undici wraps it in `cause`). */
function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return undefined;
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error && cause.name === 'TimeoutError') return ' (timed out)';
  const code = networkErrorCode(cause);
  return code ? ` (${code})` : '';
}
