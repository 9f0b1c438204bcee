/**
 * Produce: each partition's record batches are stored as the client wrote them (compressed
 * or not), with the base offset assigned here, after their CRC and records are checked.
 * A batch with a producer id goes through the idempotent appender, which answers a resend
 * with the offset it first got (as a Kafka broker does, with no error). Every acks level
 * is durable once answered: an answer comes only after storage has the batch, and acks=0
 * gets none at all.
 */
import { decodeBatch, type StoredBatch } from '../../core/codec/record-batch.ts';
import { DEFAULT_MAX_UNCOMPRESSED_BYTES } from '../../core/codec/compression.ts';
import { CorruptRecordError, RecordTooLargeError } from '../../core/errors.ts';
import type { TopicMeta } from '../../storage/topics.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler, type GatewayContext } from '../handler.ts';
import { KafkaErrors, Produce } from '../protocol/index.ts';

/** Attributes bits 4 and 5: a transactional batch, a control batch (transactions are not served). */
const transactionalOrControl = 0x30;

export const produceHandler = apiHandler({
  api: Produce,
  // From v3 batches are RecordBatch v2, the only format stored.
  minVersion: 3,
  maxVersion: 9,
  handle: async (request, _version, context) => {
    const responses = await Promise.all(
      request.topicData.map(async (topicData) => {
        let topic: TopicMeta | undefined;
        let topicError = 0;
        try {
          topic = await context.storage.topics.get(topicData.name);
        } catch (error) {
          topicError = kafkaErrorOf(error).code;
        }
        const partitionResponses = await Promise.all(
          topicData.partitionData.map(async ({ index, records }) => {
            if (!topic) return { index, errorCode: topicError, baseOffset: -1n };
            if (index < 0 || index >= topic.partitions) return { index, errorCode: KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code, baseOffset: -1n };
            try {
              const baseOffset = await appendAll(topic, index, records, context);
              return { index, errorCode: 0, baseOffset: BigInt(baseOffset) };
            } catch (error) {
              return { index, errorCode: kafkaErrorOf(error).code, baseOffset: -1n, errorMessage: (error as Error).message.slice(0, 200) };
            }
          }),
        );
        return { name: topicData.name, partitionResponses };
      }),
    );
    return request.acks === 0 ? undefined : { responses };
  },
});

/** Appends the partition's batches in order; answers the first one's base offset. */
async function appendAll(topic: TopicMeta, partition: number, records: Buffer | null, { storage }: GatewayContext): Promise<number> {
  const batches = splitBatches(records ?? Buffer.alloc(0), topic);
  let first: number | undefined;
  for (const batch of batches) {
    const { producerId, producerEpoch, baseSequence } = batch.header;
    const offset =
      producerId >= 0n
        ? (await storage.idempotent.append(topic.topicId, { producerId: Number(producerId), producerEpoch }, [{ partition, firstSeq: baseSequence, records: batch }]))[0]!
        : (await storage.log.append(topic.topicId, partition, batch)).baseOffset;
    first ??= offset;
  }
  return first!;
}

/**
 * The batches of a partition's records, each checked whole before any is stored: its CRC,
 * its records (decompressed within a bound, so a bomb is refused), offset deltas 0 to
 * count - 1, and its size against the topic's max.message.bytes (Kafka's rule).
 */
function splitBatches(records: Buffer, topic: TopicMeta): StoredBatch[] {
  const batches: StoredBatch[] = [];
  const maxUncompressedBytes = Math.max(topic.config.maxMessageBytes, DEFAULT_MAX_UNCOMPRESSED_BYTES);
  let at = 0;
  while (at < records.length) {
    if (records.length - at < 12) throw new CorruptRecordError(`${records.length - at} bytes after the last batch`);
    const length = 12 + records.readInt32BE(at + 8);
    if (length < 12 || at + length > records.length) throw new CorruptRecordError(`a batch of ${length} bytes in ${records.length - at}`);
    if (length > topic.config.maxMessageBytes) {
      throw new RecordTooLargeError(`a batch of ${length} bytes; the topic's max.message.bytes is ${topic.config.maxMessageBytes}`);
    }
    const bytes = records.subarray(at, at + length);
    const decoded = decodeBatch(bytes, { maxUncompressedBytes });
    const { header } = decoded;
    if (decoded.records.length === 0 || header.lastOffsetDelta !== decoded.records.length - 1 || decoded.records.some((r, i) => r.offset - header.baseOffset !== i)) {
      throw new CorruptRecordError('offset deltas must run from 0 to the record count - 1');
    }
    if (header.attributes & transactionalOrControl) throw new CorruptRecordError('transactional and control batches are not served');
    batches.push({ ...decoded, bytes });
    at += length;
  }
  if (batches.length === 0) throw new CorruptRecordError('no record batch');
  return batches;
}
