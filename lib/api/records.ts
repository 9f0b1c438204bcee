/** Record routes: produce, fetch, and offsets by time. */
import type { RecordHeader, RecordInput, StoredRecord } from '../core/codec/record-batch.ts';
import { recordSize } from '../core/codec/record-batch.ts';
import { RecordTooLargeError } from '../core/errors.ts';
import type { FetchedRecord, FetchRequest, FetchResponse, OffsetQuery, ProduceRecord, ProduceRequest } from '../core/http-contract.ts';
import { batchCompression, MAX_PARTITIONS } from '../core/topic-config.ts';
import { partitionForKey } from '../core/partitioner.ts';
import { maxProducerEpoch, maxSequence } from '../core/sequence.ts';
import type { Storage } from '../storage/index.ts';
import type { TopicMeta } from '../storage/topics.ts';
import { jsonResponse, jsonText } from './respond.ts';
import type { AnswerOf, RouteContext } from './types.ts';
import {
  checkQuery,
  compression,
  decodeText,
  encodeText,
  encoding,
  fields,
  integer,
  invalid,
  jsonBody,
  map,
  object,
  partitionParam,
  partitionRange,
  queryInteger,
  shown,
  type Encoding,
  type Unchecked,
} from './validate.ts';

export const produceLimits = {
  maxRecordsPerRequest: 10_000,
  maxHeadersPerRecord: 64,
  maxHeaderKeyBytes: 256,
  /** Year 275760: the largest date JavaScript represents. */
  maxTimestamp: 8.64e15,
} as const;

export const fetchLimits = { maxRecords: 10_000, defaultMaxRecords: 500, maxBytes: 4 * 1024 * 1024, defaultMaxBytes: 1024 * 1024 } as const;

const produceFields = fields<ProduceRequest>({ records: true, encoding: true, compression: true, producerId: true, producerEpoch: true, sequences: true });
const recordFields = fields<ProduceRecord>({ key: true, value: true, headers: true, partition: true, timestamp: true });

interface ParsedRecord {
  readonly input: RecordInput;
  /** undefined: the partitioner chooses; invalidPartition: not a partition number (refused with the topic's range once it is known). */
  readonly partition: number | undefined | typeof invalidPartition;
}

const invalidPartition = Symbol('invalidPartition');

