/**
 * One partition's delivery to a function (lib/trigger/delivery.ts), Lambda's Kafka event
 * source mapping's rules, with in-memory ports: a scripted function, a commit log, a
 * failure destination and a fixed clock. Also the trigger's settings (lib/core/trigger-config.ts).
 */
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../lib/core/errors.ts';
import { deliver, firstFailed, InvokeFailure, type DeliveryFailure, type DeliverySettings, type InvocationOutcome } from '../../lib/trigger/delivery.ts';
import { triggerSettings } from '../../lib/core/trigger-config.ts';
import type { TriggerRecord } from '../../lib/trigger/event.ts';

const NOW = 1_700_000_000_000;

/** Records at offsets from..from+n-1, written at `timestamp`. */
function records(n: number, from = 0, timestamp = NOW): TriggerRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    topic: 'orders',
    partition: 0,
    offset: from + i,
    timestamp,
    key: Buffer.from(`k${from + i}`),
    value: Buffer.from(`v${from + i}`),
    headers: {},
  }));
}

function settings(overrides: Partial<DeliverySettings> = {}): DeliverySettings {
  return {
    maxRetryAttempts: 2,
    maxRecordAgeMs: -1,
    bisectBatchOnFunctionError: false,
    reportBatchItemFailures: true,
    retryBackoff: { minDelayMs: 0, maxDelayMs: 0 },
    ...overrides,
  };
}

/** What the function does on its nth call (from 1): answer something, or throw. */
type Script = (batch: readonly TriggerRecord[], call: number, h: Harness) => unknown;

interface Harness {
  /** The offsets of each invocation, in order. */
  readonly calls: number[][];
  readonly done: number[];
  readonly gaveUp: DeliveryFailure[];
  readonly reports: InvocationOutcome[];
  readonly controller: AbortController;
  clock: number;
  /** Each port call in order, to check what happened before what. */
  readonly log: string[];
  run(input: readonly TriggerRecord[], s?: DeliverySettings): Promise<void>;
}

function harness(script: Script): Harness {
  const h: Harness = {
    calls: [],
    done: [],
    gaveUp: [],
    reports: [],
    controller: new AbortController(),
    clock: NOW,
    log: [],
    run: (input, s = settings()) =>
      deliver(
        input,
        {
          invoke: async (batch) => {
            h.calls.push(batch.map((r) => r.offset));
            h.log.push(`invoke ${batch[0]!.offset}..${batch.at(-1)!.offset}`);
            return script(batch, h.calls.length, h);
          },
          done: async (next) => {
            h.done.push(next);
            h.log.push(`done ${next}`);
          },
          giveUp: async (failure) => {
            h.gaveUp.push(failure);
            h.log.push(`giveUp ${failure.records.map((r) => r.offset).join(',')}`);
          },
          report: (outcome) => h.reports.push(outcome),
          now: () => h.clock,
          signal: h.controller.signal,
        },
        s,
      ),
  };
  return h;
}

const offsets = (failure: DeliveryFailure): number[] => failure.records.map((r) => r.offset);
const fail = (message: string): never => {
  throw new Error(message);
};

describe('deliver: success and commits', () => {
  it('invokes the batch once and commits past its last record', async () => {
    const h = harness(() => undefined);
    await h.run(records(10, 100));
    expect(h.calls).toEqual([records(10, 100).map((r) => r.offset)]);
    expect(h.done).toEqual([110]);
    expect(h.gaveUp).toEqual([]);
    expect(h.reports).toEqual([expect.objectContaining({ ok: true, attempt: 1 })]);
    expect(h.reports[0]!.records.map((r) => r.offset)).toEqual(h.calls[0]);
  });

  it('hands the function the records themselves, keys and values included', async () => {
    const input = records(3);
    let seen: readonly TriggerRecord[] = [];
    const h = harness((batch) => {
      seen = batch;
    });
    await h.run(input);
    expect(seen).toEqual(input);
  });

  it('does nothing for no records', async () => {
    const h = harness(() => undefined);
    await h.run([]);
    expect([h.calls, h.done, h.gaveUp]).toEqual([[], [], []]);
  });

  it('treats an answer with an empty or null batchItemFailures as a full success', async () => {
    for (const answer of [{ batchItemFailures: [] }, { batchItemFailures: null }, {}, null, 'ok']) {
      const h = harness(() => answer);
      await h.run(records(4));
      expect(h.calls, JSON.stringify(answer)).toHaveLength(1);
      expect(h.done).toEqual([4]);
    }
  });
});

