/**
 * Compaction (cleanupPolicy "compact"): in sealed segments, keeps only the latest record
 * of each key, and drops a key's tombstone (null value) once it has been sealed for the
 * topic's deleteRetentionMs (a producer's timestamp may be old; sealing time is ours, and
 * it bounds how long a consumer reading from 0 has to see the delete, as in Kafka). Records keep their offsets; the gaps are skipped by fetches, as in
 * Kafka. The tail is never rewritten, but its keys count as the latest.
 *
 *   1 put the rewritten segment under a new key (an orphan if we crash here: gc removes it)
 *   2 swap the index item to it, if it still names the old object
 *   3 delete the old object
 */
import type { CompactionResult } from '../core/job-report.ts';
import { randomUUID } from 'node:crypto';
import { compressionOf } from '../core/codec/compression.ts';
import { encodeBatchKeepingOffsets, type StoredRecord } from '../core/codec/record-batch.ts';
import { buildSegment, completeBatches } from '../core/segment.ts';
import type { Storage } from '../storage/index.ts';
import type { SegmentRecord } from '../storage/segments.ts';
import { partitionKey } from '../storage/tail.ts';
import type { TopicMeta } from '../storage/topics.ts';


export async function compactPartition(storage: Storage, topic: TopicMeta, partition: number, now: number): Promise<CompactionResult> {
  const pk = partitionKey(topic.topicId, partition);
  const state = await storage.partitions.get(pk);
  const segments = (await storage.segments.list(pk)).filter((s) => s.endOffset > state.logStartOffset && s.key);

  // The latest offset of every key, over the segments and then the tail.
  const latest = new Map<string, number>();
  const contents = new Map<SegmentRecord, ReturnType<typeof completeBatches>['batches']>();
  for (const segment of segments) {
    const { batches } = completeBatches(await storage.segments.readRange(segment.key!, 0, segment.bytes));
    contents.set(segment, batches);
    for (const { records } of batches) for (const r of records) if (r.key) latest.set(keyOf(r), r.offset);
  }
  for await (const item of storage.tail.scanForward(pk, state.sealedOffset, () => 100)) {
    for (const r of await storage.tail.recordsOf(pk, item)) if (r.key) latest.set(keyOf(r), r.offset);
  }

  const keep = (r: StoredRecord, sealedAt: number) => {
    if (!r.key) return true; // written before the topic was compacted: nothing to compare with
    if (latest.get(keyOf(r)) !== r.offset) return false;
    return r.value !== null || sealedAt >= now - topic.config.deleteRetentionMs;
  };

  let segmentsRewritten = 0;
  let recordsRemoved = 0;
  for (const segment of segments) {
    const batches = contents.get(segment)!;
    const rewritten: Buffer[] = [];
    let removed = 0;
    for (const { header, records } of batches) {
      const kept = records.filter((r) => keep(r, segment.createdAt));
      removed += records.length - kept.length;
      if (kept.length > 0) {
        rewritten.push(
          encodeBatchKeepingOffsets({
            baseOffset: header.baseOffset,
            lastOffsetDelta: header.lastOffsetDelta,
            records: kept,
            producerId: header.producerId,
            producerEpoch: header.producerEpoch,
            baseSequence: header.baseSequence,
            // Kept in the codec it was stored with, as Kafka's cleaner does.
            compression: compressionOf(header.attributes & 7),
          }),
        );
      }
    }
    if (removed === 0) continue;
    let next: SegmentRecord;
    if (rewritten.length === 0) {
      next = { ...segment, bytes: 0, recordCount: 0, index: [], key: undefined };
    } else {
      const built = buildSegment(rewritten);
      const key = storage.segments.objectKey(pk, segment.baseOffset, segment.endOffset, randomUUID().slice(0, 8));
      await storage.segments.writeObject(key, built.bytes);
      next = { ...segment, ...built.summary, endOffset: segment.endOffset, baseOffset: segment.baseOffset, key, index: built.index };
    }
    if (!(await storage.segments.replace(pk, segment, next))) continue; // changed under us: next run
    await storage.segments.deleteObjects([segment.key!]);
    segmentsRewritten++;
    recordsRemoved += removed;
  }
  return { segmentsRewritten, recordsRemoved };
}

function keyOf(record: StoredRecord): string {
  return record.key!.toString('base64');
}
