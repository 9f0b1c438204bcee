/**
 * A group's committed offsets over Kafka's protocol: OffsetCommit (fenced by member and
 * generation), OffsetFetch (one group, or several from v8) and OffsetDelete. They are the
 * offsets Sluice's own groups keep, so `sluice groups` shows and resets them.
 */
import { groupErrorOf } from '../errors.ts';
import { apiHandler } from '../handler.ts';
import { KafkaErrors, OffsetCommit, OffsetDelete, OffsetFetch } from '../protocol/index.ts';

const codeOf = (error: unknown) => groupErrorOf(error).code;

export const offsetCommitHandler = apiHandler({
  api: OffsetCommit,
  minVersion: 0,
  // v9 commits by member epoch (KIP-848's consumer groups), not served.
  maxVersion: 8,
  handle: async (request, _version, { groups }) => {
    const offsets = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({
        topic: t.name,
        partition: p.partitionIndex,
        // Kafka stores a negative offset as given, and clients read it back as "none":
        // kafkajs commits -1 or -2 after OFFSET_OUT_OF_RANGE to start over from its reset policy.
        offset: p.committedOffset < 0n ? null : Number(p.committedOffset),
        ...(p.committedMetadata === null ? {} : { metadata: p.committedMetadata }),
      })),
    );
    const answer = (codes: number[]) => {
      let i = 0;
      return { topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i++]! })) })) };
    };
    if (request.groupId === '') return answer(offsets.map(() => KafkaErrors.INVALID_GROUP_ID.code));
    if (offsets.some((o) => o.offset !== null && !Number.isSafeInteger(o.offset))) {
      return answer(offsets.map((o) => (o.offset !== null && !Number.isSafeInteger(o.offset) ? KafkaErrors.INVALID_COMMIT_OFFSET_SIZE.code : 0)));
    }
    try {
      const ref = { memberId: request.memberId, generationId: request.generationIdOrMemberEpoch, ...(request.groupInstanceId ? { instanceId: request.groupInstanceId } : {}) };
      const results = await groups.commit(request.groupId, ref, offsets);
      return answer(results.map((error) => (error === undefined ? 0 : KafkaErrors[error].code)));
    } catch (error) {
      const code = codeOf(error);
      return answer(offsets.map(() => code));
    }
  },
});

export const offsetFetchHandler = apiHandler({
  api: OffsetFetch,
  // v0 reads offsets ZooKeeper kept.
  minVersion: 1,
  // v9 names a KIP-848 member epoch.
  maxVersion: 8,
  handle: async (request, version, { groups }) => {
    const asked = version >= 8 ? request.groups.map((g) => ({ groupId: g.groupId, topics: g.topics })) : [{ groupId: request.groupId, topics: request.topics }];
    const answers = await Promise.all(
      asked.map(async ({ groupId, topics }) => {
        try {
          const committed = await groups.committed(groupId, topics === null ? null : topics.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })));
          const names = [...new Set(committed.map((c) => c.topic))];
          return {
            groupId,
            errorCode: 0,
            topics: names.map((name) => ({
              name,
              partitions: committed
                .filter((c) => c.topic === name)
                .map((c) => ({ partitionIndex: c.partition, committedOffset: BigInt(c.offset), metadata: c.metadata ?? '', errorCode: c.known ? 0 : KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code })),
            })),
          };
        } catch (error) {
          return { groupId, errorCode: codeOf(error), topics: [] };
        }
      }),
    );
    if (version >= 8) return { groups: answers };
    const [only] = answers;
    return { topics: only!.topics, ...(version >= 2 ? { errorCode: only!.errorCode } : {}) };
  },
});

export const offsetDeleteHandler = apiHandler({
  api: OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  handle: async (request, _version, { groups }) => {
    try {
      const results = await groups.deleteOffsets(request.groupId, request.topics.map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partitionIndex) })));
      return {
        errorCode: 0,
        topics: request.topics.map((t, ti) => ({
          name: t.name,
          partitions: t.partitions.map((p, pi) => {
            const error = results[ti]![pi];
            return { partitionIndex: p.partitionIndex, errorCode: error === undefined ? 0 : KafkaErrors[error].code };
          }),
        })),
      };
    } catch (error) {
      return { errorCode: codeOf(error), topics: [] };
    }
  },
});
