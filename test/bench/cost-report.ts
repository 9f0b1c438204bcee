/**
 * The cost scenarios' report: DynamoDB units, S3 requests and dollars per GiB produced and
 * consumed once, and per million records, at the list prices in prices.ts, beside Kinesis
 * on-demand (its 1 KB rounding of each record applied) and MSK Serverless; where the money
 * goes, call by call; for small's JSON variants a table by codec; and, plainly, what is
 * left out. With --json also the JSON variants' headline figures under stable names
 * (costHeadlines: smallJsonZstd.storageUsdPerGiB, ...).
 */
import { defaultLogOptions } from '../../lib/storage/log.ts';
import type { CostPhase, CostScenarioResult, JsonScenarioSpec } from './cost.ts';
import { fixed, int, num, round, shortName, table, usd } from './format.ts';
import { comparisons, kinesisOnDemandUsd, priceRegion, prices, pricesCheckedOn, s3RequestClass, s3RequestKnown, s3RequestPrice } from './prices.ts';
import type { Usage } from './usage.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** One scheduled job run a minute, for 30 days. */
const jobRunsPerMonth = 30 * 24 * 60;
const hoursPerMonth = 30 * 24;
/** The topic default (Kafka's retention.ms default). */
const retentionDays = 7;

const readCommands = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);
const putCommands = new Set(['PutObjectCommand', 'UploadPartCommand', 'CreateMultipartUploadCommand', 'CompleteMultipartUploadCommand']);

export interface CostReportContext {
  /** Lambda memory assumed for the all-in line. */
  readonly lambdaMb: number;
}

// --- money --------------------------------------------------------------------------

interface Figures {
  readonly writeUnits: number;
  readonly readUnits: number;
  readonly s3Put: number;
  readonly s3Get: number;
  readonly s3Other: number;
  readonly dynamodbUsd: number;
  readonly s3Usd: number;
  readonly totalUsd: number;
}

function figures(usages: readonly Usage[]): Figures {
  let writeUnits = 0;
  let readUnits = 0;
  let s3Put = 0;
  let s3Get = 0;
  let s3Other = 0;
  let s3Usd = 0;
  for (const u of usages) {
    writeUnits += u.writeUnits;
    readUnits += u.readUnits;
    for (const [command, n] of Object.entries(u.s3Requests)) {
      if (putCommands.has(command)) s3Put += n;
      else if (command === 'GetObjectCommand') s3Get += n;
      else s3Other += n;
      s3Usd += n * s3RequestPrice(command);
    }
  }
  const dynamodbUsd = writeUnits * prices.dynamodbWriteUnit.usd + readUnits * prices.dynamodbReadUnit.usd;
  return { writeUnits, readUnits, s3Put, s3Get, s3Other, dynamodbUsd, s3Usd, totalUsd: dynamodbUsd + s3Usd };
}

function scaled(f: Figures, factor: number): Figures {
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v * factor])) as unknown as Figures;
}

interface CommandCost {
  readonly phase: string;
  readonly service: 'DynamoDB' | 'S3';
  readonly command: string;
  readonly calls: number;
  readonly units?: number;
  readonly usd: number;
}

function commandCosts(phase: string, u: Usage): CommandCost[] {
  const out: CommandCost[] = [];
  for (const [command, calls] of Object.entries(u.dynamodbCalls)) {
    const units = u.dynamodbUnits[command] ?? 0;
    const price = readCommands.has(command) ? prices.dynamodbReadUnit.usd : prices.dynamodbWriteUnit.usd;
    out.push({ phase, service: 'DynamoDB', command, calls, units, usd: units * price });
  }
  for (const [command, calls] of Object.entries(u.s3Requests)) {
    out.push({ phase, service: 'S3', command, calls, usd: calls * s3RequestPrice(command) });
  }
  return out;
}

// --- one scenario -----------------------------------------------------------------

interface AllIn {
  readonly storageUsd: number;
  readonly apiGatewayUnits: number;
  readonly apiGatewayUsd: number;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
  readonly lambdaRequestUsd: number;
  readonly lambdaDurationUsd: number;
  readonly totalUsd: number;
}

