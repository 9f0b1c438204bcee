/** The throughput scenario's result: a small text report, or JSON with the same figures. */
import { defaultLogOptions } from '../../lib/storage/log.ts';
import { counts, fixed, int, round, table } from './format.ts';
import type { BenchOptions } from './options.ts';
import { sumValues as sum, type Usage } from './usage.ts';

export type { Usage };

export interface PhaseResult {
  readonly records: number;
  /** Value bytes sent (produce) or received (consume): what MiB means here. */
  readonly valueBytes: number;
  readonly seconds: number;
  readonly httpRequests: number;
  readonly usage: Usage;
}

export interface BenchResult {
  readonly options: BenchOptions;
  readonly setupSeconds: number;
  /** Bytes of one full request's records encoded as one RecordBatch. */
  readonly encodedBatchBytes: number;
  readonly produce: PhaseResult;
  readonly consume: PhaseResult;
}

const MiB = 1024 * 1024;

function notes(result: BenchResult): string[] {
  const lines = [
    'MiB = record value bytes the producers sent (consume: received); keys, JSON and RecordBatch framing are not counted.',
    'Times were measured on DynamoDB Local and s3rver, sharing this machine with the client and the server: ' +
      'they are not AWS latencies or throughput.',
    'Capacity units are what AWS would bill for the same calls (on-demand request units): DynamoDB Local reports ' +
      'ConsumedCapacity with the same formula (a write costs 1 unit per started KB of the item, a strongly ' +
      'consistent read 1 unit per started 4 KB read).',
  ];
  const conflicts = result.produce.usage.appendConflicts + result.consume.usage.appendConflicts;
  if (conflicts > 0) {
    lines.push(`${conflicts} append(s) met another writer's item and were retried; the failed conditional puts also cost write units on AWS, which the meter does not see.`);
  }
  return lines;
}

function phaseJson(phase: PhaseResult) {
  const mib = phase.valueBytes / MiB;
  const dynamodbCalls = sum(phase.usage.dynamodbCalls);
  const s3Requests = sum(phase.usage.s3Requests);
  return {
    records: phase.records,
    valueBytes: phase.valueBytes,
    valueMiB: round(mib, 4),
    seconds: round(phase.seconds, 3),
    recordsPerSecond: round(phase.records / phase.seconds, 0),
    mibPerSecond: round(mib / phase.seconds, 3),
    httpRequests: phase.httpRequests,
    writeUnits: round(phase.usage.writeUnits, 1),
    readUnits: round(phase.usage.readUnits, 1),
    dynamodbCalls: phase.usage.dynamodbCalls,
    s3Requests: phase.usage.s3Requests,
    appendConflicts: phase.usage.appendConflicts,
    perMiB: {
      writeUnits: round(phase.usage.writeUnits / mib, 1),
      readUnits: round(phase.usage.readUnits / mib, 1),
      dynamodbCalls: round(dynamodbCalls / mib, 2),
      httpRequests: round(phase.httpRequests / mib, 2),
      s3Requests: round(s3Requests / mib, 2),
    },
  };
}

/** The throughput figures as JSON (the bench's top-level JSON fields, as before the cost scenarios). */
export function throughputJson(result: BenchResult) {
  const { options, produce, consume } = result;
  return {
    options,
    setupSeconds: round(result.setupSeconds, 2),
    encodedBatchBytes: result.encodedBatchBytes,
    produce: phaseJson(produce),
    consume: phaseJson(consume),
    notes: notes(result),
  };
}

export function throughputText(result: BenchResult): string[] {
  const { options, produce, consume } = result;

  const routing =
    options.routing === 'explicit' ? 'each naming one partition, rotating' : 'no partition named, the server routes';
  const lines: string[] = [
    '',
    `Sluice bench: ${int(options.records)} records of ${int(options.valueBytes)}-byte values ${options.keys ? `with ${16}-byte keys` : 'without keys'}, ` +
      `topic of ${options.partitions} partition(s)`,
    `  produce: ${int(options.batch)} records per request (${routing}), ${options.producers} concurrent producer(s); ` +
      `consume: one reader per partition, maxRecords ${int(options.fetchRecords)}`,
    '',
  ];

  const phases = [
    ['produce', produce],
    ['consume', consume],
  ] as const;
  lines.push(
    ...table(
      ['', 'records', 'seconds', 'records/s', 'MiB', 'MiB/s', 'HTTP requests'],
      phases.map(([name, p]) => [
        name,
        int(p.records),
        fixed(p.seconds, 1),
        int(p.records / p.seconds),
        fixed(p.valueBytes / MiB, 2),
        fixed(p.valueBytes / MiB / p.seconds, 2),
        int(p.httpRequests),
      ]),
    ),
    '',
    ...table(
      ['per MiB', 'write units', 'read units', 'DynamoDB calls', 'HTTP requests', 'S3 requests'],
      phases.map(([name, p]) => {
        const mib = p.valueBytes / MiB;
        return [
          name,
          fixed(p.usage.writeUnits / mib, 1),
          fixed(p.usage.readUnits / mib, 1),
          fixed(sum(p.usage.dynamodbCalls) / mib, 1),
          fixed(p.httpRequests / mib, 1),
          fixed(sum(p.usage.s3Requests) / mib, 1),
        ];
      }),
    ),
    '',
  );

  for (const [name, p] of phases) {
    const puts = p.usage.dynamodbCalls.PutItemCommand ?? 0;
    const queries = (p.usage.dynamodbCalls.QueryCommand ?? 0) + (p.usage.dynamodbCalls.GetItemCommand ?? 0);
    const perCall = [
      ...(puts > 0 ? [`${fixed(p.usage.writeUnits / puts, 1)} write units per put (${fixed(p.records / puts, 0)} records per put)`] : []),
      ...(queries > 0 && p.usage.readUnits > 0 ? [`${fixed(p.usage.readUnits / queries, 1)} read units per read call`] : []),
    ];
    lines.push(
      `${name}: ${int(p.usage.writeUnits)} write units, ${int(p.usage.readUnits)} read units in ${int(sum(p.usage.dynamodbCalls))} ` +
        `DynamoDB calls (${counts(p.usage.dynamodbCalls)}); S3 requests: ${counts(p.usage.s3Requests)}; ` +
        `append conflicts: ${p.usage.appendConflicts}`,
    );
    if (perCall.length > 0) lines.push(`  ${perCall.join('; ')}`);
    if (name === 'produce') {
      lines.push(
        `  one full request's records encode to a ${int(result.encodedBatchBytes)}-byte RecordBatch: at least ` +
          `${int(Math.ceil(result.encodedBatchBytes / 1024))} write units to put it inline` +
          (result.encodedBatchBytes > defaultLogOptions.inlineBatchBytes
            ? ` (above the ${int(defaultLogOptions.inlineBatchBytes)}-byte inline limit it goes to S3, with a small pointer item)`
            : ''),
      );
    }
  }
  lines.push('', ...notes(result).map((n) => `Note: ${n}`), '');
  return lines;
}
