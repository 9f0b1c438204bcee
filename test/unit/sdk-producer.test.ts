/** The producer's batching (linger, batch size, bytes, one request in flight), wire format, compression and retries, on a fake clock. */
import { createRequire } from 'node:module';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SluiceClient } from '../../lib/client/client.ts';
import { Batcher } from '../../lib/client/batcher.ts';
import { CompressionTypes } from '../../lib/client/index.ts';
import { compressionCodec, recordMetadata, toWireRecords } from '../../lib/client/messages.ts';
import { Producer } from '../../lib/client/producer.ts';
import type { ProduceRecord, ProduceRequest, ProduceResponse } from '../../lib/client/types.ts';
import { ConnectionError, RemoteError } from '../../lib/client/errors.ts';
import { ConfigError, InvalidRequestError } from '../../lib/core/errors.ts';
import { partitionForKey } from '../../lib/core/partitioner.ts';

const kafkajs = createRequire(import.meta.url)('kafkajs') as { CompressionTypes: Record<string, number> };

interface Call {
  readonly topic: string;
  readonly values: Array<string | null>;
  readonly encoding: string | undefined;
  /** The body's compression; undefined when the field is absent. */
  readonly compression: string | undefined;
  readonly hasCompression: boolean;
  answer(): void;
  fail(error: unknown): void;
}

/** A transmit whose requests wait until the test answers them; offsets count up per topic. */
function fakeTransmit(auto = false) {
  const calls: Call[] = [];
  const next = new Map<string, number>();
  const transmit = (topic: string, request: ProduceRequest): Promise<ProduceResponse> =>
    new Promise((resolve, reject) => {
      const call: Call = {
        topic,
        values: request.records.map((r) => r.value),
        encoding: request.encoding,
        compression: request.compression,
        hasCompression: 'compression' in request,
        answer: () => {
          const base = next.get(topic) ?? 0;
          next.set(topic, base + request.records.length);
          resolve({ offsets: request.records.map((_, i) => ({ partition: 0, offset: base + i })) });
        },
        fail: reject,
      };
      calls.push(call);
      if (auto) call.answer();
    });
  return { calls, transmit };
}

const records = (...values: string[]): ProduceRecord[] => values.map((value) => ({ value }));
const offsets = (positions: Array<{ offset: number }>) => positions.map((p) => p.offset);

