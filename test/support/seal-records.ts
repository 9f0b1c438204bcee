/** Records for the sealing tests: recent timestamps, values that say their index, and a job run an hour on. */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import type { RecordInput } from '../../lib/core/codec/record-batch.ts';
import { runJobs } from '../../lib/jobs/run.ts';
import type { Storage } from '../../lib/storage/index.ts';

export const HOUR = 3_600_000;
/** Runs the jobs as if an hour had passed, so every tail item is old enough to seal. */
export const runLater = (storage: Storage, topic: string) => runJobs(storage, { topic, now: () => Date.now() + HOUR });

/** Recent timestamps: retention (7 days by default) must not drop what these tests seal. */
export const T0 = Date.now() - 60_000;
export const valueOf = (i: number, size: number) => Buffer.from(`${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26))));
export const recordsFrom = (start: number, count: number, size: number): RecordInput[] =>
  Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${start + i}`), value: valueOf(start + i, size), headers: [{ key: 'h', value: Buffer.from('v') }], timestamp: T0 + start + i }));

/**
 * The tail items still stored below `end` and when each expires (epoch seconds; undefined
 * when it never does), read raw: what a sealer whose items expire leaves behind.
 */
export async function tailItemsBelow(storage: Storage, pk: string, end: number): Promise<Array<{ offset: number; expiresAt?: number }>> {
  const { Items = [] } = await storage.clients.dynamodb.send(
    new QueryCommand({
      TableName: storage.config.tables.log,
      KeyConditionExpression: 'pk = :pk AND #o < :end',
      ExpressionAttributeNames: { '#o': 'offset' },
      ExpressionAttributeValues: { ':pk': { S: pk }, ':end': { N: String(end) } },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => ({ offset: Number(item.offset!.N), ...(item.expiresAt ? { expiresAt: Number(item.expiresAt.N) } : {}) }));
}

/** Expect every item below `end` to expire within a day of now: sealed and left to DynamoDB's TTL. */
export async function expectOnlyExpiringBelow(storage: Storage, pk: string, end: number): Promise<void> {
  const dayFromNow = Math.ceil((Date.now() + 24 * HOUR) / 1000);
  for (const item of await tailItemsBelow(storage, pk, end)) {
    expect(item.expiresAt, `tail item ${item.offset} expires`).toBeGreaterThan(0);
    expect(item.expiresAt!, `tail item ${item.offset} expires within a day`).toBeLessThanOrEqual(dayFromNow);
  }
}
