/**
 * Many producers on several containers racing for the same partitions: offsets stay dense,
 * nothing is lost or duplicated, each producer's order holds and keys land where Kafka's
 * Java client would put them.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Api } from '../../lib/api/types.ts';
import type { Storage } from '../../lib/storage/index.ts';
import { call, createApi, randomName, sameTables, testStorage } from '../support/stack.ts';

// kafkajs's Java-compatible partitioner: an implementation independent of ours.
const require = createRequire(import.meta.url);
const kafkajsPartitioner = require('kafkajs/src/producer/partitioners/default')();

const PRODUCERS = 16;
const RECORDS = 20_000;
const PARTITIONS = 4;
const CONTAINERS = 4;
const PER_REQUEST = 50;

describe('concurrent producers', () => {
  let storages: Storage[];
  let apis: Api[];

  beforeAll(async () => {
    const first = await testStorage();
    // Each container has its own offset cache and topic cache, as Lambda containers do.
    storages = [first, ...Array.from({ length: CONTAINERS - 1 }, () => sameTables(first.config))];
    apis = storages.map((storage) => createApi({ storage }));
  });
  afterAll(() => storages.forEach((s) => s.destroy()));

  it(`${PRODUCERS} producers on ${CONTAINERS} containers append ${RECORDS} keyed records densely, once each, in order`, async () => {
    const topic = randomName();
    expect((await call(apis[0]!, 'POST', '/v1/topics', { body: { name: topic, partitions: PARTITIONS } })).status).toBe(201);

    const perProducer = RECORDS / PRODUCERS;
    const acknowledged = new Map<string, { partition: number; offset: number }>();
    await Promise.all(
      Array.from({ length: PRODUCERS }, async (_, producer) => {
        const api = apis[producer % CONTAINERS]!;
        for (let seq = 0; seq < perProducer; seq += PER_REQUEST) {
          const records = Array.from({ length: PER_REQUEST }, (_, i) => ({
            key: `key-${producer}-${(seq + i) % 37}`,
            value: `${producer}:${seq + i}`,
          }));
          const res = await call(api, 'POST', `/v1/topics/${topic}/records`, { body: { records } });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
          res.body.offsets.forEach((o: { partition: number; offset: number }, i: number) => acknowledged.set(records[i]!.value, o));
        }
      }),
    );
    expect(acknowledged.size).toBe(RECORDS);

    const seen = new Set<string>();
    for (let partition = 0; partition < PARTITIONS; partition++) {
      const lastSeqOf = new Map<number, number>();
      let offset = 0;
      for (;;) {
        const res = await call(apis[partition % CONTAINERS]!, 'GET', `/v1/topics/${topic}/partitions/${partition}/records`, {
          query: { offset: String(offset), maxRecords: '2000' },
        });
        expect(res.status).toBe(200);
        for (const record of res.body.records) {
          // Dense from 0: every offset appears, in order.
          expect(record.offset).toBe(offset++);
          expect(seen.has(record.value), `duplicate ${record.value}`).toBe(false);
          seen.add(record.value);
          expect(acknowledged.get(record.value)).toEqual({ partition, offset: record.offset });
          const [producer, seq] = record.value.split(':').map(Number) as [number, number];
          expect(seq).toBeGreaterThan(lastSeqOf.get(producer) ?? -1);
          lastSeqOf.set(producer, seq);
          const expected = kafkajsPartitioner({
            topic,
            partitionMetadata: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionId: p, leader: 0 })),
            message: { key: record.key },
          });
          expect(partition).toBe(expected);
        }
        if (res.body.nextOffset === res.body.highWatermark) break;
      }
    }
    expect(seen.size).toBe(RECORDS);
    const conflicts = storages.reduce((n, s) => n + s.usage.appendConflicts, 0);
    console.log(`append conflicts across ${CONTAINERS} containers: ${conflicts}`);
  });
});