describe('Batcher', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('holds sends for the linger, then sends them together in call order', async () => {
    const { calls, transmit } = fakeTransmit(true);
    const batcher = new Batcher({ linger: 5, batchSize: 100, maxBatchBytes: 1 << 20 }, transmit);
    const a = batcher.add('t', records('a1', 'a2'), 'utf8');
    const b = batcher.add('t', records('b1'), 'utf8');
    const other = batcher.add('u', records('u1'), 'utf8');
    await vi.advanceTimersByTimeAsync(4);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls.map((c) => [c.topic, c.values])).toEqual([
      ['t', ['a1', 'a2', 'b1']],
      ['u', ['u1']],
    ]);
    expect(offsets(await a)).toEqual([0, 1]);
    expect(offsets(await b)).toEqual([2]);
    expect(offsets(await other)).toEqual([0]);
  });

  it('under a steady stream, sends queued behind a request wait out the linger from the oldest of them (Kafka\'s linger.ms)', async () => {
    const { calls, transmit } = fakeTransmit();
    const batcher = new Batcher({ linger: 50, batchSize: 100, maxBatchBytes: 1 << 20 }, transmit);
    void batcher.add('t', records('1'), 'utf8');
    await vi.advanceTimersByTimeAsync(50);
    expect(calls).toHaveLength(1);
    void batcher.add('t', records('2'), 'utf8'); // queued at 50
    await vi.advanceTimersByTimeAsync(10);
    calls[0]!.answer(); // at 60: '2' has waited 10 ms of its 50
    await vi.advanceTimersByTimeAsync(0);
    void batcher.add('t', records('3'), 'utf8');
    await vi.advanceTimersByTimeAsync(39);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // at 100: 50 ms after '2'
    expect(calls.map((c) => c.values)).toEqual([['1'], ['2', '3']]);
  });

  it('sends at once when batchSize records or maxBatchBytes bytes are waiting', async () => {
    const { calls, transmit } = fakeTransmit(true);
    const bySize = new Batcher({ linger: 1000, batchSize: 3, maxBatchBytes: 1 << 20 }, transmit);
    void bySize.add('t', records('1', '2'), 'utf8');
    expect(calls).toHaveLength(0);
    void bySize.add('t', records('3'), 'utf8');
    expect(calls.map((c) => c.values)).toEqual([['1', '2', '3']]);

    const byBytes = new Batcher({ linger: 1000, batchSize: 1000, maxBatchBytes: 100 }, transmit);
    void byBytes.add('b', records('x'.repeat(30)), 'utf8');
    expect(calls).toHaveLength(1);
    void byBytes.add('b', records('y'.repeat(30)), 'utf8');
    // Both do not fit in 100 bytes with the request's own framing: the first goes alone now.
    expect(calls.slice(1).map((c) => c.values)).toEqual([['x'.repeat(30)]]);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.slice(2).map((c) => c.values)).toEqual([['y'.repeat(30)]]);
  });

  it('keeps one request per topic in flight; what queues meanwhile goes out as one request right after', async () => {
    const { calls, transmit } = fakeTransmit();
    const batcher = new Batcher({ linger: 5, batchSize: 100, maxBatchBytes: 1 << 20 }, transmit);
    const first = batcher.add('t', records('1'), 'utf8');
    await vi.advanceTimersByTimeAsync(5);
    expect(calls).toHaveLength(1);
    const later = [batcher.add('t', records('2'), 'utf8'), batcher.add('t', records('3', '4'), 'utf8')];
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(1); // still waiting for the first answer
    calls[0]!.answer();
    expect(offsets(await first)).toEqual([0]);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.values)).toEqual([['1'], ['2', '3', '4']]);
    calls[1]!.answer();
    expect((await Promise.all(later)).map(offsets)).toEqual([[1], [2, 3]]);
  });

  it('splits a send larger than a request into consecutive requests and answers it once, in order', async () => {
    const { calls, transmit } = fakeTransmit(true);
    const batcher = new Batcher({ linger: 5, batchSize: 4, maxBatchBytes: 1 << 20 }, transmit);
    const big = batcher.add('t', records(...Array.from({ length: 10 }, (_, i) => `r${i}`)), 'utf8');
    const after = batcher.add('t', records('after'), 'utf8');
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.values.length)).toEqual([4, 4, 3]);
    expect(calls[2]!.values).toEqual(['r8', 'r9', 'after']);
    expect(offsets(await big)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(offsets(await after)).toEqual([10]);
  });

  it('does not mix encodings in one request', async () => {
    const { calls, transmit } = fakeTransmit(true);
    const batcher = new Batcher({ linger: 5, batchSize: 100, maxBatchBytes: 1 << 20 }, transmit);
    void batcher.add('t', records('text'), 'utf8');
    void batcher.add('t', records('Ynl0ZXM='), 'base64');
    void batcher.add('t', records('more text'), 'utf8');
    await vi.advanceTimersByTimeAsync(5);
    expect(calls.map((c) => [c.encoding, c.values])).toEqual([
      ['utf8', ['text']],
      ['base64', ['Ynl0ZXM=']],
      ['utf8', ['more text']],
    ]);
  });

  it('does not mix compression codecs in one request, keeps the topic order, and leaves none out of the body', async () => {
    const { calls, transmit } = fakeTransmit();
    const batcher = new Batcher({ linger: 5, batchSize: 100, maxBatchBytes: 1 << 20 }, transmit);
    const sends = [
      batcher.add('t', records('z1'), 'utf8', 'zstd'),
      batcher.add('t', records('z2'), 'utf8', 'zstd'),
      batcher.add('t', records('g1'), 'utf8', 'gzip'),
      batcher.add('t', records('n1'), 'utf8'),
      batcher.add('t', records('n2'), 'utf8', 'none'),
      batcher.add('t', records('z3'), 'utf8', 'zstd'),
    ];
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(5);
      expect(calls).toHaveLength(i + 1); // still one request of the topic in flight
      calls[i]!.answer();
    }
    expect(calls.map((c) => [c.compression ?? '(absent)', c.values])).toEqual([
      ['zstd', ['z1', 'z2']],
      ['gzip', ['g1']],
      ['(absent)', ['n1', 'n2']],
      ['zstd', ['z3']],
    ]);
    expect(calls.map((c) => c.hasCompression)).toEqual([true, true, false, true]);
    expect((await Promise.all(sends)).map(offsets)).toEqual([[0], [1], [2], [3], [4], [5]]);
  });

  it('a request refused whole (400, 413) is retried send by send, so only the send at fault fails', async () => {
    const sent: string[][] = [];
    const batcher = new Batcher({ linger: 5, batchSize: 100, maxBatchBytes: 1 << 20 }, async (_topic, request) => {
      const values = request.records.map((r) => r.value!);
      sent.push(values);
      if (values.includes('bad')) throw new RemoteError('RECORD_TOO_LARGE', 413, 'too large');
      return { offsets: values.map((_, i) => ({ partition: 0, offset: i })) };
    });
    const results = Promise.allSettled([
      batcher.add('t', records('a'), 'utf8'),
      batcher.add('t', records('b', 'bad'), 'utf8'),
      batcher.add('t', records('c'), 'utf8'),
    ]);
    await vi.advanceTimersByTimeAsync(5);
    expect((await results).map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(sent).toEqual([['a', 'b', 'bad', 'c'], ['a'], ['b', 'bad'], ['c']]);
  });

  it('any other failure rejects every send of the request, drops the rest of a split send, and the queue goes on', async () => {
    const { calls, transmit } = fakeTransmit();
    const batcher = new Batcher({ linger: 5, batchSize: 2, maxBatchBytes: 1 << 20 }, transmit);
    const split = batcher.add('t', records('s1', 's2', 's3', 's4'), 'utf8');
    const next = batcher.add('t', records('n'), 'utf8');
    expect(calls.map((c) => c.values)).toEqual([['s1', 's2']]);
    calls[0]!.fail(new RemoteError('UNAVAILABLE', 503, 'busy'));
    await expect(split).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.values)).toEqual([['s1', 's2'], ['n']]);
    calls[1]!.answer();
    expect(offsets(await next)).toEqual([0]);
  });

  it('flush() sends without lingering and waits for every send to settle', async () => {
    const { calls, transmit } = fakeTransmit();
    const batcher = new Batcher({ linger: 60_000, batchSize: 100, maxBatchBytes: 1 << 20 }, transmit);
    const a = batcher.add('t', records('a'), 'utf8');
    const b = batcher.add('u', records('b'), 'utf8');
    let flushed = false;
    const flushing = batcher.flush().then(() => (flushed = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(calls.map((c) => c.values)).toEqual([['a'], ['b']]); // no linger
    calls[0]!.answer();
    await vi.advanceTimersByTimeAsync(0);
    expect(flushed).toBe(false); // 'u' is still out
    calls[1]!.fail(new RemoteError('INVALID_REQUEST', 400, 'bad'));
    await flushing; // settled: answered or failed, each send has its outcome
    await expect(a).resolves.toHaveLength(1);
    await expect(b).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await batcher.flush(); // nothing waiting: resolves at once
  });

  it('an empty send resolves at once without a request', async () => {
    const { calls, transmit } = fakeTransmit(true);
    const batcher = new Batcher({ linger: 5, batchSize: 100, maxBatchBytes: 1 << 20 }, transmit);
    await expect(batcher.add('t', [], 'utf8')).resolves.toEqual([]);
    expect(calls).toHaveLength(0);
  });
});

