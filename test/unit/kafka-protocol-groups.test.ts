/**
 * The consumer-group APIs (OffsetCommit, OffsetFetch, JoinGroup, Heartbeat, LeaveGroup,
 * SyncGroup, DescribeGroups, ListGroups, DeleteGroups, OffsetDelete) and the consumer
 * protocol's embedded subscription and assignment: kafkajs's request encoders against our
 * decoder, our encoder against its response decoders, at every version kafkajs has, and
 * byte fixtures for the flexible versions it does not speak. The round trip of every message
 * at every version is in kafka-protocol.test.ts.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../lib/kafka/protocol/codec.ts';
import { KafkaErrors } from '../../lib/kafka/protocol/error-codes.ts';
import { ProtocolError } from '../../lib/kafka/protocol/errors.ts';
import { decodeRequestHeader, encodeResponse } from '../../lib/kafka/protocol/header.ts';
import {
  ConsumerProtocolAssignment,
  ConsumerProtocolSubscription,
  DeleteGroups,
  DescribeGroups,
  Heartbeat,
  JoinGroup,
  LeaveGroup,
  ListGroups,
  OffsetCommit,
  OffsetDelete,
  OffsetFetch,
  SyncGroup,
  apiByKey,
} from '../../lib/kafka/protocol/messages/index.ts';
import type { MessageSpec } from '../../lib/kafka/protocol/schema.ts';
import { decodeVersioned, encodeVersioned } from '../../lib/kafka/protocol/versioned.ts';

const require = createRequire(import.meta.url);

// ---- kafkajs: its request encoders against our decoder, our encoder against its response decoders ----

type KafkajsApi = {
  protocol(options: { version: number }): (args: object) => {
    request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
    response: { decode(raw: Buffer): Promise<Record<string, unknown>> };
  };
};
const kafkajsRequests = require('kafkajs/src/protocol/requests/index.js') as { requests: Record<string, KafkajsApi> };
const kafkajsFrame = require('kafkajs/src/protocol/request.js') as (args: {
  correlationId: number;
  clientId: string;
  request: object;
}) => Promise<{ buffer: Buffer }>;

interface Kafkajs {
  encode(value: object): Buffer;
  decode(buffer: Buffer): Record<string, any> | null; // eslint-disable-line @typescript-eslint/no-explicit-any
}
const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js') as {
  MemberMetadata: Kafkajs;
  MemberAssignment: Kafkajs;
};

/** kafkajs's request and response decoder for a version; DeleteGroups takes its array of names as `args`. */
function kafkajs(api: string, version: number, args: object = {}) {
  return kafkajsRequests.requests[api]!.protocol({ version })(args);
}

