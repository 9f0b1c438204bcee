/**
 * The log's batch door, for the Kafka protocol: a client's batch is stored byte for byte
 * (compressed or not, producer fields included) but for its base offset, and read back as
 * stored, from the tail and from a sealed segment; the records door sees the same records.
 */
import { describe, expect, it } from 'vitest';
import { decodeBatch, encodeBatch, setBaseOffset, type RecordInput, type StoredBatch } from '../../lib/core/codec/record-batch.ts';
import { runLater } from '../support/seal-records.ts';
import { randomName, useStack } from '../support/stack.ts';

const now = Date.now() - 60_000;
const records = (from: number, count: number): RecordInput[] =>
  Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`k${from + i}`),
    value: Buffer.from(JSON.stringify({ n: from + i, text: 'the same words again and again' })),
    headers: [{ key: 'h', value: Buffer.from(String(from + i)) }],
    timestamp: now + from + i,
  }));

/** A batch as a Kafka client sends it: base offset 0, its own codec and producer fields. */
function clientBatch(input: RecordInput[], extra: Partial<Parameters<typeof encodeBatch>[0]> = {}): StoredBatch {
  const bytes = encodeBatch({ baseOffset: 0, records: input, compression: 'lz4', ...extra });
  return { ...decodeBatch(bytes), bytes };
}

/** The client's bytes with the base offset the log gave them. */
function asStoredAt(batch: StoredBatch, offset: number): Buffer {
  const copy = Buffer.from(batch.bytes);
  setBaseOffset(copy, offset);
  return copy;
}

describe('the log takes and gives whole batches', () => {
  const stack = useStack();

  it('stores a client batch as sent but for its base offset; reads give the same bytes from the tail and from a segment', async () => {
    const topic = await stack.storage.topics.create(randomName(), 1);
    const first = clientBatch(records(0, 5));
    const second = clientBatch(records(5, 3), { compression: 'zstd' });
    const plain = await stack.storage.log.append(topic.topicId, 0, records(8, 2));
    expect(plain).toEqual({ baseOffset: 0, count: 2 });
    expect(await stack.storage.log.append(topic.topicId, 0, first)).toEqual({ baseOffset: 2, count: 5 });
    expect(await stack.storage.log.append(topic.topicId, 0, second)).toEqual({ baseOffset: 7, count: 3 });
    // The caller's bytes are untouched: the log copied them before setting the offset.
    expect(first.bytes.readBigInt64BE(0)).toBe(0n);

    const expectBatchesFrom = async (reader: typeof stack.storage, where: string) => {
      const all = await reader.log.readBatches(topic.topicId, 0, 2, { maxBytes: 1 << 20 });
      expect(all.batches.map((b) => b.bytes), where).toEqual([asStoredAt(first, 2), asStoredAt(second, 7)]);
      expect(all).toMatchObject({ nextOffset: 10, highWatermark: 10, logStartOffset: 0 });
      // From inside a batch: the whole batch holding the offset comes first.
      const inside = await reader.log.readBatches(topic.topicId, 0, 4, { maxBytes: 1 });
      expect(inside.batches.map((b) => b.header.baseOffset), where).toEqual([2]);
      expect(inside.nextOffset).toBe(7);
      // The records door: the same records, from the offset on.
      const read = await reader.log.read(topic.topicId, 0, 4, { maxRecords: 100, maxBytes: 1 << 20 });
      expect(read.records.map((r) => [r.offset, r.key?.toString(), r.headers[0]?.value?.toString()]), where).toEqual(
        [4, 5, 6, 7, 8, 9].map((o) => [o, `k${o - 2}`, String(o - 2)]),
      );
    };
    await expectBatchesFrom(stack.storage, 'tail');
    await expectBatchesFrom(stack.container(), 'tail, cold');

    const report = await runLater(stack.storage, topic.name);
    expect(report.partitions[0]!.seal).toMatchObject({ segments: 1, records: 10 });
    await expectBatchesFrom(stack.container(), 'segment, cold');
  });

  it('at the log end answers no batch, and a long poll answers the next one', async () => {
    const topic = await stack.storage.topics.create(randomName(), 1);
    await stack.storage.log.append(topic.topicId, 0, clientBatch(records(0, 2)));
    const empty = await stack.storage.log.readBatches(topic.topicId, 0, 2, { maxBytes: 1 << 20 });
    expect(empty).toEqual({ batches: [], nextOffset: 2, highWatermark: 2, logStartOffset: 0 });
    const reader = stack.container();
    await reader.log.readBatches(topic.topicId, 0, 0, { maxBytes: 1 << 20 });
    const polling = reader.log.readBatches(topic.topicId, 0, 2, { maxBytes: 1 << 20, waitMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const next = clientBatch(records(2, 1));
    await stack.storage.log.append(topic.topicId, 0, next);
    expect((await polling).batches.map((b) => b.bytes)).toEqual([asStoredAt(next, 2)]);
  });

  it('an idempotent client batch lands once: its resend is answered with the first offset, its header kept', async () => {
    const topic = await stack.storage.topics.create(randomName(), 1);
    const { producerId, producerEpoch } = await stack.storage.producers.init();
    const producer = { producerId: Number(producerId), producerEpoch };
    const batch = clientBatch(records(0, 4), { producerId: BigInt(producerId), producerEpoch, baseSequence: 0 });
    const sent = { partition: 0, firstSeq: 0, records: batch };
    expect(await stack.storage.idempotent.append(topic.topicId, producer, [sent])).toEqual([0]);
    expect(await stack.storage.idempotent.append(topic.topicId, producer, [sent])).toEqual([0]);
    const { batches } = await stack.storage.log.readBatches(topic.topicId, 0, 0, { maxBytes: 1 << 20 });
    expect(batches.map((b) => b.bytes)).toEqual([asStoredAt(batch, 0)]);
    expect(batches[0]!.header).toMatchObject({ producerId: BigInt(producerId), producerEpoch, baseSequence: 0 });
  });
});
