/**
 * ApiVersions (key 18), Kafka's ApiVersionsRequest.json and ApiVersionsResponse.json: the
 * first request of a connection, which picks the version of every other API.
 *
 * Its response header is v0 in every version, even the flexible ones: a client that sent a
 * version the broker does not know must still be able to read the answer, which is a v0
 * body with UNSUPPORTED_VERSION and the broker's ranges (KIP-511).
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const ApiVersionsRequest = {
  name: 'ApiVersionsRequest',
  type: 'request',
  apiKey: 18,
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'clientSoftwareName', type: 'string', versions: '3+', ignorable: true },
    { name: 'clientSoftwareVersion', type: 'string', versions: '3+', ignorable: true },
  ],
} as const satisfies MessageSpec;

export const ApiVersionsResponse = {
  name: 'ApiVersionsResponse',
  type: 'response',
  apiKey: 18,
  validVersions: '0-4',
  flexibleVersions: '3+',
  fields: [
    { name: 'errorCode', type: 'int16', versions: '0+' },
    {
      name: 'apiKeys', type: '[]ApiVersion', versions: '0+', fields: [
        { name: 'apiKey', type: 'int16', versions: '0+' },
        { name: 'minVersion', type: 'int16', versions: '0+' },
        { name: 'maxVersion', type: 'int16', versions: '0+' },
      ],
    },
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'supportedFeatures', type: '[]SupportedFeatureKey', versions: '3+', tag: 0, taggedVersions: '3+', ignorable: true,
      fields: [
        { name: 'name', type: 'string', versions: '3+' },
        { name: 'minVersion', type: 'int16', versions: '3+' },
        { name: 'maxVersion', type: 'int16', versions: '3+' },
      ],
    },
    { name: 'finalizedFeaturesEpoch', type: 'int64', versions: '3+', tag: 1, taggedVersions: '3+', default: -1, ignorable: true },
    {
      name: 'finalizedFeatures', type: '[]FinalizedFeatureKey', versions: '3+', tag: 2, taggedVersions: '3+', ignorable: true,
      fields: [
        { name: 'name', type: 'string', versions: '3+' },
        { name: 'maxVersionLevel', type: 'int16', versions: '3+' },
        { name: 'minVersionLevel', type: 'int16', versions: '3+' },
      ],
    },
    { name: 'zkMigrationReady', type: 'bool', versions: '3+', tag: 3, taggedVersions: '3+', default: false, ignorable: true },
  ],
} as const satisfies MessageSpec;

export const ApiVersions = {
  name: 'ApiVersions',
  apiKey: 18,
  request: ApiVersionsRequest,
  response: ApiVersionsResponse,
} as const satisfies ApiSpec;