/** kafkajs's whole request frame, size prefix stripped (checked), through our header and body decoders. */
async function throughOurDecoder(api: string, version: number, args: object) {
  const { request } = kafkajs(api, version, args);
  const { buffer } = await kafkajsFrame({ correlationId: 77, clientId: 'kafkajs', request });
  expect(buffer.readInt32BE(0)).toBe(buffer.length - 4);
  const frame = buffer.subarray(4);
  const head = decodeRequestHeader(frame);
  expect(head.header).toEqual({ requestApiKey: request.apiKey, requestApiVersion: version, correlationId: 77, clientId: 'kafkajs' });
  const { value, bytesRead } = decode(head.api!.request, version, frame, head.bodyOffset);
  expect(head.bodyOffset + bytesRead).toBe(frame.length);
  return value as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Our response frame; kafkajs's connection reads the correlation id (header v0) and hands the rest to the decoder. */
async function throughKafkajsDecoder(api: string, frame: Buffer, version: number) {
  expect(frame.readInt32BE(0)).toBe(123);
  return (await kafkajs(api, version).response.decode(frame.subarray(4))) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Hex digits (spaces ignored) and quoted ASCII: bytes`0007 "rdkafka"`. */
function bytes(text: string): Buffer {
  const parts = text.match(/"[^"]*"|[0-9a-fA-F\s]+/g) ?? [];
  return Buffer.concat(
    parts.map((p) => (p.startsWith('"') ? Buffer.from(p.slice(1, -1), 'latin1') : Buffer.from(p.replace(/\s/g, ''), 'hex'))),
  );
}

/** `fn` throws ProtocolError, with a message matching `message`. */
function expectProtocolError(fn: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  expect((thrown as Error).message).toMatch(message);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const timestamp = 1_700_000_000_000;
const { ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, MEMBER_ID_REQUIRED, UNKNOWN_MEMBER_ID, NON_EMPTY_GROUP, COORDINATOR_LOAD_IN_PROGRESS } =
  KafkaErrors;

describe('the definitions', () => {
  it('are found by their API keys, over the full ranges of the 2024 specs', () => {
    const ranges = [OffsetCommit, OffsetFetch, JoinGroup, Heartbeat, LeaveGroup, SyncGroup, DescribeGroups, ListGroups, DeleteGroups, OffsetDelete].map(
      (api) => {
        expect(apiByKey(api.apiKey)).toBe(api);
        expect(api.response.validVersions).toBe(api.request.validVersions);
        return [api.apiKey, api.request.validVersions];
      },
    );
    expect(ranges).toEqual([
      [8, '0-9'],
      [9, '0-9'],
      [11, '0-9'],
      [12, '0-4'],
      [13, '0-5'],
      [14, '0-5'],
      [15, '0-5'],
      [16, '0-5'],
      [42, '0-2'],
      [47, '0'],
    ]);
  });
});

describe('kafkajs request encoders, our decoder', () => {
  it('OffsetCommit v0-5: generation from v1, per-partition timestamp in v1 only, retention in v2-4', async () => {
    for (let v = 0; v <= 5; v++) {
      const value = await throughOurDecoder('OffsetCommit', v, {
        groupId: 'g',
        groupGenerationId: 7,
        memberId: 'member-1',
        retentionTime: 86_400_000,
        topics: [
          {
            topic: 'orders',
            partitions: [
              { partition: 0, offset: '42', metadata: 'meta', timestamp },
              { partition: 3, offset: '9007199254740993', timestamp },
            ],
          },
        ],
      });
      expect(value.groupId).toBe('g');
      expect(value.generationIdOrMemberEpoch).toBe(v >= 1 ? 7 : -1);
      expect(value.memberId).toBe(v >= 1 ? 'member-1' : '');
      expect(value.groupInstanceId).toBeNull();
      expect(value.retentionTimeMs).toBe(v >= 2 && v <= 4 ? 86_400_000n : -1n);
      const commitTimestamp = v === 1 ? BigInt(timestamp) : -1n;
      expect(value.topics).toEqual([
        {
          name: 'orders',
          partitions: [
            { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, commitTimestamp, committedMetadata: 'meta' },
            { partitionIndex: 3, committedOffset: 9_007_199_254_740_993n, committedLeaderEpoch: -1, commitTimestamp, committedMetadata: null },
          ],
        },
      ]);
    }
  });

  it('OffsetFetch v1-4', async () => {
    for (let v = 1; v <= 4; v++) {
      const value = await throughOurDecoder('OffsetFetch', v, {
        groupId: 'g',
        topics: [
          { topic: 'orders', partitions: [{ partition: 0 }, { partition: 2 }] },
          { topic: 'audit', partitions: [{ partition: 1 }] },
        ],
      });
      expect(value).toEqual({
        groupId: 'g',
        topics: [
          { name: 'orders', partitionIndexes: [0, 2] },
          { name: 'audit', partitionIndexes: [1] },
        ],
        groups: [],
        requireStable: false,
      });
    }
  });

  it('JoinGroup v0-5, whose protocol metadata is a subscription we read', async () => {
    const metadata = MemberMetadata.encode({ version: 0, topics: ['orders', 'audit'], userData: Buffer.from('ud') });
    for (let v = 0; v <= 5; v++) {
      const value = await throughOurDecoder('JoinGroup', v, {
        groupId: 'g',
        sessionTimeout: 30_000,
        rebalanceTimeout: 60_000,
        memberId: v >= 4 ? 'member-1' : '',
        groupInstanceId: 'instance-1',
        protocolType: 'consumer',
        groupProtocols: [
          { name: 'RoundRobinAssigner', metadata },
          { name: 'empty' }, // kafkajs's default: empty bytes
        ],
      });
      expect(value).toEqual({
        groupId: 'g',
        sessionTimeoutMs: 30_000,
        rebalanceTimeoutMs: v >= 1 ? 60_000 : -1,
        memberId: v >= 4 ? 'member-1' : '',
        groupInstanceId: v >= 5 ? 'instance-1' : null,
        protocolType: 'consumer',
        protocols: [
          { name: 'RoundRobinAssigner', metadata },
          { name: 'empty', metadata: Buffer.alloc(0) },
        ],
        reason: null,
      });
      expect(decodeVersioned(ConsumerProtocolSubscription, value.protocols[0].metadata)).toEqual({
        version: 0,
        value: { topics: ['orders', 'audit'], userData: Buffer.from('ud'), ownedPartitions: [], generationId: -1, rackId: null },
      });
    }
  });

  it('Heartbeat v0-3', async () => {
    for (let v = 0; v <= 3; v++) {
      const value = await throughOurDecoder('Heartbeat', v, { groupId: 'g', groupGenerationId: 5, memberId: 'member-1', groupInstanceId: 'instance-1' });
      expect(value).toEqual({ groupId: 'g', generationId: 5, memberId: 'member-1', groupInstanceId: v >= 3 ? 'instance-1' : null });
    }
  });

  it('LeaveGroup v0-3: one member id, then a batch of members from v3', async () => {
    for (let v = 0; v <= 3; v++) {
      const value = await throughOurDecoder('LeaveGroup', v, { groupId: 'g', memberId: 'member-1', groupInstanceId: 'instance-1' });
      expect(value).toEqual(
        v < 3
          ? { groupId: 'g', memberId: 'member-1', members: [] }
          : { groupId: 'g', memberId: '', members: [{ memberId: 'member-1', groupInstanceId: 'instance-1', reason: null }] },
      );
    }
  });

  it("SyncGroup v0-3, whose assignments are kafkajs's MemberAssignment bytes", async () => {
    const mine = MemberAssignment.encode({ version: 0, assignment: { orders: [0, 2], audit: [1] } });
    const theirs = MemberAssignment.encode({ version: 0, assignment: { orders: [1] }, userData: Buffer.from('x') });
    for (let v = 0; v <= 3; v++) {
      const value = await throughOurDecoder('SyncGroup', v, {
        groupId: 'g',
        generationId: 4,
        memberId: 'leader',
        groupInstanceId: 'instance-1',
        groupAssignment: [
          { memberId: 'leader', memberAssignment: mine },
          { memberId: 'follower', memberAssignment: theirs },
        ],
      });
      expect(value).toEqual({
        groupId: 'g',
        generationId: 4,
        memberId: 'leader',
        groupInstanceId: v >= 3 ? 'instance-1' : null,
        protocolType: null,
        protocolName: null,
        assignments: [
          { memberId: 'leader', assignment: mine },
          { memberId: 'follower', assignment: theirs },
        ],
      });
      expect(decodeVersioned(ConsumerProtocolAssignment, value.assignments[0].assignment).value).toEqual({
        assignedPartitions: [
          { topic: 'orders', partitions: [0, 2] },
          { topic: 'audit', partitions: [1] },
        ],
        userData: Buffer.alloc(0),
      });
    }
  });

  it('DescribeGroups v0-2, ListGroups v0-2, DeleteGroups v0-1', async () => {
    for (let v = 0; v <= 2; v++) {
      expect(await throughOurDecoder('DescribeGroups', v, { groupIds: ['g1', 'g2'] })).toEqual({ groups: ['g1', 'g2'], includeAuthorizedOperations: false });
      expect(await throughOurDecoder('ListGroups', v, {})).toEqual({ statesFilter: [], typesFilter: [] });
    }
    for (let v = 0; v <= 1; v++) expect(await throughOurDecoder('DeleteGroups', v, ['g1', 'g2'])).toEqual({ groupsNames: ['g1', 'g2'] });
  });
});

describe('our response encoder, kafkajs response decoders', () => {
  it('OffsetCommit v0-5', async () => {
    for (let v = 0; v <= 5; v++) {
      const frame = encodeResponse(OffsetCommit, v, 123, {
        throttleTimeMs: 0,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, errorCode: 0 },
              { partitionIndex: 1, errorCode: ILLEGAL_GENERATION.code },
            ],
          },
        ],
      });
      const got = await throughKafkajsDecoder('OffsetCommit', frame, v);
      expect(got.responses).toEqual([
        {
          topic: 'orders',
          partitions: [
            { partition: 0, errorCode: 0 },
            { partition: 1, errorCode: 22 },
          ],
        },
      ]);
    }
  });

  it('OffsetFetch v1-4: committed offsets and metadata, and the top-level error code from v2', async () => {
    for (let v = 1; v <= 4; v++) {
      const frame = encodeResponse(OffsetFetch, v, 123, {
        throttleTimeMs: 0,
        topics: [
          {
            name: 'orders',
            partitions: [
              { partitionIndex: 0, committedOffset: 42n, metadata: 'meta', errorCode: 0 },
              { partitionIndex: 1, committedOffset: -1n, metadata: null, errorCode: 0 },
              { partitionIndex: 2, committedOffset: 9_007_199_254_740_993n, metadata: '', errorCode: UNKNOWN_MEMBER_ID.code },
            ],
          },
        ],
        errorCode: COORDINATOR_LOAD_IN_PROGRESS.code, // ignorable: dropped in v1
      });
      const got = await throughKafkajsDecoder('OffsetFetch', frame, v);
      expect(got.responses).toEqual([
        {
          topic: 'orders',
          partitions: [
            { partition: 0, offset: '42', metadata: 'meta', errorCode: 0 },
            { partition: 1, offset: '-1', metadata: null, errorCode: 0 },
            { partition: 2, offset: '9007199254740993', metadata: '', errorCode: 25 },
          ],
        },
      ]);
      expect(got.errorCode).toBe(v >= 2 ? 14 : undefined);
    }
  });

  it('JoinGroup v0-5: the leader gets every member and its subscription; MEMBER_ID_REQUIRED carries the new id', async () => {
    const subscription = (topics: string[]) => encodeVersioned(ConsumerProtocolSubscription, 0, { topics, userData: Buffer.from('u') });
    for (let v = 0; v <= 5; v++) {
      const frame = encodeResponse(JoinGroup, v, 123, {
        throttleTimeMs: 0,
        errorCode: 0,
        generationId: 3,
        protocolType: 'consumer', // ignorable before v7
        protocolName: 'RoundRobinAssigner',
        leader: 'member-1',
        memberId: 'member-2',
        members: [
          { memberId: 'member-1', groupInstanceId: 'instance-1', metadata: subscription(['orders']) },
          { memberId: 'member-2', groupInstanceId: null, metadata: subscription(['orders', 'audit']) },
        ],
      });
      const got = await throughKafkajsDecoder('JoinGroup', frame, v);
      expect(got).toMatchObject({ errorCode: 0, generationId: 3, groupProtocol: 'RoundRobinAssigner', leaderId: 'member-1', memberId: 'member-2' });
      expect(got.members.map((m: { memberId: string; groupInstanceId?: string | null }) => [m.memberId, m.groupInstanceId])).toEqual([
        ['member-1', v >= 5 ? 'instance-1' : undefined],
        ['member-2', v >= 5 ? null : undefined],
      ]);
      expect(MemberMetadata.decode(got.members[1].memberMetadata)).toEqual({ version: 0, topics: ['orders', 'audit'], userData: Buffer.from('u') });
    }
    for (let v = 4; v <= 5; v++) {
      const frame = encodeResponse(JoinGroup, v, 123, { errorCode: MEMBER_ID_REQUIRED.code, memberId: 'assigned-id' });
      expect(await throughKafkajsDecoder('JoinGroup', frame, v)).toMatchObject({ errorCode: 79, generationId: -1, memberId: 'assigned-id', members: [] });
    }
  });

  it('Heartbeat v0-3, LeaveGroup v0-3: error codes, and each leaving member from v3', async () => {
    for (let v = 0; v <= 3; v++) {
      const beat = await throughKafkajsDecoder('Heartbeat', encodeResponse(Heartbeat, v, 123, { throttleTimeMs: 0, errorCode: REBALANCE_IN_PROGRESS.code }), v);
      expect(beat.errorCode).toBe(27);
      const leave = await throughKafkajsDecoder(
        'LeaveGroup',
        encodeResponse(LeaveGroup, v, 123, {
          throttleTimeMs: 0,
          errorCode: 0,
          // Not ignorable: only where the version has them.
          ...(v >= 3
            ? {
                members: [
                  { memberId: 'member-1', groupInstanceId: 'instance-1', errorCode: 0 },
                  { memberId: 'ghost', groupInstanceId: null, errorCode: UNKNOWN_MEMBER_ID.code },
                ],
              }
            : {}),
        }),
        v,
      );
      expect(leave.errorCode).toBe(0);
      if (v >= 3) {
        expect(leave.members).toEqual([
          { memberId: 'member-1', groupInstanceId: 'instance-1', errorCode: 0 },
          { memberId: 'ghost', groupInstanceId: null, errorCode: 25 },
        ]);
      }
    }
  });

  it('SyncGroup v0-3: the member gets its assignment, which kafkajs reads', async () => {
    const assignment = encodeVersioned(ConsumerProtocolAssignment, 0, {
      assignedPartitions: [
        { topic: 'orders', partitions: [0, 2] },
        { topic: 'audit', partitions: [1] },
      ],
      userData: Buffer.from('ud'),
    });
    for (let v = 0; v <= 3; v++) {
      const got = await throughKafkajsDecoder('SyncGroup', encodeResponse(SyncGroup, v, 123, { throttleTimeMs: 0, errorCode: 0, assignment }), v);
      expect(got.errorCode).toBe(0);
      expect(got.memberAssignment).toEqual(assignment);
      expect(MemberAssignment.decode(got.memberAssignment)).toEqual({ version: 0, assignment: { orders: [0, 2], audit: [1] }, userData: Buffer.from('ud') });
    }
  });

  it('DescribeGroups v0-2', async () => {
    const memberMetadata = encodeVersioned(ConsumerProtocolSubscription, 1, { topics: ['orders'], userData: null });
    const memberAssignment = encodeVersioned(ConsumerProtocolAssignment, 1, { assignedPartitions: [{ topic: 'orders', partitions: [0] }] });
    for (let v = 0; v <= 2; v++) {
      const frame = encodeResponse(DescribeGroups, v, 123, {
        throttleTimeMs: 0,
        groups: [
          {
            errorCode: 0,
            groupId: 'g',
            groupState: 'Stable',
            protocolType: 'consumer',
            protocolData: 'RoundRobinAssigner',
            members: [{ memberId: 'member-1', groupInstanceId: 'instance-1', clientId: 'app', clientHost: '/10.0.0.1', memberMetadata, memberAssignment }],
          },
          { errorCode: 0, groupId: 'gone', groupState: 'Dead' },
        ],
      });
      const got = await throughKafkajsDecoder('DescribeGroups', frame, v);
      expect(got.groups).toEqual([
        {
          errorCode: 0,
          groupId: 'g',
          state: 'Stable',
          protocolType: 'consumer',
          protocol: 'RoundRobinAssigner',
          members: [{ memberId: 'member-1', clientId: 'app', clientHost: '/10.0.0.1', memberMetadata, memberAssignment }],
        },
        { errorCode: 0, groupId: 'gone', state: 'Dead', protocolType: '', protocol: '', members: [] },
      ]);
      // kafkajs reads the start of a v1 subscription: its fields come first in every version.
      expect(MemberMetadata.decode(got.groups[0].members[0].memberMetadata)).toEqual({ version: 1, topics: ['orders'], userData: null });
    }
  });

  it('ListGroups v0-2, DeleteGroups v0-1', async () => {
    for (let v = 0; v <= 2; v++) {
      const frame = encodeResponse(ListGroups, v, 123, {
        throttleTimeMs: 0,
        errorCode: 0,
        groups: [
          { groupId: 'g1', protocolType: 'consumer', groupState: 'Stable' }, // the state is ignorable before v4
          { groupId: 'g2', protocolType: '' },
        ],
      });
      const got = await throughKafkajsDecoder('ListGroups', frame, v);
      expect(got.errorCode).toBe(0);
      expect(got.groups).toEqual([
        { groupId: 'g1', protocolType: 'consumer' },
        { groupId: 'g2', protocolType: '' },
      ]);
    }
    for (let v = 0; v <= 1; v++) {
      const frame = encodeResponse(DeleteGroups, v, 123, {
        throttleTimeMs: 0,
        results: [
          { groupId: 'g1', errorCode: 0 },
          { groupId: 'g2', errorCode: NON_EMPTY_GROUP.code },
        ],
      });
      const got = await throughKafkajsDecoder('DeleteGroups', frame, v);
      expect(got.results.map((r: { groupId: string; errorCode: number; error?: { type: string } }) => [r.groupId, r.errorCode, r.error?.type])).toEqual([
        ['g1', 0, undefined],
        ['g2', 68, 'NON_EMPTY_GROUP'],
      ]);
    }
  });
});

