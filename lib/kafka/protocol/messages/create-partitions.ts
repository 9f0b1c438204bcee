/**
 * CreatePartitions (key 37), Kafka's CreatePartitionsRequest.json and
 * CreatePartitionsResponse.json: raise a topic's partition count to Count.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const CreatePartitionsRequest = {
  name: 'CreatePartitionsRequest',
  type: 'request',
  apiKey: 37,
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    {
      name: 'topics', type: '[]CreatePartitionsTopic', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'count', type: 'int32', versions: '0+' },
        {
          name: 'assignments', type: '[]CreatePartitionsAssignment', versions: '0+', nullableVersions: '0+', fields: [
            { name: 'brokerIds', type: '[]int32', versions: '0+' },
          ],
        },
      ],
    },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
    { name: 'validateOnly', type: 'bool', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const CreatePartitionsResponse = {
  name: 'CreatePartitionsResponse',
  type: 'response',
  apiKey: 37,
  validVersions: '0-3',
  flexibleVersions: '2+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '0+' },
    {
      name: 'results', type: '[]CreatePartitionsTopicResult', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+' },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '0+', nullableVersions: '0+', default: null },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const CreatePartitions = {
  name: 'CreatePartitions',
  apiKey: 37,
  request: CreatePartitionsRequest,
  response: CreatePartitionsResponse,
} as const satisfies ApiSpec;