describe('deliver: retries', () => {
  it('retries a failing batch maxRetryAttempts times, then gives it up with the last error and commits past it', async () => {
    const h = harness((_, call) => fail(`boom ${call}`));
    await h.run(records(10), settings({ maxRetryAttempts: 2 }));
    expect(h.calls).toEqual([0, 1, 2].map(() => records(10).map((r) => r.offset)));
    expect(h.gaveUp).toHaveLength(1);
    expect(h.gaveUp[0]).toMatchObject({ reason: 'RetryAttemptsExhausted', error: 'boom 3', attempts: 3 });
    expect(offsets(h.gaveUp[0]!)).toEqual(records(10).map((r) => r.offset));
    expect(h.done).toEqual([10]);
    // The records reach the destination before their offset is committed.
    expect(h.log.slice(-2)).toEqual(['giveUp 0,1,2,3,4,5,6,7,8,9', 'done 10']);
    expect(h.reports.map((r) => [r.ok, r.attempt, r.error])).toEqual([
      [false, 1, 'boom 1'],
      [false, 2, 'boom 2'],
      [false, 3, 'boom 3'],
    ]);
  });

  it('with maxRetryAttempts 0 gives up after the first invocation', async () => {
    const h = harness(() => fail('no'));
    await h.run(records(3), settings({ maxRetryAttempts: 0 }));
    expect(h.calls).toHaveLength(1);
    expect(h.gaveUp).toEqual([expect.objectContaining({ reason: 'RetryAttemptsExhausted', error: 'no', attempts: 1 })]);
    expect(h.done).toEqual([3]);
  });

  it('stops retrying once the function succeeds', async () => {
    const h = harness((_, call) => (call < 3 ? fail('flaky') : undefined));
    await h.run(records(5), settings({ maxRetryAttempts: 5 }));
    expect(h.calls).toHaveLength(3);
    expect(h.gaveUp).toEqual([]);
    expect(h.done).toEqual([5]);
  });

  it('gives a thrown non-Error its string as the error', async () => {
    const h = harness(() => {
      throw 'plain string';
    });
    await h.run(records(1), settings({ maxRetryAttempts: 0 }));
    expect(h.gaveUp[0]!.error).toBe('plain string');
  });

  it('goes on with the records after a chunk it gave up (split halves)', async () => {
    // 0 and 1 always fail: each is given up alone after its retries; 2 and 3 then go through.
    const h = harness((batch) => (batch.some((r) => r.offset < 2) ? fail('bad') : undefined));
    await h.run(records(4), settings({ maxRetryAttempts: 1, bisectBatchOnFunctionError: true }));
    expect(h.gaveUp.map((f) => [offsets(f), f.reason, f.attempts])).toEqual([
      [[0], 'RetryAttemptsExhausted', 2],
      [[1], 'RetryAttemptsExhausted', 2],
    ]);
    expect(h.done).toEqual([1, 2, 4]);
    expect(h.calls.at(-1)).toEqual([2, 3]);
  });

  it('with maxRetryAttempts -1 retries without end, committing nothing past the failure', async () => {
    const K = 25;
    const h = harness((_, call, self) => {
      if (call === K) self.controller.abort(new Error('stopped'));
      return fail('still failing');
    });
    await expect(h.run(records(10), settings({ maxRetryAttempts: -1 }))).rejects.toThrow('stopped');
    expect(h.calls).toHaveLength(K);
    expect(h.done).toEqual([]);
    expect(h.gaveUp).toEqual([]);
  });

  it('with maxRetryAttempts -1 after a partial success commits only the records before the failure', async () => {
    const h = harness((_, call, self) => {
      if (call === 1) return { batchItemFailures: [{ itemIdentifier: '4' }] };
      if (call === 20) self.controller.abort(new Error('stopped'));
      return fail('still failing');
    });
    await expect(h.run(records(10), settings({ maxRetryAttempts: -1 }))).rejects.toThrow('stopped');
    expect(h.done).toEqual([4]);
    expect(h.calls.slice(1).every((c) => c[0] === 4)).toBe(true);
    expect(h.gaveUp).toEqual([]);
  });
});