// ---- the consumer protocol's subscription and assignment ----

describe('consumer protocol: subscription and assignment', () => {
  it("reads kafkajs's MemberMetadata and MemberAssignment", () => {
    expect(decodeVersioned(ConsumerProtocolSubscription, MemberMetadata.encode({ version: 0, topics: ['a', 'b'] }))).toEqual({
      version: 0,
      value: { topics: ['a', 'b'], userData: Buffer.alloc(0), ownedPartitions: [], generationId: -1, rackId: null },
    });
    const assignment = MemberAssignment.encode({ version: 0, assignment: { a: [0, 1, 2], b: [] }, userData: Buffer.from('ud') });
    expect(decodeVersioned(ConsumerProtocolAssignment, assignment)).toEqual({
      version: 0,
      value: {
        assignedPartitions: [
          { topic: 'a', partitions: [0, 1, 2] },
          { topic: 'b', partitions: [] },
        ],
        userData: Buffer.from('ud'),
      },
    });
  });

  it('writes what kafkajs reads, at every version: newer fields follow the ones it knows', () => {
    for (let v = 0; v <= 3; v++) {
      const subscription = encodeVersioned(ConsumerProtocolSubscription, v, {
        topics: ['a', 'b'],
        userData: v % 2 === 0 ? Buffer.from('ud') : null,
        ...(v >= 1 ? { ownedPartitions: [{ topic: 'a', partitions: [0, 3] }] } : {}),
        generationId: 9, // ignorable: dropped before v2
        rackId: 'use1-az1', // ignorable: dropped before v3
      });
      expect(MemberMetadata.decode(subscription)).toEqual({ version: v, topics: ['a', 'b'], userData: v % 2 === 0 ? Buffer.from('ud') : null });
      expect(decodeVersioned(ConsumerProtocolSubscription, subscription).value).toEqual({
        topics: ['a', 'b'],
        userData: v % 2 === 0 ? Buffer.from('ud') : null,
        ownedPartitions: v >= 1 ? [{ topic: 'a', partitions: [0, 3] }] : [],
        generationId: v >= 2 ? 9 : -1,
        rackId: v >= 3 ? 'use1-az1' : null,
      });

      const assignment = encodeVersioned(ConsumerProtocolAssignment, v, { assignedPartitions: [{ topic: 'a', partitions: [1] }] });
      expect(MemberAssignment.decode(assignment)).toEqual({ version: v, assignment: { a: [1] }, userData: null });
    }
  });

  it("matches the bytes of Kafka's layout: a v3 subscription with owned partitions, generation and rack", () => {
    const wire = bytes(`0003  00000001 0001 "t"  ffffffff  00000001 0001 "t" 00000001 00000002  00000005  0002 "r1"`);
    const value = { topics: ['t'], userData: null, ownedPartitions: [{ topic: 't', partitions: [2] }], generationId: 5, rackId: 'r1' };
    expect(encodeVersioned(ConsumerProtocolSubscription, 3, value)).toEqual(wire);
    expect(decodeVersioned(ConsumerProtocolSubscription, wire)).toEqual({ version: 3, value });
  });

  it("reads a version newer than it knows as its newest, ignoring what follows (Kafka's ConsumerProtocol rule)", () => {
    const v3 = encodeVersioned(ConsumerProtocolAssignment, 3, { assignedPartitions: [{ topic: 't', partitions: [0] }], userData: Buffer.from('u') });
    const v7 = Buffer.concat([v3, Buffer.from('a later field')]);
    v7.writeInt16BE(7, 0);
    expect(decodeVersioned(ConsumerProtocolAssignment, v7)).toEqual({
      version: 7,
      value: { assignedPartitions: [{ topic: 't', partitions: [0] }], userData: Buffer.from('u') },
    });
  });

  it('refuses an old or missing version, a truncated struct, and a version it cannot write', () => {
    expectProtocolError(() => decodeVersioned(ConsumerProtocolSubscription, bytes('ffff 00000000 ffffffff')), /ConsumerProtocolSubscription has no version -1/);
    expectProtocolError(() => decodeVersioned(ConsumerProtocolSubscription, Buffer.alloc(0)), /no room for a version/);
    expectProtocolError(() => decodeVersioned(ConsumerProtocolAssignment, bytes('0000 00000001 0001')), /ConsumerProtocolAssignment v0: truncated/);
    expectProtocolError(() => encodeVersioned(ConsumerProtocolAssignment, 4, {}), /ConsumerProtocolAssignment has no version 4/);
  });
});

