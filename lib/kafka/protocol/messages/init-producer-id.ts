/**
 * InitProducerId (key 22), Kafka's InitProducerIdRequest.json and InitProducerIdResponse.json:
 * an idempotent (or transactional) producer's id and epoch. From v3 a producer may pass its
 * current id and epoch to have the epoch bumped instead of getting a new id.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const InitProducerIdRequest = {
  name: 'InitProducerIdRequest',
  type: 'request',
  apiKey: 22,
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'transactionalId', type: 'string', versions: '0+', nullableVersions: '0+' },
    { name: 'transactionTimeoutMs', type: 'int32', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '3+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '3+', default: -1 },
  ],
} as const satisfies MessageSpec;

export const InitProducerIdResponse = {
  name: 'InitProducerIdResponse',
  type: 'response',
  apiKey: 22,
  validVersions: '0-5',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+', ignorable: true },
    { name: 'errorCode', type: 'int16', versions: '0+' },
    { name: 'producerId', type: 'int64', versions: '0+', default: -1 },
    { name: 'producerEpoch', type: 'int16', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const InitProducerId = {
  name: 'InitProducerId',
  apiKey: 22,
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
} as const satisfies ApiSpec;
