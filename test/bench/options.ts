/**
 * `npm run bench` options: the throughput run's, the cost scenarios' (bulk, small and
 * small's JSON variants), the idempotence and kafka scenarios', and which to run.
 */
import { parseArgs } from 'node:util';
import { BenchError } from './http.ts';

export const usageText = `Usage: npm run bench -- [options]

Starts DynamoDB Local (in memory), the S3 emulator and the Sluice HTTP server (and for
kafka the Kafka gateway) on free ports, then runs the selected scenarios and stops
everything:

  throughput  produces records, reads them all back, prints records/s and the DynamoDB
              capacity units and S3 requests per MiB
  bulk        cost: requests of one 1 MiB batch (1,024 records of 1 KiB) to one partition
  small       cost: requests of 10 records of 1 KiB (--small-records) to one partition;
              then small's JSON variants, one per codec (smallJsonNone, smallJsonGzip,
              smallJsonSnappy, smallJsonLz4, smallJsonZstd): JSON order events of about
              1 KB (fixed seed) sent through the SDK producer with that compression and
              its other options at their defaults, by --small-senders concurrent loops
              each awaiting producer.send() of --small-records records
  idempotence the same records produced plainly and idempotently, one request at a time, for
              a few batch shapes: write units, read units and S3 requests per request and
              what idempotence adds; then resends a request, which must change nothing
  kafka       records/s produced through the Kafka gateway by kcat beside those produced
              over HTTP, and their ratio; each path warms up, then the records go in two
              halves, gateway, HTTP, HTTP, gateway, each to a fresh topic. Not part of
              all (it needs kcat on PATH): ask for it by name

A cost scenario produces its data, runs the background jobs once to seal it all into S3
segments, reads it all back once from offset 0, and prints DynamoDB units, S3 requests and
dollars per GiB and per million records (us-east-1 list prices, test/bench/prices.ts)
beside Kinesis on-demand (whose 1 KB rounding per record it applies) and MSK Serverless.
With --json, each JSON variant's two headline figures are also at the top level, e.g.
smallJsonZstd.storageUsdPerGiB and smallJsonZstd.allInUsdPerGiB.

  --scenario LIST    all (default: throughput, bulk, small, idempotence), cost (= bulk,small),
                     or a comma-separated list of throughput, bulk, small, idempotence, kafka

throughput:
  --records N        records to produce (default 500000, about 35 s on 2 cores)
  --batch N          records per produce request, 1-10000 (default 1000)
  --value-bytes N    bytes per record value (default 100)
  --producers N      concurrent producers (default 4)
  --partitions N     topic partitions (default 4); one consumer per partition
  --fetch-records N  maxRecords per fetch, 1-10000 (default 1000)
  --routing MODE     explicit: each request names one partition, rotating (default)
                     auto: no partition field; the server picks (keyless records of
                     a request stick to one partition; keyed ones are hashed)
  --keys             give every record a 16-byte key (not counted in MiB)

cost:
  --bulk-mib N       MiB the bulk scenario produces (default 256)
  --small-mib N      MiB of values small and each JSON variant produce (default 16)
  --small-records N  records of 1 KiB per small request, and JSON records per send of
                     the JSON variants, 1-1000 (default 10)
  --small-senders N  concurrent sending loops of the JSON variants, 1-256 (default 16)
  --lambda-mb N      Lambda memory assumed for the rough all-in line (default 1024)

idempotence:
  --idempotence-requests N
                     measured requests per batch shape and mode, 1-10000 (default 20)

kafka:
  --kafka-records N  records each path produces measured (default 500000), after up to
                     100,000 unmeasured; keyless, of --value-bytes each, to topics of
                     --partitions partitions: through the Kafka gateway by kcat (-P -z none,
                     librdkafka's defaults otherwise) and over HTTP as throughput produces
                     (--batch, --producers, --routing)

  --json             print the result as JSON on stdout (progress stays on stderr)
  -h, --help         show this help`;

export type Scenario = 'throughput' | 'bulk' | 'small' | 'idempotence' | 'kafka';

export interface BenchOptions {
  readonly scenarios: readonly Scenario[];
  readonly records: number;
  readonly batch: number;
  readonly valueBytes: number;
  readonly producers: number;
  readonly partitions: number;
  readonly fetchRecords: number;
  readonly routing: 'explicit' | 'auto';
  readonly keys: boolean;
  readonly bulkMiB: number;
  readonly smallMiB: number;
  readonly smallRecords: number;
  readonly smallSenders: number;
  readonly lambdaMb: number;
  readonly idempotenceRequests: number;
  readonly kafkaRecords: number;
  readonly json: boolean;
}

const scenarioNames: Record<string, readonly Scenario[]> = {
  all: ['throughput', 'bulk', 'small', 'idempotence'],
  cost: ['bulk', 'small'],
  throughput: ['throughput'],
  bulk: ['bulk'],
  small: ['small'],
  idempotence: ['idempotence'],
  kafka: ['kafka'],
};

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string', default: 'all' },
      records: { type: 'string', default: '500000' },
      batch: { type: 'string', default: '1000' },
      'value-bytes': { type: 'string', default: '100' },
      producers: { type: 'string', default: '4' },
      partitions: { type: 'string', default: '4' },
      'fetch-records': { type: 'string', default: '1000' },
      routing: { type: 'string', default: 'explicit' },
      keys: { type: 'boolean', default: false },
      'bulk-mib': { type: 'string', default: '256' },
      'small-mib': { type: 'string', default: '16' },
      'small-records': { type: 'string', default: '10' },
      'small-senders': { type: 'string', default: '16' },
      'lambda-mb': { type: 'string', default: '1024' },
      'idempotence-requests': { type: 'string', default: '20' },
      'kafka-records': { type: 'string', default: '500000' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const int = (name: keyof typeof values, min: number, max: number): number => {
    const raw = String(values[name]);
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new BenchError(`--${name} must be an integer from ${min} to ${max}, got '${raw}'`);
    }
    return n;
  };
  const routing = values.routing;
  if (routing !== 'explicit' && routing !== 'auto') throw new BenchError(`--routing must be 'explicit' or 'auto', got '${routing}'`);
  const scenarios = new Set<Scenario>();
  for (const name of values.scenario.split(',').map((s) => s.trim())) {
    const picked = scenarioNames[name];
    if (!picked) {
      throw new BenchError(`--scenario takes all, cost, or a comma-separated list of throughput, bulk, small, idempotence, kafka; got '${name}'`);
    }
    for (const s of picked) scenarios.add(s);
  }
  return {
    // Always in this order, whatever order they were asked in.
    scenarios: (['throughput', 'bulk', 'small', 'idempotence', 'kafka'] as const).filter((s) => scenarios.has(s)),
    records: int('records', 1, 100_000_000),
    batch: int('batch', 1, 10_000),
    valueBytes: int('value-bytes', 1, 1_000_000),
    producers: int('producers', 1, 256),
    partitions: int('partitions', 1, 1_000),
    fetchRecords: int('fetch-records', 1, 10_000),
    routing,
    keys: values.keys,
    bulkMiB: int('bulk-mib', 1, 100_000),
    smallMiB: int('small-mib', 1, 100_000),
    smallRecords: int('small-records', 1, 1_000),
    smallSenders: int('small-senders', 1, 256),
    lambdaMb: int('lambda-mb', 128, 10_240),
    idempotenceRequests: int('idempotence-requests', 1, 10_000),
    kafkaRecords: int('kafka-records', 1, 100_000_000),
    json: values.json,
  };
}
