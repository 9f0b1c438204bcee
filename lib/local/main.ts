/**
 * `sluice local` (what `npm start` runs): DynamoDB Local and the S3 emulator, the API
 * behind a local HTTP server, data kept in a folder between runs. This is an edge: it
 * reads the environment bin/sluice.js hands it and owns SIGINT/SIGTERM while it runs.
 *
 * The usual AWS endpoint variables point it elsewhere: with AWS_ENDPOINT_URL_DYNAMODB
 * (or AWS_ENDPOINT_URL) set, no DynamoDB Local is started and that endpoint is used with
 * the SDK's default credentials; the same for S3 with AWS_ENDPOINT_URL_S3.
 *
 * Nothing may be left running after it, however it ends: SIGINT/SIGTERM stop everything
 * in order; its emulators die with it even on SIGKILL (see emulators.ts); the data folder
 * is locked (lock.ts) so a second runner cannot start a second JVM on the same files.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  awsEndpointsFromEnv,
  defaultApiConfig,
  defaultBucketName,
  defaultTableNames,
  parseBoolean,
  parseInlineBatchBytes,
  parsePort,
  type StorageConfig,
} from '../core/config.ts';
import { firstLine } from '../core/errors.ts';
import { createApi } from '../api/index.ts';
import { summarizeJobs } from '../core/job-report.ts';
import { runJobs } from '../jobs/run.ts';
import { createStorage, type Storage } from '../storage/index.ts';
import { startDynamoDbLocal, startS3Emulator, type DynamoDbLocal, type Emulator } from './emulators.ts';
import { isAlive, lockDataDir, type DataDirLock } from './lock.ts';
import { serve, type RunningServer } from './server.ts';
import { builtConsoleDir } from '../console/static.ts';
import { startGateway } from '../kafka/gateway.ts';
import { clusterIdOf } from '../kafka/handler.ts';
import type { RunningKafkaServer } from '../kafka/server.ts';

/** The web console as `npm run build` leaves it (lib/console/build.ts), served at the root. */
const consoleDir = builtConsoleDir;

const usage = `Usage: sluice local [options]

Runs Sluice on this machine: DynamoDB Local (needs Java 17+), an S3 emulator and the
HTTP API. Data stays in the data folder between runs. Ctrl-C or SIGTERM stops it.
One sluice local per data folder: it holds <data-dir>/sluice.lock while it runs.

Options:
  --port <n>            API port (default 8790; 0: a free one, shown when ready)
  --host <address>      API address (default 127.0.0.1)
  --data-dir <path>     data folder (default .sluice)
  --dynamodb-port <n>   DynamoDB Local port (default: a free one)
  --s3-port <n>         S3 emulator port (default: a free one)
  --jobs-interval-ms <n> run sealing, retention and compaction this often (default 60000; 0: never)
  --inline-batch-bytes <n> larger stored batches are staged in S3 behind a pointer item (default 8960)
  --kafka-port <n>      Kafka protocol port (default 9092; 0: off)
  --kafka-advertised-host <host>
                        the host Kafka clients are told to connect to (default: --host)
  --auto-create-topics <true|false>
                        a Kafka client's Metadata request for an unknown topic creates it
                        with one partition (default true, as Kafka's)
  -h, --help            show this help

Environment:
  AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL
                        use these endpoints (e.g. LocalStack) instead of starting emulators
  AWS_REGION            region (default us-east-1)
  JAVA_HOME             the Java to run DynamoDB Local with (default: java on PATH)
`;

/** s3rver knows only this key pair; DynamoDB Local takes any. */
const emulatorCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const defaultPort = 8790;
const defaultKafkaPort = 9092;
const defaultHost = '127.0.0.1';

interface LocalOptions {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly dynamodbPort?: number;
  readonly s3Port?: number;
  readonly jobsIntervalMs: number;
  readonly inlineBatchBytes?: number;
  readonly kafkaPort: number;
  readonly kafkaAdvertisedHost?: string;
  readonly autoCreateTopics: boolean;
}

/**
 * A signal this soon after the first is the same one delivered twice, not a second
 * Ctrl-C: a terminal signals the whole process group, and npm forwards its copy to us.
 */
