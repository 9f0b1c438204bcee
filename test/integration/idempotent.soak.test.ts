/**
 * Soak: 8 idempotent producers over containers that fail 2% of their storage calls append
 * 20,000 records, each exactly once and in per-producer order (npm run test:soak).
 */
import { describe, expect, it } from 'vitest';
import { FaultInjector, seededRandom } from '../support/faults.ts';
import { idempotentCalls, quiet, sleep } from '../support/idempotent-calls.ts';
import { createApi, sameTables, useStack } from '../support/stack.ts';

describe('idempotent producer under random faults', () => {
  const stack = useStack();
  const { createTopic, newProducer, produce, readAll } = idempotentCalls(() => stack.api);

  it('8 producers with random faults append 20,000 records, each exactly once and in per-producer order', async () => {
    const partitions = 4;
    const producers = 8;
    const perProducer = 2_500;
    const perRequest = 50;
    const topic = await createTopic(partitions);
    // Containers shared by all producers, as Lambda's are; each fails 2% of its calls.
    const containers = Array.from({ length: 8 }, (_, i) => {
      const storage = sameTables(stack.storage.config, { idempotence: { appendWindowMs: 2_000, claimTimeoutMs: 3_000 } });
      new FaultInjector(storage).armRandom({ rate: 0.02, random: seededRandom(1000 + i) });
      return { storage, api: createApi({ storage, log: quiet }) };
    });
    const errors = new Map<string, number>();
    try {
      await Promise.all(
        Array.from({ length: producers }, async (_, n) => {
          const producer = await newProducer();
          const next = new Array<number>(partitions).fill(0);
          const pick = seededRandom(n);
          for (let sent = 0; sent < perProducer; sent += perRequest) {
            const batch = Array.from({ length: perRequest }, (_, i) => ({
              key: `p${n}-${sent + i}`,
              value: `p${n}-${sent + i}`,
              partition: (sent + i) % partitions,
            }));
            const sequences = Object.fromEntries(next.map((seq, p) => [p, seq]));
            for (const started = Date.now(); ; ) {
              const res = await produce(topic, producer, sequences, batch, containers[Math.floor(pick() * containers.length)]!.api);
              if (res.status === 200) break;
              errors.set(res.body.error.code, (errors.get(res.body.error.code) ?? 0) + 1);
              if (!(res.body.error.code === 'PRODUCE_IN_PROGRESS' || res.status >= 500) || Date.now() - started > 60_000) {
                throw new Error(`producer ${n}: ${JSON.stringify(res.body)} after ${JSON.stringify([...errors])}`);
              }
              await sleep(20 + pick() * 80);
            }
            for (let p = 0; p < partitions; p++) next[p]! += batch.filter((r) => r.partition === p).length;
          }
        }),
      );
    } finally {
      for (const c of containers) c.storage.destroy();
    }
    // Faults did strike, and retries met earlier tries' claims.
    expect(errors.get('INTERNAL')).toBeGreaterThan(50);
    expect(errors.get('PRODUCE_IN_PROGRESS')).toBeGreaterThan(0);

    const seen = new Map<string, number>();
    for (let p = 0; p < partitions; p++) {
      const stored = await readAll(topic, p);
      const lastOf = new Map<number, number>();
      for (const { value } of stored) {
        seen.set(value, (seen.get(value) ?? 0) + 1);
        const [, producerN, index] = /^p(\d+)-(\d+)$/.exec(value)!.map(Number) as [number, number, number];
        // Per producer, a partition holds its records in the order they were sent.
        expect(index).toBeGreaterThan(lastOf.get(producerN) ?? -1);
        lastOf.set(producerN, index);
      }
    }
    expect(seen.size).toBe(producers * perProducer);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  }, 600_000);
});
