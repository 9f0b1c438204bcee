/**
 * Metadata: this gateway as the one broker and controller, leader, sole replica and ISR
 * of every partition. A topic asked for that does not exist is UNKNOWN_TOPIC_OR_PARTITION,
 * or created with one partition when the gateway auto-creates and the request allows it.
 */
import { InvalidRequestError, TopicExistsError, TopicNotFoundError } from '../../core/errors.ts';
import { validateTopicName } from '../../core/topic-config.ts';
import type { TopicMeta } from '../../storage/topics.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler, type GatewayContext } from '../handler.ts';
import { KafkaErrors, Metadata } from '../protocol/index.ts';

/** Kafka's "not asked for" value of the authorized-operations fields. */
const noOperations = -2147483648;

export const metadataHandler = apiHandler({
  api: Metadata,
  minVersion: 0,
  maxVersion: 12,
  handle: async (request, version, context) => {
    const { storage, settings } = context;
    const names = request.topics === null || (version === 0 && request.topics.length === 0) ? undefined : request.topics.map((t) => t.name ?? '');
    const topics = names === undefined
      ? (await storage.topics.list()).map((meta) => describeTopic(meta))
      : await Promise.all(names.map((name) => lookUp(name, request.allowAutoTopicCreation, context)));
    return {
      brokers: [{ nodeId: settings.nodeId, host: settings.advertisedHost, port: settings.advertisedPort, rack: null }],
      clusterId: settings.clusterId,
      controllerId: settings.nodeId,
      topics,
      clusterAuthorizedOperations: noOperations,
    };

    function describeTopic(meta: TopicMeta) {
      return {
        errorCode: 0,
        name: meta.name,
        topicId: meta.topicId,
        isInternal: false,
        partitions: Array.from({ length: meta.partitions }, (_, partitionIndex) => ({
          errorCode: 0,
          partitionIndex,
          leaderId: settings.nodeId,
          leaderEpoch: 0,
          replicaNodes: [settings.nodeId],
          isrNodes: [settings.nodeId],
          offlineReplicas: [],
        })),
        topicAuthorizedOperations: noOperations,
      };
    }

    async function lookUp(name: string, allowCreate: boolean, { storage, settings }: GatewayContext) {
      try {
        return describeTopic(await storage.topics.get(name));
      } catch (error) {
        if (!(error instanceof TopicNotFoundError)) return { errorCode: kafkaErrorOf(error).code, name, partitions: [] };
        if (!settings.autoCreateTopics || !allowCreate) return { errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code, name, partitions: [] };
        try {
          return describeTopic(await storage.topics.create(validateTopicName(name), 1));
        } catch (createError) {
          // Another client created it meanwhile: describe that one.
          if (createError instanceof TopicExistsError) return describeTopic(await storage.topics.get(name, { fresh: true }));
          const code = createError instanceof InvalidRequestError ? KafkaErrors.INVALID_TOPIC_EXCEPTION.code : kafkaErrorOf(createError).code;
          return { errorCode: code, name, partitions: [] };
        }
      }
    }
  },
});
