/** The kafka scenario's report: records/s through the gateway and over HTTP, and their ratio. */
import { fixed, int, round, table } from './format.ts';
import type { KafkaResult, KafkaRun } from './kafka.ts';

const MiB = 1024 * 1024;

function figures(result: KafkaResult, run: KafkaRun) {
  const mib = (result.records * result.valueBytes) / MiB;
  // Each append is one conditional put of the batch or of its pointer (staged in S3 above the inline limit).
  const storedBatches = run.usage.dynamodbCalls.PutItemCommand ?? 0;
  return {
    seconds: run.seconds,
    recordsPerSecond: result.records / run.seconds,
    mibPerSecond: mib / run.seconds,
    storedBatches,
    recordsPerBatch: storedBatches > 0 ? result.records / storedBatches : 0,
    writeUnitsPerMiB: run.usage.writeUnits / mib,
    s3Puts: run.usage.s3Requests.PutObjectCommand ?? 0,
  };
}

const ratio = (result: KafkaResult) => result.httpRun.seconds / result.gatewayRun.seconds;

function kcatLine(result: KafkaResult): string {
  const settings = Object.entries(result.kcat.settings).map(([k, v]) => `${k} ${v}`);
  return `kcat ${result.kcat.args.join(' ')} (${result.kcat.version}; ${settings.join(', ')})`;
}

function httpLine(result: KafkaResult): string {
  const { batch, producers, routing } = result.http;
  const where = routing === 'explicit' ? 'each naming one partition, rotating' : 'no partition named, the server routes';
  return `${int(batch)} records per request (${where}), ${producers} concurrent producer(s)`;
}

const notes = [
  "kcat's time runs from spawning it to its exit, which comes once every record is acknowledged; it includes " +
    'its start and metadata round trip.',
  'Both paths share this process with the stack (one Node event loop for the HTTP server, the gateway and the ' +
    'storage clients) and run on DynamoDB Local and s3rver: compare the two, not either with AWS. The HTTP ' +
    'producers run in this process too, building their JSON on the server\'s event loop; kcat is a process of its own.',
  "After each run the topic's high watermarks added up to the records sent, or the bench would have failed.",
];

export function kafkaText(result: KafkaResult): string[] {
  const gateway = figures(result, result.gatewayRun);
  const http = figures(result, result.httpRun);
  const row = (name: string, f: ReturnType<typeof figures>) => [
    name,
    fixed(f.seconds, 1),
    int(f.recordsPerSecond),
    fixed(f.mibPerSecond, 2),
    int(f.storedBatches),
    int(f.recordsPerBatch),
    fixed(f.writeUnitsPerMiB, 1),
    int(f.s3Puts),
  ];
  return [
    '',
    `Sluice kafka: ${int(result.records)} keyless records of ${int(result.valueBytes)}-byte values per path, ` +
      `to topics of ${result.partitions} partition(s)`,
    `  gateway: ${kcatLine(result)}`,
    `  HTTP:    ${httpLine(result)}`,
    `  each path first produced ${int(result.warmupRecords)} records, unmeasured; then its records in two halves, in the order ` +
      'gateway, HTTP, HTTP, gateway, each run to a fresh topic; seconds are the halves added up',
    '',
    ...table(
      ['', 'seconds', 'records/s', 'MiB/s', 'stored batches', 'records/batch', 'write units/MiB', 'S3 PUTs'],
      [row('gateway', gateway), row('HTTP', http)],
    ).map((l) => `  ${l}`),
    '',
    `  gateway / HTTP: ${fixed(ratio(result), 2)} (records/s through the gateway over records/s over HTTP)`,
    '',
    ...notes.map((n) => `Note: ${n}`),
    '',
  ];
}

function runJson(result: KafkaResult, run: KafkaRun) {
  const f = figures(result, run);
  return {
    seconds: round(f.seconds, 3),
    runSeconds: run.runSeconds.map((s) => round(s, 3)),
    recordsPerSecond: round(f.recordsPerSecond, 0),
    mibPerSecond: round(f.mibPerSecond, 3),
    storedBatches: f.storedBatches,
    recordsPerBatch: round(f.recordsPerBatch, 1),
    writeUnits: round(run.usage.writeUnits, 1),
    writeUnitsPerMiB: round(f.writeUnitsPerMiB, 1),
    s3Puts: f.s3Puts,
  };
}

export function kafkaJson(result: KafkaResult) {
  return {
    records: result.records,
    warmupRecords: result.warmupRecords,
    valueBytes: result.valueBytes,
    partitions: result.partitions,
    gateway: { client: 'kcat', version: result.kcat.version, args: result.kcat.args, settings: result.kcat.settings, ...runJson(result, result.gatewayRun) },
    http: { ...result.http, ...runJson(result, result.httpRun) },
    gatewayToHttpRatio: round(ratio(result), 3),
    notes,
  };
}
