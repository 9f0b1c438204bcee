/**
 * Sealing: copies a partition's oldest tail batches into one segment object in S3, in
 * offset order (as they are stored, compressed or not), records it in the segment index,
 * and only then lets the tail items go.
 *
 *   1 put segment object   (same key on a rerun: overwritten, never orphaned)
 *   2 put segment index    (an item a crashed run left at the same base is adopted: its
 *                           object was complete before its item was written)
 *   3 advance sealedOffset (conditional on the value read at the start)
 *   4 where tail items expire by TTL: delete the sealed items' staged objects; the items
 *     themselves expire a day after their append, at no write cost (lib/storage/tail.ts).
 *     Where they do not: delete the tail items below sealedOffset, then their objects.
 *
 * Tail items missing below the oldest left (expired unsealed, the sealer down for their
 * whole time to live) become an empty stretch and are counted as lost: the sealer goes
 * on rather than stop, which would lose every later item the same way.
 *
 * A crash after any step leaves a state the next run finishes: before 3, the tail still
 * answers every read and the run starts over; after 3, step 4 is the first thing a run
 * does where items are deleted, and garbage collection takes staged objects left behind
 * where they expire. Readers take offsets below sealedOffset from segments.
 */
import type { SealResult } from '../core/job-report.ts';
import { buildSegment } from '../core/segment.ts';
import type { TopicMeta } from '../storage/topics.ts';
import type { Storage } from '../storage/index.ts';
import { partitionKey, type TailItem } from '../storage/tail.ts';

export interface SealOptions {
  /** Only items older than this are sealed (see the timeline in lib/storage/log.ts). */
  readonly sealMinAgeMs: number;
  readonly now: () => number;
}

export const defaultSealOptions: SealOptions = { sealMinAgeMs: 120_000, now: Date.now };


/** Seals what is due in one partition; call with its job lease held. */
export async function sealPartition(storage: Storage, topic: TopicMeta, partition: number, options: SealOptions): Promise<SealResult> {
  const pk = partitionKey(topic.topicId, partition);
  const result = { segments: 0, records: 0, bytes: 0, batches: 0, tailItemsDeleted: 0, recordsLost: 0 };
  let state = await storage.partitions.get(pk);
  result.tailItemsDeleted += await releaseSealedTail(storage, pk, state.sealedOffset, []);

  for (;;) {
    const { due, oldestAgeMs } = await dueItems(storage, pk, topic, state.sealedOffset, options);
    if (due.length === 0) return { ...result, lagMs: oldestAgeMs };
    const lostEnd = due[0]!.offset;
    if (lostEnd > state.sealedOffset) {
      // Tail items older than any append in flight are missing below the oldest left: they
      // expired before they were sealed (the sealer was down for their whole time to live).
      // Recorded as an empty stretch, as compaction leaves one, so readers go past it and
      // what is left is sealed before it expires too; reported as records lost.
      const stretch = { baseOffset: state.sealedOffset, endOffset: lostEnd, bytes: 0, recordCount: 0, index: [], createdAt: options.now() };
      await storage.segments.put(pk, { ...stretch, firstTimestamp: due[0]!.maxTimestamp, maxTimestamp: due[0]!.maxTimestamp });
      if (await storage.partitions.advanceSealed(pk, state.sealedOffset, lostEnd)) result.recordsLost += lostEnd - state.sealedOffset;
      state = await storage.partitions.get(pk);
      continue;
    }
    const batches = await Promise.all(due.map((item) => storage.tail.batchOf(pk, item)));
    const built = buildSegment(batches);
    const { baseOffset, endOffset } = built.summary;
    const key = storage.segments.objectKey(pk, baseOffset, endOffset);
    await storage.segments.writeObject(key, built.bytes);
    const indexed = await storage.segments.put(pk, { ...built.summary, key, index: built.index, createdAt: options.now() });
    if (indexed.endOffset !== endOffset) {
      // A crashed run's segment (fewer batches were due then): adopt it and go on from its
      // end. The object just written for the longer range is garbage for gc.
      await storage.partitions.advanceSealed(pk, state.sealedOffset, indexed.endOffset);
      state = await storage.partitions.get(pk);
      result.tailItemsDeleted += await releaseSealedTail(storage, pk, state.sealedOffset, due);
      continue;
    }
    if (!(await storage.partitions.advanceSealed(pk, state.sealedOffset, endOffset))) {
      // Another sealer got there first (an overlapping lease): start from what it did.
      state = await storage.partitions.get(pk);
      continue;
    }
    state = { ...state, sealedOffset: endOffset };
    result.segments++;
    result.records += built.summary.recordCount;
    result.bytes += built.summary.bytes;
    result.batches += due.length;
    result.tailItemsDeleted += await releaseSealedTail(storage, pk, endOffset, due);
  }
}

