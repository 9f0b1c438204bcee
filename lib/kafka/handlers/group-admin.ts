/**
 * Groups as Kafka's admin tools see them: ListGroups, DescribeGroups, DeleteGroups, over
 * the one group namespace Sluice's HTTP API and the gateway share. A Sluice (HTTP) group
 * shows with protocol type "sluice" and its members without Kafka metadata.
 */
import type { ClassicGroup } from '../../core/classic-group.ts';
import type { GroupItems } from '../../storage/groups.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { DeleteGroups, DescribeGroups, ListGroups } from '../protocol/index.ts';

/** What a Sluice lease group calls its protocol type, where Kafka's say "consumer". */
const sluiceProtocolType = 'sluice';

/** A group's state and protocol type as Kafka names them; a lease group is Stable while a member is live. */
function overview(items: Pick<GroupItems, 'members' | 'classic'>, now: number, marginMs: number): { state: string; protocolType: string; kafka?: ClassicGroup } {
  const kafka = items.classic?.group;
  if (kafka && (kafka.members.length > 0 || items.members.length === 0)) return { state: kafka.state, protocolType: kafka.protocolType ?? '', kafka };
  const live = items.members.some((m) => m.expiresAt + marginMs >= now);
  return { state: live ? 'Stable' : 'Empty', protocolType: sluiceProtocolType };
}

export const listGroupsHandler = apiHandler({
  api: ListGroups,
  minVersion: 0,
  maxVersion: 4,
  handle: async (request, version, { storage }) => {
    const now = Date.now();
    const all = [...(await storage.groups.listGroups())].map(([groupId, items]) => ({ groupId, ...overview(items, now, storage.groups.marginMs) }));
    // v4 filters by state (case-insensitive, as Kafka compares them); none given is all.
    const states = version >= 4 ? new Set(request.statesFilter.map((s) => s.toLowerCase())) : new Set<string>();
    return {
      errorCode: 0,
      groups: all
        .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
        .sort((a, b) => a.groupId.localeCompare(b.groupId))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state })),
    };
  },
});

export const describeGroupsHandler = apiHandler({
  api: DescribeGroups,
  minVersion: 0,
  maxVersion: 5,
  handle: async (request, _version, { storage }) => ({
    groups: await Promise.all(
      request.groups.map(async (groupId) => {
        try {
          const items = await storage.groups.read(groupId);
          if (!items.classic && items.members.length === 0 && items.leases.length === 0) {
            // Kafka describes a group it does not know as Dead, without an error.
            return { errorCode: 0, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
          }
          const now = Date.now();
          const { state, protocolType, kafka } = overview(items, now, storage.groups.marginMs);
          const members = kafka
            ? kafka.members.map((m) => ({
                memberId: m.memberId,
                groupInstanceId: m.instanceId ?? null,
                clientId: m.clientId,
                clientHost: m.clientHost,
                memberMetadata: Buffer.from(m.protocols.find((p) => p.name === kafka.protocolName)?.metadata ?? '', 'base64'),
                memberAssignment: Buffer.from(m.assignment ?? '', 'base64'),
              }))
            : items.members
                .filter((m) => m.expiresAt + storage.groups.marginMs >= now)
                .map((m) => ({ memberId: m.memberId, groupInstanceId: m.instanceId ?? null, clientId: '', clientHost: '', memberMetadata: Buffer.alloc(0), memberAssignment: Buffer.alloc(0) }));
          return { errorCode: 0, groupId, groupState: state, protocolType, protocolData: kafka?.protocolName ?? '', members };
        } catch (error) {
          return { errorCode: kafkaErrorOf(error).code, groupId, groupState: '', protocolType: '', protocolData: '', members: [] };
        }
      }),
    ),
  }),
});

export const deleteGroupsHandler = apiHandler({
  api: DeleteGroups,
  minVersion: 0,
  maxVersion: 2,
  handle: async (request, _version, { storage }) => ({
    throttleTimeMs: 0,
    results: await Promise.all(
      request.groupsNames.map(async (groupId) => {
        try {
          await storage.coordinator.deleteGroup(groupId);
          return { groupId, errorCode: 0 };
        } catch (error) {
          return { groupId, errorCode: kafkaErrorOf(error).code };
        }
      }),
    ),
  }),
});
