/**
 * Retention: drops whole sealed segments past the topic's retentionMs (by their newest
 * record's timestamp, as Kafka judges a segment) or beyond retentionBytes (oldest first,
 * while what remains is still at least retentionBytes).
 *
 *   1 advance logStartOffset past the segment (readers answer 416 for it from now on)
 *   2 delete its index item, then its object
 *
 * A crash between leaves an item below the log start, which the next run deletes first.
 * As in Kafka, compacted topics keep each key's latest record however old: no retention.
 */
import type { RetentionResult } from '../core/job-report.ts';
import type { Storage } from '../storage/index.ts';
import { partitionKey } from '../storage/tail.ts';
import type { TopicMeta } from '../storage/topics.ts';


export async function applyRetention(storage: Storage, topic: TopicMeta, partition: number, now: number): Promise<RetentionResult> {
  const pk = partitionKey(topic.topicId, partition);
  const { retentionMs, retentionBytes, cleanupPolicy } = topic.config;
  let state = await storage.partitions.get(pk);
  const all = await storage.segments.list(pk);
  const leftBehind = all.filter((s) => s.endOffset <= state.logStartOffset);
  // Only segments below the sealed end: an item a crashed sealer left above it is not yet
  // part of the log (its batches still count as tail) until the next seal adopts it.
  const live = all.filter((s) => s.endOffset > state.logStartOffset && s.endOffset <= state.sealedOffset);
  let segmentsDeleted = 0;
  let bytesDeleted = 0;
  for (const segment of leftBehind) {
    await dropSegment(storage, pk, segment.baseOffset, segment.key);
  }

  let remaining = live.reduce((n, s) => n + s.bytes, 0) + (await tailBytes(storage, pk, state.sealedOffset));
  for (const segment of cleanupPolicy === 'compact' ? [] : live) {
    const expired = retentionMs !== -1 && segment.maxTimestamp < now - retentionMs;
    const oversize = retentionBytes !== -1 && remaining - segment.bytes >= retentionBytes;
    if (!expired && !oversize) break;
    if (!(await storage.partitions.advanceLogStart(pk, state.logStartOffset, segment.endOffset))) {
      break; // someone else moved it: the next run starts from there
    }
    state = { ...state, logStartOffset: segment.endOffset };
    await dropSegment(storage, pk, segment.baseOffset, segment.key);
    remaining -= segment.bytes;
    segmentsDeleted++;
    bytesDeleted += segment.bytes;
  }
  return { segmentsDeleted, bytesDeleted, logStartOffset: state.logStartOffset };
}

async function dropSegment(storage: Storage, pk: string, baseOffset: number, key: string | undefined): Promise<void> {
  await storage.segments.delete(pk, baseOffset);
  if (key) await storage.segments.deleteObjects([key]);
}

/** Bytes still in the tail (not yet sealed): they count toward retentionBytes too. */
async function tailBytes(storage: Storage, pk: string, from: number): Promise<number> {
  let bytes = 0;
  for await (const item of storage.tail.scanForward(pk, from, () => 100)) bytes += item.size;
  return bytes;
}
