/** Flag parsing shared by the commands: node:util parseArgs plus Kafka's habits. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SluiceClient, type SluiceClientOptions } from '../client/client.ts';
import { UsageError } from './errors.ts';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export const defaultEndpoint = 'http://127.0.0.1:8790';

/** Flags every command takes. */
/** The help lines of the flags every command takes. */
export const commonHelp = `  --endpoint URL         API endpoint (alias --bootstrap-server; default $SLUICE_ENDPOINT or http://127.0.0.1:8790)
  --region R             sign requests (SigV4) for a custom domain in region R; execute-api URLs are signed anyway
  -h, --help             this help`;

export const globalOptions = {
  endpoint: { type: 'string' },
  'bootstrap-server': { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionsConfig;

type ConnectionFlags = { endpoint?: string | undefined; 'bootstrap-server'?: string | undefined; region?: string | undefined };

/** Parses `argv` strictly against the command's options and the global ones. */
export function parseFlags<const O extends OptionsConfig>(argv: readonly string[], options: O, command: string) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...globalOptions, ...options },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.replace(/\s+/g, ' ') : String(error), command);
  }
}

/**
 * The API endpoint: `--endpoint` (or Kafka's `--bootstrap-server`), else SLUICE_ENDPOINT,
 * else the local server. A bare `host:port`, as Kafka users type it, means http.
 */
export function resolveEndpoint(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>): string {
  const { endpoint, 'bootstrap-server': bootstrap } = flags;
  if (endpoint !== undefined && bootstrap !== undefined && endpoint !== bootstrap) {
    throw new UsageError('--endpoint and --bootstrap-server disagree; give one');
  }
  const raw = (endpoint ?? bootstrap ?? env.SLUICE_ENDPOINT ?? '').trim() || defaultEndpoint;
  return raw.includes('://') ? raw : `http://${raw}`;
}

/**
 * The endpoint and its signing: an execute-api endpoint is signed by the SDK itself;
 * `--region` signs any other (a custom domain), with credentials from the AWS chain.
 */
export function connectionFor(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>): Pick<SluiceClientOptions, 'endpoint' | 'signing'> {
  const endpoint = resolveEndpoint(flags, env);
  return flags.region === undefined ? { endpoint } : { endpoint, signing: { region: flags.region } };
}

/** A client for the resolved endpoint; a malformed endpoint or region is a usage error. */
export function clientFor(flags: ConnectionFlags, env: Readonly<Record<string, string | undefined>>): SluiceClient {
  const connection = connectionFor(flags, env);
  try {
    return new SluiceClient(connection);
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