const sameSignalMs = 500;
/** How often to check that the process that started us is still there. */
const parentCheckMs = 500;

export interface MainOptions {
  /** The process environment, read here once: the AWS endpoint variables, AWS_REGION, JAVA_HOME. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Stop (as on SIGTERM) when the parent process goes away. The bin sets it when run
   * from an npm script: a process manager watches npm, and npm killed with SIGKILL
   * must not leave us running unseen.
   * @default false
   */
  readonly stopWithParent?: boolean;
}

/** Runs `sluice local` with the arguments after `local`; resolves to the exit code. */
export async function main(argv: string[], mainOptions: MainOptions): Promise<number> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const fail = (line: string): void => void process.stderr.write(`sluice local: ${line}\n`);

  let options: LocalOptions | 'help';
  try {
    options = parseOptions(argv, process.cwd());
  } catch (error) {
    // Node's parseArgs messages run on with advice about positionals: keep the first sentence.
    const message = error instanceof Error ? (error.message.split('. ')[0] ?? error.message) : String(error);
    fail(`${message} (see sluice local --help)`);
    return 2;
  }
  if (options === 'help') {
    out(usage);
    return 0;
  }
  const { env } = mainOptions;

  // First Ctrl-C or SIGTERM: stop in order. A second Ctrl-C: leave now (the emulators'
  // exit hook still kills DynamoDB Local, and the lock goes with an exit hook too).
  let stopRequested = false;
  let stopRequestedAt = 0;
  const aborter = new AbortController();
  let requestStop = (): void => {};
  const stopSignal = new Promise<void>((resolveStop) => (requestStop = resolveStop));
  const beginStop = (message: string): void => {
    stopRequested = true;
    stopRequestedAt = performance.now();
    out(message);
    aborter.abort();
    requestStop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopRequested) {
      if (performance.now() - stopRequestedAt < sameSignalMs) return;
      fail('stopping now');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    beginStop('\nstopping… (Ctrl-C again to force)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const parentPid = process.ppid;
  const parentWatch = mainOptions.stopWithParent
    ? setInterval(() => {
        // A new parent (we were reparented), or on Windows, where nobody reparents, a dead one.
        if (stopRequested || (process.ppid === parentPid && isAlive(parentPid))) return;
        beginStop(`the process that started sluice local (${parentPid}) is gone; stopping…`);
      }, parentCheckMs).unref()
    : undefined;

  let dynamodb: DynamoDbLocal | undefined;
  let s3: Emulator | undefined;
  let storage: Storage | undefined;
  let server: RunningServer | undefined;
  let kafka: RunningKafkaServer | undefined;
  let jobsTimer: NodeJS.Timeout | undefined;
  let jobsRunning: Promise<void> = Promise.resolve();
  let lock: DataDirLock | undefined;
  const releaseLock = (): void => lock?.release();
  const shutdown = async (): Promise<void> => {
    clearInterval(jobsTimer);
    await server?.close();
    await kafka?.close();
    await jobsRunning;
    storage?.destroy();
    await Promise.all([dynamodb?.stop(), s3?.stop()]);
  };

  try {
    const { dynamodbEndpoint, s3Endpoint } = awsEndpointsFromEnv(env);
    const region = nonEmpty(env.AWS_REGION) ?? 'us-east-1';
    const javaHome = nonEmpty(env.JAVA_HOME);
    const java = javaHome && existsSync(join(javaHome, 'bin', 'java')) ? join(javaHome, 'bin', 'java') : 'java';

    // The lock first: for a second runner on this folder it is the error that explains.
    mkdirSync(options.dataDir, { recursive: true });
    if (!dynamodbEndpoint || !s3Endpoint) {
      lock = lockDataDir(options.dataDir);
      process.on('exit', releaseLock);
    }
    if (!(await isBindable(options.host, options.port))) {
      fail(`port ${options.port} on ${options.host} is already in use (another sluice local? choose one with --port)`);
      return 1;
    }
    if (options.kafkaPort !== 0 && !(await isBindable(options.host, options.kafkaPort))) {
      fail(`port ${options.kafkaPort} on ${options.host} is already in use (a Kafka broker? choose one with --kafka-port, 0 for none)`);
      return 1;
    }
    if (dynamodbEndpoint && options.dynamodbPort !== undefined) out(`note: --dynamodb-port is ignored, using ${dynamodbEndpoint}`);
    if (s3Endpoint && options.s3Port !== undefined) out(`note: --s3-port is ignored, using ${s3Endpoint}`);

    const dynamodbDir = join(options.dataDir, 'dynamodb');
    const s3Dir = join(options.dataDir, 's3');
    if (!dynamodbEndpoint) out('starting DynamoDB Local…');
    if (!s3Endpoint) out('starting the S3 emulator…');
    const [dynamodbStart, s3Start] = await Promise.allSettled([
      dynamodbEndpoint ? undefined : startDynamoDbLocal({ dataDir: dynamodbDir, port: options.dynamodbPort, java, signal: aborter.signal }),
      s3Endpoint ? undefined : startS3Emulator({ dataDir: s3Dir, port: options.s3Port }),
    ]);
    if (dynamodbStart.status === 'fulfilled') dynamodb = dynamodbStart.value;
    if (s3Start.status === 'fulfilled') s3 = s3Start.value;
    if (dynamodbStart.status === 'rejected') throw dynamodbStart.reason;
    if (s3Start.status === 'rejected') throw s3Start.reason;
    if (stopRequested) return 0;

    const config: StorageConfig = {
      region,
      tables: { ...defaultTableNames },
      bucket: defaultBucketName,
      dynamodbEndpoint: dynamodb?.endpoint ?? dynamodbEndpoint,
      s3Endpoint: s3?.endpoint ?? s3Endpoint,
      // s3rver refuses any other key id; with no emulated S3, the SDK's default chain.
      ...(s3 ? { credentials: emulatorCredentials } : {}),
      ...(options.inlineBatchBytes !== undefined ? { inlineBatchBytes: options.inlineBatchBytes } : {}),
    };
    if (s3 && dynamodbEndpoint) out(`note: ${dynamodbEndpoint} gets the S3 emulator's credentials (S3RVER)`);
    out('creating tables and bucket…');
    storage = createStorage(config);
    await storage.ensureResources();
    if (stopRequested) return 0;

    server = await serve(createApi({ storage, runJobs }), {
      host: options.host,
      port: options.port,
      maxRequestBytes: defaultApiConfig.maxRequestBytes,
      consoleDir,
    });
    if (options.kafkaPort !== 0) {
      kafka = await startGateway(storage, {
        host: options.host,
        port: options.kafkaPort,
        ...(options.kafkaAdvertisedHost ? { advertisedHost: options.kafkaAdvertisedHost } : {}),
        clusterId: clusterIdOf(config),
        autoCreateTopics: options.autoCreateTopics,
        onConnectionError: (error, connection) => out(`kafka: closed a connection from ${connection.remoteAddress}: ${firstLine(error)}`),
        onServerError: (error) => out(`kafka: the listening socket: ${firstLine(error)}`),
      });
    }

    // Relative when inside the working folder, else absolute (not ../../tmp/...).
    const inCwd = relative(process.cwd(), options.dataDir);
    const shownDir = inCwd === '' ? '.' : inCwd.startsWith('..') || isAbsolute(inCwd) ? options.dataDir : inCwd;
    out('');
    out(`Sluice is running at ${server.url}  (Ctrl-C to stop)`);
    out(`  console   ${server.url}/${existsSync(join(consoleDir, 'index.html')) ? '' : "  (not built: run 'npm run build')"}`);
    out(`  data      ${options.dataDir}`);
    out(`  DynamoDB  ${config.dynamodbEndpoint}${dynamodb ? `  (DynamoDB Local, ${join(shownDir, 'dynamodb')})` : ''}`);
    out(`  S3        ${config.s3Endpoint}${s3 ? `  (s3rver, ${join(shownDir, 's3')}, key S3RVER/S3RVER)` : ''}`);
    out(`  region    ${region}; tables ${config.tables.topics}, ${config.tables.log}; bucket ${config.bucket}`);
    if (kafka) out(`  Kafka     ${options.kafkaAdvertisedHost ?? options.host}:${kafka.port}  (bootstrap server for Kafka clients)`);
    if (server.url !== `http://${defaultHost}:${defaultPort}`) out(`  for the CLI: export SLUICE_ENDPOINT=${server.url}`);

    if (options.jobsIntervalMs > 0) {
      const jobsStorage = storage;
      let busy = false;
      jobsTimer = setInterval(() => {
        if (busy) return; // the last run is still going: skip this tick
        busy = true;
        jobsRunning = runJobs(jobsStorage)
          .then((report) => {
            const s = summarizeJobs(report);
            if (s.segmentsSealed || s.recordsLost || s.segmentsDeleted || s.recordsCompacted || s.garbageDeleted || s.purgedTopics.length) {
              out(`jobs: ${JSON.stringify(s)}`);
            }
          })
          .catch((error: unknown) => fail(`jobs: ${firstLine(error)}`))
          .finally(() => (busy = false));
      }, options.jobsIntervalMs);
    }

    const died = dynamodb?.exited.then(() => 'died' as const) ?? new Promise<never>(() => {});
    const outcome = await Promise.race([stopSignal.then(() => 'stop' as const), died]);
    if (outcome === 'died') {
      fail('DynamoDB Local exited unexpectedly; stopping');
      return 1;
    }
    return 0;
  } catch (error) {
    if (stopRequested) return 0;
    fail(describeStartError(error, options));
    return 1;
  } finally {
    clearInterval(parentWatch);
    await shutdown().catch((error: unknown) => fail(`while stopping: ${firstLine(error)}`));
    // Only once the JVM is gone may another runner start one on these files.
    releaseLock();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', releaseLock);
    if (stopRequested) out('stopped');
  }
}

function parseOptions(argv: string[], cwd: string): LocalOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      's3-port': { type: 'string' },
      'jobs-interval-ms': { type: 'string' },
      'inline-batch-bytes': { type: 'string' },
      'kafka-port': { type: 'string' },
      'kafka-advertised-host': { type: 'string' },
      'auto-create-topics': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const host = values.host ?? defaultHost;
  if (host === '') throw new Error('--host needs an address');
  return {
    port: values.port === undefined ? defaultPort : parsePort('--port', values.port),
    host,
    dataDir: resolve(cwd, values['data-dir'] ?? '.sluice'),
    ...(values['dynamodb-port'] !== undefined ? { dynamodbPort: parsePort('--dynamodb-port', values['dynamodb-port']) } : {}),
    ...(values['s3-port'] !== undefined ? { s3Port: parsePort('--s3-port', values['s3-port']) } : {}),
    jobsIntervalMs: parseInterval(values['jobs-interval-ms'] ?? '60000'),
    ...(values['inline-batch-bytes'] !== undefined
      ? { inlineBatchBytes: parseInlineBatchBytes(values['inline-batch-bytes'], '--inline-batch-bytes') }
      : {}),
    kafkaPort: values['kafka-port'] === undefined ? defaultKafkaPort : parsePort('--kafka-port', values['kafka-port']),
    ...(values['kafka-advertised-host'] ? { kafkaAdvertisedHost: values['kafka-advertised-host'] } : {}),
    autoCreateTopics: parseBoolean('--auto-create-topics', values['auto-create-topics'] ?? 'true'),
  };
}


function parseInterval(text: string): number {
  if (!/^\d{1,10}$/.test(text)) throw new Error(`--jobs-interval-ms must be a number of milliseconds, not '${text}'`);
  return Number(text);
}


function describeStartError(error: unknown, options: LocalOptions): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    return `port ${options.port} on ${options.host} is already in use (another sluice local? choose one with --port)`;
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return `cannot listen on ${options.host}: no such local address`;
  if (code === 'EACCES') return `cannot use ${options.dataDir} or port ${options.port}: permission denied`;
  return firstLine(error);
}


function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Whether `host:port` can be listened on: checked before the slow emulator start. */
function isBindable(host: string, port: number): Promise<boolean> {
  if (port === 0) return Promise.resolve(true);
  return new Promise((resolveProbe) => {
    const probe = createNetServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolveProbe(error.code !== 'EADDRINUSE'));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolveProbe(true)));
  });
}
