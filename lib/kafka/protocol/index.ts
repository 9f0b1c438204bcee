/**
 * The Kafka wire protocol as data: message definitions (messages/), one codec over them,
 * headers, and Kafka's error codes. A handler does
 *
 *   const { header, api, bodyOffset } = decodeRequestHeader(frame);
 *   const { value } = decode(Metadata.request, header.requestApiVersion, frame, bodyOffset);
 *   return encodeResponse(Metadata, header.requestApiVersion, header.correlationId, { brokers, topics });
 *
 * and a "consumer" group's member metadata inside JoinGroup is read with
 * decodeVersioned(ConsumerProtocolSubscription, protocol.metadata).
 */
export { decode, encode, isFlexible, ZERO_UUID } from './codec.ts';
export { ProtocolError } from './errors.ts';
export { kafkaErrorByCode, KafkaErrors, type KafkaError, type KafkaErrorName } from './error-codes.ts';
export {
  decodeRequestHeader,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  requestHeaderVersion,
  RequestHeader,
  responseHeaderVersion,
  ResponseHeader,
  type DecodedRequestHeader,
} from './header.ts';
export * from './messages/index.ts';
export { decodeVersioned, encodeVersioned } from './versioned.ts';
export type { ApiSpec, FieldSpec, MessageInput, MessageSpec, MessageValue, RequestOf, ResponseInputOf } from './schema.ts';
