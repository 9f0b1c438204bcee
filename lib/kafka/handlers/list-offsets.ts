/** ListOffsets: a partition's earliest (-2) or latest (-1) offset, or the first at or after a timestamp. */
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { KafkaErrors, ListOffsets } from '../protocol/index.ts';

const EARLIEST = -2n;
const LATEST = -1n;

export const listOffsetsHandler = apiHandler({
  api: ListOffsets,
  // v0 answers a list of offsets in another shape; every client in use asks v1 or later.
  minVersion: 1,
  maxVersion: 7,
  handle: async (request, _version, { storage }) => ({
    topics: await Promise.all(
      request.topics.map(async ({ name, partitions }) => {
        const meta = await storage.topics.get(name).catch((error: unknown) => kafkaErrorOf(error));
        return {
          name,
          partitions: await Promise.all(
            partitions.map(async ({ partitionIndex, timestamp }) => {
              const unanswered = { partitionIndex, timestamp: -1n, offset: -1n };
              if (!('topicId' in meta)) return { ...unanswered, errorCode: meta.code };
              if (partitionIndex < 0 || partitionIndex >= meta.partitions) return { ...unanswered, errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code };
              try {
                if (timestamp === EARLIEST || timestamp === LATEST) {
                  const bounds = await storage.log.bounds(meta.topicId, partitionIndex);
                  return { partitionIndex, errorCode: 0, timestamp: -1n, offset: BigInt(timestamp === EARLIEST ? bounds.logStartOffset : bounds.highWatermark) };
                }
                const found = await storage.log.offsetForTimestamp(meta.topicId, partitionIndex, Number(timestamp));
                return found ? { partitionIndex, errorCode: 0, timestamp: BigInt(found.timestamp), offset: BigInt(found.offset) } : { ...unanswered, errorCode: 0 };
              } catch (error) {
                return { ...unanswered, errorCode: kafkaErrorOf(error).code };
              }
            }),
          ),
        };
      }),
    ),
  }),
});
