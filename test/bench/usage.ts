/** What the server-side storage used, read from its UsageMeter and the stack's call counters. */
import type { BenchStack } from './stack.ts';

export interface Usage {
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly appendConflicts: number;
  /** DynamoDB calls by command, e.g. `{ PutItemCommand: 200 }`. */
  readonly dynamodbCalls: Record<string, number>;
  /** Capacity units by DynamoDB command (read and write together). */
  readonly dynamodbUnits: Record<string, number>;
  /** S3 requests by command. */
  readonly s3Requests: Record<string, number>;
  /** Bytes read from segment objects by ranged GETs. */
  readonly s3BytesRead: number;
}

export function usageNow(stack: BenchStack): Usage {
  const { usage } = stack.storage;
  return {
    readUnits: usage.readUnits,
    writeUnits: usage.writeUnits,
    appendConflicts: usage.appendConflicts,
    dynamodbCalls: { ...stack.dynamodbCalls },
    dynamodbUnits: { ...stack.dynamodbUnits },
    s3Requests: { ...usage.s3Requests },
    s3BytesRead: usage.s3BytesRead,
  };
}

export function usageSince(before: Usage, after: Usage): Usage {
  const minus = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
    Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]).filter(([, v]) => v !== 0));
  return {
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
    appendConflicts: after.appendConflicts - before.appendConflicts,
    dynamodbCalls: minus(after.dynamodbCalls, before.dynamodbCalls),
    dynamodbUnits: minus(after.dynamodbUnits, before.dynamodbUnits),
    s3Requests: minus(after.s3Requests, before.s3Requests),
    s3BytesRead: after.s3BytesRead - before.s3BytesRead,
  };
}

/** The usages added up, e.g. of requests metered one by one. */
export function usageTotal(usages: readonly Usage[]): Usage {
  const plus = (a: Record<string, number>, b: Record<string, number>): Record<string, number> => {
    const out = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const none: Usage = { readUnits: 0, writeUnits: 0, appendConflicts: 0, dynamodbCalls: {}, dynamodbUnits: {}, s3Requests: {}, s3BytesRead: 0 };
  return usages.reduce(
    (a, b) => ({
      readUnits: a.readUnits + b.readUnits,
      writeUnits: a.writeUnits + b.writeUnits,
      appendConflicts: a.appendConflicts + b.appendConflicts,
      dynamodbCalls: plus(a.dynamodbCalls, b.dynamodbCalls),
      dynamodbUnits: plus(a.dynamodbUnits, b.dynamodbUnits),
      s3Requests: plus(a.s3Requests, b.s3Requests),
      s3BytesRead: a.s3BytesRead + b.s3BytesRead,
    }),
    none,
  );
}

/** Runs `work` and returns its result with the usage it caused. */
export async function metered<T>(stack: BenchStack, work: () => Promise<T>): Promise<{ result: T; usage: Usage }> {
  const before = usageNow(stack);
  const result = await work();
  return { result, usage: usageSince(before, usageNow(stack)) };
}

export const sumValues = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