interface ScenarioFigures {
  readonly gib: number;
  readonly perGiB: {
    readonly produce: Figures;
    readonly seal: Figures;
    readonly produceWithSeal: Figures;
    readonly consume: Figures;
    readonly total: Figures;
  };
  readonly allInPerGiB: AllIn;
  readonly topCosts: Array<CommandCost & { usdPerGiB: number; share: number }>;
  readonly idleRunUsd: number;
  /** Storage requests (the total above) and all-in, per million records. */
  readonly perMillionRecords: { readonly storageUsd: number; readonly allInUsd: number };
  /** Kinesis on-demand's data charges for the same records, each rounded up to 1 KB going in. */
  readonly kinesis: { readonly usdPerGiB: number; readonly usdPerMillionRecords: number; readonly billedInKBPerRecord: number };
}

function scenarioFigures(r: CostScenarioResult, ctx: CostReportContext): ScenarioFigures {
  const gib = r.valueBytes / GiB;
  const per = 1 / gib;
  const produce = figures([r.produce.usage]);
  const seal = figures([r.seal.usage]);
  const consume = figures([r.consume.usage]);
  const produceWithSeal = figures([r.produce.usage, r.seal.usage]);
  const total = figures([r.produce.usage, r.seal.usage, r.consume.usage]);

  const apiGatewayUnits = (r.produce.http?.apiGatewayUnits ?? 0) + (r.consume.http?.apiGatewayUnits ?? 0);
  // One invocation per HTTP request, plus the scheduled run that sealed.
  const lambdaInvocations = (r.produce.http?.requests ?? 0) + (r.consume.http?.requests ?? 0) + 1;
  const lambdaSeconds = (r.produce.http?.busySeconds ?? 0) + (r.consume.http?.busySeconds ?? 0) + r.seal.seconds;
  const lambdaGbSeconds = lambdaSeconds * (ctx.lambdaMb / 1024);
  const allIn = {
    storageUsd: total.totalUsd,
    apiGatewayUnits,
    apiGatewayUsd: apiGatewayUnits * prices.apiGatewayHttpRequest.usd,
    lambdaInvocations,
    lambdaGbSeconds,
    lambdaRequestUsd: lambdaInvocations * prices.lambdaRequest.usd,
    lambdaDurationUsd: lambdaGbSeconds * prices.lambdaArmGbSecond.usd,
  };
  const allInPerGiB: AllIn = {
    ...(scaled(allIn as unknown as Figures, per) as unknown as Omit<AllIn, 'totalUsd'>),
    totalUsd: (allIn.storageUsd + allIn.apiGatewayUsd + allIn.lambdaRequestUsd + allIn.lambdaDurationUsd) * per,
  };

  const costs = [
    ...commandCosts('produce', r.produce.usage),
    ...commandCosts('seal', r.seal.usage),
    ...commandCosts('consume', r.consume.usage),
  ].sort((a, b) => b.usd - a.usd);
  const topCosts = costs
    .filter((c) => c.usd > 0)
    .map((c) => ({ ...c, usdPerGiB: c.usd * per, share: total.totalUsd > 0 ? c.usd / total.totalUsd : 0 }));

  const perMillion = 1e6 / r.records;
  const kinesisUsd = kinesisOnDemandUsd(r.valueBytes, r.kinesisBilledBytes);
  return {
    gib,
    perGiB: {
      produce: scaled(produce, per),
      seal: scaled(seal, per),
      produceWithSeal: scaled(produceWithSeal, per),
      consume: scaled(consume, per),
      total: scaled(total, per),
    },
    allInPerGiB,
    topCosts,
    idleRunUsd: figures([r.idleJobRun.usage]).totalUsd,
    perMillionRecords: { storageUsd: total.totalUsd * perMillion, allInUsd: allInPerGiB.totalUsd * gib * perMillion },
    kinesis: { usdPerGiB: kinesisUsd / gib, usdPerMillionRecords: kinesisUsd * perMillion, billedInKBPerRecord: r.kinesisBilledBytes / KiB / r.records },
  };
}

/** "S3 PutObject 1 + PutItem 1 (1 WCU)": the calls of a phase divided by `n`. */
export function perUnit(u: Usage, n: number): string {
  const parts: string[] = [];
  for (const [command, calls] of Object.entries(u.s3Requests).sort((a, b) => b[1] - a[1])) {
    parts.push(`S3 ${shortName(command)} ${num(calls / n)}`);
  }
  for (const [command, calls] of Object.entries(u.dynamodbCalls).sort((a, b) => b[1] - a[1])) {
    const units = u.dynamodbUnits[command] ?? 0;
    const kind = readCommands.has(command) ? 'RCU' : 'WCU';
    parts.push(`${shortName(command)} ${num(calls / n)}${units > 0 ? ` (${num(units / n)} ${kind})` : ''}`);
  }
  return parts.length > 0 ? parts.join(' + ') : 'nothing';
}