describe('deliver: bisect on error', () => {
  const poison = 109;
  const input = records(16, 100);
  const script: Script = (batch) => (batch.some((r) => r.offset === poison) ? fail(`poison ${poison}`) : undefined);

  it('isolates a poison record: only it is given up, every other record is invoked successfully and committed in order', async () => {
    const h = harness(script);
    await h.run(input, settings({ maxRetryAttempts: 2, bisectBatchOnFunctionError: true }));
    expect(h.gaveUp).toHaveLength(1);
    expect(h.gaveUp[0]).toMatchObject({ reason: 'RetryAttemptsExhausted', error: 'poison 109' });
    expect(offsets(h.gaveUp[0]!)).toEqual([poison]);
    const succeeded = h.calls.filter((c) => !c.includes(poison)).flat();
    expect(succeeded.sort((a, b) => a - b)).toEqual(input.map((r) => r.offset).filter((o) => o !== poison));
    // Each record goes through once: no successful half is invoked again.
    expect(new Set(succeeded).size).toBe(succeeded.length);
    expect(h.done).toEqual([...h.done].sort((a, b) => a - b));
    expect(new Set(h.done).size).toBe(h.done.length);
    expect(h.done.at(-1)).toBe(116);
    // Nothing at or past the poison record is committed before it is given up.
    const givenUpAt = h.log.indexOf(`giveUp ${poison}`);
    expect(h.log.slice(0, givenUpAt).filter((l) => l.startsWith('done')).every((l) => Number(l.slice(5)) <= poison)).toBe(true);
  });

  it('does not count splits against the retries: the poison record alone is invoked maxRetryAttempts + 1 times', async () => {
    const h = harness(script);
    await h.run(input, settings({ maxRetryAttempts: 2, bisectBatchOnFunctionError: true }));
    expect(h.calls.filter((c) => c.length === 1 && c[0] === poison)).toHaveLength(3);
    expect(h.gaveUp[0]!.attempts).toBe(3);
    // The halves it was in: 16, 8, 4, 2.
    expect(h.calls.filter((c) => c.includes(poison)).map((c) => c.length)).toEqual([16, 8, 4, 2, 1, 1, 1]);
  });

  it('splits even with maxRetryAttempts 0, then gives the record up after one invocation of its own', async () => {
    const h = harness(script);
    await h.run(input, settings({ maxRetryAttempts: 0, bisectBatchOnFunctionError: true }));
    expect(h.calls.filter((c) => c.length === 1 && c[0] === poison)).toHaveLength(1);
    expect(h.gaveUp.map(offsets)).toEqual([[poison]]);
    expect(h.done.at(-1)).toBe(116);
  });

  it('without bisect gives the whole batch up', async () => {
    const h = harness(script);
    await h.run(input, settings({ maxRetryAttempts: 1 }));
    expect(h.calls).toHaveLength(2);
    expect(h.gaveUp.map(offsets)).toEqual([input.map((r) => r.offset)]);
    expect(h.done).toEqual([116]);
  });
});

