/**
 * The idempotent producer against DynamoDB Local and the S3 emulator: producer ids and
 * epochs, sequences per partition, fencing, and exactly-once appends when any storage
 * call of a produce fails before it is sent, or after it was answered with the reply
 * lost, or when the container crashes there. 8 producers with random faults: the soak
 * test, idempotent.soak.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBatch } from '../../lib/core/codec/record-batch.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import type { Storage, StorageOptions } from '../../lib/storage/index.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import { FaultInjector, seededRandom, type FaultEffect, type FaultMode } from '../support/faults.ts';
import { idempotentCalls, quiet, sleep, type WireRecord } from '../support/idempotent-calls.ts';
import { call, createApi, partitionBounds, randomName, sameTables, useStack, type CallResult } from '../support/stack.ts';

/** Short windows, so a retry after a lost claim waits a fraction of a second, not 30 s. */
const quick: StorageOptions = { idempotence: { appendWindowMs: 300, claimTimeoutMs: 600 } };

function records(count: number, tag: string, partition?: number, valueBytes = 20): WireRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `${tag}-${i}`,
    value: `${tag}-${i}-${randomBytes(valueBytes).toString('hex')}`,
    ...(partition === undefined ? {} : { partition }),
  }));
}


describe('idempotent producer', () => {
  const stack = useStack();
  const api = () => stack.api;

  const { createTopic, newProducer, produce, readAll } = idempotentCalls(api);

  describe('POST /v1/producers', () => {
    it('issues a new producer id at epoch 0 for each anonymous producer', async () => {
      const [a, b] = [await newProducer(), await newProducer()];
      expect(a.producerEpoch).toBe(0);
      expect(b.producerEpoch).toBe(0);
      expect(a.producerId).not.toBe(b.producerId);
      expect(Number.isSafeInteger(a.producerId)).toBe(true);
    });

    it('keeps the id of a transactional id and bumps its epoch each time', async () => {
      const id = randomName('txn');
      const first = await newProducer(id);
      const second = await newProducer(id);
      const third = await newProducer(id, stack.cold());
      expect([second.producerId, third.producerId]).toEqual([first.producerId, first.producerId]);
      expect([first.producerEpoch, second.producerEpoch, third.producerEpoch]).toEqual([0, 1, 2]);
    });

    it('refuses a malformed transactional id or unknown fields', async () => {
      for (const body of [{ transactionalId: '' }, { transactionalId: 7 }, { transactionalId: 'x'.repeat(300) }, { producerId: 1 }]) {
        const res = await call(api(), 'POST', '/v1/producers', { body });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body.error.code).toBe('INVALID_REQUEST');
      }
    });
  });

  describe('sequences', () => {
    it('appends a batch once however often it is sent, answering its first offsets every time', async () => {
      const topic = await createTopic();
      const producer = await newProducer();
      const batch = records(3, 'a', 0);
      const first = await produce(topic, producer, { 0: 0 }, batch);
      expect(first.status).toBe(200);
      expect(first.body.offsets).toEqual([0, 1, 2].map((offset) => ({ partition: 0, offset })));
      for (const on of [api(), stack.cold()]) expect((await produce(topic, producer, { 0: 0 }, batch, on)).body).toEqual(first.body);

      const next = await produce(topic, producer, { 0: 3 }, records(2, 'b', 0));
      expect(next.body.offsets).toEqual([3, 4].map((offset) => ({ partition: 0, offset })));
      // An older batch than the last one is still remembered.
      expect((await produce(topic, producer, { 0: 0 }, batch)).body).toEqual(first.body);
      expect((await readAll(topic)).map((r) => r.key)).toEqual(['a-0', 'a-1', 'a-2', 'b-0', 'b-1']);
    });

    it('refuses a gap, a new producer not starting at 0, and a batch changed on retry, changing nothing', async () => {
      const topic = await createTopic();
      const producer = await newProducer();
      expect((await produce(topic, producer, { 0: 0 }, records(2, 'a', 0))).status).toBe(200);
      const cases: Array<[Record<number, number>, WireRecord[], number]> = [
        [{ 0: 5 }, records(1, 'gap', 0), 2],
        [{ 0: 0 }, records(3, 'changed', 0), 2],
      ];
      for (const [sequences, recs, expected] of cases) {
        const res = await produce(topic, producer, sequences, recs);
        expect(res.status).toBe(409);
        expect(res.body.error).toMatchObject({ code: 'OUT_OF_ORDER_SEQUENCE', expectedSequence: expected });
        expect(res.headers['retry-after']).toBeUndefined();
      }
      const fresh = await produce(topic, await newProducer(), { 0: 4 }, records(1, 'late', 0));
      expect(fresh.body.error).toMatchObject({ code: 'OUT_OF_ORDER_SEQUENCE', expectedSequence: 0 });
      expect((await readAll(topic)).length).toBe(2);
      // The head is intact: the next sequence goes on.
      expect((await produce(topic, producer, { 0: 2 }, records(1, 'c', 0))).body.offsets).toEqual([{ partition: 0, offset: 2 }]);
    });

    it('refuses a request whole when one of its partitions is out of order', async () => {
      const topic = await createTopic(2);
      const producer = await newProducer();
      const res = await produce(topic, producer, { 0: 0, 1: 3 }, [...records(2, 'p0', 0), ...records(2, 'p1', 1)]);
      expect(res.body.error.code).toBe('OUT_OF_ORDER_SEQUENCE');
      expect((await partitionBounds(api(), topic)).map((p: { highWatermark: number }) => p.highWatermark)).toEqual([0, 0]);
      // Partition 0's claim was given back: its sequence 0 goes through now.
      const ok = await produce(topic, producer, { 0: 0, 1: 0 }, [...records(2, 'p0', 0), ...records(1, 'p1', 1)]);
      expect(ok.status).toBe(200);
      expect(ok.body.offsets.map((o: { offset: number }) => o.offset)).toEqual([0, 1, 0]);
    });

    it('puts the producer id, epoch and base sequence in the stored batch header', async () => {
      const topic = await createTopic();
      const producer = await newProducer();
      await produce(topic, producer, { 0: 0 }, records(2, 'a', 0));
      await produce(topic, producer, { 0: 2 }, records(3, 'b', 0));
      const meta = await stack.storage.topics.get(topic);
      const items = await stack.storage.tail.query({ pk: partitionKey(meta.topicId, 0), forward: true, limit: 10 });
      const headers = await Promise.all(items.map(async (item) => decodeBatch(await stack.storage.tail.batchOf(partitionKey(meta.topicId, 0), item)).header));
      expect(headers.map((h) => [h.producerId, h.producerEpoch, h.baseSequence])).toEqual([
        [BigInt(producer.producerId), 0, 0],
        [BigInt(producer.producerId), 0, 2],
      ]);
    });
  });

  describe('fencing', () => {
    it('fences an older epoch of a transactional id, on partitions the new one has not written too', async () => {
      const topic = await createTopic(2);
      const id = randomName('txn');
      const old = await newProducer(id);
      expect((await produce(topic, old, { 0: 0 }, records(1, 'old', 0))).status).toBe(200);
      const current = await newProducer(id);
      for (const partition of [0, 1]) {
        const res = await produce(topic, old, { [partition]: partition === 0 ? 1 : 0 }, records(1, 'stale', partition));
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('FENCED');
      }
      // The new epoch starts its sequences at 0 on every partition.
      expect((await produce(topic, current, { 0: 0 }, records(1, 'new', 0))).body.offsets).toEqual([{ partition: 0, offset: 1 }]);
      expect((await readAll(topic)).map((r) => r.key)).toEqual(['old-0', 'new-0']);
      expect(await readAll(topic, 1)).toEqual([]);
    });

    it('answers an unknown producer id or an epoch never issued with UNKNOWN_PRODUCER', async () => {
      const topic = await createTopic();
      const producer = await newProducer();
      for (const p of [{ producerId: producer.producerId + 1, producerEpoch: 0 }, { ...producer, producerEpoch: 1 }]) {
        const res = await produce(topic, p, { 0: 0 }, records(1, 'x', 0));
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('UNKNOWN_PRODUCER');
      }
      expect(await readAll(topic)).toEqual([]);
    });
  });

  describe('bad input', () => {
    it('refuses malformed producer fields with 400 and appends nothing', async () => {
      const topic = await createTopic(2);
      const p = await newProducer();
      const good = { records: records(1, 'k', 0), ...p, sequences: { 0: 0 } };
      const bad: Array<[string, Record<string, unknown>]> = [
        ['producerId alone', { records: good.records, producerId: p.producerId }],
        ['no sequences', { records: good.records, producerId: p.producerId, producerEpoch: 0 }],
        ['producerId a string', { ...good, producerId: String(p.producerId) }],
        ['negative producerId', { ...good, producerId: -1 }],
        ['epoch past int16', { ...good, producerEpoch: 40_000 }],
        ['sequences an array', { ...good, sequences: [0] }],
        ['sequence key not a partition', { ...good, sequences: { zero: 0 } }],
        ['negative sequence', { ...good, sequences: { 0: -1 } }],
        ['sequence past int32', { ...good, sequences: { 0: 2 ** 31 } }],
        ['sequence for a partition not written', { ...good, sequences: { 0: 0, 1: 0 } }],
        ['partition written without a sequence', { ...good, records: [...good.records, ...records(1, 'k', 1)] }],
        ['keyless record without a partition', { ...good, records: [{ value: 'v' }] }],
      ];
      for (const [name, body] of bad) {
        const res = await call(api(), 'POST', `/v1/topics/${topic}/records`, { body });
        expect(res.status, name).toBe(400);
        expect(res.body.error.code, name).toBe('INVALID_REQUEST');
      }
      expect((await partitionBounds(api(), topic)).map((b: { highWatermark: number }) => b.highWatermark)).toEqual([0, 0]);
      // Nothing was claimed either: sequence 0 is still the next one.
      expect((await call(api(), 'POST', `/v1/topics/${topic}/records`, { body: good })).status).toBe(200);
    });
  });

  describe('retries after faults', () => {
    /** A container of its own (nothing cached) with short claim windows and a fault injector. */
    function container(): { storage: Storage; faults: FaultInjector; api: ReturnType<typeof createApi> } {
      const storage = stack.container(quick);
      return { storage, faults: new FaultInjector(storage), api: createApi({ storage, log: quiet }) };
    }

    /** Sends the same request until it succeeds (as the SDK does), each try on a fresh container. */
    async function retryUntilDone(send: (on: ReturnType<typeof createApi>) => Promise<CallResult>): Promise<CallResult> {
      for (let attempt = 0; attempt < 40; attempt++) {
        const res = await send(container().api);
        if (res.status === 200) return res;
        expect(res.body.error.code === 'PRODUCE_IN_PROGRESS' || res.status >= 500, JSON.stringify(res.body)).toBe(true);
        await sleep(50);
      }
      throw new Error('the retries never succeeded');
    }

    interface Shape {
      readonly name: string;
      readonly partitions: number;
      readonly batch: () => WireRecord[];
    }
    const shapes: Shape[] = [
      { name: 'a small batch', partitions: 1, batch: () => records(3, 's', 0) },
      { name: 'a batch staged in S3', partitions: 1, batch: () => records(4, 'l', 0, 3_000) },
      { name: 'batches to two partitions', partitions: 2, batch: () => [...records(2, 'p0', 0), ...records(3, 'p1', 1)] },
    ];
    const cases: Array<[FaultMode, FaultEffect]> = [
      ['before', 'throw'],
      ['after', 'throw'],
      ['before', 'crash'],
      ['after', 'crash'],
    ];

    for (const shape of shapes) {
      it(`appends ${shape.name} exactly once when any call fails and the request is retried`, async () => {
        // The calls of a clean first produce on a cold container, to fail one at a time.
        const probe = container();
        const probeTopic = await createTopic(shape.partitions);
        const producer = await newProducer();
        const { calls } = await probe.faults.recording(() => produce(probeTopic, producer, seqs(shape), shape.batch(), probe.api));
        expect(calls.length).toBeGreaterThanOrEqual(5);

        const broken: string[] = [];
        const scenarios = calls.flatMap((c) => cases.map(([mode, effect]) => ({ at: c.index, label: c.label, mode, effect })));
        for (let i = 0; i < scenarios.length; i += 4) {
          await Promise.all(
            scenarios.slice(i, i + 4).map(async (scenario) => {
              const topic = await createTopic(shape.partitions);
              const p = await newProducer();
              const batch = shape.batch();
              const faulty = container();
              await faulty.faults.failing({ at: scenario.at, mode: scenario.mode, effect: scenario.effect }, () =>
                produce(topic, p, seqs(shape), batch, faulty.api),
              );
              const done = await retryUntilDone((on) => produce(topic, p, seqs(shape), batch, on));
              const again = await produce(topic, p, seqs(shape), batch);
              const problems = await checkOnce(topic, shape, batch, done.body.offsets);
              if (JSON.stringify(again.body) !== JSON.stringify(done.body)) problems.push('a later resend answered other offsets');
              // The heads are whole: the next sequences append right after.
              const next = await produce(topic, p, nextSeqs(shape, batch), shape.batch());
              if (next.status !== 200) problems.push(`the next sequence was refused: ${JSON.stringify(next.body)}`);
              if (problems.length > 0) broken.push(`call ${scenario.at} (${scenario.label}) ${scenario.mode}/${scenario.effect}: ${problems.join('; ')}`);
            }),
          );
        }
        expect(broken).toEqual([]);
      });
    }

    function seqs(shape: Shape): Record<number, number> {
      return Object.fromEntries(Array.from({ length: shape.partitions }, (_, p) => [p, 0]));
    }

    function nextSeqs(shape: Shape, batch: readonly WireRecord[]): Record<number, number> {
      return Object.fromEntries(Array.from({ length: shape.partitions }, (_, p) => [p, batch.filter((r) => r.partition === p).length]));
    }

    /** Each partition holds exactly its part of the batch, in order, where the answer said. */
    async function checkOnce(topic: string, shape: Shape, batch: readonly WireRecord[], offsets: Array<{ partition: number; offset: number }>) {
      const problems: string[] = [];
      for (let p = 0; p < shape.partitions; p++) {
        const stored = await readAll(topic, p);
        const sent = batch.filter((r) => r.partition === p);
        if (JSON.stringify(stored.map((r) => r.value)) !== JSON.stringify(sent.map((r) => r.value))) {
          problems.push(`partition ${p} holds ${stored.length} records, not the ${sent.length} sent once`);
        }
      }
      batch.forEach((record, i) => {
        if (offsets[i]?.partition !== record.partition) problems.push(`record ${i} answered partition ${offsets[i]?.partition}`);
      });
      return problems;
    }

    it('finds a batch that was sealed into a segment before the retry came', async () => {
      const topic = await createTopic();
      const producer = await newProducer();
      const batch = records(5, 'sealed', 0);
      const faulty = container();
      // The append lands; completing the head fails: the claim stays pending.
      const run = await faulty.faults.failing({ at: { label: 'UpdateItemCommand producers SET nextSeq' }, mode: 'before' }, () =>
        produce(topic, producer, { 0: 0 }, batch, faulty.api),
      );
      expect(run.fired).toBeDefined();
      const meta = await stack.storage.topics.get(topic);
      await runJobs(stack.storage, { topic, now: () => Date.now() + 3_600_000 });
      const pk = partitionKey(meta.topicId, 0);
      // The sealed item expires (by TTL, a day later): only the segment holds the batch.
      const lingering = await stack.storage.tail.query({ pk, forward: true, limit: 10 });
      await stack.storage.tail.deleteItems(pk, lingering.map((item) => item.offset));
      expect((await stack.storage.segments.list(pk)).length).toBe(1);

      const retry = await produce(topic, producer, { 0: 0 }, batch, container().api);
      expect(retry.status).toBe(200);
      expect(retry.body.offsets).toEqual([0, 1, 2, 3, 4].map((offset) => ({ partition: 0, offset })));
      expect((await readAll(topic)).map((r) => r.value)).toEqual(batch.map((r) => r.value));
    });

    it('tells a retry that overtakes a try still in flight to come back, then answers its offsets', async () => {
      const topic = await createTopic();
      const producer = await newProducer();
      const batch = records(2, 'slow', 0);
      const slow = container();
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let stalled!: () => void;
      const reached = new Promise<void>((resolve) => (stalled = resolve));
      // The first try stalls just before its append, with the claim made.
      slow.storage.clients.dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'PutItemCommand') {
            stalled();
            await held;
          }
          return next(args);
        },
        { step: 'initialize', name: 'stallAppend' },
      );
      const first = produce(topic, producer, { 0: 0 }, batch, slow.api);
      await reached;
      const overtaking = await produce(topic, producer, { 0: 0 }, batch, container().api);
      expect(overtaking.status).toBe(409);
      expect(overtaking.body.error).toMatchObject({ code: 'PRODUCE_IN_PROGRESS', retriable: true });
      expect(overtaking.headers['retry-after']).toBe('1');
      release();
      expect((await first).status).toBe(200);
      expect((await produce(topic, producer, { 0: 0 }, batch, container().api)).body).toEqual((await first).body);
      expect((await readAll(topic)).length).toBe(2);
    });

    it('a try past its append window never appends, so a retry may take over', async () => {
      const topic = await createTopic();
      const producer = await newProducer();
      const batch = records(2, 'late', 0);
      const slow = container();
      slow.storage.clients.dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          // Stalls past the append window (300 ms) before its put.
          if (context.commandName === 'PutItemCommand') await sleep(700);
          return next(args);
        },
        { step: 'initialize', name: 'stallPastWindow' },
      );
      const first = await produce(topic, producer, { 0: 0 }, batch, slow.api);
      expect(first.status).toBe(503);
      const retried = await retryUntilDone((on) => produce(topic, producer, { 0: 0 }, batch, on));
      expect(retried.body.offsets).toEqual([0, 1].map((offset) => ({ partition: 0, offset })));
      expect((await readAll(topic)).length).toBe(2);
    });
  });
});
