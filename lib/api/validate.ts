/**
 * Request parsing: every field checked for type and range before anything is stored.
 *
 * Every check here costs time linear in the input it is given, and every count limit is
 * checked before the items it counts are walked: a request is refused in about the time
 * it takes to read it, however it is shaped, so bad input cannot stall the container.
 * Messages quote at most a short prefix of what they refuse.
 */
import { COMPRESSIONS, type Compression } from '../core/codec/compression.ts';
import { InvalidRequestError, PayloadTooLargeError } from '../core/errors.ts';
import type { Encoding } from '../core/http-contract.ts';
import { MAX_PARTITIONS, validateGroupId, validateTopicName } from '../core/topic-config.ts';
import type { ApiRequest } from './types.ts';

export type Json = Record<string, unknown>;

/** Limits on the shape of any request, whatever its route. */
export const requestLimits = {
  /** Deepest nesting of arrays and objects in a body; the deepest the API reads is 4. */
  maxJsonDepth: 32,
  /** Longest path, in characters; the longest valid one is under 700. */
  maxPathLength: 2048,
  /** Most query parameters; no route reads more than 5. */
  maxQueryParameters: 16,
  /** Longest query parameter name or value, in characters. */
  maxQueryLength: 256,
} as const;

/** How much of a refused value or name a message quotes. */
const shownLength = 40;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A short, quoted prefix of `text` for an error message. */
export function shown(text: string): string {
  return text.length > shownLength ? `${JSON.stringify(text.slice(0, shownLength))}…` : JSON.stringify(text);
}

export function invalid(field: string, message: string): InvalidRequestError {
  // A field name may embed a caller's key (a header name): keep the message short.
  const name = field.length > 300 ? `${field.slice(0, 300)}…` : field;
  return new InvalidRequestError(`${name}: ${message}`, { details: { field: name } });
}

type Allowed = ReadonlySet<string> | readonly string[];

/** Names Fields' compile-time-only member; no value exists at run time. */
declare const requestType: unique symbol;

/** The top-level keys of a request type `T` of lib/core/http-contract.ts, made by `fields`. */
export interface Fields<T> extends ReadonlySet<string> {
  /** Compile time only, never set: the request type these keys are of. */
  readonly [requestType]: T;
}

/**
 * The keys of a contract's request type, each named once (order kept for messages): a
 * key missing, extra or renamed on either side fails to compile.
 */
export function fields<T>(keys: { readonly [K in keyof T]-?: true }): Fields<T> {
  const set: ReadonlySet<string> = new Set(Object.keys(keys));
  return set as Fields<T>;
}

/** A body as read against its contract type: only the contract's keys, each value not checked yet. */
export type Unchecked<T> = { readonly [K in keyof T]?: unknown };

const asSet = (allowed: Allowed): ReadonlySet<string> => (allowed instanceof Set ? allowed : new Set(allowed));

/**
 * The body as a JSON object whose keys are all in `allowed` (an unknown key is usually a
 * typo). Nesting deeper than requestLimits.maxJsonDepth is refused before parsing.
 */
export function jsonBody<T>(request: ApiRequest, allowed: Fields<T>, maxBytes: number): Unchecked<T>;
export function jsonBody(request: ApiRequest, allowed: Allowed, maxBytes: number): Json;
export function jsonBody(request: ApiRequest, allowed: Allowed, maxBytes: number): Json {
  const body = request.body ?? Buffer.alloc(0);
  if (body.length > maxBytes) throw new PayloadTooLargeError(`request body is larger than ${maxBytes} bytes`);
  if (body.length === 0) throw new InvalidRequestError('request body is empty; expected a JSON object');
  refuseDeepNesting(body);
  let parsed: unknown;
  try {
    // Fatal decoding: JSON is UTF-8, and a lenient decoder would store U+FFFD in place of bytes.
    parsed = JSON.parse(utf8.decode(body));
  } catch (err) {
    throw new InvalidRequestError(`malformed JSON: ${(err as Error).message.slice(0, 200)}`);
  }
  return object(parsed, 'body', allowed);
}

const [quote, backslash, openArray, openObject, closeArray, closeObject] = ['"', '\\', '[', '{', ']', '}'].map((c) => c.charCodeAt(0));

/**
 * One pass over the bytes, counting brackets outside strings. JSON.parse copes with any
 * depth, but spends a second on a million brackets, and what handles the result next
 * (JSON.stringify in a message, any recursion) would overflow the stack.
 */
function refuseDeepNesting(body: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === backslash) i++;
      else if (byte === quote) inString = false;
    } else if (byte === quote) {
      inString = true;
    } else if (byte === openArray || byte === openObject) {
      if (++depth > requestLimits.maxJsonDepth) {
        throw new InvalidRequestError(`request body nests arrays and objects deeper than ${requestLimits.maxJsonDepth} levels`);
      }
    } else if (byte === closeArray || byte === closeObject) {
      depth--;
    }
  }
}

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON object whose keys are all in `allowed`; the first unknown key is refused. */
export function object<T>(value: unknown, field: string, allowed: Fields<T>): Unchecked<T>;
export function object(value: unknown, field: string, allowed: Allowed): Json;
export function object(value: unknown, field: string, allowed: Allowed): Json {
  if (!isObject(value)) throw invalid(field, 'must be a JSON object');
  const known = asSet(allowed);
  for (const key in value) {
    if (!known.has(key)) throw invalid(field, `unknown field ${shown(key)}; allowed: ${[...known].join(', ')}`);
  }
  return value;
}

/**
 * A free-form JSON object (header names, partition numbers) as its entries, refused
 * with `what` when it has more than `max` keys; the keys are counted, stopping at
 * max + 1, before anything is copied.
 */
