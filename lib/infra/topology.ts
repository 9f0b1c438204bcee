/**
 * Where each part of Sluice runs when it spans regions, and the names that let the
 * per-region stacks find each other without cross-region references.
 *
 *   home region      tables (global, with replicas), source bucket, every function, jobs
 *   replica region   replica tables, replica bucket (CRR from home), fetch;
 *                    with strong consistency also the consumer group routes
 *
 * Offsets stay dense only while conditional writes on a partition's tail meet each other.
 * With eventually consistent replicas two regions could both win the same offset, so
 * every write stays in the home region: a partition then has one home at a time by
 * construction. Multi-region strong consistency (exactly three regions) makes
 * conditional writes hold across regions, so replicas also serve consumer groups, which
 * touch only DynamoDB. Produce, admin and jobs stay home under both modes: they write S3
 * objects, and replication copies objects one way, home to replicas.
 */
import type { RouteGroup } from '../core/routes.ts';
import { ConfigError } from '../core/errors.ts';

/** The Lambda functions: one per route group, and the background jobs. */
export type SluiceFunctionName = RouteGroup | 'jobs';
export const functionNames = ['produce', 'fetch', 'groups', 'admin', 'jobs'] as const satisfies readonly SluiceFunctionName[];

export type Consistency = 'strong' | 'eventual';

export interface Topology {
  readonly home: string;
  readonly replicas: readonly string[];
  /** How the global tables replicate; 'eventual' also for a single region (no replicas). */
  readonly consistency: Consistency;
}

/** What one region of a topology runs. */
export interface RegionRole {
  readonly region: string;
  readonly isHome: boolean;
  readonly functions: readonly SluiceFunctionName[];
}

const regionPattern = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * Checks a home region and replica regions and picks the consistency mode: strong for
 * exactly three regions unless `consistency` says otherwise, eventual for any other count.
 */
export function topology(home: string, replicas: readonly string[], consistency?: Consistency): Topology {
  for (const region of [home, ...replicas]) {
    if (!regionPattern.test(region)) throw new ConfigError(`'${region}' is not an AWS region name (like us-east-1)`);
  }
  if (new Set([home, ...replicas]).size !== replicas.length + 1) {
    throw new ConfigError(`regions must be distinct: ${[home, ...replicas].join(', ')}`);
  }
  const regions = replicas.length + 1;
  if (consistency === 'strong' && regions !== 3) {
    throw new ConfigError(`strong consistency (MRSC) needs exactly three regions, not ${regions}`);
  }
  return { home, replicas: [...replicas], consistency: consistency ?? (regions === 3 ? 'strong' : 'eventual') };
}

/** What `region` runs in `t`. */
export function regionRole(t: Topology, region: string): RegionRole {
  if (region === t.home) return { region, isHome: true, functions: functionNames };
  if (!t.replicas.includes(region)) {
    throw new ConfigError(`region ${region} is neither the home region (${t.home}) nor a replica (${t.replicas.join(', ') || 'none'})`);
  }
  return { region, isHome: false, functions: t.consistency === 'strong' ? ['fetch', 'groups'] : ['fetch'] };
}

const namePattern = /^[a-z][a-z0-9-]{0,19}$/;

/** Checks a deployment name: it starts table, bucket and dashboard names. */
export function validateName(name: string): string {
  if (!namePattern.test(name) || name.endsWith('-')) {
    throw new ConfigError(`name '${name}' must be 1 to 20 lowercase letters, digits and hyphens, starting with a letter`);
  }
  return name;
}

/**
 * The data bucket of one region. Bucket names are global across AWS accounts, so the
 * account and region are part of it; being derivable, the home stack can name each
 * replica's bucket as a replication destination, and a replica its source.
 */
export function dataBucketName(name: string, account: string, region: string): string {
  return `${name}-data-${account}-${region}`;
}

/** A construct id from a role or function name: `topics` → `Topics`. */
export function constructId(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}
