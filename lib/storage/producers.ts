/**
 * Idempotent producers' state in DynamoDB, every change one conditional write on one item:
 *
 *   producer#<id> / -                    epoch (and retired once its id ran out of epochs)
 *   producer#<id> / <topicId>#<partition>  the sequence head: epoch, nextSeq, the last few
 *                                        batches (seq, count, offset) and a pending claim
 *   txn#<transactionalId> / -            the producer id that transactional id maps to
 *
 * A batch is appended in three writes (see lib/storage/idempotent.ts): claim the head for
 * its sequence, append it to the log, complete the head. The claim is what makes a retry
 * safe: while it is pending, no other try of the same sequence appends.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { FencedError, OutOfOrderSequenceError } from '../core/errors.ts';
import { maxProducerEpoch, nextSequence } from '../core/sequence.ts';
import { conditionHeld, unlessConditionFailed, updateIf } from './conditional.ts';

export interface ProducerIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** How many completed batches a head remembers for answering retries (Kafka keeps five). */
const rememberedBatches = 5;

/** One try of a batch that holds a partition's head: it may append until its deadline. */
export interface PendingClaim {
  readonly seq: number;
  readonly count: number;
  readonly appendId: string;
  /** The log end when the claim was made: the batch lands at or after it. */
  readonly fromOffset: number;
  /** When the claim was made or taken over (ms, the claimer's clock). */
  readonly at: number;
}

/** A batch a head remembers as landed, for answering its retries. */
export interface LandedBatch {
  readonly epoch: number;
  readonly seq: number;
  readonly count: number;
  readonly offset: number;
}

export interface Head {
  readonly epoch: number;
  readonly nextSeq: number;
  readonly batches: readonly LandedBatch[];
  readonly pending?: PendingClaim;
}

export type ClaimOutcome =
  /** The head is ours: append, then complete. `previous` is the head as it was. */
  | { readonly kind: 'claimed'; readonly claim: PendingClaim; readonly previous: Head | undefined }
  /** This batch landed before: its offset. */
  | { readonly kind: 'duplicate'; readonly offset: number }
  /** An earlier try of this very batch holds the head. */
  | { readonly kind: 'pending'; readonly head: Head; readonly pending: PendingClaim };

const producerKey = (producerId: number) => `producer#${producerId}`;
const meta = '-';