describe('deliver: partial batch response', () => {
  it('commits the records before the failed one and retries from it, counting an attempt', async () => {
    const h = harness((_, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier: '7' }] } : undefined));
    await h.run(records(10));
    expect(h.calls).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [7, 8, 9],
    ]);
    expect(h.done).toEqual([7, 10]);
    expect(h.reports.map((r) => [r.ok, r.failedOffset, r.attempt])).toEqual([
      [true, 7, 1],
      [true, undefined, 2],
    ]);
  });

  it('counts the partial failure against maxRetryAttempts', async () => {
    const h = harness(() => ({ batchItemFailures: [{ itemIdentifier: '7' }] }));
    await h.run(records(10), settings({ maxRetryAttempts: 1 }));
    expect(h.calls).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      [7, 8, 9],
    ]);
    expect(h.gaveUp).toHaveLength(1);
    expect(h.gaveUp[0]).toMatchObject({ reason: 'RetryAttemptsExhausted', attempts: 2 });
    expect(h.gaveUp[0]!.error).toMatch(/offset 7/);
    expect(offsets(h.gaveUp[0]!)).toEqual([7, 8, 9]);
    expect(h.done).toEqual([7, 10]);
  });

  it.each([
    ['a string', '7'],
    ['a number', 7],
    ['an object with an offset', { offset: 7 }],
    ['an object with a string offset and a partition', { partition: 'orders-0', offset: '7' }],
  ])('takes the identifier as %s', async (_, itemIdentifier) => {
    const h = harness((_, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier }] } : undefined));
    await h.run(records(10));
    expect(h.done).toEqual([7, 10]);
    expect(h.calls[1]).toEqual([7, 8, 9]);
  });

  it('resumes from the lowest of several identifiers', async () => {
    const h = harness((_, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier: '8' }, { itemIdentifier: 3 }, { itemIdentifier: '5' }] } : undefined));
    await h.run(records(10));
    expect(h.done).toEqual([3, 10]);
    expect(h.calls[1]).toEqual([3, 4, 5, 6, 7, 8, 9]);
  });

  it.each([
    ['an offset not in the batch', [{ itemIdentifier: '42' }]],
    ['a valid offset beside an unknown one', [{ itemIdentifier: '5' }, { itemIdentifier: 'x' }]],
    ['an empty string', [{ itemIdentifier: '' }]],
    ['a null identifier', [{ itemIdentifier: null }]],
    ['a misspelt key', [{ itemIdentifer: '5' }]],
    ['a negative offset', [{ itemIdentifier: -1 }]],
  ])('fails the batch whole for %s', async (_, batchItemFailures) => {
    const h = harness((_, call) => (call === 1 ? { batchItemFailures } : undefined));
    await h.run(records(10));
    expect(h.calls).toEqual([records(10).map((r) => r.offset), records(10).map((r) => r.offset)]);
    expect(h.done).toEqual([10]);
  });

  it('retries whole, as a failure, when the first record is the failed one', async () => {
    const h = harness((_, call) => (call === 1 ? { batchItemFailures: [{ itemIdentifier: '0' }] } : undefined));
    await h.run(records(4));
    expect(h.calls).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
    ]);
    expect(h.done).toEqual([4]);
    expect(h.reports[1]!.attempt).toBe(2);
  });

  it('does not bisect a partial batch response, even one naming the first record (Lambda bisects on function errors)', async () => {
    const h = harness((_, call) => (call <= 2 ? { batchItemFailures: [{ itemIdentifier: call === 1 ? '0' : '2' }] } : undefined));
    await h.run(records(4), settings({ bisectBatchOnFunctionError: true }));
    expect(h.calls).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [2, 3],
    ]);
    expect(h.done).toEqual([2, 4]);
  });

  it('ignores batchItemFailures when reportBatchItemFailures is off', async () => {
    const h = harness(() => ({ batchItemFailures: [{ itemIdentifier: '7' }] }));
    await h.run(records(10), settings({ reportBatchItemFailures: false }));
    expect(h.calls).toHaveLength(1);
    expect(h.done).toEqual([10]);
    expect(h.gaveUp).toEqual([]);
  });
});

