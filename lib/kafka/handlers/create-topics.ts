/**
 * CreateTopics: as POST /v1/topics, with Kafka's config names (retention.ms) and
 * numPartitions -1 meaning the broker default, one. The replication factor is accepted and
 * changes nothing: DynamoDB and S3 keep every record in three Availability Zones.
 */
import { InvalidRequestError, TopicExistsError } from '../../core/errors.ts';
import { apiConfigKey, configValueFromText, kafkaConfigNames, validatePartitionCount, validateTopicName } from '../../core/topic-config.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { CreateTopics, KafkaErrors } from '../protocol/index.ts';

export const createTopicsHandler = apiHandler({
  api: CreateTopics,
  minVersion: 0,
  maxVersion: 7,
  handle: async (request, _version, { storage }) => ({
    topics: await Promise.all(
      request.topics.map(async (topic) => {
        try {
          const name = validateTopicName(topic.name);
          const partitions = validatePartitionCount(topic.numPartitions === -1 ? 1 : topic.numPartitions, 'numPartitions');
          const config: Record<string, string | number> = {};
          for (const { name: configName, value } of topic.configs) {
            const key = apiConfigKey(configName);
            if (!key) throw new InvalidRequestError(`unknown config '${configName}' (known: ${Object.values(kafkaConfigNames).join(', ')})`);
            config[key] = configValueFromText(key, value ?? '');
          }
          if (request.validateOnly) {
            // Checked as a create would be, nothing written.
            await storage.topics.get(name).then(
              () => Promise.reject(new TopicExistsError(name)),
              () => undefined,
            );
            return { name, errorCode: 0, numPartitions: partitions, replicationFactor: 1 };
          }
          const created = await storage.topics.create(name, partitions, config);
          return { name, topicId: created.topicId, errorCode: 0, errorMessage: null, numPartitions: created.partitions, replicationFactor: 1 };
        } catch (error) {
          const kafka = error instanceof InvalidRequestError ? invalidKind(error) : kafkaErrorOf(error);
          return { name: topic.name, errorCode: kafka.code, errorMessage: (error as Error).message.slice(0, 300) };
        }
      }),
    ),
  }),
});

/** Which of Kafka's codes an invalid request is, from the field it names. */
function invalidKind(error: InvalidRequestError) {
  const field = String(error.details.field ?? '');
  if (field === 'name') return KafkaErrors.INVALID_TOPIC_EXCEPTION;
  if (field === 'numPartitions') return KafkaErrors.INVALID_PARTITIONS;
  return KafkaErrors.INVALID_CONFIG;
}
