/**
 * The idempotence scenario's report: per request, the write units, read units and S3
 * requests of the same records produced plainly and idempotently, the difference, and
 * what it comes to per partition batch.
 */
import { defaultLogOptions } from '../../lib/storage/log.ts';
import { perUnit } from './cost-report.ts';
import { fixed, int, num, round, table } from './format.ts';
import { shapeLabel, type IdempotenceResult, type ShapeResult } from './idempotence.ts';
import { sumValues as sum, type Usage } from './usage.ts';

interface Counts {
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly s3Requests: number;
}

const perRequest = (u: Usage, requests: number): Counts => ({
  writeUnits: u.writeUnits / requests,
  readUnits: u.readUnits / requests,
  s3Requests: sum(u.s3Requests) / requests,
});

interface ShapeFigures {
  readonly plain: Counts;
  readonly idempotent: Counts;
  readonly difference: Counts;
  /** Idempotent over plain, less one; undefined where plain used none. */
  readonly relative: { readonly [K in keyof Counts]: number | undefined };
  readonly writeUnitsAddedPerBatch: number;
  readonly readUnitsAddedPerRequest: number;
}

function shapeFigures(s: ShapeResult): ShapeFigures {
  const plain = perRequest(s.plain, s.requests);
  const idempotent = perRequest(s.idempotent, s.requests);
  const minus = (k: keyof Counts) => idempotent[k] - plain[k];
  const ratio = (k: keyof Counts) => (plain[k] > 0 ? idempotent[k] / plain[k] - 1 : undefined);
  return {
    plain,
    idempotent,
    difference: { writeUnits: minus('writeUnits'), readUnits: minus('readUnits'), s3Requests: minus('s3Requests') },
    relative: { writeUnits: ratio('writeUnits'), readUnits: ratio('readUnits'), s3Requests: ratio('s3Requests') },
    writeUnitsAddedPerBatch: minus('writeUnits') / s.shape.partitions,
    readUnitsAddedPerRequest: minus('readUnits'),
  };
}

const staged = (s: ShapeResult) => s.encodedBatchBytes > defaultLogOptions.inlineBatchBytes;

function batchText(s: ShapeResult): string {
  const where = staged(s) ? 'staged in S3 behind a pointer item' : 'inline';
  const batches = s.shape.partitions === 1 ? `a ${int(s.encodedBatchBytes)}-byte batch` : `${s.shape.partitions} batches of ${int(s.encodedBatchBytes)} bytes`;
  return `${shapeLabel(s.shape)} (${batches}, ${where})`;
}

/** The one-line answer: what idempotence adds, and whether every shape agrees. */
function addedText(figures: readonly ShapeFigures[]): string {
  const spans = [
    [figures.map((f) => f.writeUnitsAddedPerBatch), 'write units per partition batch'],
    [figures.map((f) => f.readUnitsAddedPerRequest), 'read units per request'],
    [figures.map((f) => f.difference.s3Requests), 'S3 requests per request'],
  ] as const;
  const bounds = spans.map(([values, what]) => ({ lo: signed(Math.min(...values)), hi: signed(Math.max(...values)), what }));
  const agree = bounds.every((b) => b.lo === b.hi);
  const parts = bounds.map((b) => `${b.lo === b.hi ? b.lo : `${b.lo} to ${b.hi}`} ${b.what}`);
  return `  What idempotence adds, ${agree ? 'the same for every shape' : 'from the least to the most of any shape'}: ${parts.join(', ')}.`;
}

function signed(n: number): string {
  return `${n < 0 ? '-' : '+'}${num(Math.abs(n))}`;
}

const notes = [
  "An idempotent batch claims its (producer, partition) head item before the append and completes it after: two " +
    'UpdateItems of an item under 1 KB. Each request also reads the producer item once (a strongly consistent GetItem) ' +
    'to check its epoch, however many partitions it writes.',
  'Units and requests are counted by the server-side storage (UsageMeter and per-command counters) around each request; ' +
    'DynamoDB Local reports ConsumedCapacity with the formula AWS bills (1 write unit per started KB of the larger of ' +
    'the item before and after, 1 read unit per started 4 KB read strongly consistent).',
  'A refused conditional write (the resent duplicate\'s claim) costs write units on AWS that the meter does not see: ' +
    'the SDK reports it as an error, without ConsumedCapacity.',
];