describe('producer wire format', () => {
  it('sends text as utf8, and a send with any Buffer as base64 throughout', () => {
    expect(toWireRecords([{ key: 'k', value: 'v', headers: { h: 'x', gone: undefined }, partition: 2, timestamp: '1700000000000' }])).toEqual({
      encoding: 'utf8',
      records: [{ key: 'k', value: 'v', headers: { h: 'x' }, partition: 2, timestamp: 1_700_000_000_000 }],
    });
    expect(toWireRecords([{ value: Buffer.from([0, 255]) }, { key: 'k', value: null, headers: { h: 'x' } }])).toEqual({
      encoding: 'base64',
      records: [{ value: 'AP8=' }, { key: 'aw==', value: null, headers: { h: 'eA==' } }],
    });
  });

  it('refuses what the API could not carry', () => {
    expect(() => toWireRecords([{ value: 3 as unknown as string }])).toThrow(/messages\[0\]\.value must be a string, a Buffer or null/);
    expect(() => toWireRecords([{ value: 'v', headers: { h: ['a', 'b'] as unknown as string } }])).toThrow(/one value per header/);
    expect(() => toWireRecords([{ value: 'v', partition: -1 }])).toThrow(/partition/);
    expect(() => toWireRecords([{ value: 'v', timestamp: 'soon' }])).toThrow(/timestamp/);
  });

  it('answers one RecordMetadata per partition, with the first offset as baseOffset', () => {
    expect(
      recordMetadata('t', [
        { partition: 1, offset: 7 },
        { partition: 0, offset: 3 },
        { partition: 1, offset: 8 },
      ]),
    ).toEqual([
      { topicName: 't', topic: 't', partition: 1, errorCode: 0, baseOffset: '7', offsets: [7, 8] },
      { topicName: 't', topic: 't', partition: 0, errorCode: 0, baseOffset: '3', offsets: [3] },
    ]);
  });
});

