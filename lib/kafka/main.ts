/**
 * `sluice gateway`: the Kafka protocol alone, over the tables and bucket the environment
 * names (a deployed Sluice's, or another runner's emulators), with no HTTP API, jobs or
 * emulators of its own. It holds no state, so any number of them serve one cluster. This
 * is an edge: it reads the environment bin/sluice.js hands it and owns SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { awsEndpointsFromEnv, parseBoolean, parsePort, storageConfigFromEnv, type StorageConfig } from '../core/config.ts';
import { firstLine } from '../core/errors.ts';
import { createStorage, type Storage } from '../storage/index.ts';
import { startGateway } from './gateway.ts';
import { clusterIdOf } from './handler.ts';
import type { RunningKafkaServer } from './server.ts';

const usage = `Usage: sluice gateway [options]

Serves the Kafka protocol over an existing Sluice's tables and bucket, named by the
environment as for Sluice's Lambda functions. Kafka clients produce, fetch and administer
topics through it; records are the same as over the HTTP API. Ctrl-C or SIGTERM stops it.

Options:
  --port <n>                 Kafka protocol port (default 9092; 0: a free one, shown when ready)
  --host <address>           address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --advertised-host <host>   the host clients are told to connect to (default: --host)
  --auto-create-topics <true|false>
                             Metadata for an unknown topic creates it with one partition
                             (default true, as Kafka's)
  -h, --help                 show this help

Environment:
  AWS_REGION                 the region of the tables and bucket (required)
  SLUICE_TOPICS_TABLE, SLUICE_LOG_TABLE, ... SLUICE_BUCKET
                             their names (default sluice-topics, ..., sluice-data)
  AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL
                             other endpoints (another sluice local's emulators, say)
  and the AWS SDK's credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...)
`;

interface GatewayCommandOptions {
  readonly port: number;
  readonly host: string;
  readonly advertisedHost?: string;
  readonly autoCreateTopics: boolean;
}

export interface GatewayMainOptions {
  /** The process environment, read here once. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Runs `sluice gateway` with the arguments after `gateway`; resolves to the exit code. */
export async function main(argv: string[], { env }: GatewayMainOptions): Promise<number> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const fail = (line: string): void => void process.stderr.write(`sluice gateway: ${line}\n`);

  let options: GatewayCommandOptions | 'help';
  let config: StorageConfig;
  try {
    options = parseOptions(argv);
    config = { ...storageConfigFromEnv(env), ...awsEndpointsFromEnv(env) };
  } catch (error) {
    fail(`${firstLine(error).split('. ')[0]} (see sluice gateway --help)`);
    return 2;
  }
  if (options === 'help') {
    out(usage);
    return 0;
  }

  let stop = (): void => {};
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const onSignal = (): void => stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let storage: Storage | undefined;
  let server: RunningKafkaServer | undefined;
  try {
    storage = createStorage(config);
    // Fail now, with the reason, rather than on a client's first request.
    await storage.topics.list().catch((error: unknown) => {
      throw new Error(`cannot read the topics table ${config.tables.topics} in ${config.region}: ${firstLine(error)}`);
    });
    server = await startGateway(storage, {
      host: options.host,
      port: options.port,
      ...(options.advertisedHost ? { advertisedHost: options.advertisedHost } : {}),
      clusterId: clusterIdOf(config),
      autoCreateTopics: options.autoCreateTopics,
      onConnectionError: (error, connection) => out(`closed a connection from ${connection.remoteAddress}: ${firstLine(error)}`),
      onServerError: (error) => out(`the listening socket: ${firstLine(error)}`),
    });
    out(`Sluice's Kafka gateway is listening on ${options.host}:${server.port}  (Ctrl-C to stop)`);
    out(`  bootstrap server  ${options.advertisedHost ?? options.host}:${server.port}`);
    out(`  storage           tables ${config.tables.topics}, ${config.tables.log}, ...; bucket ${config.bucket} in ${config.region}`);
    await stopped;
    out('stopping…');
    return 0;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    fail(code === 'EADDRINUSE' ? `port ${options.port} on ${options.host} is already in use (choose one with --port)` : firstLine(error));
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await server?.close();
    storage?.destroy();
  }
}

function parseOptions(argv: string[]): GatewayCommandOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'advertised-host': { type: 'string' },
      'auto-create-topics': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const host = values.host ?? '127.0.0.1';
  if (host === '') throw new Error('--host needs an address');
  return {
    port: values.port === undefined ? 9092 : parsePort('--port', values.port),
    host,
    ...(values['advertised-host'] ? { advertisedHost: values['advertised-host'] } : {}),
    autoCreateTopics: parseBoolean('--auto-create-topics', values['auto-create-topics'] ?? 'true'),
  };
}