function meets(r: CostScenarioResult, f: ScenarioFigures): boolean | undefined {
  return r.spec.name === 'bulk' ? f.perGiB.total.totalUsd < comparisons.bulkTargetPerGiB : undefined;
}

/** The scenario's first lines: what was sent, how, and how it was stored. */
function headerText(r: CostScenarioResult): string[] {
  const { spec } = r;
  if (spec.kind === 'json') return jsonHeaderText(r, spec);
  const batch =
    r.encodedBatchBytes > defaultLogOptions.inlineBatchBytes
      ? `above the ${int(defaultLogOptions.inlineBatchBytes)}-byte inline limit, so staged in S3 behind a pointer item`
      : `within the ${int(defaultLogOptions.inlineBatchBytes)}-byte inline limit, so inline in its tail item`;
  return [
    `${spec.name}: ${int(spec.requests)} requests of ${int(spec.recordsPerRequest)} records x ${int(spec.valueBytes)} bytes ` +
      `(${fixed((spec.recordsPerRequest * spec.valueBytes) / KiB, 0)} KiB of values, a ${int(r.encodedBatchBytes)}-byte batch, ${batch}) ` +
      `to one partition, one at a time`,
  ];
}

/** What became of the sealed batches' tail items. */
function tailItems(r: CostScenarioResult): string {
  const deleted = r.seal.result.tailItemsDeleted;
  return deleted === 0 ? 'their tail items left to expire by TTL' : `${int(deleted)} tail items deleted`;
}

/** Batches staged in S3 while producing: one PutObject each. */
function stagedBatches(r: CostScenarioResult): number {
  return r.produce.usage.s3Requests.PutObjectCommand ?? 0;
}

function jsonHeaderText(r: CostScenarioResult, spec: JsonScenarioSpec): string[] {
  const sdk = r.sdk!;
  const valuesPerBatch = r.valueBytes / r.batches;
  return [
    `${spec.name}: ${int(r.records)} JSON order events of ${int(r.valueBytes / r.records)} bytes on average ` +
      `(${fixed((100 * sdk.recordsOver1KiB) / r.records, 0)}% over 1 KiB; json-records.ts, seed ${spec.seed}), sent by ${spec.senders} concurrent loop${spec.senders === 1 ? '' : 's'} ` +
      `each awaiting producer.send() of ${int(spec.recordsPerSend)} records (${int(sdk.sends)} sends), through the SDK producer with ` +
      `compression ${spec.codec} and its other options at their defaults, to one partition`,
    `  the producer made ${int(sdk.produceRequests)} produce requests, ${num(r.records / r.batches)} records per request ` +
      `(${fixed(valuesPerBatch / KiB, 1)} KiB of values each), and ${int(sdk.otherRequests)} other request(s); ` +
      `batches stored at ${int(r.storedBatchBytes)} bytes on average ` +
      `(${spec.codec === 'none' ? 'uncompressed: values and record framing' : `${fixed(valuesPerBatch / r.storedBatchBytes, 1)}x smaller than their values`}), ` +
      stagedText(r),
  ];
}

function stagedText(r: CostScenarioResult): string {
  const staged = stagedBatches(r);
  const limit = int(defaultLogOptions.inlineBatchBytes);
  if (staged === r.batches) return `all staged in S3 behind pointer items (above the ${limit}-byte inline limit)`;
  if (staged === 0) return `all inline in their tail items (within the ${limit}-byte inline limit)`;
  return `${int(staged)} of ${int(r.batches)} staged in S3 (above the ${limit}-byte inline limit), the rest inline in their tail items`;
}

