/** Consumer group routes: membership, heartbeats, commits, and their administration. */
import { InternalError } from '../core/errors.ts';
import type {
  CommitOffsetsRequest,
  GroupState,
  JoinGroupRequest,
  OffsetCommit,
  ResetOffsetsRequest,
  ResetTarget,
} from '../core/http-contract.ts';
import { emptyResponse, jsonResponse } from './respond.ts';
import { produceLimits } from './records.ts';
import type { AnswerOf, RouteContext } from './types.ts';
import { fields, groupId, integer, invalid, jsonBody, object, partitionNumber, topicName } from './validate.ts';

const joinFields = fields<JoinGroupRequest>({ topics: true, sessionTimeoutMs: true, instanceId: true });
const commitFields = fields<CommitOffsetsRequest>({ memberId: true, offsets: true });
const offsetFields = fields<OffsetCommit>({ topic: true, partition: true, offset: true, leaseEpoch: true, metadata: true });
const resetFields = fields<ResetOffsetsRequest>({ topic: true, to: true, dryRun: true });

export const groupLimits = { minSessionMs: 1_000, maxSessionMs: 300_000, defaultSessionMs: 30_000, maxTopics: 100, maxOffsets: 10_000, maxMetadata: 4096 } as const;

export async function joinGroup({ storage, request, params, config }: RouteContext): Promise<AnswerOf<'joinGroup'>> {
  const body = jsonBody(request, joinFields, config.maxRequestBytes);
  if (!Array.isArray(body.topics) || body.topics.length === 0 || body.topics.length > groupLimits.maxTopics) {
    throw invalid('topics', `must be an array of 1 to ${groupLimits.maxTopics} topic names`);
  }
  const topics = [...new Set(body.topics.map((t, i) => topicName(t, `topics[${i}]`)))];
  const sessionTimeoutMs =
    body.sessionTimeoutMs === undefined
      ? groupLimits.defaultSessionMs
      : integer(body.sessionTimeoutMs, 'sessionTimeoutMs', groupLimits.minSessionMs, groupLimits.maxSessionMs);
  const instanceId = body.instanceId === undefined ? undefined : groupId(body.instanceId, 'instanceId');
  const joined = await storage.coordinator.join(group(params), { topics, sessionTimeoutMs, ...(instanceId ? { instanceId } : {}) });
  return jsonResponse(200, joined);
}

export async function heartbeat({ storage, params }: RouteContext): Promise<AnswerOf<'heartbeat'>> {
  return jsonResponse(200, { assignments: await storage.coordinator.heartbeat(group(params), memberId(params.member)) });
}

export async function leaveGroup({ storage, params }: RouteContext): Promise<AnswerOf<'leaveGroup'>> {
  await storage.coordinator.leave(group(params), memberId(params.member));
  return emptyResponse(204);
}

export async function commitOffsets({ storage, request, params, config }: RouteContext): Promise<AnswerOf<'commitOffsets'>> {
  const body = jsonBody(request, commitFields, config.maxRequestBytes);
  const member = memberId(body.memberId);
  if (!Array.isArray(body.offsets) || body.offsets.length === 0 || body.offsets.length > groupLimits.maxOffsets) {
    throw invalid('offsets', `must be an array of 1 to ${groupLimits.maxOffsets} offsets`);
  }
  const offsets = body.offsets.map((raw, i) => {
    const field = `offsets[${i}]`;
    const o = object(raw, field, offsetFields);
    if (o.metadata !== undefined && (typeof o.metadata !== 'string' || o.metadata.length > groupLimits.maxMetadata)) {
      throw invalid(`${field}.metadata`, `must be a string of at most ${groupLimits.maxMetadata} characters`);
    }
    return {
      topic: topicName(o.topic, `${field}.topic`),
      partition: partitionNumber(o.partition, `${field}.partition`),
      offset: integer(o.offset, `${field}.offset`, 0, Number.MAX_SAFE_INTEGER),
      leaseEpoch: integer(o.leaseEpoch, `${field}.leaseEpoch`, 1, Number.MAX_SAFE_INTEGER, ' (the leaseEpoch of the assignment)'),
      ...(o.metadata === undefined ? {} : { metadata: o.metadata as string }),
    };
  });
  return jsonResponse(200, { results: await storage.coordinator.commit(group(params), { memberId: member, offsets }) });
}

export async function listGroups({ storage }: RouteContext): Promise<AnswerOf<'listGroups'>> {
  return jsonResponse(200, { groups: await storage.coordinator.list() });
}

export async function describeGroup({ storage, params }: RouteContext): Promise<AnswerOf<'describeGroup'>> {
  const described = await storage.coordinator.describe(group(params));
  return jsonResponse(200, { ...described, state: groupState(described.state) });
}

/** Executed unless `dryRun: true`, as DESIGN's contract and kafkajs's admin.resetOffsets. */
export async function resetOffsets({ storage, request, params, config }: RouteContext): Promise<AnswerOf<'resetOffsets'>> {
  const body = jsonBody(request, resetFields, config.maxRequestBytes);
  const topic = topicName(body.topic, 'topic');
  if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') throw invalid('dryRun', 'must be true or false');
  return jsonResponse(200, await storage.coordinator.resetOffsets(group(params), topic, resetTarget(body.to), body.dryRun !== true));
}

export async function deleteGroup({ storage, params }: RouteContext): Promise<AnswerOf<'deleteGroup'>> {
  await storage.coordinator.deleteGroup(group(params));
  return emptyResponse(204);
}

/** Storage describes a group's state as a plain string; the contract names the states it may be. */
function groupState(state: string): GroupState {
  if (state === 'Empty' || state === 'Stable') return state;
  throw new InternalError(`group state '${state}' is not one of the contract's`);
}

function group(params: Readonly<Record<string, string>>): string {
  return groupId(params.group, 'group');
}

/** A member id as join answered it (a UUID, or `static-` and an instance id): in paths and keys, so bounded. */
function memberId(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) throw invalid('memberId', 'must be the member id that join answered (1 to 256 characters)');
  return value;
}

function resetTarget(to: unknown): ResetTarget {
  if (to === 'earliest' || to === 'latest') return to;
  const only = (key: string, min: number, max = Number.MAX_SAFE_INTEGER, what = '') => integer(object(to, 'to', [key])[key], `to.${key}`, min, max, what);
  if (typeof to === 'object' && to !== null && !Array.isArray(to)) {
    if (Object.hasOwn(to, 'offset')) return { offset: only('offset', 0) };
    if (Object.hasOwn(to, 'timestamp')) return { timestamp: only('timestamp', 0, produceLimits.maxTimestamp, ' (a timestamp in ms)') };
    if (Object.hasOwn(to, 'shiftBy')) return { shiftBy: only('shiftBy', -Number.MAX_SAFE_INTEGER) };
  }
  throw invalid('to', 'must be "earliest", "latest", {offset}, {timestamp} or {shiftBy}');
}
