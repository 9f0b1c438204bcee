/**
 * `sluice consume --group G`: the console consumer as a group member (the SDK's consumer):
 * partitions are shared with the group's other members, and what was printed is
 * committed, so the next run goes on where this one stopped.
 */
import { Sluice } from '../client/index.ts';
import type { KafkaMessage } from '../client/partitions.ts';
import type { ConsumedRecord } from './format.ts';
import type { connectionFor } from './args.ts';
import { stopper, type Run } from './console-run.ts';

export interface GroupRun extends Run {
  /** The endpoint and its signing, as the other commands' clients get them. */
  readonly connection: ReturnType<typeof connectionFor>;
  readonly group: string;
  readonly topic: string;
  readonly fromBeginning: boolean;
}

export async function consumeAsGroupMember(run: GroupRun): Promise<number> {
  const consumer = new Sluice({ ...run.connection }).consumer({ groupId: run.group });
  const { stop, resetIdle, dispose } = stopper(run);
  let count = 0;
  let failure: unknown;
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
      eachBatch: async ({ batch, resolveOffset, isStale }) => {
        for (const message of batch.messages) {
          if (stop.signal.aborted || isStale()) return;
          await run.out.write(run.render(consumedRecord(batch.topic, batch.partition, message)));
          resolveOffset(message.offset);
          resetIdle();
          if (++count >= run.maxMessages) stop.abort();
        }
      },
    });
    if (!stop.signal.aborted) await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
  } finally {
    dispose();
    // Commits what was printed and leaves, so the group's other members take over at once.
    await consumer.disconnect();
  }
  if (failure) throw failure;
  return count;
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
