/**
 * `sluice consume --group G`: the console consumer as a group member (the SDK's consumer):
 * partitions are shared with the group's other members, and what was printed is
 * committed, so the next run goes on where this one stopped.
 *
 * As Kafka's console consumer commits its position when it closes, a partition it
 * printed nothing from still gets a committed offset: where it started (the log start
 * with --from-beginning, else the log end). A new group that read nothing, or a run cut
 * off by --timeout-ms or --max-messages 0, thus records where it began, and the next run
 * does not start at a later log end.
 */
import type { Consumer } from '../client/consumer.ts';
import type { Sluice } from '../client/index.ts';
import type { KafkaMessage } from '../client/partitions.ts';
import { SluiceError, InvalidRequestError } from '../core/errors.ts';
import type { ConsumedRecord } from './format.ts';
import { stopper, type Run } from './console-run.ts';

export interface GroupRun extends Run {
  /** The SDK for the endpoint (and signing) the other commands use. */
  readonly sluice: Sluice;
  readonly group: string;
  readonly topic: string;
  readonly fromBeginning: boolean;
}

interface Start {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export async function consumeAsGroupMember(run: GroupRun): Promise<number> {
  const consumer = run.sluice.consumer({ groupId: run.group });
  const { stop, resetIdle, dispose } = stopper(run);
  let count = 0;
  let failure: unknown;
  // Partitions the group had no offset for, where this run began; dropped once one of
  // their records is printed (then that record's offset is what gets committed).
  const starts = new Map<string, Start>();
  const key = (topic: string, partition: number): string => `${topic}/${partition}`;

  /** Each new partition without a committed offset starts at a position fixed here, so it is known at close. */
  const placeStarts = async (partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> => {
    const described = await run.sluice.client.describeGroup(run.group).catch((error: unknown) => {
      if (error instanceof SluiceError && error.code === 'GROUP_NOT_FOUND') return undefined;
      throw error;
    });
    const committed = new Map((described?.partitions ?? []).map((p) => [key(p.topic, p.partition), p.committedOffset]));
    for (const { topic, partition } of partitions) {
      if ((committed.get(key(topic, partition)) ?? null) !== null) continue;
      const { offset } = await run.sluice.client.offsetFor(topic, partition, run.fromBeginning ? 'earliest' : 'latest');
      starts.set(key(topic, partition), { topic, partition, offset });
      consumer.seek({ topic, partition, offset });
    }
  };

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [run.topic], fromBeginning: run.fromBeginning });
    consumer.on('consumer.crash', ({ payload }) => {
      if (payload.restart) return; // the consumer rejoins and goes on by itself
      failure = payload.error;
      stop.abort();
    });
    resetIdle();
    await consumer.run({
      // Offsets are resolved one printed record at a time: a record past --max-messages,
      // or cut off by Ctrl-C, is never committed and the next run prints it.
      eachBatchAutoResolve: false,
      onPartitionsAssigned: placeStarts,
      onPartitionsRevoked: (partitions) => {
        for (const { topic, partition } of partitions) starts.delete(key(topic, partition));
      },
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        for (const message of batch.messages) {
          if (stop.signal.aborted || isStale()) return;
          await run.out.write(run.render(consumedRecord(batch.topic, batch.partition, message)));
          resolveOffset(message.offset);
          starts.delete(key(batch.topic, batch.partition));
          resetIdle();
          if (++count >= run.maxMessages) stop.abort();
        }
      },
    });
    if (run.maxMessages === 0) stop.abort();
    if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
  } finally {
    dispose();
    try {
      if (failure === undefined) await commitStarts(consumer, starts);
    } finally {
      // Commits what was printed and leaves, so the group's other members take over at once.
      await consumer.disconnect();
    }
  }
  if (failure) throw failure;
  return count;
}

/**
 * Commits the start position of each partition still held that printed nothing. A
 * partition that moved to another member meanwhile is that member's to commit.
 */
async function commitStarts(consumer: Consumer, starts: ReadonlyMap<string, Start>): Promise<void> {
  const held = new Set(consumer.assignment().flatMap((t) => t.partitions.map((p) => `${t.topic}/${p}`)));
  const offsets = [...starts].filter(([k]) => held.has(k)).map(([, s]) => ({ topic: s.topic, partition: s.partition, offset: String(s.offset) }));
  if (offsets.length === 0) return;
  try {
    await consumer.commitOffsets(offsets);
  } catch (error) {
    if (error instanceof InvalidRequestError || (error instanceof SluiceError && error.code === 'FENCED')) return;
    throw error;
  }
}

function consumedRecord(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  return {
    topic,
    partition,
    offset: Number(message.offset),
    timestamp: Number(message.timestamp),
    key: message.key,
    value: message.value,
    headers: Object.entries(message.headers),
  };
}
