/** Record routes: produce, fetch, and offsets by time. */
import type { RecordHeader, RecordInput, StoredRecord } from '../core/codec/record-batch.ts';
import { recordSize } from '../core/codec/record-batch.ts';
import { RecordTooLargeError } from '../core/errors.ts';
import { partitionForKey } from '../core/partitioner.ts';
import { maxProducerEpoch, maxSequence } from '../core/sequence.ts';
import type { Storage } from '../storage/index.ts';
import type { TopicMeta } from '../storage/topics.ts';
import { jsonResponse } from './respond.ts';
import type { RouteContext } from './router.ts';
import type { ApiResponse } from './types.ts';
import {
  decodeText,
  encodeText,
  encoding,
  integer,
  invalid,
  jsonBody,
  object,
  partitionParam,
  queryInteger,
  refuseUnknownQuery,
  type Encoding,
} from './validate.ts';

export const produceLimits = {
  maxRecordsPerRequest: 10_000,
  maxHeadersPerRecord: 64,
  maxHeaderKeyBytes: 256,
  /** Year 275760: the largest date JavaScript represents. */
  maxTimestamp: 8.64e15,
} as const;

export const fetchLimits = { maxRecords: 10_000, defaultMaxRecords: 500, maxBytes: 4 * 1024 * 1024, defaultMaxBytes: 1024 * 1024 } as const;

interface ParsedRecord {
  readonly input: RecordInput;
  readonly partition: number | undefined;
}

