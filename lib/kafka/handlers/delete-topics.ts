/**
 * DeleteTopics: as DELETE /v1/topics/{topic}, per topic. From v6 a topic may be named by
 * its id alone; the answer then carries both.
 */
import type { Storage } from '../../storage/index.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { DeleteTopics, KafkaErrors, ZERO_UUID } from '../protocol/index.ts';

export const deleteTopicsHandler = apiHandler({
  api: DeleteTopics,
  minVersion: 0,
  maxVersion: 6,
  handle: async (request, version, { storage }) => {
    const asked = version >= 6 ? request.topics : request.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    return {
      responses: await Promise.all(
        asked.map(async ({ name, topicId }) => {
          const named = name ?? (await nameOf(storage, topicId));
          if (named === undefined) {
            return { name: null, topicId, errorCode: KafkaErrors.UNKNOWN_TOPIC_ID.code, errorMessage: `no topic has id ${topicId}` };
          }
          try {
            const meta = await storage.topics.get(named, { fresh: true });
            await storage.topics.delete(named);
            return { name: named, topicId: meta.topicId, errorCode: 0, errorMessage: null };
          } catch (error) {
            return { name: named, topicId, errorCode: kafkaErrorOf(error).code, errorMessage: (error as Error).message.slice(0, 300) };
          }
        }),
      ),
    };
  },
});

/** The name of the topic with this id (as the wire carries it, without dashes). */
async function nameOf(storage: Storage, topicId: string): Promise<string | undefined> {
  return (await storage.topics.list()).find((meta) => meta.topicId.replaceAll('-', '') === topicId)?.name;
}