function scenarioText(r: CostScenarioResult, f: ScenarioFigures, ctx: CostReportContext): string[] {
  const mib = r.valueBytes / MiB;
  const lines = [
    ...headerText(r),
    `  ${fixed(mib, 1)} MiB produced, sealed by one job run into ${r.seal.result.segments} segment(s), read back once from offset 0 ` +
      `in ${int(r.consume.fetches)} fetch(es) of up to 4 MiB; figures extrapolated per GiB from ${fixed(mib, 1)} MiB`,
    `  times here: produce ${fixed(r.produce.seconds, 1)} s, seal ${fixed(r.seal.seconds, 1)} s, consume ${fixed(r.consume.seconds, 1)} s (local emulators)`,
    '',
  ];
  const row = (name: string, x: Figures): string[] => [
    name,
    num(x.writeUnits),
    num(x.readUnits),
    num(x.s3Put),
    num(x.s3Get),
    num(x.s3Other),
    usd(x.dynamodbUsd),
    usd(x.s3Usd),
    usd(x.totalUsd),
  ];
  lines.push(
    ...table(
      ['per GiB', 'write units', 'read units', 'S3 PUT', 'S3 GET', 'S3 other', 'DynamoDB $', 'S3 $', 'total $'],
      [
        row('produce', f.perGiB.produce),
        row('seal (job run)', f.perGiB.seal),
        row('produce incl. sealing', f.perGiB.produceWithSeal),
        row('consume once', f.perGiB.consume),
        row('total', f.perGiB.total),
      ],
    ).map((l) => `  ${l}`),
    '',
  );

  const gets = r.consume.usage.s3Requests.GetObjectCommand ?? 0;
  const sdkNote = r.sdk ? `, the producer's ${int(r.sdk.otherRequests)} other request(s) spread over them` : '';
  lines.push(
    `  per produce request (${num(r.records / r.batches)} records, ${fixed(r.valueBytes / r.batches / KiB, 0)} KiB${sdkNote}): ` +
      perUnit(r.produce.usage, r.batches),
    `  sealing, per batch sealed (${int(r.seal.result.batches)} batches into ${r.seal.result.segments} segment(s), ${tailItems(r)}): ` +
      perUnit(r.seal.usage, r.seal.result.batches),
    `  consume, per fetch of up to 4 MiB${gets > 0 ? ` (ranged GETs read ${fixed(r.consume.usage.s3BytesRead / gets / MiB, 2)} MiB on average)` : ''}: ` +
      perUnit(r.consume.usage, r.consume.fetches),
    `  a scheduled job run with nothing to seal, per partition: ${perUnit(r.idleJobRun.usage, 1)} = ${usd(f.idleRunUsd)} ` +
      `(${usd(f.idleRunUsd * jobRunsPerMonth)} per partition-month at one run a minute, whatever the traffic)`,
  );
  const top = f.topCosts.slice(0, 5).map(
    (c) => `${c.phase} ${c.service} ${shortName(c.command)} ${usd(c.usdPerGiB)} (${fixed(c.share * 100, c.share < 0.01 ? 1 : 0)}%)`,
  );
  lines.push(`  where the money goes, per GiB: ${top.join('; ')}`, '');

  const total = f.perGiB.total.totalUsd;
  const times = (x: number) =>
    total <= 0 ? '' : x >= total ? ` (${fixed(x / total, 1)}x Sluice's)` : ` (Sluice costs ${fixed(total / x, 1)}x this)`;
  lines.push(
    `  Sluice ${usd(total)} per GiB produced and consumed once ` +
      `(produce incl. sealing ${usd(f.perGiB.produceWithSeal.totalUsd)} + consume ${usd(f.perGiB.consume.totalUsd)}); ` +
      `Kinesis on-demand ${usd(comparisons.kinesisOnDemand)}${times(comparisons.kinesisOnDemand)}; ` +
      `MSK Serverless ${usd(comparisons.mskServerless)}${times(comparisons.mskServerless)}`,
  );
  const k = f.kinesis;
  const rounding =
    Math.abs(k.usdPerGiB - comparisons.kinesisOnDemand) < 1e-9
      ? 'no rounding lost on these records'
      : `${usd(k.usdPerGiB)} per GiB of these values once rounded`;
  lines.push(
    `  per million records (${int(r.valueBytes / r.records)} bytes on average): Sluice ${usd(f.perMillionRecords.storageUsd)} in storage requests, ` +
      `${usd(f.perMillionRecords.allInUsd)} all-in; Kinesis on-demand ${usd(k.usdPerMillionRecords)} ` +
      `(it bills each record in rounded up to the next 1 KB: ${fixed(k.billedInKBPerRecord, 2)} KB per record here, ${rounding}; ` +
      `its ${usd(prices.kinesisOnDemandStreamHour.usd)} per stream-hour left out)`,
  );
  const met = meets(r, f);
  if (met !== undefined) {
    lines.push(`  target for bulk, under ${usd(comparisons.bulkTargetPerGiB)} per GiB: ${met ? 'MET' : 'MISSED'} (${usd(total)})`);
  }
  const a = f.allInPerGiB;
  lines.push(
    `  all-in, rough: ${usd(a.totalUsd)} per GiB = storage requests ${usd(a.storageUsd)} ` +
      `+ API Gateway ${usd(a.apiGatewayUsd)} (${num(a.apiGatewayUnits)} metered requests) ` +
      `+ Lambda ${usd(a.lambdaRequestUsd + a.lambdaDurationUsd)} (${num(a.lambdaInvocations)} invocations ${usd(a.lambdaRequestUsd)}, ` +
      `~${num(a.lambdaGbSeconds)} GB-s at ${int(ctx.lambdaMb)} MB arm64 ${usd(a.lambdaDurationUsd)})`,
    '',
  );
  return lines;
}