export async function produce({ storage, request, params, config, keylessPartition }: RouteContext): Promise<ApiResponse> {
  const body = jsonBody(request, ['records', 'encoding', 'producerId', 'producerEpoch', 'sequences'], config.maxRequestBytes);
  const enc = encoding(body.encoding);
  const idempotent = producerFields(body);
  const rawRecords = body.records;
  if (!Array.isArray(rawRecords) || rawRecords.length === 0 || rawRecords.length > produceLimits.maxRecordsPerRequest) {
    throw invalid('records', `must be an array of 1 to ${produceLimits.maxRecordsPerRequest} records`);
  }
  const now = Date.now();
  const parsed = rawRecords.map((raw, i) => parseRecord(raw, `records[${i}]`, enc, now));
  const explicitMax = Math.max(-1, ...parsed.map((r) => r.partition ?? -1));
  let topic = await storage.topics.get(params.topic!);
  // A partition beyond this container's copy may have been added since: look again first.
  if (explicitMax >= topic.partitions) topic = await storage.topics.get(topic.name, { fresh: true });

  const byPartition = new Map<number, { records: RecordInput[]; indexes: number[] }>();
  const sticky = parsed.some((r) => r.partition === undefined && r.input.key === null)
    ? keylessPartition(topic.partitions)
    : 0;
  parsed.forEach((record, index) => {
    const field = `records[${index}]`;
    if (record.partition !== undefined) integer(record.partition, `${field}.partition`, 0, topic.partitions - 1);
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
  let baseOffsets: number[];
  if (idempotent) {
    const named = Object.keys(idempotent.sequences).length;
    if (named !== groups.length || groups.some(([partition]) => idempotent.sequences[partition] === undefined)) {
      throw invalid('sequences', `must give a first sequence for exactly the partitions written (${groups.map(([p]) => p).join(', ')})`);
    }
    baseOffsets = await storage.idempotent.append(
      topic.topicId,
      idempotent,
      groups.map(([partition, group]) => ({ partition, firstSeq: idempotent.sequences[partition]!, records: group.records })),
    );
  } else {
    baseOffsets = await Promise.all(groups.map(async ([partition, group]) => (await storage.log.append(topic.topicId, partition, group.records)).baseOffset));
  }
  const offsets = new Array<{ partition: number; offset: number }>(parsed.length);
  groups.forEach(([partition, group], g) => group.indexes.forEach((index, j) => (offsets[index] = { partition, offset: baseOffsets[g]! + j })));
  return jsonResponse(200, { offsets });
}

interface ProducerFields {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly sequences: Readonly<Record<number, number>>;
}

/** producerId, producerEpoch and sequences come together (an idempotent request) or not at all. */
function producerFields(body: Record<string, unknown>): ProducerFields | undefined {
  const given = ['producerId', 'producerEpoch', 'sequences'].filter((name) => body[name] !== undefined);
  if (given.length === 0) return undefined;
  if (given.length < 3) throw invalid('producerId', 'producerId, producerEpoch and sequences go together');
  const producerId = integer(body.producerId, 'producerId', 0, Number.MAX_SAFE_INTEGER);
  const producerEpoch = integer(body.producerEpoch, 'producerEpoch', 0, maxProducerEpoch);
  const raw = object(body.sequences, 'sequences', Object.keys(body.sequences ?? {}));
  const sequences: Record<number, number> = {};
  for (const [partition, seq] of Object.entries(raw)) {
    if (!/^(0|[1-9]\d{0,5})$/.test(partition)) throw invalid('sequences', `keys are partition numbers, not ${JSON.stringify(partition.slice(0, 40))}`);
    sequences[Number(partition)] = integer(seq, `sequences.${partition}`, 0, maxSequence);
  }
  return { producerId, producerEpoch, sequences };
}

function parseRecord(raw: unknown, field: string, enc: Encoding, now: number): ParsedRecord {
  const record = object(raw, field, ['key', 'value', 'headers', 'partition', 'timestamp']);
  const key = nullableText(record.key, `${field}.key`, enc, true);
  if (record.value === undefined) throw invalid(`${field}.value`, 'is required (null for a tombstone)');
  const value = nullableText(record.value, `${field}.value`, enc, false);
  const headers: RecordHeader[] = [];
  if (record.headers !== undefined) {
    const entries = Object.entries(object(record.headers, `${field}.headers`, Object.keys(record.headers ?? {})));
    if (entries.length > produceLimits.maxHeadersPerRecord) {
      throw invalid(`${field}.headers`, `at most ${produceLimits.maxHeadersPerRecord} headers per record`);
    }
    for (const [name, headerValue] of entries) {
      if (name.length === 0 || Buffer.byteLength(name) > produceLimits.maxHeaderKeyBytes) {
        throw invalid(`${field}.headers`, `header names must be 1 to ${produceLimits.maxHeaderKeyBytes} bytes`);
      }
      if (typeof headerValue !== 'string') throw invalid(`${field}.headers.${name}`, 'must be a string');
      headers.push({ key: name, value: decodeText(headerValue, enc, `${field}.headers.${name}`) });
    }
  }
  const partition = record.partition === undefined ? undefined : integer(record.partition, `${field}.partition`, 0, Number.MAX_SAFE_INTEGER);
  const timestamp = record.timestamp === undefined ? now : integer(record.timestamp, `${field}.timestamp`, 0, produceLimits.maxTimestamp);
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

export async function fetchRecords({ storage, request, params, config }: RouteContext): Promise<ApiResponse> {
  refuseUnknownQuery(request, ['offset', 'maxRecords', 'maxBytes', 'waitMs', 'encoding']);
  const offset = queryInteger(request, 'offset', 0, Number.MAX_SAFE_INTEGER);
  const maxRecords = queryInteger(request, 'maxRecords', 1, fetchLimits.maxRecords, fetchLimits.defaultMaxRecords);
  const maxBytes = queryInteger(request, 'maxBytes', 1, fetchLimits.maxBytes, fetchLimits.defaultMaxBytes);
  // Longer waits are capped, as Kafka caps fetch.max.wait.ms, rather than refused.
  const waitMs = Math.min(queryInteger(request, 'waitMs', 0, Number.MAX_SAFE_INTEGER, 0), config.maxWaitMs);
  const enc = encoding(request.query.encoding);
  const { topic, partition } = await topicFor(storage, params.topic!, params.partition!);
  const result = await storage.log.read(topic.topicId, partition, offset, { maxRecords, maxBytes, waitMs, signal: request.signal });
  return jsonResponse(200, {
    records: result.records.map((r) => recordBody(r, enc)),
    nextOffset: result.nextOffset,
    highWatermark: result.highWatermark,
    logStartOffset: result.logStartOffset,
  });
}

function recordBody(record: StoredRecord, enc: Encoding) {
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: encodeText(record.key, enc),
    value: encodeText(record.value, enc),
    headers: Object.fromEntries(record.headers.map((h) => [h.key, encodeText(h.value, enc)])),
  };
}

export async function offsetForTime({ storage, request, params }: RouteContext): Promise<ApiResponse> {
  refuseUnknownQuery(request, ['at']);
  const at = request.query.at ?? 'latest';
  const { topic, partition } = await topicFor(storage, params.topic!, params.partition!);
  if (at === 'earliest' || at === 'latest') {
    const bounds = await storage.log.bounds(topic.topicId, partition);
    return jsonResponse(200, { offset: at === 'earliest' ? bounds.logStartOffset : bounds.highWatermark });
  }
  const timestamp = queryInteger(request, 'at', 0, produceLimits.maxTimestamp);
  const found = await storage.log.offsetForTimestamp(topic.topicId, partition, timestamp);
  // No record that recent: the log end, where a consumer would wait for the next one.
  if (!found) return jsonResponse(200, { offset: (await storage.log.bounds(topic.topicId, partition)).highWatermark });
  return jsonResponse(200, found);
}
