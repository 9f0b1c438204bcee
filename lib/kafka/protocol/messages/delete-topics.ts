/**
 * DeleteTopics (key 20), Kafka's DeleteTopicsRequest.json and DeleteTopicsResponse.json.
 * Up to v5 the request is a list of names (TopicNames); v6 replaces it with Topics, each a
 * name or a topic id, and the response's name may then be null.
 */
import type { ApiSpec, MessageSpec } from '../schema.ts';

export const DeleteTopicsRequest = {
  name: 'DeleteTopicsRequest',
  type: 'request',
  apiKey: 20,
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    {
      name: 'topics', type: '[]DeleteTopicState', versions: '6+', fields: [
        { name: 'name', type: 'string', versions: '6+', nullableVersions: '6+', default: null },
        { name: 'topicId', type: 'uuid', versions: '6+' },
      ],
    },
    { name: 'topicNames', type: '[]string', versions: '0-5', ignorable: true },
    { name: 'timeoutMs', type: 'int32', versions: '0+' },
  ],
} as const satisfies MessageSpec;

export const DeleteTopicsResponse = {
  name: 'DeleteTopicsResponse',
  type: 'response',
  apiKey: 20,
  validVersions: '0-6',
  flexibleVersions: '4+',
  fields: [
    { name: 'throttleTimeMs', type: 'int32', versions: '1+', ignorable: true },
    {
      name: 'responses', type: '[]DeletableTopicResult', versions: '0+', fields: [
        { name: 'name', type: 'string', versions: '0+', nullableVersions: '6+' },
        { name: 'topicId', type: 'uuid', versions: '6+', ignorable: true },
        { name: 'errorCode', type: 'int16', versions: '0+' },
        { name: 'errorMessage', type: 'string', versions: '5+', nullableVersions: '5+', default: null, ignorable: true },
      ],
    },
  ],
} as const satisfies MessageSpec;

export const DeleteTopics = {
  name: 'DeleteTopics',
  apiKey: 20,
  request: DeleteTopicsRequest,
  response: DeleteTopicsResponse,
} as const satisfies ApiSpec;