describe('deliver: maximum record age', () => {
  const maxRecordAgeMs = 60_000;
  const old = NOW - maxRecordAgeMs - 1;

  it('gives expired records up as RecordAgeExceeded without invoking them', async () => {
    const input = [...records(2, 0, old), ...records(4, 2)];
    const h = harness(() => undefined);
    await h.run(input, settings({ maxRecordAgeMs }));
    expect(h.gaveUp).toEqual([{ records: input.slice(0, 2), reason: 'RecordAgeExceeded', attempts: 0 }]);
    expect(h.calls).toEqual([[2, 3, 4, 5]]);
    expect(h.done).toEqual([6]);
  });

  it('keeps a record exactly maxRecordAgeMs old', async () => {
    const h = harness(() => undefined);
    await h.run(records(2, 0, NOW - maxRecordAgeMs), settings({ maxRecordAgeMs }));
    expect(h.calls).toEqual([[0, 1]]);
    expect(h.gaveUp).toEqual([]);
  });

  it('commits to the batch end when the last records are the expired ones', async () => {
    // Producers set timestamps, so a later offset can be older.
    const input = [...records(4, 0), ...records(2, 4, old)];
    const h = harness(() => undefined);
    await h.run(input, settings({ maxRecordAgeMs }));
    expect(h.calls).toEqual([[0, 1, 2, 3]]);
    expect(h.gaveUp.map((f) => [offsets(f), f.reason])).toEqual([[[4, 5], 'RecordAgeExceeded']]);
    expect(h.done).toEqual([6]);
  });

  it('commits to the batch end when every record has expired, invoking nothing', async () => {
    const h = harness(() => undefined);
    await h.run(records(5, 10, old), settings({ maxRecordAgeMs }));
    expect(h.calls).toEqual([]);
    expect(h.gaveUp.map(offsets)).toEqual([[10, 11, 12, 13, 14]]);
    expect(h.done).toEqual([15]);
  });

  it('ends endless retries once the records pass their age', async () => {
    const h = harness((_, __, self) => {
      self.clock += 25_000; // each invocation takes 25 s
      return fail('down');
    });
    await h.run(records(3), settings({ maxRecordAgeMs, maxRetryAttempts: -1 }));
    // Invoked at 0 s, 25 s and 50 s; at 75 s the records are too old.
    expect(h.calls).toHaveLength(3);
    expect(h.gaveUp.map((f) => [offsets(f), f.reason, f.attempts])).toEqual([[[0, 1, 2], 'RecordAgeExceeded', 3]]);
    expect(h.done).toEqual([3]);
  });

  it('with -1 invokes records of any age', async () => {
    const h = harness(() => undefined);
    await h.run(records(2, 0, 0), settings({ maxRecordAgeMs: -1 }));
    expect(h.calls).toEqual([[0, 1]]);
  });
});

describe('deliver: stopping', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stops between invocations: the one in flight is committed, nothing after it is invoked or committed', async () => {
    // 0..3 fails and is split; [0, 1] succeeds while the partition is revoked.
    const h = harness((batch, call, self) => {
      if (call === 1) return fail('split me');
      self.controller.abort(new Error('revoked'));
      return undefined;
    });
    await expect(h.run(records(4), settings({ bisectBatchOnFunctionError: true }))).rejects.toThrow('revoked');
    expect(h.calls).toEqual([
      [0, 1, 2, 3],
      [0, 1],
    ]);
    expect(h.done).toEqual([2]);
    expect(h.gaveUp).toEqual([]);
  });

  it('stops a failed invocation before its retry, committing nothing and giving nothing up', async () => {
    const h = harness((_, __, self) => {
      self.controller.abort(new Error('stopping'));
      return fail('down');
    });
    await expect(h.run(records(4), settings({ maxRetryAttempts: 2 }))).rejects.toThrow('stopping');
    expect(h.calls).toHaveLength(1);
    expect(h.done).toEqual([]);
    expect(h.gaveUp).toEqual([]);
  });

  // A stop (or a revoke) while it ran is no verdict on the records: they stay for the next
  // start or owner, rather than going to the destination.
  it('gives nothing up for an attempt that failed while it was being stopped: the records stay uncommitted', async () => {
    const h = harness((_, __, self) => {
      self.controller.abort(new Error('stopping'));
      return fail('down');
    });
    await expect(h.run(records(4), settings({ maxRetryAttempts: 0 }))).rejects.toThrow('stopping');
    expect(h.gaveUp).toEqual([]);
    expect(h.done).toEqual([]);
  });

  it('retries an invocation that failed to happen (throttled) without counting it or bisecting', async () => {
    const h = harness((_, call) => {
      if (call <= 3) throw new InvokeFailure('invoking billing failed: TooManyRequestsException');
      return undefined;
    });
    await h.run(records(4), settings({ maxRetryAttempts: 0, bisectBatchOnFunctionError: true }));
    expect(h.calls).toEqual([0, 1, 2, 3].map(() => [0, 1, 2, 3]));
    expect(h.gaveUp).toEqual([]);
    expect(h.done).toEqual([4]);
    // Only the invocation that ran is reported.
    expect(h.reports.map((r) => r.attempt)).toEqual([1]);
  });

  it('cuts a retry backoff short', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const h = harness(() => fail('down'));
    const started = Date.now();
    setTimeout(() => h.controller.abort(new Error('stopping')), 20);
    await expect(h.run(records(2), settings({ maxRetryAttempts: -1, retryBackoff: { minDelayMs: 60_000, maxDelayMs: 60_000 } }))).rejects.toThrow('stopping');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(h.calls).toHaveLength(1);
    expect(h.done).toEqual([]);
  });

  it('does not start when already stopped', async () => {
    const h = harness(() => undefined);
    h.controller.abort(new Error('gone'));
    await expect(h.run(records(3))).rejects.toThrow('gone');
    expect([h.calls, h.done]).toEqual([[], []]);
  });
});

