/** Topic routes: create, list, describe, alter, delete. */
import { validatePartitionCount, validateTopicName } from '../core/topic-config.ts';
import type { Storage } from '../storage/index.ts';
import type { TopicMeta } from '../storage/topics.ts';
import { emptyResponse, jsonResponse } from './respond.ts';
import type { ApiResponse } from './types.ts';
import { invalid, jsonBody, type Json } from './validate.ts';
import type { RouteContext } from './router.ts';

export async function createTopic({ storage, request, config }: RouteContext): Promise<ApiResponse> {
  const body = jsonBody(request, ['name', 'partitions', 'config'], config.maxRequestBytes);
  const name = validateTopicName(body.name);
  const partitions = body.partitions === undefined ? 1 : validatePartitionCount(body.partitions);
  const topic = await storage.topics.create(name, partitions, body.config);
  const empty = Array.from({ length: partitions }, (_, partition) => ({ partition, logStartOffset: 0, highWatermark: 0 }));
  return jsonResponse(201, describeBody(topic, empty));
}

export async function listTopics({ storage }: RouteContext): Promise<ApiResponse> {
  const topics = await storage.topics.list();
  return jsonResponse(200, { topics: topics.map((t) => ({ name: t.name, partitions: t.partitions })) });
}

export async function describeTopic({ storage, params }: RouteContext): Promise<ApiResponse> {
  const topic = await storage.topics.get(params.topic!, { fresh: true });
  return jsonResponse(200, await describe(storage, topic));
}

export async function alterTopic({ storage, request, params, config }: RouteContext): Promise<ApiResponse> {
  const body = jsonBody(request, ['partitions', 'config'], config.maxRequestBytes);
  if (body.partitions === undefined && body.config === undefined) throw invalid('body', 'give partitions, config or both');
  const partitions = body.partitions === undefined ? undefined : validatePartitionCount(body.partitions);
  const topic = await storage.topics.update(params.topic!, { partitions, config: body.config });
  return jsonResponse(200, await describe(storage, topic));
}

export async function deleteTopic({ storage, params }: RouteContext): Promise<ApiResponse> {
  await storage.topics.delete(params.topic!);
  return emptyResponse(204);
}

async function describe(storage: Storage, topic: TopicMeta): Promise<Json> {
  const partitions = await mapLimit(topic.partitions, 16, async (partition) => ({
    partition,
    ...(await storage.log.bounds(topic.topicId, partition)),
  }));
  return describeBody(topic, partitions);
}

function describeBody(topic: TopicMeta, partitions: readonly Json[]): Json {
  return { name: topic.name, topicId: topic.topicId, partitions, config: topic.config };
}

/** fn(0..count-1) with at most `limit` calls in flight, results in index order. */
async function mapLimit<T>(count: number, limit: number, fn: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await fn(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