describe('compression', () => {
  it("CompressionTypes has kafkajs's names and numbers", () => {
    expect({ ...CompressionTypes }).toEqual(kafkajs.CompressionTypes);
    expect(Object.isFrozen(CompressionTypes)).toBe(true);
  });

  it("maps each number to the API's codec name and refuses anything else with the error asked for", () => {
    expect(Object.values(CompressionTypes).map((n) => compressionCodec('compression', n, ConfigError))).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    for (const bad of [5, -1, 1.5, '1', 'gzip', null, Number.NaN]) {
      expect(() => compressionCodec('compression', bad, InvalidRequestError)).toThrow(InvalidRequestError);
    }
    expect(() => compressionCodec('compression', 7, ConfigError)).toThrow(
      new ConfigError('compression must be a CompressionTypes value: 0 (None), 1 (GZIP), 2 (Snappy), 3 (LZ4), 4 (ZSTD); got 7'),
    );
  });

  /** A non-idempotent producer whose requests are recorded and answered at once. */
  function recordingProducer(options: object = {}) {
    const requests: Array<{ topic: string; request: ProduceRequest }> = [];
    const client = {
      produce: vi.fn(async (topic: string, request: ProduceRequest) => {
        requests.push({ topic, request });
        return { offsets: request.records.map((_, i) => ({ partition: 0, offset: i })) };
      }),
    } as unknown as SluiceClient;
    return { producer: new Producer(client, { linger: 0, idempotent: false, ...options }), requests };
  }
  const codecOf = (request: ProduceRequest) => ('compression' in request ? request.compression : '(absent)');

  it('a send names its codec, else the producer\'s; None leaves the field out of the body', async () => {
    const { producer, requests } = recordingProducer({ compression: CompressionTypes.GZIP });
    await producer.send({ topic: 't', messages: [{ value: 'default' }] });
    await producer.send({ topic: 't', messages: [{ value: 'zstd' }], compression: CompressionTypes.ZSTD });
    await producer.send({ topic: 't', messages: [{ value: 'none' }], compression: CompressionTypes.None });
    await producer.sendBatch({ topicMessages: [{ topic: 'a', messages: [{ value: 'x' }] }, { topic: 'b', messages: [{ value: 'y' }] }], compression: CompressionTypes.Snappy });
    expect(requests.map((r) => [r.topic, codecOf(r.request)])).toEqual([
      ['t', 'gzip'],
      ['t', 'zstd'],
      ['t', '(absent)'],
      ['a', 'snappy'],
      ['b', 'snappy'],
    ]);

    const plain = recordingProducer();
    await plain.producer.send({ topic: 't', messages: [{ value: 'v' }] });
    expect(plain.requests[0]!.request).toEqual({ records: [{ value: 'v' }], encoding: 'utf8' });
  });

  it('concurrent sends with different codecs go in separate requests, in send order', async () => {
    const { producer, requests } = recordingProducer({ linger: 5 });
    await Promise.all([
      producer.send({ topic: 't', messages: [{ value: 'l1' }], compression: CompressionTypes.LZ4 }),
      producer.send({ topic: 't', messages: [{ value: 'l2' }], compression: CompressionTypes.LZ4 }),
      producer.send({ topic: 't', messages: [{ value: 'n1' }] }),
      producer.send({ topic: 't', messages: [{ value: 'l3' }], compression: CompressionTypes.LZ4 }),
    ]);
    expect(requests.map((r) => [codecOf(r.request), r.request.records.map((x) => x.value)])).toEqual([
      ['lz4', ['l1', 'l2']],
      ['(absent)', ['n1']],
      ['lz4', ['l3']],
    ]);
  });

  it('refuses an unknown codec number: the option when the producer is made, a send at the call', async () => {
    expect(() => recordingProducer({ compression: 5 })).toThrow(ConfigError);
    expect(() => recordingProducer({ compression: 'gzip' })).toThrow(/compression must be a CompressionTypes value/);
    const { producer, requests } = recordingProducer();
    await expect(producer.send({ topic: 't', messages: [{ value: 'v' }], compression: 9 as never })).rejects.toThrow(InvalidRequestError);
    await expect(producer.sendBatch({ topicMessages: [{ topic: 't', messages: [{ value: 'v' }] }], compression: -1 as never })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect(requests).toHaveLength(0);
  });
});

describe('Producer', () => {
  const answer: ProduceResponse = { offsets: [{ partition: 0, offset: 0 }] };
  const clientWith = (produce: (...args: unknown[]) => Promise<ProduceResponse>) => ({ produce: vi.fn(produce) }) as unknown as SluiceClient & {
    produce: ReturnType<typeof vi.fn>;
  };

  it('retries retriable failures (no answer, 429, 5xx) with backoff, up to retry.retries', async () => {
    let n = 0;
    const failures = [new ConnectionError('http://x', new Error('reset')), new RemoteError('THROTTLED', 429, 'slow down'), new RemoteError('INTERNAL', 500, 'oops')];
    const client = clientWith(async () => {
      const failure = failures[n++];
      if (failure) throw failure;
      return answer;
    });
    const producer = new Producer(client, { linger: 0, idempotent: false, retry: { retries: 3, initialRetryTime: 1, maxRetryTime: 2 } });
    await expect(producer.send({ topic: 't', messages: [{ value: 'v' }] })).resolves.toHaveLength(1);
    expect(client.produce).toHaveBeenCalledTimes(4);

    n = 0;
    const fewer = new Producer(client, { linger: 0, idempotent: false, retry: { retries: 1, initialRetryTime: 1 } });
    await expect(fewer.send({ topic: 't', messages: [{ value: 'v' }] })).rejects.toMatchObject({ code: 'THROTTLED' });
  });

  it('does not retry what cannot succeed', async () => {
    const client = clientWith(async () => {
      throw new RemoteError('TOPIC_NOT_FOUND', 404, 'no such topic');
    });
    const producer = new Producer(client, { linger: 0, idempotent: false, retry: { retries: 5, initialRetryTime: 1 } });
    await expect(producer.send({ topic: 't', messages: [{ value: 'v' }] })).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' });
    expect(client.produce).toHaveBeenCalledTimes(1);
  });

  it('refuses unknown options, a transactional id without idempotence, and bad topic names', async () => {
    const client = clientWith(async () => answer);
    expect(() => new Producer(client, { lingerMs: 5 } as never)).toThrow(/unknown producer option 'lingerMs'/);
    expect(() => new Producer(client, { idempotent: false, transactionalId: 'app' })).toThrow(/transactionalId needs an idempotent producer/);
    expect(() => new Producer(client, { transactionalId: '' })).toThrow(/transactionalId must be a non-empty string/);
    expect(() => new Producer(client, { batchSize: 20_000 })).toThrow(/batchSize must be an integer from 1 to 10000/);
    await expect(new Producer(client).send({ topic: 'no/slash', messages: [{ value: 'v' }] })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('idempotent Producer', () => {
  const partitions = 4;
  /** A fake API: producer ids count up, the topic has 4 partitions, produce answers or fails as told. */
  function idempotentClient(fail: (request: ProduceRequest, n: number) => unknown = () => undefined) {
    let ids = 100;
    const requests: ProduceRequest[] = [];
    const client = {
      initProducer: vi.fn(async () => ({ producerId: ids++, producerEpoch: 0 })),
      describeTopic: vi.fn(async () => ({ partitions: Array.from({ length: partitions }, (_, partition) => ({ partition })) })),
      produce: vi.fn(async (_topic: string, request: ProduceRequest) => {
        requests.push(request);
        const error = fail(request, requests.length);
        if (error) throw error;
        return { offsets: request.records.map((r, i) => ({ partition: r.partition!, offset: i })) };
      }),
    };
    return { client: client as unknown as SluiceClient, fake: client, requests };
  }
  const quick = { linger: 0, retry: { retries: 3, initialRetryTime: 1, maxRetryTime: 2 } };

  it('is idempotent by default: numbers each partition from 0 and goes on where the last request ended', async () => {
    const { client, fake, requests } = idempotentClient();
    const producer = new Producer(client, quick);
    expect(producer.isIdempotent()).toBe(true);
    await producer.send({ topic: 't', messages: [{ value: 'a', partition: 1 }, { value: 'b', partition: 1 }, { value: 'c', partition: 2 }] });
    await producer.send({ topic: 't', messages: [{ value: 'd', partition: 1 }, { value: 'e', partition: 3 }] });
    expect(requests.map((r) => [r.producerId, r.producerEpoch, r.sequences])).toEqual([
      [100, 0, { 1: 0, 2: 0 }],
      [100, 0, { 1: 2, 3: 0 }],
    ]);
    expect(fake.initProducer).toHaveBeenCalledTimes(1);
  });

  it('places keyed records by murmur2 as the server would, and keyless ones of a request on one partition', async () => {
    const { client, requests } = idempotentClient();
    const producer = new Producer(client, quick);
    const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
    await producer.send({ topic: 't', messages: [...keys.map((key) => ({ key, value: 'v' })), { value: 'x' }, { value: 'y' }] });
    const placed = requests[0]!.records.map((r) => r.partition);
    expect(placed.slice(0, keys.length)).toEqual(keys.map((k) => partitionForKey(Buffer.from(k), partitions)));
    expect(new Set(placed.slice(keys.length)).size).toBe(1);
    expect(Object.keys(requests[0]!.sequences!).map(Number).sort()).toEqual([...new Set(placed)].sort());
  });

  it('sends a retried request unchanged, sequences included', async () => {
    const { client, requests } = idempotentClient((_, n) => (n < 3 ? new RemoteError('UNAVAILABLE', 503, 'busy') : undefined));
    const producer = new Producer(client, quick);
    await producer.send({ topic: 't', messages: [{ key: 'a', value: '1' }] });
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it('waits out PRODUCE_IN_PROGRESS without spending retries', async () => {
    const inProgress = new RemoteError('PRODUCE_IN_PROGRESS', 409, 'an earlier try may still land', {}, true);
    const { client, requests } = idempotentClient((_, n) => (n === 1 ? inProgress : undefined));
    const producer = new Producer(client, { ...quick, retry: { retries: 0 } });
    await producer.send({ topic: 't', messages: [{ key: 'a', value: '1' }] });
    expect(requests).toHaveLength(2);
  });

  it('starts over with a new producer when a request may or may not have landed, and not when it was refused whole', async () => {
    const outcomes: unknown[] = [undefined, new RemoteError('INVALID_REQUEST', 400, 'bad'), ...Array(4).fill(new RemoteError('UNAVAILABLE', 503, 'busy'))];
    const { client, fake, requests } = idempotentClient((_, n) => outcomes[n - 1]);
    const producer = new Producer(client, quick);
    const send = (value: string) => producer.send({ topic: 't', messages: [{ value, partition: 0 }] });
    await send('a');
    await expect(send('b')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(send('c')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await send('d');
    // a: seq 0; b refused before anything: c reuses seq 1; c unknown: d under a new id from 0.
    expect(requests.map((r) => [r.producerId, r.sequences![0]])).toEqual([
      [100, 0],
      [100, 1],
      ...Array(4).fill([100, 1]),
      [101, 0],
    ]);
    expect(fake.initProducer).toHaveBeenCalledTimes(2);
  });

  it('asks for its producer with the transactional id, on connect', async () => {
    const { client, fake } = idempotentClient();
    await new Producer(client, { transactionalId: 'orders-app' }).connect();
    expect(fake.initProducer).toHaveBeenCalledWith({ transactionalId: 'orders-app' });
  });
});
