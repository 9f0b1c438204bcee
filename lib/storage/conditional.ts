/** Conditional writes, whose failed condition is an answer rather than an error. */
import { ConditionalCheckFailedException, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** The write's output, or undefined when its condition failed; any other error is thrown. */
export async function unlessConditionFailed<T extends object>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException) return undefined;
    throw err;
  }
}

/** Whether a conditional write was made: false when its condition failed; any other error is thrown. */
export async function conditionHeld(write: Promise<object>): Promise<boolean> {
  return (await unlessConditionFailed(write)) !== undefined;
}

export interface ConditionalUpdate {
  readonly table: string;
  readonly key: Record<string, AttributeValue>;
  readonly update: string;
  readonly condition: string;
  readonly values: Record<string, AttributeValue>;
  readonly names?: Record<string, string>;
}

/** One UpdateItem under a condition: false when the condition failed. */
export function updateIf(dynamodb: DynamoDBClient, u: ConditionalUpdate): Promise<boolean> {
  return conditionHeld(
    dynamodb.send(
      new UpdateItemCommand({
        TableName: u.table,
        Key: u.key,
        UpdateExpression: u.update,
        ConditionExpression: u.condition,
        ...(Object.keys(u.values).length > 0 ? { ExpressionAttributeValues: u.values } : {}),
        ...(u.names ? { ExpressionAttributeNames: u.names } : {}),
      }),
    ),
  );
}
