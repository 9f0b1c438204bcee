/**
 * An idempotent producer's side of exactly-once: its producer id and epoch, the next
 * sequence of each partition it writes, and the partitioning that numbering needs (the
 * producer must know where each record goes, so it places them itself, as Kafka's
 * clients do: murmur2 of the key, or one partition per request for keyless records).
 */
import { Buffer } from 'node:buffer';
import { partitionForKey } from '../core/partitioner.ts';
import { nextSequence } from '../core/sequence.ts';
import type { SluiceClient } from './client.ts';
import type { ProduceRequest, ProducerIdentity } from './types.ts';

/** How long a topic's partition count is trusted (Kafka's metadata.max.age.ms). */
const partitionCountMs = 300_000;

export class Sequencer {
  private identity: Promise<ProducerIdentity> | undefined;
  private readonly nextSeqs = new Map<string, number>();
  private readonly partitionCounts = new Map<string, { count: number; at: number }>();
  private keyless = Math.floor(Math.random() * 1_000_000);

  constructor(
    private readonly client: SluiceClient,
    private readonly transactionalId?: string,
  ) {}

  /** The producer's id and epoch, asked for once (and again after a reset). */
  producer(): Promise<ProducerIdentity> {
    if (!this.identity) {
      const asked = this.client.initProducer(this.transactionalId === undefined ? {} : { transactionalId: this.transactionalId });
      // A failed ask is not kept: the next send asks again.
      asked.catch(() => {
        if (this.identity === asked) this.identity = undefined;
      });
      this.identity = asked;
    }
    return this.identity;
  }

  /** The request as it goes out: each record's partition, the producer and each partition's first sequence. */
  async sequence(topic: string, request: ProduceRequest): Promise<ProduceRequest> {
    const { producerId, producerEpoch } = await this.producer();
    const unplaced = request.records.some((r) => r.partition === undefined);
    const partitions = unplaced ? await this.partitionCount(topic) : 0;
    const keylessPartition = this.keyless++ % Math.max(1, partitions);
    const records = request.records.map((record) => {
      if (record.partition !== undefined) return record;
      const key = record.key === undefined || record.key === null ? undefined : Buffer.from(record.key, request.encoding === 'base64' ? 'base64' : 'utf8');
      return { ...record, partition: key ? partitionForKey(key, partitions) : keylessPartition };
    });
    const sequences: Record<number, number> = {};
    for (const { partition } of records) sequences[partition!] ??= this.nextSeqs.get(seqKey(topic, partition!)) ?? 0;
    return { ...request, records, producerId, producerEpoch, sequences };
  }

  /** A sequenced request landed: its partitions' next sequences move past it. */
  landed(topic: string, request: ProduceRequest): void {
    const counts = new Map<number, number>();
    for (const { partition } of request.records) counts.set(partition!, (counts.get(partition!) ?? 0) + 1);
    for (const [partition, count] of counts) this.nextSeqs.set(seqKey(topic, partition), nextSequence(request.sequences![partition]!, count));
  }

  /**
   * Whether a request landed is unknown (or the server lost track of this producer):
   * start over with a new epoch or id, whose sequences start at 0, as Kafka's producer
   * bumps its epoch. A request that did land stays landed once; nothing is resent here.
   */
  reset(): void {
    this.identity = undefined;
    this.nextSeqs.clear();
  }

  private async partitionCount(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known && Date.now() - known.at < partitionCountMs) return known.count;
    const { partitions } = await this.client.describeTopic(topic);
    this.partitionCounts.set(topic, { count: partitions.length, at: Date.now() });
    return partitions.length;
  }
}

function seqKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
