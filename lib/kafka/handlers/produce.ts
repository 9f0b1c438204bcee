/**
 * Produce: each partition's record batch is stored as the client wrote it (compressed or
 * not, unless the topic names a codec), with the base offset assigned here, after its CRC
 * and records are checked.
 * A batch with a producer id goes through the idempotent appender, which answers a resend
 * with the offset it first got (as a Kafka broker does, with no error). Every acks level
 * is durable once answered: an answer comes only after storage has the batch, and acks=0
 * gets none at all.
 */
import { compressionOf, DEFAULT_MAX_UNCOMPRESSED_BYTES } from '../../core/codec/compression.ts';
import { decodeBatch, encodeBatchKeepingOffsets, readBatchHeader, recordSize, type StoredBatch } from '../../core/codec/record-batch.ts';
import { CorruptRecordError, RecordTooLargeError } from '../../core/errors.ts';
import { batchCompression } from '../../core/topic-config.ts';
import type { TopicMeta } from '../../storage/topics.ts';
import { KafkaRefusal, kafkaErrorOf } from '../errors.ts';
import { apiHandler, type GatewayContext } from '../handler.ts';
import { KafkaErrors, Produce } from '../protocol/index.ts';

/** Attributes bits 4 and 5: a transactional batch, a control batch (transactions are not served). */
const transactionalOrControl = 0x30;
/** Attributes bits 0 to 2: the records section's codec. */
const compressionBits = 0x07;

export const produceHandler = apiHandler({
  api: Produce,
  // From v3 batches are RecordBatch v2, the only format stored.
  minVersion: 3,
  maxVersion: 9,
  handle: async (request, _version, context) => {
    const budget = { decodedBytes: maxDecodedBytesPerRequest };
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
              const baseOffset = await append(topic, index, checkedBatch(records, topic, budget), context);
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

/** Appends the partition's batch, idempotently when it carries a producer id; answers its base offset. */
async function append(topic: TopicMeta, partition: number, batch: StoredBatch, { storage }: GatewayContext): Promise<number> {
  const { producerId, producerEpoch, baseSequence } = batch.header;
  if (producerId < 0n) return (await storage.log.append(topic.topicId, partition, batch)).baseOffset;
  const writes = [{ partition, firstSeq: baseSequence, records: batch }];
  return (await storage.idempotent.append(topic.topicId, { producerId: Number(producerId), producerEpoch }, writes))[0]!;
}

/** What a request's batches may decompress to, all together: many small bombs are one big one. */
const maxDecodedBytesPerRequest = 256 * 1024 * 1024;

/**
 * A partition's one record batch (Kafka's rule from Produce v3; more is INVALID_RECORD),
 * checked whole before it is stored: its CRC, its records (decompressed within the topic's
 * bound and what is left of the request's), offset deltas 0 to count - 1, and its size
 * against the topic's max.message.bytes. A topic whose compression.type names a codec gets
 * the batch in that codec, as a Kafka broker recompresses it.
 */
function checkedBatch(records: Buffer | null, topic: TopicMeta, budget: { decodedBytes: number }): StoredBatch {
  const bytes = records ?? Buffer.alloc(0);
  if (bytes.length < 12) throw new CorruptRecordError('no record batch');
  const length = 12 + bytes.readInt32BE(8);
  if (length < 12 || length > bytes.length) throw new CorruptRecordError(`a batch of ${length} bytes in ${bytes.length}`);
  if (length < bytes.length) throw new KafkaRefusal(KafkaErrors.INVALID_RECORD, 'a partition takes one record batch per request');
  if (length > topic.config.maxMessageBytes) {
    throw new RecordTooLargeError(`a batch of ${length} bytes; the topic's max.message.bytes is ${topic.config.maxMessageBytes}`);
  }
  const maxUncompressedBytes = Math.max(0, Math.min(Math.max(topic.config.maxMessageBytes, DEFAULT_MAX_UNCOMPRESSED_BYTES), budget.decodedBytes));
  const decoded = decodeBatch(bytes, { maxUncompressedBytes });
  const { header } = decoded;
  budget.decodedBytes -= decoded.records.reduce((n, r) => n + recordSize(r), 0);
  if (decoded.records.length === 0 || header.lastOffsetDelta !== decoded.records.length - 1 || decoded.records.some((r, i) => r.offset - header.baseOffset !== i)) {
    throw new CorruptRecordError('offset deltas must run from 0 to the record count - 1');
  }
  if (header.attributes & transactionalOrControl) throw new CorruptRecordError('transactional and control batches are not served');
  const wanted = batchCompression(topic.config.compressionType, compressionOf(header.attributes & compressionBits));
  if (wanted === compressionOf(header.attributes & compressionBits)) return { ...decoded, bytes };
  const recompressed = encodeBatchKeepingOffsets({ ...header, records: decoded.records, compression: wanted });
  return { header: readBatchHeader(recompressed), records: decoded.records, bytes: recompressed };
}
