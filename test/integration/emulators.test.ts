import { spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  EmulatorError,
  JavaNotFoundError,
  freePort,
  startDynamoDbLocal,
  startS3Emulator,
  watchdogName,
} from '../../lib/local/emulators.ts';
import { isRunning } from '../support/processes.ts';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const region = 'us-east-1';

function dynamodb(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region, credentials });
}

function s3(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region,
    credentials,
    forcePathStyle: true,
    // s3rver stores an aws-chunked (checksummed) body with its framing: corrupt.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    }),
  );
}

/** Whether the watchdog shell of the JVM `pid` is running. */
function hasWatchdog(pid: number): boolean {
  const ps = spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).stdout;
  return ps.split('\n').some((line) => line.trimEnd().endsWith(`${watchdogName} ${pid}`));
}

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('DynamoDB Local from the global setup', () => {
  const client = dynamodb(inject('dynamodbEndpoint'));

  it('answers ListTables and CreateTable', async () => {
    const name = uniqueName('emulator-test');
    await createTable(client, name);
    const { TableNames } = await client.send(new ListTablesCommand({}));
    expect(TableNames).toContain(name);
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.TableStatus).toBe('ACTIVE');
  });

  it('honours a conditional put and returns the winning item on conflict', async () => {
    const name = uniqueName('emulator-test');
    await createTable(client, name);
    const put = (writer: string) =>
      client.send(
        new PutItemCommand({
          TableName: name,
          Item: { pk: { S: 'topic#0' }, sk: { N: '0' }, writer: { S: writer } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    await put('first');
    const error = await put('second').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item?.writer).toEqual({ S: 'first' });
  });
});

describe('S3 emulator from the global setup', () => {
  const client = s3(inject('s3Endpoint'));

  it('stores and returns objects byte for byte, and serves ranges', async () => {
    const bucket = uniqueName('emulator-test');
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    const bytes = randomBytes(300_000);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'segments/0.log', Body: bytes }));

    const whole = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'segments/0.log' }));
    expect(Buffer.compare(Buffer.from(await whole.Body!.transformToByteArray()), bytes)).toBe(0);

    const range = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'segments/0.log', Range: 'bytes=1000-1999' }));
    expect(range.ContentRange).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(Buffer.compare(Buffer.from(await range.Body!.transformToByteArray()), bytes.subarray(1000, 2000))).toBe(0);
  });
});

describe('startDynamoDbLocal', () => {
  it('keeps tables in its dataDir across a stop and a restart, and leaves no java behind', async () => {
    const dataDir = await tempDir('sluice-ddb-');
    const name = uniqueName('persisted');

    const first = await startDynamoDbLocal({ dataDir });
    cleanups.push(() => first.stop());
    const client = dynamodb(first.endpoint);
    await createTable(client, name);
    await client.send(new PutItemCommand({ TableName: name, Item: { pk: { S: 'a' }, sk: { N: '1' }, v: { S: 'kept' } } }));
    client.destroy();
    expect(isRunning(first.pid)).toBe(true);
    expect(hasWatchdog(first.pid)).toBe(true);
    await first.stop();
    expect(isRunning(first.pid)).toBe(false);
    // Its watchdog is killed with it, never left to fire at a reused PID.
    await until('the watchdog to end', 5_000, () => !hasWatchdog(first.pid));
    await first.stop(); // twice is fine

    const second = await startDynamoDbLocal({ dataDir });
    cleanups.push(() => second.stop());
    const again = dynamodb(second.endpoint);
    // Other credentials and region see the same database (-sharedDb).
    const other = new DynamoDBClient({
      endpoint: second.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'other', secretAccessKey: 'other' },
    });
    for (const c of [again, other]) {
      const { Item } = await c.send(new GetItemCommand({ TableName: name, Key: { pk: { S: 'a' }, sk: { N: '1' } } }));
      expect(Item?.v).toEqual({ S: 'kept' });
      c.destroy();
    }
    await second.stop();
    expect(isRunning(second.pid)).toBe(false);
  });

  it('dies with the process that started it, even one killed with SIGKILL', async () => {
    const emulators = fileURLToPath(new URL('../../lib/local/emulators.ts', import.meta.url));
    const script =
      `import { startDynamoDbLocal } from ${JSON.stringify(emulators)};` +
      `const d = await startDynamoDbLocal();` +
      `process.stdout.write(JSON.stringify({ pid: d.pid }) + '\\n');` +
      `setInterval(() => {}, 60_000);`;
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let javaPid: number | undefined;
    cleanups.push(async () => {
      parent.kill('SIGKILL');
      if (javaPid !== undefined && isRunning(javaPid)) process.kill(javaPid, 'SIGKILL');
    });
    let output = '';
    parent.stdout.setEncoding('utf8').on('data', (s: string) => (output += s));
    await until('the child to start DynamoDB Local', 90_000, () => output.includes('\n') || parent.exitCode !== null);
    javaPid = (JSON.parse(output) as { pid: number }).pid;
    expect(isRunning(javaPid)).toBe(true);

    parent.kill('SIGKILL');
    await until('the orphaned JVM to be killed', 10_000, () => !isRunning(javaPid!));
    await until('its watchdog to end', 5_000, () => !hasWatchdog(javaPid!));
  }, 120_000);

  it('says how to install Java when there is none', async () => {
    const error = await startDynamoDbLocal({ java: '/nonexistent/bin/java' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JavaNotFoundError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('openjdk-17');
  });

  it('fails with a clear error when its port is taken', async () => {
    const port = Number(new URL(inject('dynamodbEndpoint')).port);
    const error = await startDynamoDbLocal({ port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorError);
    expect((error as Error).message).toContain(`port ${port}`);
  });
});

describe('startS3Emulator', () => {
  it('keeps objects in its dataDir across a restart', async () => {
    const dataDir = await tempDir('sluice-s3-');
    const first = await startS3Emulator({ dataDir });
    cleanups.push(() => first.stop());
    const bucket = uniqueName('persisted');
    const client = s3(first.endpoint);
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'value' }));
    client.destroy();
    await first.stop();

    const port = await freePort();
    const second = await startS3Emulator({ dataDir, port });
    cleanups.push(() => second.stop());
    expect(second.endpoint).toBe(`http://127.0.0.1:${port}`);
    const again = s3(second.endpoint);
    const object = await again.send(new GetObjectCommand({ Bucket: bucket, Key: 'k' }));
    expect(await object.Body!.transformToString()).toBe('value');
    again.destroy();
  });

  it('fails with a clear error when its port is taken', async () => {
    const port = Number(new URL(inject('s3Endpoint')).port);
    const error = await startS3Emulator({ dataDir: await tempDir('sluice-s3-'), port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorError);
    expect((error as Error).message).toContain(`port ${port}`);
  });
});
