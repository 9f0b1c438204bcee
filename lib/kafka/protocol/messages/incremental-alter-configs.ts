/**
 * IncrementalAlterConfigs (key 44), Kafka's IncrementalAlterConfigsRequest.json and
 * IncrementalAlterConfigsResponse.json. ConfigOperation: 0 set, 1 delete, 2 append, 3 subtract.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const IncrementalAlterConfigsRequest = {
  name: 'IncrementalAlterConfigsRequest',
  type: 'request',
  apiKey: 44,
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    {
      name: 'resources', type: '[]AlterConfigsResource', versions: '0+', fields: [
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
        {
          name: 'configs', type: '[]AlterableConfig', versions: '0+', fields: [
            { name: 'name', type: 'string', versions: '0+' },
            { name: 'configOperation', type: 'int8', versions: '0+' },
            { name: 'value', type: 'string', versions: '0+', nullableVersions: '0+' },
          ],
        },
      ],
    },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const IncrementalAlterConfigsResponse = {
  name: 'IncrementalAlterConfigsResponse',
  type: 'response',
  apiKey: 44,
  validVersions: '0-1',
  flexibleVersions: '1+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'responses', type: '[]AlterConfigsResourceResponse', versions: '0+', fields: [
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+' },
        { name: 'resourceType', type: 'int8', versions: '0+' },
        { name: 'resourceName', type: 'string', versions: '0+' },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const IncrementalAlterConfigs = {
  name: 'IncrementalAlterConfigs',
  apiKey: 44,
  request: IncrementalAlterConfigsRequest,
  response: IncrementalAlterConfigsResponse,
} as const satisfies ApiSpec;
