/**
 * A Kafka-protocol (classic) group's state: one item in the groups table, beside the
 * group's lease items (sk `kafka`), holding the whole group (lib/core/classic-group.ts)
 * and a version. Every change reads the item, applies a pure transition and puts it back
 * conditionally on the version read; a failed condition (another gateway wrote first, or
 * our own write whose reply was lost) reads again and applies the transition again.
 *
 * Waiting for the group to change is polling its item (a consistent read every
 * `pollMs`): nothing waits on another gateway's memory. A write made in this process
 * wakes this process's waiters at once.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { emptyGroup, type ClassicGroup } from '../core/classic-group.ts';
import { InternalError } from '../core/errors.ts';
import { conditionHeld } from './conditional.ts';

export const classicGroupSortKey = 'kafka';

export interface VersionedGroup {
  readonly group: ClassicGroup;
  /** 0 for a group never written. */
  readonly version: number;
}

/** A whole group in an item: well under DynamoDB's 400 KB for groups of hundreds of members. */
export function classicGroupFromItem(item: Record<string, AttributeValue>): VersionedGroup {
  return { group: JSON.parse(item.state!.S!) as ClassicGroup, version: Number(item.version!.N) };
}

/** Attempts of one change before it gives up to the caller's retry (the client's). */
const maxAttempts = 8;

export class ClassicGroupStore {
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly table: string,
    /** How often a waiter reads the group again. */
    readonly pollMs = 200,
  ) {}

  async get(group: string): Promise<VersionedGroup> {
    const { Item } = await this.dynamodb.send(new GetItemCommand({ TableName: this.table, Key: this.key(group), ConsistentRead: true }));
    return Item ? classicGroupFromItem(Item) : { group: emptyGroup, version: 0 };
  }

  /**
   * Applies `transition` to the group as stored and writes the result if it differs,
   * conditionally on the version read; answers what was written (or read, when nothing
   * changed). A transition that throws refuses the change: the error reaches the caller.
   */
  async change(group: string, transition: (current: ClassicGroup) => ClassicGroup): Promise<VersionedGroup> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const current = await this.get(group);
      const next = transition(current.group);
      if (JSON.stringify(next) === JSON.stringify(current.group)) return current;
      const version = current.version + 1;
      const written = await conditionHeld(
        this.dynamodb.send(
          new PutItemCommand({
            TableName: this.table,
            Item: { ...this.key(group), state: { S: JSON.stringify(next) }, version: { N: String(version) } },
            ConditionExpression: current.version === 0 ? 'attribute_not_exists(sk)' : 'version = :v',
            ...(current.version === 0 ? {} : { ExpressionAttributeValues: { ':v': { N: String(current.version) } } }),
          }),
        ),
      );
      if (written) {
        this.wake(group);
        return { group: next, version };
      }
    }
    throw new InternalError(`group ${group}: ${maxAttempts} conflicting writes in a row`);
  }

  /** Deletes the group's state if it is still at `version`; false when it changed. */
  async delete(group: string, version: number): Promise<boolean> {
    const deleted = await conditionHeld(
      this.dynamodb.send(
        new DeleteItemCommand({ TableName: this.table, Key: this.key(group), ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': { N: String(version) } } }),
      ),
    );
    if (deleted) this.wake(group);
    return deleted;
  }

  /** Resolves after `pollMs`, sooner when this process writes the group or `signal` aborts. */
  waitForChange(group: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiters.get(group) ?? new Set();
      this.waiters.set(group, set);
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(done);
        if (set.size === 0 && this.waiters.get(group) === set) this.waiters.delete(group);
        resolve();
      };
      const timer = setTimeout(done, this.pollMs);
      signal.addEventListener('abort', done);
      set.add(done);
    });
  }

  private wake(group: string): void {
    for (const done of [...(this.waiters.get(group) ?? [])]) done();
  }

  private key(group: string): Record<string, AttributeValue> {
    return { group: { S: group }, sk: { S: classicGroupSortKey } };
  }
}
