/**
 * A fetch answer fits Lambda's 6 MB response limit (6,291,456 bytes for the invocation
 * result, whose body is the answer's JSON escaped once more as a string): the records
 * are cut where the next would not fit, nextOffset says where the cut is, and reading
 * on from it gets every record exactly once.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fetchAnswerLimits, fetchLimits } from '../../lib/api/records.ts';
import type { ApiResponse } from '../../lib/api/types.ts';
import { MAX_MESSAGE_BYTES_LIMIT } from '../../lib/core/topic-config.ts';
import { call, randomName, useStack } from '../support/stack.ts';

const stack = useStack();
const topic = randomName('fetch-cap');
const LAMBDA_LIMIT = 6_291_456;

/** What Lambda counts: the invocation result as the runtime serializes it. */
const invocationBytes = (response: ApiResponse) =>
  Buffer.byteLength(JSON.stringify({ statusCode: response.status, headers: response.headers, body: response.body }));

async function produce(partition: number, value: Buffer): Promise<void> {
  const res = await call(stack.api, 'POST', `/v1/topics/${topic}/records`, {
    body: { encoding: 'base64', records: [{ value: value.toString('base64'), partition }] },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

/** One raw fetch answer, as the transport would send it. */
async function fetchRaw(partition: number, offset: number, encoding: 'utf8' | 'base64'): Promise<ApiResponse> {
  return stack.api({
    method: 'GET',
    path: `/v1/topics/${topic}/partitions/${partition}/records`,
    query: { offset: String(offset), maxBytes: String(fetchLimits.maxBytes), maxRecords: '10000', encoding },
    headers: {},
    requestId: 'fetch-cap',
  });
}

interface Answer {
  records: Array<{ offset: number; value: string }>;
  nextOffset: number;
  highWatermark: number;
}

/** Reads the partition from 0 by nextOffset, checking every answer's size; the answers' record counts. */
async function readAll(partition: number, encoding: 'utf8' | 'base64'): Promise<{ values: Map<number, string>; counts: number[] }> {
  const values = new Map<number, string>();
  const counts: number[] = [];
  let offset = 0;
  for (;;) {
    const response = await fetchRaw(partition, offset, encoding);
    expect(response.status, response.body.slice(0, 300)).toBe(200);
    expect(Buffer.byteLength(response.body)).toBeLessThan(LAMBDA_LIMIT);
    expect(invocationBytes(response)).toBeLessThan(LAMBDA_LIMIT);
    const answer = JSON.parse(response.body) as Answer;
    counts.push(answer.records.length);
    for (const record of answer.records) {
      expect(values.has(record.offset), `offset ${record.offset} answered twice`).toBe(false);
      values.set(record.offset, record.value);
    }
    expect(answer.nextOffset).toBe(answer.records.length > 0 ? answer.records.at(-1)!.offset + 1 : offset);
    offset = answer.nextOffset;
    if (offset >= answer.highWatermark) return { values, counts };
  }
}

describe('a fetch answer fits a Lambda response', () => {
  it('creates a topic that takes records up to the largest maxMessageBytes', async () => {
    const res = await call(stack.api, 'POST', '/v1/topics', { body: { name: topic, partitions: 3, config: { maxMessageBytes: MAX_MESSAGE_BYTES_LIMIT } } });
    expect(res.status).toBe(201);
  });

  it('base64: records near maxBytes are cut to fit, and nextOffset reads on to every record once', async () => {
    const values = Array.from({ length: 5 }, () => randomBytes(1_900_000));
    for (const value of values) await produce(0, value);
    // Storage hands over whole batches past maxBytes: three of them, 7.6 MB in base64.
    const first = JSON.parse((await fetchRaw(0, 0, 'base64')).body) as Answer;
    expect(first.records.map((r) => r.offset)).toEqual([0, 1]);
    expect(first.nextOffset).toBe(2);
    const { values: read, counts } = await readAll(0, 'base64');
    expect(counts).toEqual([2, 2, 1]);
    expect([...read.keys()]).toEqual([0, 1, 2, 3, 4]);
    values.forEach((value, offset) => expect(Buffer.from(read.get(offset)!, 'base64').equals(value)).toBe(true));
  });

  it('utf8: bytes that JSON escapes (6 bytes each, 7 once Lambda escapes the body) are counted as they will be sent', async () => {
    // 460,000 control bytes and 10,000 quotes: 2.78 MB in the body, 3.26 MB in the
    // invocation result. Two of them fit a 6 MB body (5.56 MB) but not the invocation
    // result (6.52 MB).
    const values = Array.from({ length: 4 }, (_, i) => Buffer.concat([Buffer.alloc(460_000, 1), Buffer.alloc(10_000, 0x22), Buffer.from(`#${i}`)]));
    for (const value of values) await produce(1, value);
    const { values: read, counts } = await readAll(1, 'utf8');
    expect(counts).toEqual([1, 1, 1, 1]);
    values.forEach((value, offset) => expect(read.get(offset)).toBe(value.toString('utf8')));
    // In base64 the same records take a third more than their bytes: more of them fit.
    expect((await readAll(1, 'base64')).counts).toEqual([4]);
  });

  it('a single record whose answer cannot fit is a 413 naming its offset, with the way to read it', async () => {
    // 1.1 MB of control bytes: 6.6 MB as utf8 JSON, 1.5 MB in base64.
    await produce(2, Buffer.alloc(1_100_000, 1));
    const utf8 = await fetchRaw(2, 0, 'utf8');
    expect(utf8.status).toBe(413);
    const { error } = JSON.parse(utf8.body) as { error: Record<string, unknown> };
    expect(error).toMatchObject({ code: 'RECORD_TOO_LARGE', offset: 0, maxAnswerBytes: fetchAnswerLimits.maxAnswerBytes });
    expect(error.message).toMatch(/fetch it with encoding=base64$/);
    const base64 = await fetchRaw(2, 0, 'base64');
    expect(base64.status).toBe(200);
    expect((JSON.parse(base64.body) as Answer).records).toHaveLength(1);

    // The largest record a 6 MiB produce body carries in base64 is larger in a fetch
    // answer than Lambda allows, whatever the encoding: refused, and the next one is
    // read from offset + 1.
    await produce(2, randomBytes(4_680_000));
    await produce(2, Buffer.from('after'));
    const huge = await fetchRaw(2, 1, 'base64');
    expect(huge.status).toBe(413);
    expect(JSON.parse(huge.body).error.message).toMatch(/cannot be fetched over the HTTP API/);
    const after = JSON.parse((await fetchRaw(2, 2, 'utf8')).body) as Answer;
    expect(after.records.map((r) => r.value)).toEqual(['after']);
  });
});
