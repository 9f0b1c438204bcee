/**
 * Exactly-once appends for idempotent producers, with single-item conditional writes only
 * (multi-region strong consistency has no transactions). Per partition batch:
 *
 *   1 claim     the head (producer, partition): this epoch, sequence = nextSeq, no claim
 *               pending; the claim names a fresh appendId and the log end it saw
 *   2 append    the batch, its tail item written by appendId, its header carrying
 *               producerId, epoch and baseSequence; no put starts after claim + appendWindowMs
 *   3 complete  nextSeq += count, remember (seq, offset); only if the claim is still ours
 *
 * A crash or lost reply anywhere leaves a state the retry (same producer, epoch and
 * sequence) resolves:
 *
 *   after 1        the claim is pending: the retry looks for appendId from the claim's
 *                  offset; not found and the claim is past claimTimeoutMs (so no put of
 *                  the first try can still land), it takes the claim over and appends
 *   after 2        the retry finds the batch by appendId (tail) or header (segment),
 *                  completes the head and answers the original offsets
 *   after 3        the head remembers the batch: its offsets again
 *
 * Every partition of a request is claimed (or answered) before anything is appended, so a
 * refused sequence or epoch changes nothing.
 */
import { FencedError, OutOfOrderSequenceError, ProduceInProgressError, UnknownProducerError } from '../core/errors.ts';
import { recordsIn } from './append.ts';
import { partitionKey, type AppendContent, type AppendOptions, type LogStore } from './log.ts';
import type { Head, PendingClaim, ProducerIdentity, ProducerStore } from './producers.ts';

export interface IdempotenceOptions {
  /** A try appends only this long after its claim was made. */
  readonly appendWindowMs: number;
  /**
   * An earlier try's claim is taken over only this long after it was made: its append
   * window plus the longest a put sent before the window closed can take to land.
   */
  readonly claimTimeoutMs: number;
}

export const defaultIdempotenceOptions: IdempotenceOptions = { appendWindowMs: 10_000, claimTimeoutMs: 30_000 };

export interface SequencedBatch {
  readonly partition: number;
  readonly firstSeq: number;
  /** Records, or a Kafka client's batch whose header already carries the producer's fields. */
  readonly records: AppendContent;
}

/** A partition's head, ready for phase 2: answered already, or claimed by this try. */
type Prepared =
  | { readonly kind: 'landed'; readonly offset: number }
  | { readonly kind: 'claimed'; readonly claim: PendingClaim; readonly previous: Head | undefined };

export class IdempotentAppender {
  constructor(
    private readonly log: LogStore,
    private readonly producers: ProducerStore,
    private readonly options: IdempotenceOptions = defaultIdempotenceOptions,
  ) {}

  /** Appends each batch exactly once; answers each one's base offset, in the order given. */
  async append(
    topicId: string,
    producer: ProducerIdentity,
    batches: readonly SequencedBatch[],
    storedAs: Pick<AppendOptions, 'compression'> = {},
  ): Promise<number[]> {
    const { producerId, producerEpoch } = producer;
    const current = await this.producers.epochOf(producerId);
    if (current === undefined) throw new UnknownProducerError(`producer ${producerId} was never issued by POST /v1/producers`);
    if (current > producerEpoch) throw new FencedError(`producer ${producerId} epoch ${producerEpoch} is fenced by epoch ${current}`);
    if (current < producerEpoch) throw new UnknownProducerError(`producer ${producerId} has no epoch ${producerEpoch} yet (its epoch is ${current})`);

    const prepared = await Promise.allSettled(batches.map((batch) => this.prepare(topicId, producer, batch)));
    const refused = prepared.filter((p) => p.status === 'rejected').map((p) => p.reason as unknown);
    if (refused.length > 0) {
      await Promise.all(
        prepared.map((p, i) =>
          p.status === 'fulfilled' && p.value.kind === 'claimed'
            ? this.producers.release(producerId, partitionKey(topicId, batches[i]!.partition), p.value.claim)
            : undefined,
        ),
      );
      throw mostTelling(refused);
    }
    return Promise.all(
      prepared.map((p, i) => {
        const ready = (p as PromiseFulfilledResult<Prepared>).value;
        return ready.kind === 'landed' ? ready.offset : this.appendClaimed(topicId, producer, batches[i]!, ready.claim, ready.previous, storedAs);
      }),
    );
  }

  /** Phase 1 for one partition: claim its head, or learn where an earlier try landed. */
  private async prepare(topicId: string, producer: ProducerIdentity, batch: SequencedBatch): Promise<Prepared> {
    const { producerId, producerEpoch } = producer;
    const pk = partitionKey(topicId, batch.partition);
    const count = recordsIn(batch.records).length;
    for (;;) {
      const from = await this.log.nextOffsetAtMost(topicId, batch.partition);
      const outcome = await this.producers.claim(producerId, producerEpoch, pk, batch.firstSeq, count, from);
      if (outcome.kind === 'claimed') return outcome;
      if (outcome.kind === 'duplicate') return { kind: 'landed', offset: outcome.offset };

      // An earlier try holds the head. Judge its age before looking: if it is past the
      // timeout now, none of its puts can land after our look.
      const { pending, head } = outcome;
      const expired = Date.now() - pending.at >= this.options.claimTimeoutMs;
      const landed = await this.log.findAppend(topicId, batch.partition, pending.fromOffset, pending.appendId, headerOf(producer, batch));
      if (landed !== undefined) {
        await this.producers.complete(producerId, producerEpoch, pk, pending, landed, head);
        return { kind: 'landed', offset: landed };
      }
      if (!expired) {
        throw new ProduceInProgressError(
          `an earlier try of producer ${producerId} sequence ${batch.firstSeq} on partition ${batch.partition} may still land; retry shortly`,
        );
      }
      const claim = await this.producers.takeOver(producerId, pk, pending, from);
      if (claim) return { kind: 'claimed', claim, previous: head };
      // The head moved while we looked (the earlier try completed, or another retry took over): look again.
    }
  }

  /** Phase 2 for one claimed partition: append within the window, then complete the head. */
  private async appendClaimed(
    topicId: string,
    producer: ProducerIdentity,
    batch: SequencedBatch,
    claim: PendingClaim,
    previous: Head | undefined,
    storedAs: Pick<AppendOptions, 'compression'>,
  ): Promise<number> {
    const { baseOffset } = await this.log.append(topicId, batch.partition, batch.records, {
      ...storedAs,
      appendId: claim.appendId,
      producer: headerOf(producer, batch),
      deadline: claim.at + this.options.appendWindowMs,
    });
    // False only when a newer epoch claimed the head meanwhile; the batch landed all the same.
    await this.producers.complete(producer.producerId, producer.producerEpoch, partitionKey(topicId, batch.partition), claim, baseOffset, previous);
    return baseOffset;
  }
}

function headerOf(producer: ProducerIdentity, batch: SequencedBatch) {
  return { producerId: BigInt(producer.producerId), producerEpoch: producer.producerEpoch, baseSequence: batch.firstSeq };
}

/** Of several partitions' refusals, the one the producer must act on first. */
function mostTelling(errors: readonly unknown[]): unknown {
  const rank = (e: unknown) => (e instanceof FencedError ? 0 : e instanceof OutOfOrderSequenceError ? 1 : e instanceof ProduceInProgressError ? 3 : 2);
  return [...errors].sort((a, b) => rank(a) - rank(b))[0];
}