// --- the whole report ---------------------------------------------------------------

export function costText(results: readonly CostScenarioResult[], ctx: CostReportContext): string[] {
  const lines = [
    '',
    `Sluice cost per GiB: DynamoDB on-demand units and S3 requests at ${priceRegion} list prices checked ${pricesCheckedOn} (test/bench/prices.ts)`,
    `  DynamoDB ${usd(prices.dynamodbWriteUnit.usd * 1e6)} per million write units, ${usd(prices.dynamodbReadUnit.usd * 1e6)} per million read units; ` +
      `S3 ${usd(prices.s3Tier1Request.usd * 1000)} per 1,000 PUT/LIST, ${usd(prices.s3Tier2Request.usd * 1000)} per 1,000 GET, DELETE free; ` +
      `GiB = record value bytes, produced once and consumed once`,
    '',
  ];
  const all = results.map((r) => ({ r, f: scenarioFigures(r, ctx) }));
  for (const { r, f } of all) lines.push(...scenarioText(r, f, ctx));
  lines.push(...jsonTableText(all));

  const unknownS3 = [...new Set(results.flatMap((r) => [r.produce, r.seal, r.consume].flatMap((p) => Object.keys(p.usage.s3Requests))))].filter(
    (c) => !s3RequestKnown(c),
  );
  const conflicts = results.reduce((n, r) => n + r.produce.usage.appendConflicts, 0);
  lines.push(...excludedText(ctx).map((l) => `  ${l}`));
  lines.push(
    '',
    'Notes:',
    '  - Units and requests are counted by the server-side storage (UsageMeter and per-command counters) around each phase; ' +
      'DynamoDB Local reports ConsumedCapacity with the formula AWS bills (1 write unit per started KB written or deleted, ' +
      '1 read unit per started 4 KB read strongly consistent).',
    '  - "seal (job run)" is the whole scheduled job run that sealed the data (lease, seal, retention check, garbage listing), ' +
      'counted as part of producing.',
    `  - The all-in line is an order-of-magnitude estimate: Lambda duration is the sum of request times measured here, one ` +
      `request at a time, on local emulators, at an assumed ${int(ctx.lambdaMb)} MB arm64; API Gateway meters each request in ` +
      '512 KB increments of the larger of its request and response bodies (which body AWS meters is not confirmed; this can only overstate).',
    `  - Kinesis and MSK figures are their per-GB data charges only (in + out), GB taken as GiB: Kinesis ` +
      `${usd(prices.kinesisOnDemandIn.usd)} in + ${usd(prices.kinesisOnDemandOut.usd)} out, MSK Serverless ` +
      `${usd(prices.mskServerlessIn.usd)} in + ${usd(prices.mskServerlessOut.usd)} out. Kinesis bills data in per record rounded ` +
      'up to the next 1 KB (1,024 bytes; partition keys not counted here), which its per-million-records figures and the JSON table apply; ' +
      'the flat per-GiB figure beside each scenario is for records of whole KBs, as bulk\'s and small\'s 1 KiB values are.',
    ...(all.some(({ r }) => r.spec.kind === 'json')
      ? [
          "  - The JSON variants' produce phase is everything the SDK producer sent, its own requests included (its producer id, " +
            "the topic's partition count), with its defaults: idempotent, so each request also writes producer state; " +
            'Lambda duration there is the sum of its request times, one in flight at a time, as for the others.',
        ]
      : []),
    ...(conflicts > 0
      ? [`  - ${conflicts} append(s) met another writer's item; their failed conditional puts cost write units the meter does not see.`]
      : []),
    ...(unknownS3.length > 0 ? [`  - S3 commands priced as PUTs for want of a price: ${unknownS3.join(', ')}.`] : []),
    '',
  );
  return lines;
}