export async function produce({ storage, request, params, config, keylessPartition }: RouteContext): Promise<AnswerOf<'produce'>> {
  const body = jsonBody(request, produceFields, config.maxRequestBytes);
  const enc = encoding(body.encoding);
  const requestedCompression = compression(body.compression);
  const rawRecords = body.records;
  if (!Array.isArray(rawRecords) || rawRecords.length === 0 || rawRecords.length > produceLimits.maxRecordsPerRequest) {
    throw invalid('records', `must be an array of 1 to ${produceLimits.maxRecordsPerRequest} records`);
  }
  // A request writes to at most one partition per record: sequences can name no more.
  const idempotent = producerFields(body, Math.min(rawRecords.length, MAX_PARTITIONS));
  const now = Date.now();
  const parsed = rawRecords.map((raw, i) => parseRecord(raw, `records[${i}]`, enc, now));
  let explicitMax = -1;
  for (const { partition } of parsed) if (typeof partition === 'number' && partition > explicitMax) explicitMax = partition;
  let topic = await storage.topics.get(params.topic!);
  // A partition beyond this container's copy may have been added since: look again first.
  if (explicitMax >= topic.partitions) topic = await storage.topics.get(topic.name, { fresh: true });

  const byPartition = new Map<number, { records: RecordInput[]; indexes: number[] }>();
  const sticky = parsed.some((r) => r.partition === undefined && r.input.key === null)
    ? keylessPartition(topic.partitions)
    : 0;
  parsed.forEach((record, index) => {
    const field = `records[${index}]`;
    if (record.partition === invalidPartition || (record.partition !== undefined && record.partition >= topic.partitions)) {
      throw invalid(`${field}.partition`, `must be ${partitionRange(topic.partitions)}`);
    }
    if (topic.config.cleanupPolicy === 'compact' && record.input.key === null) {
      throw invalid(`${field}.key`, "is required: the topic is compacted (cleanupPolicy 'compact') and keeps the latest record per key");
    }
    const size = recordSize(record.input);
    if (size > topic.config.maxMessageBytes) {
      throw new RecordTooLargeError(`${field} is ${size} bytes encoded; the topic's maxMessageBytes is ${topic.config.maxMessageBytes}`, {
        details: { field, size, maxMessageBytes: topic.config.maxMessageBytes },
      });
    }
    if (idempotent && record.partition === undefined && record.input.key === null) {
      // The producer numbers each partition's records, so it must know where they go.
      throw invalid(`${field}.partition`, 'is required for a keyless record of an idempotent request');
    }
    const partition = record.partition ?? (record.input.key ? partitionForKey(record.input.key, topic.partitions) : sticky);
    const group = byPartition.get(partition) ?? { records: [], indexes: [] };
    group.records.push(record.input);
    group.indexes.push(index);
    byPartition.set(partition, group);
  });

  const groups = [...byPartition];
  const append = { compression: batchCompression(topic.config.compressionType, requestedCompression) };
  let baseOffsets: number[];
  if (idempotent) {
    const { sequences } = idempotent;
    if (sequences.size !== groups.length || groups.some(([partition]) => !sequences.has(partition))) {
      throw invalid('sequences', `must give a first sequence for exactly the partitions written (${groups.map(([p]) => p).join(', ')})`);
    }
    baseOffsets = await storage.idempotent.append(
      topic.topicId,
      idempotent,
      groups.map(([partition, group]) => ({ partition, firstSeq: sequences.get(partition)!, records: group.records })),
      append,
    );
  } else {
    baseOffsets = await Promise.all(
      groups.map(async ([partition, group]) => (await storage.log.append(topic.topicId, partition, group.records, append)).baseOffset),
    );
  }
  const offsets = new Array<{ partition: number; offset: number }>(parsed.length);
  groups.forEach(([partition, group], g) => group.indexes.forEach((index, j) => (offsets[index] = { partition, offset: baseOffsets[g]! + j })));
  return jsonResponse(200, { offsets });
}

interface ProducerFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly sequences: ReadonlyMap<number, number>;
}

/**
 * producerId, producerEpoch and sequences come together (an idempotent request) or not
 * at all; sequences names at most `maxPartitions` partitions, counted before it is read.
 */
function producerFields(body: Unchecked<ProduceRequest>, maxPartitions: number): ProducerFields | undefined {
  const given = (['producerId', 'producerEpoch', 'sequences'] as const).filter((name) => body[name] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length < 3) throw invalid('producerId', 'producerId, producerEpoch and sequences go together');
  const producerId = integer(body.producerId, 'producerId', 0, Number.MAX_SAFE_INTEGER, ' (the id POST /v1/producers answered)');
  const producerEpoch = integer(body.producerEpoch, 'producerEpoch', 0, maxProducerEpoch);
  const entries = map(body.sequences, 'sequences', maxPartitions, `partitions (one per partition written, and no more than the ${maxPartitions} the request's records can reach)`);
  const sequences = new Map<number, number>();
  for (const [partition, seq] of entries) {
    if (!/^(0|[1-9]\d{0,8})$/.test(partition) || Number(partition) >= MAX_PARTITIONS) {
      throw invalid('sequences', `keys are partition numbers from 0 to ${MAX_PARTITIONS - 1}, not ${shown(partition)}`);
    }
    sequences.set(Number(partition), integer(seq, `sequences.${partition}`, 0, maxSequence));
  }
  return { producerId, producerEpoch, sequences };
}

