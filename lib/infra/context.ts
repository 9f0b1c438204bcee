/**
 * The app's options from CDK context: `-c sluice:regions=us-east-1,eu-west-1` on the
 * command line, or the "context" of cdk.json. Every key starts with `sluice:`; an unknown
 * one is refused, which catches typos, and so is a malformed value.
 */
import { Duration } from 'aws-cdk-lib';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ConfigError } from '../core/errors.ts';
import type { FunctionOptions } from './functions.ts';
import type { SluiceAppProps } from './stack.ts';
import { functionNames, type SluiceFunctionName } from './topology.ts';

/** The context keys, each documented in the README's Deploying section. */
const contextKeys = [
  'sluice:name',
  'sluice:regions',
  'sluice:consistency',
  'sluice:deletionProtection',
  'sluice:jwtIssuer',
  'sluice:jwtAudience',
  'sluice:throttleRateLimit',
  'sluice:throttleBurstLimit',
  'sluice:jobsEveryMinutes',
  'sluice:memorySize',
  'sluice:reservedConcurrency',
  'sluice:logRetentionDays',
  'sluice:alarmTopicName',
] as const;

type ContextKey = (typeof contextKeys)[number];

/** What the app deploys, from `context` and the CLI's default account and region. */
export function appPropsFromContext(context: Readonly<Record<string, unknown>>, defaults: { account?: string; region?: string }): SluiceAppProps {
  const unknown = Object.keys(context).filter((k) => k.startsWith('sluice:') && !(contextKeys as readonly string[]).includes(k));
  if (unknown.length > 0) throw new ConfigError(`unknown context key(s): ${unknown.join(', ')} (known: ${contextKeys.join(', ')})`);
  const get = (key: ContextKey) => context[key];

  const regions = list(get('sluice:regions'), 'sluice:regions') ?? (defaults.region ? [defaults.region] : []);
  const consistency = oneOf(get('sluice:consistency'), 'sluice:consistency', ['strong', 'eventual'] as const);
  const issuer = text(get('sluice:jwtIssuer'), 'sluice:jwtIssuer');
  const audience = list(get('sluice:jwtAudience'), 'sluice:jwtAudience');
  if ((issuer === undefined) !== (audience === undefined)) throw new ConfigError('sluice:jwtIssuer and sluice:jwtAudience go together');
  const rateLimit = count(get('sluice:throttleRateLimit'), 'sluice:throttleRateLimit');
  const burstLimit = count(get('sluice:throttleBurstLimit'), 'sluice:throttleBurstLimit');
  const jobsMinutes = count(get('sluice:jobsEveryMinutes'), 'sluice:jobsEveryMinutes');
  const logDays = count(get('sluice:logRetentionDays'), 'sluice:logRetentionDays');
  if (logDays !== undefined && !(Object.values(RetentionDays) as unknown[]).includes(logDays)) {
    throw new ConfigError(`sluice:logRetentionDays must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, ...), not ${logDays}`);
  }
  const memory = perFunction(get('sluice:memorySize'), 'sluice:memorySize');
  const reserved = perFunction(get('sluice:reservedConcurrency'), 'sluice:reservedConcurrency');
  const functions: Partial<Record<SluiceFunctionName, FunctionOptions>> = Object.fromEntries(
    functionNames
      .filter((fn) => memory[fn] !== undefined || reserved[fn] !== undefined)
      .map((fn) => [fn, { ...(memory[fn] !== undefined ? { memorySize: memory[fn] } : {}), ...(reserved[fn] !== undefined ? { reservedConcurrentExecutions: reserved[fn] } : {}) }]),
  );
  const name = text(get('sluice:name'), 'sluice:name');
  const deletionProtection = flag(get('sluice:deletionProtection'), 'sluice:deletionProtection');
  const alarmTopicName = text(get('sluice:alarmTopicName'), 'sluice:alarmTopicName');

  return {
    regions,
    ...(defaults.account ? { account: defaults.account } : {}),
    ...(alarmTopicName ? { alarmTopicName } : {}),
    sluice: {
      ...(name !== undefined ? { name } : {}),
      ...(consistency ? { consistency } : {}),
      ...(deletionProtection !== undefined ? { deletionProtection } : {}),
      ...(issuer && audience ? { jwt: { issuer, audience } } : {}),
      ...(rateLimit !== undefined || burstLimit !== undefined ? { throttle: { ...(rateLimit !== undefined ? { rateLimit } : {}), ...(burstLimit !== undefined ? { burstLimit } : {}) } } : {}),
      ...(jobsMinutes !== undefined ? { jobsSchedule: Schedule.rate(Duration.minutes(jobsMinutes)) } : {}),
      ...(logDays !== undefined ? { logRetention: logDays as RetentionDays } : {}),
      ...(Object.keys(functions).length > 0 ? { functions } : {}),
    },
  };
}

function text(value: unknown, key: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${key} must be a non-empty string`);
  return value.trim();
}

/** A list from a JSON array (cdk.json) or a comma-separated string (-c). */
function list(value: unknown, key: string): string[] | undefined {
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  const cleaned = items?.map((item) => (typeof item === 'string' ? item.trim() : ''));
  if (!cleaned || cleaned.length === 0 || cleaned.some((item) => item === '')) throw new ConfigError(`${key} must be a comma-separated list`);
  return cleaned;
}

function flag(value: unknown, key: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`${key} must be true or false, not ${JSON.stringify(value)}`);
}

function count(value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new ConfigError(`${key} must be a positive integer, not ${JSON.stringify(value)}`);
  return n;
}

function oneOf<T extends string>(value: unknown, key: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new ConfigError(`${key} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return value as T;
}

/** `fetch=2048,jobs=3008` (-c) or `{ "fetch": 2048 }` (cdk.json), by function name. */
function perFunction(value: unknown, key: string): Partial<Record<SluiceFunctionName, number>> {
  if (value === undefined) return {};
  const entries =
    typeof value === 'string'
      ? value.split(',').map((pair) => pair.split('=').map((s) => s.trim()))
      : typeof value === 'object' && value !== null && !Array.isArray(value)
        ? Object.entries(value)
        : undefined;
  if (!entries) throw new ConfigError(`${key} must look like produce=100,fetch=200`);
  return Object.fromEntries(
    entries.map(([fn, n]) => {
      if (!(functionNames as readonly unknown[]).includes(fn)) throw new ConfigError(`${key}: '${String(fn)}' is not a function (${functionNames.join(', ')})`);
      return [fn, count(n, `${key} ${String(fn)}`)];
    }),
  );
}
