/**
 * Fetch: whole stored batches from the one holding each fetch offset (clients skip the
 * records below it, as with Kafka), compressed as they were produced. max_wait_ms is the
 * long poll: partitions are read at once, and if they hold less than min_bytes, each waits
 * for its next append until the first has data or the wait is over. Every fetch is a full
 * one (session id 0): fetch sessions are not kept, so no gateway holds state.
 */
import { OffsetOutOfRangeError } from '../../core/errors.ts';
import type { BatchReadResult } from '../../storage/log.ts';
import type { TopicMeta } from '../../storage/topics.ts';
import { kafkaErrorOf } from '../errors.ts';
import { apiHandler, type GatewayContext } from '../handler.ts';
import { Fetch, KafkaErrors, type RequestOf } from '../protocol/index.ts';

type FetchRequest = RequestOf<typeof Fetch>;

/** A wait longer than this is cut: a client's max_wait_ms is usually 500 ms, at most a few seconds. */
const maxWaitMs = 20_000;

interface Wanted {
  readonly topic: string;
  readonly meta: TopicMeta | undefined;
  readonly error: number;
  readonly partition: number;
  readonly offset: number;
  readonly maxBytes: number;
}

interface Got {
  readonly read?: BatchReadResult;
  readonly error: number;
  readonly logStartOffset?: number;
  readonly highWatermark?: number;
}

export const fetchHandler = apiHandler({
  api: Fetch,
  minVersion: 4,
  // 13+ name topics by id only.
  maxVersion: 12,
  handle: async (request, _version, context) => {
    const wanted = await resolve(request, context);
    const limit = request.maxBytes > 0 ? request.maxBytes : Number.MAX_SAFE_INTEGER;
    let got = await readAll(wanted, limit, 0, context);
    const bytes = got.reduce((n, g) => n + size(g), 0);
    const wait = Math.min(Math.max(request.maxWaitMs, 0), maxWaitMs);
    if (bytes < Math.max(request.minBytes, 1) && wait > 0 && got.every((g) => g.error === 0)) {
      // Wait for the first partition to get data; the others stop looking then.
      const first = new AbortController();
      const signal = AbortSignal.any([first.signal, context.connection.signal]);
      got = await readAll(wanted, limit, wait, context, signal, () => first.abort());
    }
    const byTopic = new Map<string, Array<{ wanted: Wanted; got: Got }>>();
    wanted.forEach((w, i) => byTopic.set(w.topic, [...(byTopic.get(w.topic) ?? []), { wanted: w, got: got[i]! }]));
    return {
      errorCode: 0,
      sessionId: 0,
      responses: [...byTopic].map(([topic, parts]) => ({
        topic,
        partitions: parts.map(({ wanted: w, got: g }) => {
          const highWatermark = BigInt(g.read?.highWatermark ?? g.highWatermark ?? -1);
          return {
            partitionIndex: w.partition,
            errorCode: g.error,
            highWatermark,
            lastStableOffset: highWatermark,
            logStartOffset: BigInt(g.read?.logStartOffset ?? g.logStartOffset ?? -1),
            abortedTransactions: [],
            preferredReadReplica: -1,
            // Empty, not null: librdkafka reads a null record set as a protocol error.
            records: Buffer.concat(g.read?.batches.map((b) => b.bytes) ?? []),
          };
        }),
      })),
    };
  },
});

async function resolve(request: FetchRequest, { storage }: GatewayContext): Promise<Wanted[]> {
  const wanted: Wanted[] = [];
  for (const { topic, partitions } of request.topics) {
    let meta: TopicMeta | undefined;
    let error = 0;
    try {
      meta = await storage.topics.get(topic);
    } catch (e) {
      error = kafkaErrorOf(e).code;
    }
    for (const p of partitions) {
      const known = meta && p.partition >= 0 && p.partition < meta.partitions;
      wanted.push({
        topic,
        meta,
        error: error || (known ? 0 : KafkaErrors.UNKNOWN_TOPIC_OR_PARTITION.code),
        partition: p.partition,
        offset: Number(p.fetchOffset),
        maxBytes: p.partitionMaxBytes,
      });
    }
  }
  return wanted;
}

/** Reads every partition (in order, within the request's byte budget); with a wait, each long-polls until `signal`. */
async function readAll(wanted: readonly Wanted[], limit: number, waitMs: number, { storage }: GatewayContext, signal?: AbortSignal, onData?: () => void): Promise<Got[]> {
  let budget = limit;
  const reads = wanted.map(async (w): Promise<Got> => {
    if (w.error !== 0 || !w.meta) return { error: w.error };
    try {
      const read = await storage.log.readBatches(w.meta.topicId, w.partition, w.offset, {
        maxBytes: Math.max(1, Math.min(w.maxBytes, limit)),
        ...(waitMs > 0 ? { waitMs, signal } : {}),
      });
      if (read.batches.length > 0) onData?.();
      return { read, error: 0 };
    } catch (error) {
      if (error instanceof OffsetOutOfRangeError) {
        const { logStartOffset, highWatermark } = error.details as { logStartOffset: number; highWatermark: number };
        return { error: KafkaErrors.OFFSET_OUT_OF_RANGE.code, logStartOffset, highWatermark };
      }
      return { error: kafkaErrorOf(error).code };
    }
  });
  const got = await Promise.all(reads);
  // Over the request's max_bytes (partitions were read at once): keep the first partition's
  // data whole, then what fits, as Kafka does.
  return got.map((g) => {
    if (!g.read) return g;
    const bytes = size(g);
    if (bytes > budget && budget < limit) return { ...g, read: { ...g.read, batches: [] } };
    budget -= bytes;
    return g;
  });
}

function size(got: Got): number {
  return got.read?.batches.reduce((n, b) => n + b.bytes.length, 0) ?? 0;
}