export function map(value: unknown, field: string, max: number, what: string): Array<[string, unknown]> {
  if (!isObject(value)) throw invalid(field, 'must be a JSON object');
  let count = 0;
  for (const key in value) {
    if (++count > max) throw invalid(field, `at most ${max} ${what}`);
    void key;
  }
  return Object.entries(value);
}

/** What a range allows, as a person would say it. */
function range(min: number, max: number): string {
  if (max < Number.MAX_SAFE_INTEGER) return `an integer from ${min} to ${max}`;
  if (min === 0) return 'a non-negative integer';
  if (min === 1) return 'a positive integer';
  if (min <= -Number.MAX_SAFE_INTEGER) return 'an integer';
  return `an integer of at least ${min}`;
}

/** A safe integer in [min, max]; `what` adds context to the message (e.g. the topic's partition count). */
export function integer(value: unknown, field: string, min: number, max: number, what = ''): number {
  if (!Number.isSafeInteger(value) || (value as number) < min || (value as number) > max) {
    throw invalid(field, `must be ${range(min, max)}${what}`);
  }
  return value as number;
}

/** A string of 1 to `max` characters. */
export function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) throw invalid(field, `must be a string of 1 to ${max} characters`);
  return value;
}

/** Kafka's name rule allows at most 249 characters. */
const maxNameLength = 249;

/** A topic name; its length is checked first, so the message never quotes a long value. */
export function topicName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > maxNameLength) throw invalid(field, `must be a topic name: 1 to ${maxNameLength} of a-z A-Z 0-9 . _ -`);
  return validateTopicName(value, field);
}

/** A group id (or instance id), under the topic name rule. */
export function groupId(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > maxNameLength) throw invalid(field, `must be a group id: 1 to ${maxNameLength} of a-z A-Z 0-9 . _ -`);
  return validateGroupId(value, field);
}

/** A partition number in a body where the topic is not at hand: below MAX_PARTITIONS. */
export function partitionNumber(value: unknown, field: string): number {
  return integer(value, field, 0, MAX_PARTITIONS - 1, ` (a topic has at most ${MAX_PARTITIONS} partitions)`);
}

/** A query parameter that must be a decimal integer (no sign, exponent or fraction). */
export function queryInteger(request: ApiRequest, name: string, min: number, max: number, fallback?: number): number {
  const raw = request.query[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw invalid(name, `is required: ${range(min, max)}`);
    return fallback;
  }
  if (!/^-?\d{1,16}$/.test(raw)) throw invalid(name, `must be ${range(min, max)}, got ${shown(raw)}`);
  return integer(Number(raw), name, min, max);
}

/**
 * Refuses a query string past requestLimits (its count, then each name and value) on
 * every route, and with `allowed`, any parameter not in it.
 */
export function checkQuery(request: ApiRequest, allowed?: Allowed): void {
  let count = 0;
  const known = allowed && asSet(allowed);
  for (const key in request.query) {
    if (++count > requestLimits.maxQueryParameters) throw invalid('query', `at most ${requestLimits.maxQueryParameters} query parameters`);
    const value = request.query[key] ?? '';
    if (key.length > requestLimits.maxQueryLength || value.length > requestLimits.maxQueryLength) {
      throw invalid('query', `parameter ${shown(key)}: query parameter names and values are at most ${requestLimits.maxQueryLength} characters`);
    }
    if (known && !known.has(key)) throw invalid(key, `unknown query parameter; allowed: ${[...known].join(', ')}`);
  }
}

export type { Encoding } from '../core/http-contract.ts';

export function encoding(value: unknown, field = 'encoding'): Encoding {
  if (value === undefined) return 'utf8';
  if (value === 'utf8' || value === 'base64') return value;
  throw invalid(field, 'must be "utf8" or "base64"');
}

export function compression(value: unknown, field = 'compression'): Compression | undefined {
  if (value === undefined || (typeof value === 'string' && (COMPRESSIONS as readonly string[]).includes(value))) return value as Compression | undefined;
  throw invalid(field, `must be one of ${COMPRESSIONS.map((c) => `"${c}"`).join(', ')}`);
}

/** Any character outside the base64 alphabet and its padding; a search, so no backtracking. */
const notBase64 = /[^A-Za-z0-9+/=]/;

/**
 * Canonical padded base64: a multiple of 4 characters of the alphabet, with `=` only as
 * the last one or two. (A regular expression with a repeated group overflows V8's
 * backtracking stack on a few megabytes of text, valid or not.)
 */
function isBase64(value: string): boolean {
  if (value.length % 4 !== 0 || notBase64.test(value)) return false;
  const padding = value.indexOf('=');
  return padding === -1 || (padding >= value.length - 2 && value.slice(padding) === '='.repeat(value.length - padding));
}

/** Text in the request's encoding to bytes; invalid base64 is refused, not guessed at. */
export function decodeText(value: string, enc: Encoding, field: string): Buffer {
  if (enc === 'utf8') return Buffer.from(value, 'utf8');
  if (!isBase64(value)) throw invalid(field, 'is not valid base64');
  return Buffer.from(value, 'base64');
}

export function encodeText(value: Uint8Array | null, enc: Encoding): string | null {
  if (value === null) return null;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString(enc);
}

/** The partitions of a topic with `partitions` of them, for messages. */
export function partitionRange(partitions: number): string {
  return `an integer from 0 to ${partitions - 1} (the topic has ${partitions} partition${partitions === 1 ? '' : 's'})`;
}

/** A path's partition number: a decimal integer within the topic. */
export function partitionParam(raw: string, partitions: number): number {
  if (!/^\d{1,9}$/.test(raw) || Number(raw) >= partitions) throw invalid('partition', `must be ${partitionRange(partitions)}, got ${shown(raw)}`);
  return Number(raw);
}