/** small's JSON variants side by side, beside Kinesis on-demand and MSK Serverless, with issue 13's targets. */
function jsonTableText(all: ReadonlyArray<{ r: CostScenarioResult; f: ScenarioFigures }>): string[] {
  const json = all.filter(({ r }) => r.spec.kind === 'json');
  const first = json[0];
  if (!first || first.r.spec.kind !== 'json') return [];
  const spec = first.r.spec;
  const rows = json.map(({ r, f }) => [
    (r.spec as JsonScenarioSpec).codec,
    num(r.records / r.batches),
    int(r.storedBatchBytes),
    `${fixed(r.valueBytes / r.batches / r.storedBatchBytes, 1)}x`,
    `${int(stagedBatches(r))}/${int(r.batches)}`,
    usd(f.perGiB.total.totalUsd),
    usd(f.allInPerGiB.totalUsd),
    usd(f.perMillionRecords.storageUsd),
    usd(f.perMillionRecords.allInUsd),
  ]);
  const k = first.f.kinesis;
  const mskPerMillion = comparisons.mskServerless * (first.r.valueBytes / GiB) * (1e6 / first.r.records);
  rows.push(
    ['Kinesis on-demand', '', '', '', '', usd(k.usdPerGiB), usd(k.usdPerGiB), usd(k.usdPerMillionRecords), usd(k.usdPerMillionRecords)],
    ['MSK Serverless', '', '', '', '', usd(comparisons.mskServerless), usd(comparisons.mskServerless), usd(mskPerMillion), usd(mskPerMillion)],
  );
  const lines = [
    `small JSON records by codec: ${spec.senders} sender${spec.senders === 1 ? '' : 's'} x ${int(spec.recordsPerSend)} records per send through the SDK producer, ` +
      `about ${int(first.r.valueBytes / first.r.records)} bytes per record; produced (sealing included) and consumed once`,
    ...table(
      ['codec', 'records/request', 'bytes/batch stored', 'values/stored', 'staged', 'storage $/GiB', 'all-in $/GiB', 'storage $/M records', 'all-in $/M records'],
      rows,
    ).map((l) => `  ${l}`),
    `  Kinesis on-demand: data charges only, each record rounded up to the next 1 KB going in (${fixed(k.billedInKBPerRecord, 2)} KB per record ` +
      `here); its ${usd(prices.kinesisOnDemandStreamHour.usd)} per stream-hour (${usd(prices.kinesisOnDemandStreamHour.usd * hoursPerMonth)} a month) left out. ` +
      'MSK Serverless: data charges only, per GiB not rounded; cluster- and partition-hours left out.',
  ];
  if (json.every(({ r }) => stagedBatches(r) === r.batches)) {
    lines.push(
      `  Every codec's batches were staged in S3 (compressed, still above the ${int(defaultLogOptions.inlineBatchBytes)}-byte inline limit): ` +
        'the codec changed the bytes stored and moved (and the request times), not the number of storage requests.',
    );
  }
  const zstd = json.find(({ r }) => r.spec.name === 'smallJsonZstd');
  if (zstd) {
    const storage = zstd.f.perGiB.total.totalUsd;
    const allIn = zstd.f.allInPerGiB.totalUsd;
    const storageMet = storage <= comparisons.smallJsonZstdStorageTargetPerGiB;
    const allInMet = allIn <= comparisons.smallJsonZstdAllInTargetPerGiB;
    lines.push(
      `  targets for smallJsonZstd: storage requests at most ${usd(comparisons.smallJsonZstdStorageTargetPerGiB)} per GiB: ` +
        `${storageMet ? 'MET' : 'MISSED'} (${usd(storage)}); all-in at most ${usd(comparisons.smallJsonZstdAllInTargetPerGiB)} per GiB: ` +
        `${allInMet ? 'MET' : 'MISSED'} (${usd(allIn)})`,
    );
  }
  lines.push('');
  return lines;
}