export function idempotenceText(result: IdempotenceResult): string[] {
  const all = result.shapes.map((s) => ({ s, f: shapeFigures(s) }));
  const cells = (c: Counts) => [num(c.writeUnits), num(c.readUnits), num(c.s3Requests)];
  // A percentage only for write units: plain requests read next to nothing, so one read more is no ratio worth printing.
  const diff = (f: ShapeFigures) => {
    const r = f.relative.writeUnits;
    const percent = r !== undefined && f.difference.writeUnits !== 0 ? ` (${r < 0 ? '' : '+'}${fixed(r * 100, 0)}%)` : '';
    return [`${signed(f.difference.writeUnits)}${percent}`, signed(f.difference.readUnits), signed(f.difference.s3Requests)];
  };
  const lines = [
    '',
    'Sluice idempotence cost: the same records produced plainly and by an idempotent producer (producerId, epoch, sequences)',
    `  over HTTP, one request at a time, to a fresh topic per shape and mode, taking turns: ${int(result.requests)} measured requests each,`,
    "  after one warm-up request (a partition's first append and a producer's first batch to it cost more, once)",
    '',
    ...table(
      ['per request', 'write units', 'read units', 'S3 requests'],
      all.flatMap(({ s, f }) => [
        [batchText(s), '', '', ''],
        ['  plain', ...cells(f.plain)],
        ['  idempotent', ...cells(f.idempotent)],
        ['  idempotent - plain', ...diff(f)],
      ]),
    ).map((l) => `  ${l}`),
    '',
    '  DynamoDB calls and S3 requests per request:',
    ...all.map(
      ({ s }) =>
        `    ${shapeLabel(s.shape)}: plain ${perUnit(s.plain, s.requests)}; idempotent ${perUnit(s.idempotent, s.requests)}; ` +
        `the resent duplicate ${perUnit(s.resend, 1)}`,
    ),
    '',
    addedText(all.map(({ f }) => f)),
    "  Resend check: each shape's last idempotent request, sent again, answered its original offsets and moved no high watermark.",
    '',
    ...notes.map((n) => `Note: ${n}`),
    '',
  ];
  return lines;
}

function countsJson(c: Counts) {
  return { writeUnits: round(c.writeUnits, 2), readUnits: round(c.readUnits, 2), s3Requests: round(c.s3Requests, 2) };
}

function callsJson(u: Usage, requests: number) {
  const per = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / requests, 2)]));
  return { dynamodbCalls: per(u.dynamodbCalls), dynamodbUnits: per(u.dynamodbUnits), s3RequestsByCommand: per(u.s3Requests) };
}

export function idempotenceJson(result: IdempotenceResult) {
  const all = result.shapes.map((s) => ({ s, f: shapeFigures(s) }));
  const span = (values: number[]) => ({ min: round(Math.min(...values), 2), max: round(Math.max(...values), 2) });
  return {
    requestsPerShapeAndMode: result.requests,
    warmupRequests: 1,
    shapes: all.map(({ s, f }) => ({
      label: shapeLabel(s.shape),
      partitions: s.shape.partitions,
      recordsPerPartition: s.shape.recordsPerPartition,
      valueBytesPerRecord: s.shape.valueBytes,
      encodedBatchBytes: s.encodedBatchBytes,
      staged: staged(s),
      perRequest: {
        plain: { ...countsJson(f.plain), ...callsJson(s.plain, s.requests) },
        idempotent: { ...countsJson(f.idempotent), ...callsJson(s.idempotent, s.requests) },
        difference: countsJson(f.difference),
        relativeIncrease: Object.fromEntries(Object.entries(f.relative).map(([k, v]) => [k, v === undefined ? null : round(v, 4)])),
      },
      writeUnitsAddedPerBatch: round(f.writeUnitsAddedPerBatch, 2),
      readUnitsAddedPerRequest: round(f.readUnitsAddedPerRequest, 2),
      // The bench fails before reporting unless the resend answered the same offsets and moved nothing.
      resend: { sameOffsets: true, highWatermarkMoved: false, ...countsJson(perRequest(s.resend, 1)), ...callsJson(s.resend, 1) },
    })),
    summary: {
      writeUnitsAddedPerBatch: span(all.map(({ f }) => f.writeUnitsAddedPerBatch)),
      readUnitsAddedPerRequest: span(all.map(({ f }) => f.readUnitsAddedPerRequest)),
      s3RequestsAddedPerRequest: span(all.map(({ f }) => f.difference.s3Requests)),
    },
    notes,
  };
}
