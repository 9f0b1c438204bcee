/**
 * The classic group protocol's member calls: JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * each a thin adapter over the group coordinator (lib/kafka/group-coordinator.ts), whose
 * refusals are Kafka's error codes by name.
 */
import type { GroupRefusal } from '../../core/classic-group.ts';
import { groupErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { ConsumerProtocolAssignment, decodeVersioned, Heartbeat, JoinGroup, KafkaErrors, LeaveGroup, SyncGroup } from '../protocol/index.ts';

const codeOf = (refusal: GroupRefusal) => KafkaErrors[refusal].code;

const errorCodeOf = (error: unknown) => groupErrorOf(error).code;

const fromBase64 = (data: string) => Buffer.from(data, 'base64');

export const joinGroupHandler = apiHandler({
  api: JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  handle: async (request, version, { groups, connection, clientId }) => {
    const unanswered = { errorCode: 0, generationId: -1, protocolName: version >= 7 ? null : '', leader: '', memberId: request.memberId, members: [] };
    if (request.groupId === '') return { ...unanswered, errorCode: KafkaErrors.INVALID_GROUP_ID.code };
    try {
      const result = await groups.join(
        request.groupId,
        {
          memberId: request.memberId,
          ...(request.groupInstanceId ? { instanceId: request.groupInstanceId } : {}),
          clientId: clientId ?? '',
          clientHost: connection.remoteAddress,
          sessionTimeoutMs: request.sessionTimeoutMs,
          // v0 has none: Kafka takes the session timeout.
          rebalanceTimeoutMs: request.rebalanceTimeoutMs >= 0 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
          protocolType: request.protocolType,
          protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata).toString('base64') })),
        },
        // v4+: a new member first learns its id (KIP-394), so a lost answer leaves no ghost member.
        version >= 4,
        connection.signal,
      );
      if (!result) return undefined;
      if ('refused' in result) return { ...unanswered, errorCode: codeOf(result.refused.refusal), memberId: result.memberId };
      return {
        errorCode: 0,
        generationId: result.generationId,
        ...(version >= 7 ? { protocolType: request.protocolType } : {}),
        protocolName: result.protocolName,
        leader: result.leaderId,
        memberId: result.memberId,
        members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.instanceId ?? null, metadata: fromBase64(m.metadata) })),
      };
    } catch (error) {
      return { ...unanswered, errorCode: errorCodeOf(error) };
    }
  },
});

export const syncGroupHandler = apiHandler({
  api: SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  handle: async (request, version, { groups, connection }) => {
    const ref = { memberId: request.memberId, generationId: request.generationId, ...(request.groupInstanceId ? { instanceId: request.groupInstanceId } : {}) };
    const assignments = request.assignments.length > 0 ? new Map(request.assignments.map((a) => [a.memberId, { assignment: Buffer.from(a.assignment).toString('base64'), owned: ownedOf(a.assignment) }])) : undefined;
    try {
      const synced = await groups.sync(request.groupId, ref, assignments, connection.signal);
      if (synced === undefined) return undefined;
      return { errorCode: 0, ...(version >= 5 ? { protocolType: synced.protocolType ?? null, protocolName: synced.protocolName ?? null } : {}), assignment: fromBase64(synced.assignment) };
    } catch (error) {
      return { errorCode: errorCodeOf(error), assignment: Buffer.alloc(0) };
    }
  },
});

/** The partitions a consumer-protocol assignment names, for describing the group; none if it is not one. */
function ownedOf(assignment: Uint8Array): Array<{ topic: string; partitions: number[] }> | undefined {
  if (assignment.length === 0) return [];
  try {
    const { value } = decodeVersioned(ConsumerProtocolAssignment, Buffer.from(assignment));
    return value.assignedPartitions.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions] }));
  } catch {
    return undefined;
  }
}

export const heartbeatHandler = apiHandler({
  api: Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  handle: async (request, _version, { groups }) => {
    try {
      await groups.heartbeat(request.groupId, { memberId: request.memberId, generationId: request.generationId, ...(request.groupInstanceId ? { instanceId: request.groupInstanceId } : {}) });
      return { errorCode: 0 };
    } catch (error) {
      return { errorCode: errorCodeOf(error) };
    }
  },
});

export const leaveGroupHandler = apiHandler({
  api: LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  handle: async (request, version, { groups }) => {
    const leaving = version >= 3 ? request.members.map((m) => ({ memberId: m.memberId, ...(m.groupInstanceId ? { instanceId: m.groupInstanceId } : {}) })) : [{ memberId: request.memberId }];
    try {
      const refusals = await groups.leave(request.groupId, leaving);
      if (version < 3) return { errorCode: refusals[0] ? codeOf(refusals[0].refusal) : 0 };
      return {
        errorCode: 0,
        members: leaving.map((m, i) => ({ memberId: m.memberId, groupInstanceId: m.instanceId ?? null, errorCode: refusals[i] ? codeOf(refusals[i].refusal) : 0 })),
      };
    } catch (error) {
      return { errorCode: errorCodeOf(error), members: [] };
    }
  },
});