export class ProducerStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
  ) {}

  /**
   * A producer id and epoch. With a transactional id, the same id again with the next
   * epoch, which fences every older instance; its id is replaced by a new one when the
   * epochs run out.
   */
  async init(transactionalId?: string): Promise<ProducerIdentity> {
    if (transactionalId === undefined) return { producerId: await this.allocate(), producerEpoch: 0 };
    for (;;) {
      const mapped = await this.get(`txn#${transactionalId}`, meta);
      if (!mapped) {
        const producerId = await this.allocate(transactionalId);
        if (await this.putIfAbsent({ pk: { S: `txn#${transactionalId}` }, sk: { S: meta }, producerId: { N: String(producerId) } })) {
          return { producerId, producerEpoch: 0 };
        }
        // Another instance mapped the id first: ours is garbage, theirs gets bumped below.
        await this.dynamodb.send(new DeleteItemCommand({ TableName: this.table, Key: key(producerKey(producerId), meta) }));
        continue;
      }
      const producerId = Number(mapped.producerId!.N);
      const bumped = await this.bumpEpoch(producerId);
      if (bumped !== undefined) return { producerId, producerEpoch: bumped };
      await this.replaceId(transactionalId, producerId);
    }
  }

  /** The producer's current epoch, or undefined for an id never issued; FENCED for a retired id. */
  async epochOf(producerId: number): Promise<number | undefined> {
    const item = await this.get(producerKey(producerId), meta);
    if (!item) return undefined;
    if (item.retired?.BOOL) throw new FencedError(`producer ${producerId} was replaced by a newer instance with a new producer id`);
    return Number(item.epoch!.N);
  }

  /**
   * Claims a partition's head for the batch `firstSeq`..+count at `epoch`: it must be the
   * next sequence (0 for a new head or a new epoch) with no claim pending. Otherwise
   * answers whether the batch landed already or an earlier try of it holds the head, or
   * throws FENCED (a newer epoch wrote here) or OUT_OF_ORDER_SEQUENCE.
   */
  async claim(producerId: number, epoch: number, pk: string, firstSeq: number, count: number, fromOffset: number): Promise<ClaimOutcome> {
    const claim: PendingClaim = { seq: firstSeq, count, appendId: randomUUID(), fromOffset, at: Date.now() };
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(producerKey(producerId), pk),
          UpdateExpression: 'SET epoch = :e, nextSeq = :s, pending = :p',
          ConditionExpression:
            '(attribute_not_exists(pk) AND :s = :zero) OR (epoch < :e AND :s = :zero) OR (epoch = :e AND nextSeq = :s AND attribute_not_exists(pending))',
          ExpressionAttributeValues: {
            ':e': { N: String(epoch) },
            ':s': { N: String(firstSeq) },
            ':zero': { N: '0' },
            ':p': claimToAttribute(claim),
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { kind: 'claimed', claim, previous: Attributes ? headFromItem(Attributes) : undefined };
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return refusal(producerId, epoch, firstSeq, count, err.Item ? headFromItem(err.Item) : undefined);
    }
  }

  /**
   * Takes over an earlier try's claim that has outlived its append deadline (see
   * idempotent.ts): false if the head moved on meanwhile.
   */
  async takeOver(producerId: number, pk: string, stale: PendingClaim, fromOffset: number): Promise<PendingClaim | undefined> {
    const claim: PendingClaim = { ...stale, appendId: randomUUID(), fromOffset, at: Date.now() };
    const ok = await this.conditionalUpdate(producerId, pk, 'SET pending = :p', 'pending.appendId = :old', {
      ':p': claimToAttribute(claim),
      ':old': { S: stale.appendId },
    });
    return ok ? claim : undefined;
  }

  /**
   * Records a claimed batch as landed at `offset`, if the claim is still `claim`; the head
   * remembers it (and only this epoch's batches) for answering retries.
   */
  async complete(producerId: number, epoch: number, pk: string, claim: PendingClaim, offset: number, previous: Head | undefined): Promise<boolean> {
    const kept = (previous?.batches ?? []).filter((b) => b.epoch === epoch && b.seq !== claim.seq);
    const batches = [...kept, { epoch, seq: claim.seq, count: claim.count, offset }].slice(-rememberedBatches);
    return this.conditionalUpdate(producerId, pk, 'SET nextSeq = :next, batches = :b REMOVE pending', 'pending.appendId = :id', {
      ':next': { N: String(nextSequence(claim.seq, claim.count)) },
      ':b': { L: batches.map(batchToAttribute) },
      ':id': { S: claim.appendId },
    });
  }

  /** Gives a claim back without appending (another partition of the request was refused). */
  async release(producerId: number, pk: string, claim: PendingClaim): Promise<void> {
    await this.conditionalUpdate(producerId, pk, 'REMOVE pending', 'pending.appendId = :id', { ':id': { S: claim.appendId } });
  }

  /** A fresh random id (53 bits, exact in JSON), written only if no producer has it. */
  private async allocate(transactionalId?: string): Promise<number> {
    for (;;) {
      const producerId = Number(randomBytes(8).readBigUInt64BE() >> 11n);
      const item: Record<string, AttributeValue> = {
        ...key(producerKey(producerId), meta),
        epoch: { N: '0' },
        createdAt: { N: String(Date.now()) },
        ...(transactionalId !== undefined ? { transactionalId: { S: transactionalId } } : {}),
      };
      if (await this.putIfAbsent(item)) return producerId;
    }
  }

  /** The next epoch, or undefined when the id is out of epochs or retired. */
  private async bumpEpoch(producerId: number): Promise<number | undefined> {
    const bumped = await unlessConditionFailed(
      this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(producerKey(producerId), meta),
          UpdateExpression: 'SET epoch = epoch + :one',
          ConditionExpression: 'attribute_exists(pk) AND epoch < :max AND attribute_not_exists(retired)',
          ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: String(maxProducerEpoch) } },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return bumped ? Number(bumped.Attributes!.epoch!.N) : undefined;
  }

  /**
   * Retires an id (which fences its last instance) and points the transactional id at a
   * fresh one. Each step is safe to repeat: a crash in between leaves the mapping on the
   * retired id, and the next init finishes the move.
   */
  private async replaceId(transactionalId: string, old: number): Promise<void> {
    await this.conditionalUpdate(old, undefined, 'SET retired = :t', 'attribute_exists(pk)', { ':t': { BOOL: true } });
    const fresh = await this.allocate(transactionalId);
    // If someone else moved it first, the next loop reads where it points now.
    await updateIf(this.dynamodb, {
      table: this.table,
      key: key(`txn#${transactionalId}`, meta),
      update: 'SET producerId = :new',
      condition: 'producerId = :old',
      values: { ':new': { N: String(fresh) }, ':old': { N: String(old) } },
    });
  }

  private async get(pk: string, sk: string): Promise<Record<string, AttributeValue> | undefined> {
    const { Item } = await this.dynamodb.send(new GetItemCommand({ TableName: this.table, Key: key(pk, sk), ConsistentRead: true }));
    return Item;
  }

  private async putIfAbsent(item: Record<string, AttributeValue>): Promise<boolean> {
    return conditionHeld(this.dynamodb.send(new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })));
  }

  /** One conditional update of a head (or, with no pk, the producer item): false if the condition failed. */
  private async conditionalUpdate(
    producerId: number,
    pk: string | undefined,
    update: string,
    condition: string,
    values: Record<string, AttributeValue>,
  ): Promise<boolean> {
    return updateIf(this.dynamodb, { table: this.table, key: key(producerKey(producerId), pk ?? meta), update, condition, values });
  }
}

