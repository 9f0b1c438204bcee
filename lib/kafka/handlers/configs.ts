/**
 * DescribeConfigs and IncrementalAlterConfigs: a topic's configs under Kafka's names, as
 * GET and PATCH /v1/topics/{topic} show and change them. Only topics have configs here
 * (resource type 2); a broker's list is empty and cannot be altered.
 */
import { InvalidRequestError } from '../../core/errors.ts';
import {
  apiConfigKey,
  apiConfigKeys,
  configValueFromText,
  defaultTopicConfig,
  kafkaConfigNames,
  mergeTopicConfig,
  type TopicConfig,
} from '../../core/topic-config.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { DescribeConfigs, IncrementalAlterConfigs, KafkaErrors } from '../protocol/index.ts';

/** Kafka's ConfigResource.Type. */
const TOPIC = 2;
const BROKER = 4;
/** Kafka's ConfigSource: set on the topic, or the default. */
const TOPIC_CONFIG = 1;
const DEFAULT_CONFIG = 5;
/** Kafka's ConfigType of each key. */
const configTypes: Readonly<Record<keyof TopicConfig, number>> = {
  cleanupPolicy: 7, // list
  retentionMs: 5, // long
  retentionBytes: 5,
  maxMessageBytes: 3, // int
  segmentBytes: 3,
  segmentMs: 5,
  deleteRetentionMs: 5,
  compressionType: 2, // string
};
/** IncrementalAlterConfigs' operations. */
const SET = 0;
const DELETE = 1;

export const describeConfigsHandler = apiHandler({
  api: DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  handle: async (request, version, { storage }) => ({
    results: await Promise.all(
      request.resources.map(async ({ resourceType, resourceName, configurationKeys }) => {
        const resource = { resourceType, resourceName };
        if (resourceType === BROKER) return { ...resource, errorCode: 0, errorMessage: null, configs: [] };
        if (resourceType !== TOPIC) return { ...resource, ...unsupported(resourceType), configs: [] };
        try {
          const { config } = await storage.topics.get(resourceName, { fresh: true });
          const keys = apiConfigKeys.filter((key) => configurationKeys === null || configurationKeys.includes(kafkaConfigNames[key]));
          const configs = keys.map((key) => {
            const name = kafkaConfigNames[key];
            const value = String(config[key]);
            const isDefault = config[key] === defaultTopicConfig[key];
            const source = isDefault ? DEFAULT_CONFIG : TOPIC_CONFIG;
            return {
              name,
              value,
              readOnly: false,
              // v0 says IsDefault; later versions say it with the source.
              ...(version === 0 ? { isDefault } : {}),
              configSource: source,
              isSensitive: false,
              synonyms: request.includeSynonyms ? [{ name, value, source }] : [],
              configType: configTypes[key],
              documentation: null,
            };
          });
          return { ...resource, errorCode: 0, errorMessage: null, configs };
        } catch (error) {
          return { ...resource, errorCode: kafkaErrorOf(error).code, errorMessage: (error as Error).message.slice(0, 300), configs: [] };
        }
      }),
    ),
  }),
});

export const incrementalAlterConfigsHandler = apiHandler({
  api: IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  handle: async (request, _version, { storage }) => ({
    responses: await Promise.all(
      request.resources.map(async ({ resourceType, resourceName, configs }) => {
        const resource = { resourceType, resourceName };
        if (resourceType !== TOPIC) return { ...resource, ...unsupported(resourceType) };
        try {
          const update: Record<string, string | number> = {};
          for (const { name, configOperation, value } of configs) {
            const key = apiConfigKey(name);
            if (!key) throw new InvalidRequestError(`unknown config '${name}' (known: ${Object.values(kafkaConfigNames).join(', ')})`);
            if (configOperation === SET) update[key] = configValueFromText(key, value ?? '');
            else if (configOperation === DELETE) update[key] = defaultTopicConfig[key];
            else throw new InvalidRequestError(`${name} is not a list: only SET and DELETE apply to it`);
          }
          if (request.validateOnly) mergeTopicConfig((await storage.topics.get(resourceName, { fresh: true })).config, update);
          else await storage.topics.update(resourceName, { config: update });
          return { ...resource, errorCode: 0, errorMessage: null };
        } catch (error) {
          const code = error instanceof InvalidRequestError ? KafkaErrors.INVALID_CONFIG : kafkaErrorOf(error);
          return { ...resource, errorCode: code.code, errorMessage: (error as Error).message.slice(0, 300) };
        }
      }),
    ),
  }),
});

function unsupported(resourceType: number) {
  return { errorCode: KafkaErrors.INVALID_REQUEST.code, errorMessage: `resource type ${resourceType} has no configs here (topics are type ${TOPIC})` };
}
