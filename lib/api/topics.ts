/** Topic routes: create, list, describe, alter, delete. */
import type { AlterTopicRequest, CreateTopicRequest, PartitionDescription, TopicDescription } from '../core/http-contract.ts';
import { defaultTopicConfig, validatePartitionCount } from '../core/topic-config.ts';
import type { Storage } from '../storage/index.ts';
import type { TopicMeta } from '../storage/topics.ts';
import { emptyResponse, jsonResponse } from './respond.ts';
import type { AnswerOf, RouteContext } from './types.ts';
import { fields, invalid, jsonBody, map, shown, topicName } from './validate.ts';

const createFields = fields<CreateTopicRequest>({ name: true, partitions: true, config: true });
const alterFields = fields<AlterTopicRequest>({ partitions: true, config: true });

export async function createTopic({ storage, request, config }: RouteContext): Promise<AnswerOf<'createTopic'>> {
  const body = jsonBody(request, createFields, config.maxRequestBytes);
  const name = topicName(body.name, 'name');
  const partitions = body.partitions === undefined ? 1 : validatePartitionCount(body.partitions);
  const topic = await storage.topics.create(name, partitions, topicConfig(body.config));
  const empty = Array.from({ length: partitions }, (_, partition) => ({ partition, logStartOffset: 0, highWatermark: 0, sealedOffset: 0 }));
  return jsonResponse(201, describeBody(topic, empty));
}

export async function listTopics({ storage }: RouteContext): Promise<AnswerOf<'listTopics'>> {
  const topics = await storage.topics.list();
  return jsonResponse(200, { topics: topics.map((t) => ({ name: t.name, partitions: t.partitions })) });
}

export async function describeTopic({ storage, params }: RouteContext): Promise<AnswerOf<'describeTopic'>> {
  const topic = await storage.topics.get(params.topic!, { fresh: true });
  return jsonResponse(200, await describe(storage, topic));
}

export async function alterTopic({ storage, request, params, config }: RouteContext): Promise<AnswerOf<'alterTopic'>> {
  const body = jsonBody(request, alterFields, config.maxRequestBytes);
  if (body.partitions === undefined && body.config === undefined) throw invalid('body', 'give partitions, config or both');
  const partitions = body.partitions === undefined ? undefined : validatePartitionCount(body.partitions);
  // Storage refuses a count that is not larger than the current one (Kafka's INVALID_PARTITIONS).
  const topic = await storage.topics.update(params.topic!, { partitions, config: topicConfig(body.config) });
  return jsonResponse(200, await describe(storage, topic));
}

export async function deleteTopic({ storage, params }: RouteContext): Promise<AnswerOf<'deleteTopic'>> {
  await storage.topics.delete(params.topic!);
  return emptyResponse(204);
}

const configKeys = new Set(Object.keys(defaultTopicConfig));

/**
 * A config object's keys, counted before they are read and each a known one (a typo, or
 * a name such as `constructor` that a plain object would answer), before storage checks
 * each value's range.
 */
function topicConfig(value: unknown): unknown {
  if (value === undefined) return undefined;
  for (const [key] of map(value, 'config', configKeys.size, `keys (${[...configKeys].join(', ')})`)) {
    if (!configKeys.has(key)) throw invalid(`config.${key.slice(0, 40)}`, `unknown config key ${shown(key)}; known: ${[...configKeys].join(', ')}`);
  }
  return value;
}

async function describe(storage: Storage, topic: TopicMeta): Promise<TopicDescription> {
  const partitions = await mapLimit(topic.partitions, 16, async (partition) => ({
    partition,
    ...(await storage.log.describePartition(topic.topicId, partition)),
  }));
  return describeBody(topic, partitions);
}

function describeBody(topic: TopicMeta, partitions: readonly PartitionDescription[]): TopicDescription {
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
