/**
 * Lambda's event filtering for Kafka sources (EventBridge's pattern syntax, on the record's
 * `value` only): a record goes to the function if any pattern matches it. A value that is
 * JSON is matched field by field; any other value is matched as a string.
 *
 *   { "value": { "device_ID": [{ "prefix": "AB" }], "session": { "duration": [{ "numeric": [">", 100] }] } } }
 *   { "value": [{ "prefix": "INFO" }] }
 *
 * A pattern's keys must all match; a list of matchers matches if one does (against a list
 * in the data, if one element does). Matchers: a plain value (equal), prefix, suffix,
 * equals-ignore-case, anything-but (a value, a list, or { prefix }), numeric (up to two
 * comparisons), exists; `$or` takes a list of patterns.
 */
import { ConfigError } from './errors.ts';

export type FilterPattern = Readonly<Record<string, unknown>>;

const operators = ['prefix', 'suffix', 'equals-ignore-case', 'anything-but', 'numeric', 'exists'] as const;
const comparisons = ['<', '<=', '=', '>=', '>'] as const;

/** Checks patterns as Lambda would at creation: an object whose only key is `value`, with known matchers. */
export function checkFilterPatterns(patterns: unknown, field = 'filters'): FilterPattern[] {
  if (!Array.isArray(patterns)) throw new ConfigError(`${field} must be a list of patterns`);
  if (patterns.length > 5) throw new ConfigError(`${field}: at most 5 patterns, as Lambda allows`);
  return patterns.map((pattern, i) => {
    if (!isObject(pattern) || Object.keys(pattern).some((k) => k !== 'value') || !('value' in pattern)) {
      throw new ConfigError(`${field}[${i}] must be an object with one key, value: Kafka records are filtered on their value only`);
    }
    checkNode(pattern.value, `${field}[${i}].value`);
    return pattern;
  });
}

function checkNode(node: unknown, where: string): void {
  if (Array.isArray(node)) {
    if (node.length === 0) throw new ConfigError(`${where}: an empty list matches nothing`);
    node.forEach((m, i) => checkMatcher(m, `${where}[${i}]`));
    return;
  }
  if (!isObject(node)) throw new ConfigError(`${where} must be a list of matchers or an object of fields`);
  for (const [key, child] of Object.entries(node)) {
    if (key === '$or') {
      if (!Array.isArray(child) || child.length < 2) throw new ConfigError(`${where}.$or must list at least two patterns`);
      child.forEach((c, i) => checkNode(c, `${where}.$or[${i}]`));
    } else checkNode(child, `${where}.${key}`);
  }
}

function checkMatcher(matcher: unknown, where: string): void {
  if (matcher === null || ['string', 'number', 'boolean'].includes(typeof matcher)) return;
  if (!isObject(matcher) || Object.keys(matcher).length !== 1) throw new ConfigError(`${where} must be a value or one of ${operators.join(', ')}`);
  const [op, arg] = Object.entries(matcher)[0]!;
  switch (op) {
    case 'prefix':
    case 'suffix':
    case 'equals-ignore-case':
      if (typeof arg !== 'string') throw new ConfigError(`${where}.${op} takes a string`);
      return;
    case 'exists':
      if (typeof arg !== 'boolean') throw new ConfigError(`${where}.exists takes true or false`);
      return;
    case 'anything-but':
      if (isObject(arg) ? !(Object.keys(arg).length === 1 && typeof arg.prefix === 'string') : Array.isArray(arg) ? arg.some((v) => !isPlain(v)) : !isPlain(arg)) {
        throw new ConfigError(`${where}.anything-but takes a value, a list of values or { prefix }`);
      }
      return;
    case 'numeric': {
      const ok = Array.isArray(arg) && (arg.length === 2 || arg.length === 4) && arg.every((v, i) => (i % 2 === 0 ? comparisons.includes(v as never) : typeof v === 'number' && Number.isFinite(v)));
      if (!ok) throw new ConfigError(`${where}.numeric takes one or two comparisons, like [">", 0, "<=", 5]`);
      return;
    }
    default:
      throw new ConfigError(`${where}: unknown matcher ${op} (known: ${operators.join(', ')})`);
  }
}

/** Whether a record with this value goes to the function: no patterns, or one that matches. */
export function valueMatches(patterns: readonly FilterPattern[], value: Buffer | null): boolean {
  if (patterns.length === 0) return true;
  const data = { value: decode(value) };
  return patterns.some((pattern) => matchNode(pattern, data));
}

function decode(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function matchNode(pattern: unknown, data: unknown): boolean {
  if (Array.isArray(pattern)) return matchLeaf(pattern, data);
  if (!isObject(pattern) || !isObject(data)) return false;
  return Object.entries(pattern).every(([key, child]) => (key === '$or' ? (child as unknown[]).some((c) => matchNode(c, data)) : matchNode(child, Object.hasOwn(data, key) ? data[key] : undefined)));
}

/** `data` undefined: the field is not there. */
function matchLeaf(matchers: readonly unknown[], data: unknown): boolean {
  const values = Array.isArray(data) ? data : [data];
  return matchers.some((m) => {
    if (isObject(m) && 'exists' in m) return (data !== undefined) === m.exists;
    return data !== undefined && values.some((v) => matchOne(m, v));
  });
}

function matchOne(matcher: unknown, value: unknown): boolean {
  if (!isObject(matcher)) return matcher === value;
  const [op, arg] = Object.entries(matcher)[0]!;
  switch (op) {
    case 'prefix':
      return typeof value === 'string' && value.startsWith(arg as string);
    case 'suffix':
      return typeof value === 'string' && value.endsWith(arg as string);
    case 'equals-ignore-case':
      return typeof value === 'string' && value.toLowerCase() === (arg as string).toLowerCase();
    case 'anything-but':
      if (isObject(arg)) return typeof value === 'string' && !value.startsWith(arg.prefix as string);
      return !(Array.isArray(arg) ? arg : [arg]).includes(value);
    case 'numeric':
      return typeof value === 'number' && compareAll(arg as ReadonlyArray<string | number>, value);
    default:
      return false;
  }
}

function compareAll(spec: ReadonlyArray<string | number>, value: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const n = spec[i + 1] as number;
    const ok = { '<': value < n, '<=': value <= n, '=': value === n, '>=': value >= n, '>': value > n }[spec[i] as (typeof comparisons)[number]];
    if (!ok) return false;
  }
  return true;
}

const isPlain = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