// ---- byte fixtures for the flexible versions (kafkajs 2.2 speaks none of them) ----

describe('byte fixtures', () => {
  const fixtures: [string, MessageSpec, number, object, string][] = [
    [
      'LeaveGroup v5 request: a batch of members with reasons',
      LeaveGroup.request,
      5,
      { groupId: 'g', members: [{ memberId: 'm', groupInstanceId: 'i', reason: 'bye' }] },
      `02 "g"  02  02 "m" 02 "i" 04 "bye" 00  00`,
    ],
    [
      'OffsetFetch v8 request: one group, all its topics (null), require stable',
      OffsetFetch.request,
      8,
      { groups: [{ groupId: 'g', topics: null }], requireStable: true },
      `02  02 "g" 00 00  01 00`,
    ],
    [
      'OffsetFetch v9 request: a consumer-protocol member with a null member id',
      OffsetFetch.request,
      9,
      { groups: [{ groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] }] },
      `02  02 "g" 00 ffffffff  02 02 "t" 03 00000000 00000001 00  00  00 00`,
    ],
    [
      'JoinGroup v9 response: protocol type, skip assignment, a member with a null instance id',
      JoinGroup.response,
      9,
      {
        errorCode: 0,
        generationId: 1,
        protocolType: 'consumer',
        protocolName: 'range',
        leader: 'm',
        skipAssignment: true,
        memberId: 'm',
        members: [{ memberId: 'm', metadata: Buffer.from([1, 2]) }],
      },
      `00000000 0000 00000001 09 "consumer" 06 "range" 02 "m" 01 02 "m"  02  02 "m" 00 03 0102 00  00`,
    ],
    [
      'ListGroups v5 request: states and types filters',
      ListGroups.request,
      5,
      { statesFilter: ['Stable'], typesFilter: ['classic'] },
      `02 07 "Stable"  02 08 "classic"  00`,
    ],
    [
      'OffsetDelete v0 response: the error code comes before the throttle time',
      OffsetDelete.response,
      0,
      { errorCode: 86, throttleTimeMs: 5, topics: [{ name: 't', partitions: [{ partitionIndex: 1, errorCode: 0 }] }] },
      `0056 00000005  00000001 0001 "t" 00000001 00000001 0000`,
    ],
    [
      'SyncGroup v5 request: protocol type and name',
      SyncGroup.request,
      5,
      { groupId: 'g', generationId: 2, memberId: 'm', protocolType: 'consumer', protocolName: 'range', assignments: [] },
      `02 "g" 00000002 02 "m" 00 09 "consumer" 06 "range" 01 00`,
    ],
  ];

  for (const [title, message, version, value, hex] of fixtures) {
    it(title, () => {
      const wire = bytes(hex);
      expect(encode(message, version, value as never)).toEqual(wire);
      expect(decode(message, version, wire).value).toMatchObject(value);
    });
  }

  it('refuses what an older version cannot carry: a skipped assignment, a states filter, a batch of groups', () => {
    expectProtocolError(() => encode(JoinGroup.response, 8, { skipAssignment: true }), /JoinGroupResponse v8: skipAssignment: not in this version/);
    expectProtocolError(() => encode(ListGroups.request, 3, { statesFilter: ['Stable'] }), /statesFilter: not in this version/);
    expectProtocolError(() => encode(OffsetFetch.response, 7, { groups: [{ groupId: 'g' }] }), /groups: not in this version/);
    expectProtocolError(() => encode(JoinGroup.response, 6, { protocolName: null }), /protocolName: null in a non-nullable field/);
  });
});
