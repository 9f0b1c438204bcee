/**
 * Deleted topics: their tail items, segments, partition state and objects are removed in
 * the background, then the topic's marker. Each step is safe to repeat after a crash.
 */
import { bucketLayout } from '../storage/tables.ts';
import type { Storage } from '../storage/index.ts';
import { partitionKey } from '../storage/tail.ts';
import type { TopicMeta } from '../storage/topics.ts';

export async function purgeDeletedTopic(storage: Storage, topic: TopicMeta): Promise<void> {
  for (let partition = 0; partition < topic.partitions; partition++) {
    const pk = partitionKey(topic.topicId, partition);
    for (;;) {
      const items = await storage.tail.query({ pk, forward: true, limit: 100 });
      if (items.length === 0) break;
      await storage.tail.deleteItems(pk, items.map((item) => item.offset));
    }
    for (const segment of await storage.segments.list(pk)) await storage.segments.delete(pk, segment.baseOffset);
    await storage.partitions.delete(pk);
  }
  for (const prefix of [bucketLayout.staged, bucketLayout.segments]) {
    const objects = await storage.segments.listObjects(`${prefix}${topic.topicId}/`);
    await storage.segments.deleteObjects(objects.map((o) => o.key));
  }
  await storage.topics.removeDeletedMarker(topic.topicId);
}
