/**
 * Garbage: objects nothing points to. A staged batch whose pointer item never landed (the
 * append failed after its PUT) or whose batch is sealed, and a compacted segment whose
 * index swap never happened.
 * Only objects older than the grace period go, so an append or a rewrite still in flight
 * never loses its object.
 */
import { bucketLayout } from '../storage/tables.ts';
import type { Storage } from '../storage/index.ts';
import { partitionKey } from '../storage/tail.ts';
import type { TopicMeta } from '../storage/topics.ts';

export async function collectGarbage(storage: Storage, topic: TopicMeta, partition: number, now: number, graceMs: number): Promise<number> {
  const pk = partitionKey(topic.topicId, partition);
  const path = `${topic.topicId}/${partition}/`;
  const objects = [
    ...(await storage.segments.listObjects(`${bucketLayout.staged}${path}`)),
    ...(await storage.segments.listObjects(`${bucketLayout.segments}${path}`)),
  ].filter((o) => o.modifiedAt < now - graceMs);
  if (objects.length === 0) return 0;
  const referenced = new Set<string>();
  for (const segment of await storage.segments.list(pk)) if (segment.key) referenced.add(segment.key);
  // Items below the sealed end may linger until they expire, but readers take those
  // offsets from segments: their staged objects are garbage.
  const { sealedOffset } = await storage.partitions.get(pk);
  for await (const item of storage.tail.scanForward(pk, sealedOffset, () => 100)) if (item.object) referenced.add(item.object);
  const garbage = objects.filter((o) => !referenced.has(o.key)).map((o) => o.key);
  await storage.segments.deleteObjects(garbage);
  return garbage.length;
}
