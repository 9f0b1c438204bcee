/** Consumer group routes: membership, heartbeats, commits, and their administration. */
import { validateGroupId, validateTopicName } from '../core/topic-config.ts';
import type { ResetTarget } from '../storage/coordinator.ts';
import { emptyResponse, jsonResponse } from './respond.ts';
import type { RouteContext } from './router.ts';
import type { ApiResponse } from './types.ts';
import { integer, invalid, jsonBody, object } from './validate.ts';

export const groupLimits = { minSessionMs: 1_000, maxSessionMs: 300_000, defaultSessionMs: 30_000, maxTopics: 100, maxOffsets: 10_000, maxMetadata: 4096 } as const;

export async function joinGroup({ storage, request, params, config }: RouteContext): Promise<ApiResponse> {
  const body = jsonBody(request, ['topics', 'sessionTimeoutMs', 'instanceId'], config.maxRequestBytes);
  if (!Array.isArray(body.topics) || body.topics.length === 0 || body.topics.length > groupLimits.maxTopics) {
    throw invalid('topics', `must be an array of 1 to ${groupLimits.maxTopics} topic names`);
  }
  const topics = [...new Set(body.topics.map((t, i) => validateTopicName(t, `topics[${i}]`)))];
  const sessionTimeoutMs =
    body.sessionTimeoutMs === undefined
      ? groupLimits.defaultSessionMs
      : integer(body.sessionTimeoutMs, 'sessionTimeoutMs', groupLimits.minSessionMs, groupLimits.maxSessionMs);
  const instanceId = body.instanceId === undefined ? undefined : validateGroupId(body.instanceId, 'instanceId');
  const joined = await storage.coordinator.join(group(params), { topics, sessionTimeoutMs, ...(instanceId ? { instanceId } : {}) });
  return jsonResponse(200, joined);
}

export async function heartbeat({ storage, params }: RouteContext): Promise<ApiResponse> {
  return jsonResponse(200, { assignments: await storage.coordinator.heartbeat(group(params), memberId(params.member)) });
}

export async function leaveGroup({ storage, params }: RouteContext): Promise<ApiResponse> {
  await storage.coordinator.leave(group(params), memberId(params.member));
  return emptyResponse(204);
}

export async function commitOffsets({ storage, request, params, config }: RouteContext): Promise<ApiResponse> {
  const body = jsonBody(request, ['memberId', 'offsets'], config.maxRequestBytes);
  const member = memberId(body.memberId);
  if (!Array.isArray(body.offsets) || body.offsets.length === 0 || body.offsets.length > groupLimits.maxOffsets) {
    throw invalid('offsets', `must be an array of 1 to ${groupLimits.maxOffsets} offsets`);
  }
  const offsets = body.offsets.map((raw, i) => {
    const field = `offsets[${i}]`;
    const o = object(raw, field, ['topic', 'partition', 'offset', 'leaseEpoch', 'metadata']);
    if (o.metadata !== undefined && (typeof o.metadata !== 'string' || o.metadata.length > groupLimits.maxMetadata)) {
      throw invalid(`${field}.metadata`, `must be a string of at most ${groupLimits.maxMetadata} characters`);
    }
    return {
      topic: validateTopicName(o.topic, `${field}.topic`),
      partition: integer(o.partition, `${field}.partition`, 0, Number.MAX_SAFE_INTEGER),
      offset: integer(o.offset, `${field}.offset`, 0, Number.MAX_SAFE_INTEGER),
      leaseEpoch: integer(o.leaseEpoch, `${field}.leaseEpoch`, 1, Number.MAX_SAFE_INTEGER),
      ...(o.metadata === undefined ? {} : { metadata: o.metadata as string }),
    };
  });
  return jsonResponse(200, { results: await storage.coordinator.commit(group(params), { memberId: member, offsets }) });
}

export async function listGroups({ storage }: RouteContext): Promise<ApiResponse> {
  return jsonResponse(200, { groups: await storage.coordinator.list() });
}

export async function describeGroup({ storage, params }: RouteContext): Promise<ApiResponse> {
  return jsonResponse(200, await storage.coordinator.describe(group(params)));
}

export async function resetOffsets({ storage, request, params, config }: RouteContext): Promise<ApiResponse> {
  const body = jsonBody(request, ['topic', 'to', 'execute'], config.maxRequestBytes);
  const topic = validateTopicName(body.topic, 'topic');
  if (body.execute !== undefined && typeof body.execute !== 'boolean') throw invalid('execute', 'must be true or false');
  return jsonResponse(200, await storage.coordinator.resetOffsets(group(params), topic, resetTarget(body.to), body.execute === true));
}

export async function deleteGroup({ storage, params }: RouteContext): Promise<ApiResponse> {
  await storage.coordinator.deleteGroup(group(params));
  return emptyResponse(204);
}

function group(params: Readonly<Record<string, string>>): string {
  return validateGroupId(params.group);
}

/** A member id as join answered it: in paths and keys, so bounded. */
function memberId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw invalid('memberId', 'must be the member id that join answered');
  return value;
}

function resetTarget(to: unknown): ResetTarget {
  if (to === 'earliest' || to === 'latest') return to;
  const only = (key: string, min: number) => integer((object(to, 'to', [key]) as Record<string, unknown>)[key], `to.${key}`, min, Number.MAX_SAFE_INTEGER);
  if (typeof to === 'object' && to !== null && !Array.isArray(to)) {
    if ('offset' in to) return { offset: only('offset', 0) };
    if ('timestamp' in to) return { timestamp: only('timestamp', 0) };
    if ('shiftBy' in to) return { shiftBy: only('shiftBy', -Number.MAX_SAFE_INTEGER) };
  }
  throw invalid('to', 'must be "earliest", "latest", {offset}, {timestamp} or {shiftBy}');
}
