/**
 * CreatePartitions: as PATCH /v1/topics/{topic} with partitions, per topic. Replica
 * assignments are accepted and change nothing: this gateway is every partition's leader.
 */
import { InvalidRequestError } from '../../core/errors.ts';
import { validatePartitionCount } from '../../core/topic-config.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { CreatePartitions, KafkaErrors } from '../protocol/index.ts';

export const createPartitionsHandler = apiHandler({
  api: CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  handle: async (request, _version, { storage }) => ({
    results: await Promise.all(
      request.topics.map(async ({ name, count }) => {
        try {
          const partitions = validatePartitionCount(count, 'count');
          if (request.validateOnly) {
            const current = await storage.topics.get(name, { fresh: true });
            if (partitions <= current.partitions) {
              throw new InvalidRequestError(`topic '${name}' has ${current.partitions} partitions; partitions can only grow`);
            }
          } else {
            await storage.topics.update(name, { partitions });
          }
          return { name, errorCode: 0, errorMessage: null };
        } catch (error) {
          const code = error instanceof InvalidRequestError ? KafkaErrors.INVALID_PARTITIONS : kafkaErrorOf(error);
          return { name, errorCode: code.code, errorMessage: (error as Error).message.slice(0, 300) };
        }
      }),
    ),
  }),
});
