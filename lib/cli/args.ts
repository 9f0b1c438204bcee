/** Flag parsing shared by the commands: node:util parseArgs plus Kafka's habits. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SluiceClient, type SluiceClientOptions } from '../client/client.ts';
import { ConnectionError } from '../client/errors.ts';
import { Sluice } from '../client/index.ts';
import { InputError, UsageError } from './errors.ts';
import type { CliIo } from './io.ts';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** A command's flags and its help, kept side by side so a test can check the help names every flag. */
export interface CommandSpec {
  readonly options: OptionsConfig;
  readonly help: string;
}

export const defaultEndpoint = 'http://127.0.0.1:8790';

/** The help lines of the flags every command takes. */
export const commonHelp = `  --endpoint URL         API endpoint (default $SLUICE_ENDPOINT or http://127.0.0.1:8790)
  --bootstrap-server H   alias of --endpoint; a list a:1,b:2 uses the first that answers
                         (a host without a scheme means http://)
  --region R             sign requests (SigV4) for a custom domain in region R; execute-api URLs are signed anyway
  -h, --help             this help`;

/** Flags every command takes. */
export const globalOptions = {
  endpoint: { type: 'string' },
  'bootstrap-server': { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

type ConnectionFlags = { endpoint?: string | undefined; 'bootstrap-server'?: string | undefined; region?: string | undefined };

/** Parses `argv` strictly against the command's options and the global ones. */
export function parseFlags<const O extends OptionsConfig>(argv: readonly string[], options: O, command: string) {
  const all = { ...globalOptions, ...options };
  try {
    return parseArgs({
      args: dashValuesJoined(argv, all),
      options: all,
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error), command);
  }
}

/**
 * `--shift-by -2`, `--offset -1`, as Kafka users type them: parseArgs calls a value that
 * starts with a dash ambiguous. A single-dash word after a flag that takes a value is that
 * value (no command has single-dash flags but -h); a `--word` is still a flag.
 */
export function dashValuesJoined(argv: readonly string[], options: OptionsConfig): string[] {
  const shorts = new Set(Object.values(options).flatMap((o) => (o.short === undefined ? [] : [`-${o.short}`])));
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-[^-]/.test(next) && !shorts.has(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/**
 * The API endpoints to try, in order: `--endpoint` (or Kafka's `--bootstrap-server`, which
 * may list several, comma-separated), else SLUICE_ENDPOINT, else the local server. A bare
 * `host:port`, as Kafka users type it, means http.
 */
export function resolveEndpoints(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>): string[] {
  const { endpoint, 'bootstrap-server': bootstrap } = flags;
  if (endpoint !== undefined && bootstrap !== undefined && endpoint !== bootstrap) {
    throw new UsageError('--endpoint and --bootstrap-server disagree; give one');
  }
  const raw = (endpoint ?? bootstrap ?? env.SLUICE_ENDPOINT ?? '').trim() || defaultEndpoint;
  const endpoints = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  if (endpoints.length === 0) throw new UsageError(`no endpoint in '${raw}'`);
  return endpoints.map((e) => (e.includes('://') ? e : `http://${e}`));
}

/** The endpoint and its signing, as SluiceClient and Sluice take them. */
export type Connection = Pick<SluiceClientOptions, 'endpoint' | 'signing'>;

/** How long a server in a --bootstrap-server list has to answer before the next is tried. */
export const probeTimeoutMs = 5_000;

/**
 * The endpoint to use and its signing: an execute-api endpoint is signed by the SDK
 * itself; `--region` signs any other (a custom domain), with credentials from the AWS
 * chain. Of several endpoints, the first that answers (any HTTP answer, even an error,
 * counts), as Kafka clients use their bootstrap list; one endpoint is not probed.
 */
export async function connectionFor(flags: ConnectionFlags, io: Pick<CliIo, 'env' | 'signal'>): Promise<Connection> {
  const connections = resolveEndpoints(flags, io.env).map((endpoint): Connection =>
    flags.region === undefined ? { endpoint } : { endpoint, signing: { region: flags.region } },
  );
  if (connections.length === 1) return connections[0]!;
  // Every endpoint of the list is checked (a malformed one is a usage error) before any is tried.
  const probes = connections.map((c) => newClient({ ...c, retries: 0, timeoutMs: probeTimeoutMs }));
  for (const [i, probe] of probes.entries()) {
    try {
      await probe.listTopics({ signal: io.signal });
      return connections[i]!;
    } catch (error) {
      if (!(error instanceof ConnectionError)) return connections[i]!;
    }
  }
  throw new InputError(`cannot reach any of ${connections.map((c) => c.endpoint).join(', ')}`);
}

/** A client for the endpoint that answers; a malformed endpoint or region is a usage error. */
export async function clientFor(flags: ConnectionFlags, io: Pick<CliIo, 'env' | 'signal'>): Promise<SluiceClient> {
  return newClient(await connectionFor(flags, io));
}

/** The SDK (producers, consumers, admin) for the endpoint that answers. */
export async function sluiceFor(flags: ConnectionFlags, io: Pick<CliIo, 'env' | 'signal'>): Promise<Sluice> {
  const connection = await connectionFor(flags, io);
  return asUsageError(() => new Sluice({ ...connection }));
}

function newClient(options: SluiceClientOptions): SluiceClient {
  return asUsageError(() => new SluiceClient(options));
}

/** A malformed endpoint or region, refused by the SDK's constructors, is the user's typing. */
function asUsageError<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Parses an integer flag value within bounds, or explains which flag is wrong. */
export function parseIntFlag(flag: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const trimmed = value.trim();
  const number = /^[+-]?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`${flag} must be an integer${max === Number.MAX_SAFE_INTEGER ? ` >= ${min}` : ` in [${min}, ${max}]`}, not '${value}'`);
  }
  return number;
}

/** Requires a string flag. */
export function required(flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`missing required --${flag}`);
  return value;
}

/**
 * Kafka's `--property key=value` list, checked against the keys a command knows. A bare
 * `print.key` means `print.key=true`. Later entries win, as in Kafka.
 */
export function parseProperties(entries: readonly string[] | undefined, known: readonly string[]): Map<string, string> {
  const properties = new Map<string, string>();
  for (const entry of entries ?? []) {
    const at = entry.indexOf('=');
    const key = (at < 0 ? entry : entry.slice(0, at)).trim();
    const value = at < 0 ? 'true' : entry.slice(at + 1);
    if (!known.includes(key)) {
      throw new UsageError(`unknown property '${key}' (known: ${known.join(', ')})`);
    }
    properties.set(key, value);
  }
  return properties;
}

/** A boolean property: true/false in any case. */
export function booleanProperty(properties: ReadonlyMap<string, string>, key: string, fallback: boolean): boolean {
  const value = properties.get(key);
  if (value === undefined) return fallback;
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true') return true;
  if (normalized === 'false') return false;
  throw new UsageError(`property ${key} must be true or false, not '${value}'`);
}