describe('deliver: order and commits under any function behaviour', () => {
  type Step = 'ok' | 'throw' | 'unknown' | { failAt: number };
  const stepArb: fc.Arbitrary<Step> = fc.oneof(fc.constant<Step>('ok'), fc.constant<Step>('throw'), fc.constant<Step>('unknown'), fc.nat(40).map((failAt): Step => ({ failAt })));

  it('never invokes backwards, commits increasing offsets, and commits a record only once it succeeded or was given up', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.boolean(), { maxLength: 24 }),
        fc.array(stepArb, { maxLength: 30 }),
        fc.constantFrom(-1, 0, 1, 3),
        fc.boolean(),
        fc.boolean(),
        async (n, expiredFlags, steps, maxRetryAttempts, bisectBatchOnFunctionError, reportBatchItemFailures) => {
          const base = 1000;
          const maxRecordAgeMs = 5_000;
          const input = records(n, base).map((r, i) => (expiredFlags[i] ? { ...r, timestamp: NOW - 2 * maxRecordAgeMs } : r));
          const expired = new Set(input.filter((r) => r.timestamp < NOW - maxRecordAgeMs).map((r) => r.offset));
          const succeeded = new Set<number>();
          const givenUp = new Set<number>();
          const violations: string[] = [];
          const done: number[] = [];
          let lastFirst = -1;
          let calls = 0;
          await deliver(
            input,
            {
              invoke: async (batch) => {
                const got = batch.map((r) => r.offset);
                const lastDone = done.at(-1) ?? -1;
                if (got.length === 0) violations.push('invoked with no records');
                if (got[0]! < lastFirst) violations.push(`invoked from ${got[0]} after invoking from ${lastFirst}`);
                if (got[0]! < lastDone) violations.push(`invoked ${got[0]} after committing ${lastDone}`);
                if (got.some((o, i) => i > 0 && o <= got[i - 1]!)) violations.push(`out of order: ${got.join(',')}`);
                if (got.some((o) => expired.has(o))) violations.push('invoked an expired record');
                lastFirst = got[0]!;
                const step = steps[calls++] ?? 'ok'; // past its script the function recovers
                if (step === 'throw') throw new Error('scripted');
                if (step === 'ok' || !reportBatchItemFailures) {
                  for (const o of got) succeeded.add(o);
                  return step === 'ok' ? undefined : { batchItemFailures: [{ itemIdentifier: 'ignored' }] };
                }
                if (step === 'unknown') return { batchItemFailures: [{ itemIdentifier: 'nope' }] };
                const failed = got[step.failAt % got.length]!;
                for (const o of got) if (o < failed) succeeded.add(o);
                return { batchItemFailures: [{ itemIdentifier: String(failed) }] };
              },
              done: async (next) => {
                const lastDone = done.at(-1) ?? -1;
                if (next <= lastDone) violations.push(`done ${next} after ${lastDone}`);
                for (const r of input) {
                  if (r.offset < next && !succeeded.has(r.offset) && !givenUp.has(r.offset)) violations.push(`done ${next} before ${r.offset} was handled`);
                }
                done.push(next);
              },
              giveUp: async (failure) => {
                for (const r of failure.records) {
                  if (givenUp.has(r.offset) || succeeded.has(r.offset)) violations.push(`gave ${r.offset} up twice or after it succeeded`);
                  givenUp.add(r.offset);
                }
                if (failure.reason === 'RecordAgeExceeded' && failure.records.some((r) => !expired.has(r.offset))) violations.push('gave a fresh record up for its age');
                if (failure.reason === 'RetryAttemptsExhausted' && (maxRetryAttempts < 0 || failure.attempts !== maxRetryAttempts + 1)) {
                  violations.push(`gave up after ${failure.attempts} attempts`);
                }
              },
              now: () => NOW,
              signal: new AbortController().signal,
            },
            settings({ maxRetryAttempts, maxRecordAgeMs, bisectBatchOnFunctionError, reportBatchItemFailures }),
          );
          expect(violations).toEqual([]);
          expect(done.at(-1)).toBe(base + n);
          expect(input.filter((r) => !succeeded.has(r.offset) && !givenUp.has(r.offset)).map((r) => r.offset)).toEqual([]);
          expect([...expired].filter((o) => !givenUp.has(o))).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('firstFailed', () => {
  const batch = records(5, 20);

  it.each([
    ['a null answer', null],
    ['no answer', undefined],
    ['an answer without batchItemFailures', { statusCode: 200 }],
    ['an empty array', { batchItemFailures: [] }],
    ['a null list', { batchItemFailures: null }],
    ['an array answer', [{ itemIdentifier: '22' }]],
  ])('is a full success for %s', (_, answer) => {
    expect(firstFailed(answer, batch)).toBeUndefined();
  });

  it.each([
    ['a list that is not an array', { batchItemFailures: { itemIdentifier: '22' } }],
    ['a string list', { batchItemFailures: '22' }],
  ])('fails the batch whole for %s', (_, answer) => {
    expect(firstFailed(answer, batch)).toBe(20);
  });

  it.each([
    ['a string offset', [{ itemIdentifier: '22' }], 22],
    ['a number offset', [{ itemIdentifier: 23 }], 23],
    ['an object offset', [{ itemIdentifier: { offset: 24, partition: 'orders-0' } }], 24],
    ['the lowest of several', [{ itemIdentifier: '24' }, { itemIdentifier: 21 }, { itemIdentifier: { offset: 23 } }], 21],
    ['the last record', [{ itemIdentifier: '24' }], 24],
    ['an unknown offset: the batch whole', [{ itemIdentifier: '25' }], 20],
    ['a null entry', [null], 20],
    ['an empty identifier', [{ itemIdentifier: '' }], 20],
    ['a fractional offset', [{ itemIdentifier: 21.5 }], 20],
    ['a non-numeric string', [{ itemIdentifier: '21abc' }], 20],
    ['a hexadecimal string', [{ itemIdentifier: '0x15' }], 20],
    ['an object without an offset', [{ itemIdentifier: { partition: 'orders-0' } }], 20],
    ['a known offset beside an unknown one', [{ itemIdentifier: '23' }, { itemIdentifier: '99' }], 20],
  ])('answers %s', (_, batchItemFailures, expected) => {
    expect(firstFailed({ batchItemFailures }, batch)).toBe(expected);
  });
});

describe('triggerSettings', () => {
  const base = { topic: 'orders', group: 'orders-fn' };

  it("takes Lambda's defaults", () => {
    expect(triggerSettings(base, false)).toEqual({
      topic: 'orders',
      group: 'orders-fn',
      batchSize: 100,
      batchingWindowMs: 500,
      startingPosition: 'latest',
      maxRetryAttempts: -1,
      maxRecordAgeMs: -1,
      bisectBatchOnFunctionError: false,
      reportBatchItemFailures: true,
      bootstrapServers: '',
      sessionTimeoutMs: 30_000,
      retryBackoff: { minDelayMs: 500, maxDelayMs: 30_000 },
      filters: [],
    });
  });

  it('retries 10 times instead of without end when there is a failure destination, as Lambda', () => {
    expect(triggerSettings(base, true).maxRetryAttempts).toBe(10);
    expect(triggerSettings({ ...base, maxRetryAttempts: -1 }, true).maxRetryAttempts).toBe(10);
    expect(triggerSettings({ ...base, maxRetryAttempts: 3 }, true).maxRetryAttempts).toBe(3);
    expect(triggerSettings({ ...base, maxRetryAttempts: 0 }, false).maxRetryAttempts).toBe(0);
  });

  it('keeps the values given at the bounds', () => {
    const s = triggerSettings(
      { ...base, batchSize: 10_000, batchingWindowMs: 300_000, maxRetryAttempts: 10_000, maxRecordAgeMs: 604_800_000, sessionTimeoutMs: 1_000, startingPosition: { timestamp: 0 }, reportBatchItemFailures: false, bisectBatchOnFunctionError: true },
      false,
    );
    expect(s).toMatchObject({ batchSize: 10_000, batchingWindowMs: 300_000, maxRetryAttempts: 10_000, maxRecordAgeMs: 604_800_000, sessionTimeoutMs: 1_000, startingPosition: { timestamp: 0 }, reportBatchItemFailures: false, bisectBatchOnFunctionError: true });
    expect(triggerSettings({ ...base, batchSize: 1, batchingWindowMs: 0, startingPosition: 'earliest' }, false)).toMatchObject({ batchSize: 1, batchingWindowMs: 0, startingPosition: 'earliest' });
  });

  it.each([
    [{ batchSize: 0 }, 'batchSize must be an integer in [1, 10000], not 0'],
    [{ batchSize: 10_001 }, 'batchSize must be an integer in [1, 10000], not 10001'],
    [{ batchSize: 1.5 }, 'batchSize must be an integer in [1, 10000], not 1.5'],
    [{ batchingWindowMs: -1 }, 'batchingWindowMs must be an integer in [0, 300000], not -1'],
    [{ batchingWindowMs: 300_001 }, 'batchingWindowMs must be an integer in [0, 300000], not 300001'],
    [{ maxRetryAttempts: -2 }, 'maxRetryAttempts must be an integer in [0, 10000] or -1, not -2'],
    [{ maxRetryAttempts: 10_001 }, 'maxRetryAttempts must be an integer in [0, 10000] or -1, not 10001'],
    [{ maxRecordAgeMs: -5 }, 'maxRecordAgeMs must be an integer in [60000, 604800000] or -1, not -5'],
    [{ maxRecordAgeMs: 59_999 }, 'maxRecordAgeMs must be an integer in [60000, 604800000] or -1, not 59999'],
    [{ maxRecordAgeMs: 604_800_001 }, 'maxRecordAgeMs must be an integer in [60000, 604800000] or -1, not 604800001'],
    [{ sessionTimeoutMs: 999 }, 'sessionTimeoutMs must be an integer in [1000, 300000], not 999'],
    [{ batchSize: Number.NaN }, 'batchSize must be an integer in [1, 10000], not NaN'],
    [{ topic: '' }, 'a trigger needs a topic'],
    [{ group: '' }, 'a trigger needs a consumer group'],
    [{ startingPosition: 'newest' }, /startingPosition must be 'earliest', 'latest' or \{ timestamp \}/],
    [{ startingPosition: { timestamp: -1 } }, /startingPosition/],
  ])('refuses %j', (bad, message) => {
    const attempt = () => triggerSettings({ ...base, ...(bad as object) } as Parameters<typeof triggerSettings>[0], false);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(message);
  });
});