function parseRecord(raw: unknown, field: string, enc: Encoding, now: number): ParsedRecord {
  const record = object(raw, field, recordFields);
  const key = nullableText(record.key, `${field}.key`, enc, true);
  if (record.value === undefined) throw invalid(`${field}.value`, 'is required (null for a tombstone)');
  const value = nullableText(record.value, `${field}.value`, enc, false);
  const headers: RecordHeader[] = [];
  if (record.headers !== undefined) {
    for (const [name, headerValue] of map(record.headers, `${field}.headers`, produceLimits.maxHeadersPerRecord, 'headers per record')) {
      if (name.length === 0 || name.length > produceLimits.maxHeaderKeyBytes || Buffer.byteLength(name) > produceLimits.maxHeaderKeyBytes) {
        throw invalid(`${field}.headers`, `header names must be 1 to ${produceLimits.maxHeaderKeyBytes} bytes`);
      }
      if (typeof headerValue !== 'string') throw invalid(`${field}.headers.${name}`, 'must be a string');
      headers.push({ key: name, value: decodeText(headerValue, enc, `${field}.headers.${name}`) });
    }
  }
  const partition =
    record.partition === undefined ? undefined : Number.isSafeInteger(record.partition) && (record.partition as number) >= 0 ? (record.partition as number) : invalidPartition;
  const timestamp =
    record.timestamp === undefined ? now : integer(record.timestamp, `${field}.timestamp`, 0, produceLimits.maxTimestamp, ' (milliseconds since 1970)');
  return { input: { key, value, headers, timestamp }, partition };
}

function nullableText(value: unknown, field: string, enc: Encoding, optional: boolean): Buffer | null {
  if (value === null || (optional && value === undefined)) return null;
  if (typeof value !== 'string') throw invalid(field, 'must be a string or null');
  return decodeText(value, enc, field);
}

/** The topic, looked up again when a partition beyond this container's copy is asked for. */
async function topicFor(storage: Storage, name: string, rawPartition: string): Promise<{ topic: TopicMeta; partition: number }> {
  let topic = await storage.topics.get(name);
  if (/^\d+$/.test(rawPartition) && Number(rawPartition) >= topic.partitions) topic = await storage.topics.get(name, { fresh: true });
  return { topic, partition: partitionParam(rawPartition, topic.partitions) };
}

/**
 * A fetch answer must fit Lambda's limit on a response payload: 6,291,456 bytes for the
 * whole invocation result, which is the JSON of {statusCode, headers, body} with the
 * body's JSON text escaped once more as a string. The records are cut to leave 64 KiB
 * for that envelope, the headers and the fields after the records.
 */
export const fetchAnswerLimits = { lambdaResponseBytes: 6 * 1024 * 1024, maxAnswerBytes: 6 * 1024 * 1024 - 64 * 1024 } as const;

const fetchQuery = fields<FetchRequest>({ offset: true, maxRecords: true, maxBytes: true, waitMs: true, encoding: true });
const offsetQuery = fields<OffsetQuery>({ at: true });

export async function fetchRecords({ storage, request, params, config }: RouteContext): Promise<AnswerOf<'fetchRecords'>> {
  checkQuery(request, fetchQuery);
  const offset = queryInteger(request, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const maxRecords = queryInteger(request, 'maxRecords', 1, fetchLimits.maxRecords, fetchLimits.defaultMaxRecords);
  const maxBytes = queryInteger(request, 'maxBytes', 1, fetchLimits.maxBytes, fetchLimits.defaultMaxBytes);
  // Longer waits are capped, as Kafka caps fetch.max.wait.ms, rather than refused.
  const waitMs = Math.min(queryInteger(request, 'waitMs', 0, Number.MAX_SAFE_INTEGER, 0), config.maxWaitMs);
  const enc = encoding(request.query.encoding);
  const { topic, partition } = await topicFor(storage, params.topic!, params.partition!);
  const result = await storage.log.read(topic.topicId, partition, offset, { maxRecords, maxBytes, waitMs, signal: request.signal });

  // Storage returns whole batches, past maxBytes, and base64 or JSON escapes (up to 6
  // bytes for one byte, and 7 in the envelope) grow them: take records while they fit.
  const texts: string[] = [];
  let size = 0;
  let nextOffset = result.nextOffset;
  for (const record of result.records) {
    const text = JSON.stringify(recordBody(record, enc));
    const cost = envelopeBytes(text) + 1;
    if (size + cost > fetchAnswerLimits.maxAnswerBytes) {
      if (texts.length === 0) throw unfetchable(record, enc, cost);
      nextOffset = record.offset;
      break;
    }
    texts.push(text);
    size += cost;
  }
  // The text is a FetchResponse built from its typed parts: records, then the rest.
  const tail: Omit<FetchResponse, 'records'> = { nextOffset, highWatermark: result.highWatermark, logStartOffset: result.logStartOffset };
  return jsonText(200, `{"records":[${texts.join(',')}],${JSON.stringify(tail).slice(1)}`);
}

/**
 * What `text` (JSON) takes in Lambda's response payload: its UTF-8 bytes, plus one for
 * each `"` and `\` that escaping it as a string adds. (JSON.stringify leaves no control
 * character in its output, so nothing else is escaped again.)
 */
function envelopeBytes(text: string): number {
  let escapes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) escapes++;
  }
  return Buffer.byteLength(text) + escapes;
}