/**
 * The oldest tail items, contiguous from the sealed end, that make a segment now: a full
 * segmentBytes of them, or any once the oldest is segmentMs old, past retention, or a
 * quarter of the way to its expiry (where tail items expire).
 * Younger items than sealMinAgeMs are never taken. Also the age of the oldest unsealed
 * item if it is past sealMinAgeMs (else 0): when none are due, the partition's seal lag.
 */
async function dueItems(
  storage: Storage,
  pk: string,
  topic: TopicMeta,
  from: number,
  options: SealOptions,
): Promise<{ due: TailItem[]; oldestAgeMs: number }> {
  const { segmentBytes, segmentMs, retentionMs, cleanupPolicy } = topic.config;
  const now = options.now();
  const items: TailItem[] = [];
  let bytes = 0;
  const oldEnough = now - options.sealMinAgeMs;
  for await (const item of storage.tail.scanForward(pk, from, () => 100)) {
    if (item.appendedAt > oldEnough || bytes >= segmentBytes) break;
    // A segment is contiguous: a missing item ends it (the next run records the gap).
    const last = items.at(-1);
    if (last && item.offset !== last.offset + last.count) break;
    items.push(item);
    bytes += item.size;
  }
  const oldest = items[0];
  if (!oldest) return { due: [], oldestAgeMs: 0 };
  const oldestAgeMs = now - oldest.appendedAt;
  const full = bytes >= segmentBytes;
  const aged = oldest.appendedAt <= now - Math.min(segmentMs, sealByAgeMs(storage) ?? Infinity);
  const expiring = cleanupPolicy === 'delete' && retentionMs !== -1 && oldest.maxTimestamp <= now - retentionMs;
  if (full || aged) return { due: items, oldestAgeMs };
  if (!expiring) return { due: [], oldestAgeMs };
  // Sealed early only for retention: take just the expired items, or the segment's
  // newest record would keep the expired ones alive.
  const firstLive = items.findIndex((item) => item.maxTimestamp > now - retentionMs);
  return { due: firstLive < 0 ? items : items.slice(0, firstLive), oldestAgeMs };
}

/**
 * Where tail items expire, the age by which the sealer takes an item whatever segment.ms
 * says: a quarter of its time to live, which leaves the rest for a sealer that is down.
 */
export function sealByAgeMs(storage: Storage): number | undefined {
  const { cleanup } = storage.tail;
  return cleanup.kind === 'expire' ? cleanup.afterMs / 4 : undefined;
}

/**
 * What sealing below `sealedOffset` frees. Where tail items expire: the staged objects of
 * `sealed` (the items just sealed; deleting an S3 object costs nothing). Elsewhere: the
 * tail items below `sealedOffset` (then their staged objects), found by query.
 * Answers the number of tail items deleted.
 */
async function releaseSealedTail(storage: Storage, pk: string, sealedOffset: number, sealed: readonly TailItem[]): Promise<number> {
  if (storage.tail.cleanup.kind === 'expire') {
    const objects = sealed.flatMap((item) => (item.object && item.offset + item.count <= sealedOffset ? [item.object] : []));
    if (objects.length > 0) await storage.segments.deleteObjects(objects);
    return 0;
  }
  let deleted = 0;
  for (;;) {
    // Deleted items drop out of the next query, so each page starts from the oldest left.
    const sealed = sealedOffset === 0 ? [] : await storage.tail.query({ pk, forward: true, limit: 100, atMost: sealedOffset - 1 });
    if (sealed.length === 0) return deleted;
    const straddling = sealed.find((item) => item.offset + item.count > sealedOffset);
    if (straddling) throw new Error(`tail item ${pk}@${straddling.offset} straddles the sealed end ${sealedOffset}`);
    await storage.tail.deleteItems(pk, sealed.map((item) => item.offset));
    const objects = sealed.flatMap((item) => (item.object ? [item.object] : []));
    if (objects.length > 0) await storage.segments.deleteObjects(objects);
    deleted += sealed.length;
  }
}
