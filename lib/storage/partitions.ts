/**
 * Per-partition state that background jobs move forward: where the log starts (retention),
 * where sealed data ends, and the sealer's lease. Every change is a conditional write on
 * the value it replaces, so two jobs that overlap (a lease that expired mid-run) cannot
 * move anything backwards or skip a step.
 *
 *   sealer A  lease(epoch 7) ── seal [0,500) ── advance sealed 0→500 ok
 *   sealer B  (A's lease expired) lease(epoch 8) ── seal [0,500) ── advance 0→500: conflict, re-read
 *
 * A lease is judged by the holder's clock against an expiry written with that clock; a
 * second sealer only takes it after expiry plus the margin, so clocks that disagree by
 * less than the margin never give two holders at once. Overlap beyond that costs work,
 * not data: the conditions above still hold.
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { unlessConditionFailed, updateIf } from './conditional.ts';

export interface PartitionState {
  /** The first offset a fetch may ask for; retention moves it forward. */
  readonly logStartOffset: number;
  /** Offsets below this are in sealed segments (their tail items may still linger). */
  readonly sealedOffset: number;
  /** When garbage collection should look at the partition again, if it should. */
  readonly gcAt?: number;
}

export interface Lease {
  readonly owner: string;
  readonly epoch: number;
}

const empty: PartitionState = { logStartOffset: 0, sealedOffset: 0 };

export class PartitionStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    /** A lease is taken over only this long after its expiry. */
    private readonly leaseMarginMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(pk: string): Promise<PartitionState> {
    const { Item } = await this.dynamodb.send(
      new GetItemCommand({ TableName: this.table, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    return Item ? toState(Item) : empty;
  }

  /** Removes the partition's state (its topic was deleted and purged). */
  async delete(pk: string): Promise<void> {
    await this.dynamodb.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: { S: pk } } }));
  }

  /** Asks for a garbage collection pass at `at`, or (undefined) for none. */
  async scheduleGc(pk: string, at: number | undefined): Promise<void> {
    await this.dynamodb.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: { pk: { S: pk } },
        UpdateExpression: at === undefined ? 'REMOVE gcAt' : 'SET gcAt = :at',
        ...(at === undefined ? {} : { ExpressionAttributeValues: { ':at': { N: String(at) } } }),
      }),
    );
  }

  /** Takes (or renews) the partition's job lease for `ttlMs`; null while another holds it. */
  async acquireLease(pk: string, owner: string, ttlMs: number): Promise<Lease | null> {
    const now = this.now();
    const taken = await unlessConditionFailed(
      this.dynamodb.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: pk } },
          UpdateExpression: 'SET leaseOwner = :me, leaseExpires = :expires ADD leaseEpoch :one',
          ConditionExpression: 'attribute_not_exists(leaseOwner) OR leaseOwner = :me OR leaseExpires < :stale',
          ExpressionAttributeValues: {
            ':me': { S: owner },
            ':expires': { N: String(now + ttlMs) },
            ':stale': { N: String(now - this.leaseMarginMs) },
            ':one': { N: '1' },
          },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    return taken ? { owner, epoch: Number(taken.Attributes!.leaseEpoch!.N) } : null;
  }

  /** Gives the lease up early so the next run need not wait for it to expire. */
  async releaseLease(pk: string, lease: Lease): Promise<void> {
    await this.conditional(pk, 'REMOVE leaseOwner, leaseExpires', 'leaseOwner = :me AND leaseEpoch = :epoch', {
      ':me': { S: lease.owner },
      ':epoch': { N: String(lease.epoch) },
    });
  }

  /** Moves the sealed end from `from` to `to`; false when someone else moved it first. */
  async advanceSealed(pk: string, from: number, to: number): Promise<boolean> {
    if (to <= from) return false;
    return this.conditional(
      pk,
      'SET sealedOffset = :to',
      from === 0 ? 'attribute_not_exists(sealedOffset) OR sealedOffset = :from' : 'sealedOffset = :from',
      { ':from': { N: String(from) }, ':to': { N: String(to) } },
    );
  }

  /** Moves the log start from `from` to `to` (never back); false when someone else moved it first. */
  async advanceLogStart(pk: string, from: number, to: number): Promise<boolean> {
    if (to <= from) return false;
    return this.conditional(
      pk,
      'SET logStartOffset = :to',
      from === 0 ? 'attribute_not_exists(logStartOffset) OR logStartOffset = :from' : 'logStartOffset = :from',
      { ':from': { N: String(from) }, ':to': { N: String(to) } },
    );
  }

  private conditional(pk: string, update: string, condition: string, values: Record<string, AttributeValue>): Promise<boolean> {
    return updateIf(this.dynamodb, { table: this.table, key: { pk: { S: pk } }, update, condition, values });
  }
}

function toState(item: Record<string, AttributeValue>): PartitionState {
  return {
    logStartOffset: Number(item.logStartOffset?.N ?? 0),
    sealedOffset: Number(item.sealedOffset?.N ?? 0),
    ...(item.gcAt?.N ? { gcAt: Number(item.gcAt.N) } : {}),
  };
}
