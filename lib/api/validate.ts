/** Request parsing: every field checked for type and range before anything is stored. */
import { InvalidRequestError, PayloadTooLargeError } from '../core/errors.ts';
import type { ApiRequest } from './types.ts';

export type Json = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function invalid(field: string, message: string): InvalidRequestError {
  return new InvalidRequestError(`${field}: ${message}`, { details: { field } });
}

/** The body as a JSON object whose keys are all in `allowed` (an unknown key is usually a typo). */
export function jsonBody(request: ApiRequest, allowed: readonly string[], maxBytes: number): Json {
  const body = request.body ?? Buffer.alloc(0);
  if (body.length > maxBytes) throw new PayloadTooLargeError(`request body is larger than ${maxBytes} bytes`);
  if (body.length === 0) throw new InvalidRequestError('request body is empty; expected a JSON object');
  let parsed: unknown;
  try {
    // Fatal decoding: JSON is UTF-8, and a lenient decoder would store U+FFFD in place of bytes.
    parsed = JSON.parse(utf8.decode(body));
  } catch (err) {
    throw new InvalidRequestError(`malformed JSON: ${(err as Error).message}`);
  }
  return object(parsed, 'body', allowed);
}

export function object(value: unknown, field: string, allowed: readonly string[]): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'must be a JSON object');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw invalid(field, `unknown field '${key}'; allowed: ${allowed.join(', ')}`);
  }
  return value as Json;
}

export function integer(value: unknown, field: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}`);
  }
  return value as number;
}

/** A query parameter that must be a decimal integer (no sign, exponent or fraction). */
export function queryInteger(request: ApiRequest, name: string, min: number, max: number, fallback?: number): number {
  const raw = request.query[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw invalid(name, 'is required');
    return fallback;
  }
  if (!/^-?\d{1,16}$/.test(raw)) throw invalid(name, `must be an integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  return integer(Number(raw), name, min, max);
}

export function refuseUnknownQuery(request: ApiRequest, allowed: readonly string[]): void {
  for (const key of Object.keys(request.query)) {
    if (!allowed.includes(key)) throw invalid(key, `unknown query parameter; allowed: ${allowed.join(', ')}`);
  }
}

export type Encoding = 'utf8' | 'base64';

export function encoding(value: unknown, field = 'encoding'): Encoding {
  if (value === undefined) return 'utf8';
  if (value === 'utf8' || value === 'base64') return value;
  throw invalid(field, 'must be "utf8" or "base64"');
}

const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Text in the request's encoding to bytes; invalid base64 is refused, not guessed at. */
export function decodeText(value: string, enc: Encoding, field: string): Buffer {
  if (enc === 'utf8') return Buffer.from(value, 'utf8');
  if (!base64Pattern.test(value)) throw invalid(field, 'is not valid base64');
  return Buffer.from(value, 'base64');
}

export function encodeText(value: Uint8Array | null, enc: Encoding): string | null {
  if (value === null) return null;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString(enc);
}

/** A path's partition number: a decimal integer within the topic. */
export function partitionParam(raw: string, partitions: number): number {
  if (!/^\d{1,9}$/.test(raw)) throw invalid('partition', `must be an integer, got ${JSON.stringify(raw.slice(0, 40))}`);
  return integer(Number(raw), 'partition', 0, partitions - 1);
}