function excludedText(ctx: CostReportContext): string[] {
  const s3Week = prices.s3Storage.usd * (retentionDays / 30);
  return [
    'Left out of the per-GiB storage figures (request costs only, per GiB moved):',
    `  - API Gateway (HTTP API ${usd(prices.apiGatewayHttpRequest.usd * 1e6)} per million 512 KB requests) and Lambda ` +
      `(${usd(prices.lambdaRequest.usd * 1e6)} per million invocations + ${prices.lambdaArmGbSecond.usd} per GB-s arm64): ` +
      `only in the rough all-in line, at an assumed ${int(ctx.lambdaMb)} MB`,
    `  - storage time: S3 Standard ${usd(prices.s3Storage.usd)} per GB-month for segments ` +
      `(one GiB kept for the default ${retentionDays}-day retention: about ${usd(s3Week)}); DynamoDB ${usd(prices.dynamodbStorage.usd)} ` +
      'per GB-month for tail items until they are sealed (minutes, and pointer items of a few hundred bytes when staged)',
    '  - the fixed cost of the scheduled job runs (shown above, per partition-month), data transfer out of AWS, ' +
      'CloudWatch logs and metrics, KMS, free tiers',
    `  - the comparison's own fixed charges, left out on their side too: Kinesis on-demand ${usd(prices.kinesisOnDemandStreamHour.usd)} ` +
      `per stream-hour (${usd(prices.kinesisOnDemandStreamHour.usd * hoursPerMonth)} a month per stream); MSK Serverless ` +
      `${usd(prices.mskServerlessClusterHour.usd)} per cluster-hour (${usd(prices.mskServerlessClusterHour.usd * hoursPerMonth)} a month) ` +
      `+ ${usd(prices.mskServerlessPartitionHour.usd)} per partition-hour (${usd(prices.mskServerlessPartitionHour.usd * hoursPerMonth)} a month per partition)`,
  ];
}

// --- JSON -------------------------------------------------------------------------

function phaseJson(p: CostPhase) {
  return {
    seconds: round(p.seconds, 3),
    writeUnits: round(p.usage.writeUnits, 1),
    readUnits: round(p.usage.readUnits, 1),
    dynamodbCalls: p.usage.dynamodbCalls,
    dynamodbUnits: Object.fromEntries(Object.entries(p.usage.dynamodbUnits).map(([k, v]) => [k, round(v, 1)])),
    s3Requests: p.usage.s3Requests,
    s3BytesRead: p.usage.s3BytesRead,
    appendConflicts: p.usage.appendConflicts,
    ...(p.http
      ? {
          http: {
            requests: p.http.requests,
            requestBytes: p.http.requestBytes,
            responseBytes: p.http.responseBytes,
            apiGatewayUnits: p.http.apiGatewayUnits,
            busySeconds: round(p.http.busySeconds, 3),
          },
        }
      : {}),
  };
}

function figuresJson(f: Figures) {
  return {
    writeUnits: round(f.writeUnits, 1),
    readUnits: round(f.readUnits, 1),
    s3Put: round(f.s3Put, 2),
    s3Get: round(f.s3Get, 2),
    s3Other: round(f.s3Other, 2),
    dynamodbUsd: round(f.dynamodbUsd, 6),
    s3Usd: round(f.s3Usd, 6),
    totalUsd: round(f.totalUsd, 6),
  };
}