/**
 * A first record that no answer can carry. A topic's maxMessageBytes may reach 5 MiB
 * (MAX_MESSAGE_BYTES_LIMIT), whose base64 is 6.7 MB, and a record of control bytes read
 * as utf8 takes 6 bytes a byte: answering it anyway would make Lambda fail the call with
 * a bare 502, and skipping it would lose it silently. So the answer is a 413 that names
 * the offset and, when base64 would fit, says to fetch with it; a consumer that must go
 * on can fetch from offset + 1.
 */
function unfetchable(record: StoredRecord, enc: Encoding, cost: number): RecordTooLargeError {
  const limit = fetchAnswerLimits.maxAnswerBytes;
  const base64Fits = enc === 'utf8' && envelopeBytes(JSON.stringify(recordBody(record, 'base64'))) + 1 <= limit;
  const advice = base64Fits ? '; fetch it with encoding=base64' : ': it cannot be fetched over the HTTP API (lower the topic\'s maxMessageBytes so no more are accepted)';
  return new RecordTooLargeError(
    `the record at offset ${record.offset} takes ${cost} bytes in a fetch answer with encoding=${enc}, more than the ${limit} an answer may carry (Lambda's response limit)${advice}`,
    { details: { offset: record.offset, size: cost, maxAnswerBytes: limit } },
  );
}

function recordBody(record: StoredRecord, enc: Encoding): FetchedRecord {
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: encodeText(record.key, enc),
    value: encodeText(record.value, enc),
    // The contract's header values are strings: the HTTP produce stores no null one. (Kafka
    // allows a null header value; a producer that could store one needs `string | null` there.)
    headers: Object.fromEntries(record.headers.map((h) => [h.key, encodeText(h.value, enc) as string])),
  };
}

export async function offsetForTime({ storage, request, params }: RouteContext): Promise<AnswerOf<'offsetForTime'>> {
  checkQuery(request, offsetQuery);
  const at = request.query.at ?? 'latest';
  const { topic, partition } = await topicFor(storage, params.topic!, params.partition!);
  if (at === 'earliest' || at === 'latest') {
    const bounds = await storage.log.bounds(topic.topicId, partition);
    return jsonResponse(200, { offset: at === 'earliest' ? bounds.logStartOffset : bounds.highWatermark });
  }
  if (!/^\d{1,16}$/.test(at)) throw invalid('at', `must be "earliest", "latest" or a timestamp in ms from 0 to ${produceLimits.maxTimestamp}, got ${shown(at)}`);
  const timestamp = integer(Number(at), 'at', 0, produceLimits.maxTimestamp, ' (a timestamp in ms)');
  const found = await storage.log.offsetForTimestamp(topic.topicId, partition, timestamp);
  // No record that recent: the log end, where a consumer would wait for the next one.
  if (!found) return jsonResponse(200, { offset: (await storage.log.bounds(topic.topicId, partition)).highWatermark });
  return jsonResponse(200, found);
}
