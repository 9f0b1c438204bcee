/**
 * DescribeConfigs (key 32), Kafka's DescribeConfigsRequest.json and DescribeConfigsResponse.json.
 * Resource types: 2 = topic, 4 = broker, 8 = broker logger. v0 says IsDefault per config;
 * v1 replaces it with ConfigSource and adds synonyms; v3 adds the type and documentation.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const DescribeConfigsRequest = {
  name: 'DescribeConfigsRequest',
  type: 'request',
  apiKey: 32,
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    {
      name: 'resources', type: '[]DescribeConfigsResource', versions: '0+', fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        // null: every key.
        { name: 'configurationKeys', type: '[]string', versions: '0+', nullableVersions: '0+' },
      ],
    },
    { name: 'includeSynonyms', type: 'bool', versions: '1+', default: false },
    { name: 'includeDocumentation', type: 'bool', versions: '3+', default: false },
  ],
} as const satisfies MessageSpec;

export const DescribeConfigsResponse = {
  name: 'DescribeConfigsResponse',
  type: 'response',
  apiKey: 32,
  validVersions: '0-4',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results', type: '[]DescribeConfigsResult', versions: '0+', fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs', type: '[]DescribeConfigsResourceResult', versions: '0+', fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
            { name: 'readOnly', type: 'bool', versions: '0+' },
            { name: 'isDefault', type: 'bool', versions: '0' },
            // 0 unknown, 1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default.
            { name: 'configSource', type: 'int8', versions: '1+', default: -1, ignorable: true },
            { name: 'isSensitive', type: 'bool', versions: '0+' },
            {
              name: 'synonyms', type: '[]DescribeConfigsSynonym', versions: '1+', ignorable: true, fields: [
                { name: 'name', type: 'string', versions: '1+' },
                { name: 'value', type: 'string', versions: '1+', nullableVersions: '0+' },
                { name: 'source', type: 'int8', versions: '1+' },
              ],
            },
            // 0 unknown, 1 boolean, 2 string, 3 int, 4 short, 5 long, 6 double, 7 list, 8 class, 9 password.
            { name: 'configType', type: 'int8', versions: '3+', default: 0, ignorable: true },
            { name: 'documentation', type: 'string', versions: '3+', nullableVersions: '0+', ignorable: true },
          ],
        },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DescribeConfigs = {
  name: 'DescribeConfigs',
  apiKey: 32,
  request: DescribeConfigsRequest,
  response: DescribeConfigsResponse,
} as const satisfies ApiSpec;