/** Why a claim was refused, from the head as it was. */
function refusal(producerId: number, epoch: number, firstSeq: number, count: number, head: Head | undefined): ClaimOutcome {
  if (head && head.epoch > epoch) {
    throw new FencedError(`producer ${producerId} epoch ${epoch} is fenced: epoch ${head.epoch} has written to this partition`);
  }
  const expected = !head || head.epoch < epoch ? 0 : head.nextSeq;
  if (head && head.epoch === epoch) {
    const landed = head.batches.find((b) => b.epoch === epoch && b.seq === firstSeq);
    if (landed && landed.count === count) return { kind: 'duplicate', offset: landed.offset };
    if (head.pending && head.pending.seq === firstSeq && head.pending.count === count) {
      return { kind: 'pending', head, pending: head.pending };
    }
  }
  throw new OutOfOrderSequenceError(
    `producer ${producerId} epoch ${epoch}: sequence ${firstSeq} (${count} records) is not the next one; expected ${expected}`,
    { details: { expectedSequence: expected, sequence: firstSeq } },
  );
}

function key(pk: string, sk: string): Record<string, AttributeValue> {
  return { pk: { S: pk }, sk: { S: sk } };
}

function claimToAttribute(c: PendingClaim): AttributeValue {
  return {
    M: {
      seq: { N: String(c.seq) },
      count: { N: String(c.count) },
      appendId: { S: c.appendId },
      fromOffset: { N: String(c.fromOffset) },
      at: { N: String(c.at) },
    },
  };
}

function batchToAttribute(b: LandedBatch): AttributeValue {
  return { M: { epoch: { N: String(b.epoch) }, seq: { N: String(b.seq) }, count: { N: String(b.count) }, offset: { N: String(b.offset) } } };
}

function headFromItem(item: Record<string, AttributeValue>): Head {
  const n = (v: AttributeValue | undefined) => Number(v!.N);
  const pending = item.pending?.M;
  return {
    epoch: n(item.epoch),
    nextSeq: n(item.nextSeq),
    batches: (item.batches?.L ?? []).map(({ M }) => ({ epoch: n(M!.epoch), seq: n(M!.seq), count: n(M!.count), offset: n(M!.offset) })),
    ...(pending
      ? { pending: { seq: n(pending.seq), count: n(pending.count), appendId: pending.appendId!.S!, fromOffset: n(pending.fromOffset), at: n(pending.at) } }
      : {}),
  };
}
