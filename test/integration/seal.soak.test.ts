/** Soak: a 64 MiB segment, and a fetch from its middle that reads little of it (npm run test:soak). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from '../../lib/storage/index.ts';
import { partitionKey } from '../../lib/storage/tail.ts';
import { recordsFrom, runLater, valueOf } from '../support/seal-records.ts';
import { randomName, sameTables, testStorage } from '../support/stack.ts';

describe('sealing a large segment', () => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await testStorage();
  });
  afterAll(() => storage.destroy());

  it('a fetch of one record in the middle of a 64 MiB segment reads less than 1 MiB from S3', async () => {
    const topic = await storage.topics.create(randomName(), 1, { segmentBytes: 64 * 1024 * 1024 });
    const perBatch = 100;
    const size = 1024;
    let next = 0;
    while (next * size < 64 * 1024 * 1024) {
      await storage.log.append(topic.topicId, 0, recordsFrom(next, perBatch, size));
      next += perBatch;
    }
    const report = await runLater(storage, topic.name);
    expect(report.partitions[0]!.seal!.bytes).toBeGreaterThan(64 * 1024 * 1024);
    const [segment] = await storage.segments.list(partitionKey(topic.topicId, 0));
    // The segment rolled at segmentBytes; the rest went to a second one.
    expect(segment!.bytes).toBeGreaterThanOrEqual(64 * 1024 * 1024);
    expect(segment!.bytes).toBeLessThan(64 * 1024 * 1024 + 200 * 1024);

    const reader = sameTables(storage.config);
    const middle = Math.floor(segment!.endOffset / 2) + 37;
    const res = await reader.log.read(topic.topicId, 0, middle, { maxRecords: 1, maxBytes: 1 << 20 });
    expect(res.records.map((r) => r.value!.toString())).toEqual([valueOf(middle, size).toString()]);
    console.log(`one record from the middle of a ${(segment!.bytes / 2 ** 20).toFixed(1)} MiB segment: ${reader.usage.s3BytesRead} bytes read from S3`);
    expect(reader.usage.s3BytesRead).toBeGreaterThan(0);
    expect(reader.usage.s3BytesRead).toBeLessThan(1024 * 1024);
    reader.destroy();
  }, 240_000);
});
