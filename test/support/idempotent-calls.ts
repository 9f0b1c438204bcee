/** Calls the idempotence tests share: a topic, a producer id, a sequenced produce, a whole partition read. */
import { expect } from 'vitest';
import type { Api } from '../../lib/api/types.ts';
import { call, randomName } from './stack.ts';

export interface Producer {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface WireRecord {
  readonly key?: string;
  readonly value: string;
  readonly partition?: number;
}

/** The 5xx answers of injected faults are expected: their details need not reach the test log. */
export const quiet = () => {};

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The calls, made on `api()` unless another container's API is given. */
export function idempotentCalls(api: () => Api) {
  async function createTopic(partitions = 1): Promise<string> {
    const name = randomName();
    expect((await call(api(), 'POST', '/v1/topics', { body: { name, partitions } })).status).toBe(201);
    return name;
  }

  async function newProducer(transactionalId?: string, on = api()): Promise<Producer> {
    const res = await call(on, 'POST', '/v1/producers', transactionalId === undefined ? {} : { body: { transactionalId } });
    expect(res.status).toBe(200);
    return res.body;
  }

  function produce(topic: string, producer: Producer, sequences: Record<number, number>, recs: readonly WireRecord[], on = api()) {
    return call(on, 'POST', `/v1/topics/${topic}/records`, { body: { records: recs, ...producer, sequences } });
  }

  async function readAll(topic: string, partition = 0): Promise<Array<{ offset: number; key: string; value: string }>> {
    const all = [];
    for (let offset = 0; ; ) {
      const res = await call(api(), 'GET', `/v1/topics/${topic}/partitions/${partition}/records`, {
        query: { offset: String(offset), maxRecords: '10000', maxBytes: String(4 * 1024 * 1024) },
      });
      expect(res.status).toBe(200);
      all.push(...res.body.records);
      if (res.body.nextOffset >= res.body.highWatermark) return all;
      offset = res.body.nextOffset;
    }
  }

  return { createTopic, newProducer, produce, readAll };
}