export function costJson(results: readonly CostScenarioResult[], ctx: CostReportContext) {
  return {
    region: priceRegion,
    pricesCheckedOn,
    prices,
    s3RequestClasses: Object.fromEntries(
      [...new Set(results.flatMap((r) => [r.produce, r.seal, r.idleJobRun, r.consume].flatMap((p) => Object.keys(p.usage.s3Requests))))].map(
        (c) => [c, s3RequestClass(c)],
      ),
    ),
    assumptions: { lambdaMb: ctx.lambdaMb, lambdaArchitecture: 'arm64', apiGatewayMeteringBytes: 512 * KiB, gbIsGiB: true, jobRunsPerMonth },
    comparisons: Object.fromEntries(Object.entries(comparisons).map(([k, v]) => [k, round(v, 6)])),
    scenarios: results.map((r) => {
      const f = scenarioFigures(r, ctx);
      const { spec } = r;
      return {
        name: spec.name,
        kind: spec.kind,
        topic: r.topic,
        requests: r.batches,
        recordsPerRequest: spec.kind === 'raw' ? spec.recordsPerRequest : round(r.records / r.batches, 2),
        valueBytesPerRecord: spec.kind === 'raw' ? spec.valueBytes : round(r.valueBytes / r.records, 1),
        encodedBatchBytes: round(r.encodedBatchBytes, 0),
        storedBatchBytes: round(r.storedBatchBytes, 0),
        staged: spec.kind === 'raw' ? r.encodedBatchBytes > defaultLogOptions.inlineBatchBytes : stagedBatches(r) > 0,
        stagedBatches: stagedBatches(r),
        ...(spec.kind === 'json'
          ? {
              codec: spec.codec,
              seed: spec.seed,
              senders: spec.senders,
              recordsPerSend: spec.recordsPerSend,
              sdk: r.sdk,
            }
          : {}),
        records: r.records,
        valueBytes: r.valueBytes,
        gib: round(f.gib, 6),
        extrapolated: true,
        sealed: r.seal.result,
        fetches: r.consume.fetches,
        phases: {
          produce: phaseJson(r.produce),
          seal: phaseJson(r.seal),
          idleJobRun: phaseJson(r.idleJobRun),
          consume: phaseJson(r.consume),
        },
        perGiB: {
          produce: figuresJson(f.perGiB.produce),
          seal: figuresJson(f.perGiB.seal),
          produceWithSeal: figuresJson(f.perGiB.produceWithSeal),
          consume: figuresJson(f.perGiB.consume),
          total: figuresJson(f.perGiB.total),
        },
        perRequest: {
          produce: perUnit(r.produce.usage, r.batches),
          sealPerBatch: perUnit(r.seal.usage, r.seal.result.batches),
          consumePerFetch: perUnit(r.consume.usage, r.consume.fetches),
          idleJobRun: perUnit(r.idleJobRun.usage, 1),
        },
        topCosts: f.topCosts.map((c) => ({
          phase: c.phase,
          service: c.service,
          command: c.command,
          calls: c.calls,
          ...(c.units !== undefined ? { units: round(c.units, 1) } : {}),
          usdPerGiB: round(c.usdPerGiB, 6),
          share: round(c.share, 4),
        })),
        perMillionRecords: {
          storageUsd: round(f.perMillionRecords.storageUsd, 6),
          allInUsd: round(f.perMillionRecords.allInUsd, 6),
        },
        comparison: {
          sluiceUsdPerGiB: round(f.perGiB.total.totalUsd, 6),
          kinesisOnDemandUsdPerGiB: round(comparisons.kinesisOnDemand, 6),
          kinesisOnDemandRoundedUsdPerGiB: round(f.kinesis.usdPerGiB, 6),
          kinesisOnDemandUsdPerMillionRecords: round(f.kinesis.usdPerMillionRecords, 6),
          kinesisBilledInKBPerRecord: round(f.kinesis.billedInKBPerRecord, 4),
          mskServerlessUsdPerGiB: round(comparisons.mskServerless, 6),
          ...(spec.name === 'bulk' ? { targetUsdPerGiB: comparisons.bulkTargetPerGiB, meetsTarget: meets(r, f) } : {}),
        },
        allInPerGiB: Object.fromEntries(Object.entries(f.allInPerGiB).map(([k, v]) => [k, round(v, 6)])),
        idleJobRunUsd: round(f.idleRunUsd, 8),
        idleJobRunUsdPerPartitionMonth: round(f.idleRunUsd * jobRunsPerMonth, 4),
      };
    }),
  };
}

/**
 * The JSON variants' two headline figures, for the top level of --json under stable names:
 * `{ smallJsonZstd: { storageUsdPerGiB, allInUsdPerGiB }, ... }`. storage is DynamoDB and S3
 * requests of producing (sealing included) and consuming once, per GiB of values; all-in adds
 * API Gateway and Lambda as the all-in line does.
 */
export function costHeadlines(
  results: readonly CostScenarioResult[],
  ctx: CostReportContext,
): Record<string, { storageUsdPerGiB: number; allInUsdPerGiB: number }> {
  return Object.fromEntries(
    results
      .filter((r) => r.spec.kind === 'json')
      .map((r) => {
        const f = scenarioFigures(r, ctx);
        return [r.spec.name, { storageUsdPerGiB: round(f.perGiB.total.totalUsd, 6), allInUsdPerGiB: round(f.allInPerGiB.totalUsd, 6) }];
      }),
  );
}
