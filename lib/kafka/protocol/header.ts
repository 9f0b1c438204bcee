/**
 * Request and response headers (Kafka's RequestHeader.json and ResponseHeader.json) and the
 * rule for which header goes with which API version, as Kafka's ApiMessageType applies it:
 *
 *   RequestHeader v1  => request_api_key int16, request_api_version int16, correlation_id int32,
 *                        client_id nullable string (int16 length)
 *   RequestHeader v2  => v1, then a tagged-fields section; client_id keeps its int16 length
 *                        so any broker can read the header of an ApiVersions of any version
 *   ResponseHeader v0 => correlation_id int32
 *   ResponseHeader v1 => correlation_id int32, then a tagged-fields section
 *
 * A flexible API version takes request header v2 and response header v1, others v1 and v0;
 * ApiVersions answers with response header v0 always (see messages/api-versions.ts). Request
 * header v0 (no client id) is only ControlledShutdown v0's, which is not served here. Frames
 * here are without their int32 size prefix, which is the framing's.
 */
import { decode, isFlexible, writeMessage } from './codec.ts';
import { ProtocolError } from './errors.ts';
import { Writer } from './io.ts';
import { ApiVersions } from './messages/api-versions.ts';
import { apiByKey } from './messages/index.ts';
import type { ApiSpec, MessageInput, MessageSpec, MessageValue } from './schema.ts';

export const RequestHeader = {
  name: 'RequestHeader',
  type: 'header',
  validVersions: '0-2',
  flexibleVersions: '2+',
  fields: [
    { name: 'requestApiKey', type: 'int16', versions: '0+' },
    { name: 'requestApiVersion', type: 'int16', versions: '0+' },
    { name: 'correlationId', type: 'int32', versions: '0+' },
    { name: 'clientId', type: 'string', versions: '1+', nullableVersions: '1+', ignorable: true, flexibleVersions: 'none' },
  ],
} as const satisfies MessageSpec;

export const ResponseHeader = {
  name: 'ResponseHeader',
  type: 'header',
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [{ name: 'correlationId', type: 'int32', versions: '0+' }],
} as const satisfies MessageSpec;

export type RequestHeaderValue = MessageValue<typeof RequestHeader>;

/** The request header version for a version of an API: 2 if that version is flexible, else 1. */
export function requestHeaderVersion(api: ApiSpec, apiVersion: number): 1 | 2 {
  return isFlexible(api.request, apiVersion) ? 2 : 1;
}

/** The response header version: 1 if the version is flexible, else 0; always 0 for ApiVersions. */
export function responseHeaderVersion(api: ApiSpec, apiVersion: number): 0 | 1 {
  if (api.apiKey === ApiVersions.apiKey) return 0;
  return isFlexible(api.response, apiVersion) ? 1 : 0;
}

export interface DecodedRequestHeader {
  readonly header: RequestHeaderValue;
  /** The API named by the header, or undefined for a key not defined here. */
  readonly api: ApiSpec | undefined;
  /** 1 or 2; an unknown API's header is read as v1, all a broker can do before closing. */
  readonly headerVersion: number;
  /** Where the body starts in the frame. */
  readonly bodyOffset: number;
}

/**
 * Reads a request's header from a frame (without its size prefix). The API version is not
 * checked against the API's range: a header of an unsupported version still parses, so an
 * ApiVersions request of any version can be answered with UNSUPPORTED_VERSION.
 */
export function decodeRequestHeader(frame: Buffer, offset = 0): DecodedRequestHeader {
  if (!Number.isInteger(offset) || offset < 0 || frame.length - offset < 4) {
    throw new ProtocolError(`request header: ${frame.length - offset} bytes, too short for a key and a version`);
  }
  const api = apiByKey(frame.readInt16BE(offset));
  const headerVersion = api === undefined ? 1 : requestHeaderVersion(api, frame.readInt16BE(offset + 2));
  const { value, bytesRead } = decode(RequestHeader, headerVersion, frame, offset);
  return { header: value, api, headerVersion, bodyOffset: offset + bytesRead };
}

/** A response frame (without its size prefix): the header for this API version, then the body. */
export function encodeResponse<A extends ApiSpec>(
  api: A,
  apiVersion: number,
  correlationId: number,
  body: MessageInput<A['response']>,
): Buffer {
  const writer = new Writer(1024);
  writeMessage(writer, ResponseHeader, responseHeaderVersion(api, apiVersion), { correlationId });
  writeMessage(writer, api.response, apiVersion, body);
  return writer.finish();
}

/** A request frame (without its size prefix), as a client sends it: for tests and tools. */
export function encodeRequest<A extends ApiSpec>(
  api: A,
  apiVersion: number,
  header: { readonly correlationId: number; readonly clientId: string | null },
  body: MessageInput<A['request']>,
): Buffer {
  const writer = new Writer(1024);
  const { correlationId, clientId } = header;
  const headerValue = { requestApiKey: api.apiKey, requestApiVersion: apiVersion, correlationId, clientId };
  writeMessage(writer, RequestHeader, requestHeaderVersion(api, apiVersion), headerValue);
  writeMessage(writer, api.request, apiVersion, body);
  return writer.finish();
}

/** Reads a response frame (without its size prefix), as a client does: for tests and tools. */
export function decodeResponse<A extends ApiSpec>(
  api: A,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: MessageValue<A['response']> } {
  const header = decode(ResponseHeader, responseHeaderVersion(api, apiVersion), frame);
  const { value } = decode(api.response, apiVersion, frame, header.bytesRead);
  return { correlationId: header.value.correlationId, body: value as MessageValue<A['response']> };
}
