/**
 * ListOffsets: a partition's earliest (-2) or latest (-1) offset, the record with the
 * largest timestamp (-3, v7+), or the first at or after a timestamp.
 */
import type { Storage } from '../../storage/index.ts';
import type { TopicMeta } from '../../storage/topics.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { KafkaErrors, ListOffsets } from '../protocol/index.ts';

const EARLIEST = -2n;
const LATEST = -1n;
const MAX_TIMESTAMP = -3n;

/** What a partition answers: -1 for either field is Kafka's "none". */
interface Found {
  readonly offset: number;
  readonly timestamp: number;
}
const none: Found = { offset: -1, timestamp: -1 };

export const listOffsetsHandler = apiHandler({
  api: ListOffsets,
  // v0 answers a list of offsets in another shape; every client in use asks v1 or later.
  minVersion: 1,
  // v8 adds -4 (the local log start, for tiered storage).
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
                const found = await lookUp(storage, meta, partitionIndex, timestamp);
                return { partitionIndex, errorCode: 0, timestamp: BigInt(found.timestamp), offset: BigInt(found.offset) };
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

async function lookUp(storage: Storage, meta: TopicMeta, partition: number, timestamp: bigint): Promise<Found> {
  if (timestamp === EARLIEST || timestamp === LATEST) {
    const bounds = await storage.log.bounds(meta.topicId, partition);
    return { offset: timestamp === EARLIEST ? bounds.logStartOffset : bounds.highWatermark, timestamp: -1 };
  }
  if (timestamp === MAX_TIMESTAMP) return (await storage.log.largestTimestamp(meta.topicId, partition)) ?? none;
  return (await storage.log.offsetForTimestamp(meta.topicId, partition, Number(timestamp))) ?? none;
}
