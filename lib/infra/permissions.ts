/**
 * What each function may do to each table and to the data bucket, read off the storage
 * calls its routes make (lib/api over lib/storage) and the jobs make (lib/jobs). The one
 * list of actions; each function's role gets exactly these and nothing else.
 */
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { TableRole } from '../core/config.ts';
import { bucketLayout } from '../storage/tables.ts';
import type { SluiceFunctionName } from './topology.ts';

type DynamoDbOperation = 'GetItem' | 'Query' | 'Scan' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem';
type KeyPrefix = keyof typeof bucketLayout;

export interface StorageAccess {
  readonly tables: Partial<Record<TableRole, readonly DynamoDbOperation[]>>;
  readonly objects?: {
    readonly get?: readonly KeyPrefix[];
    readonly put?: readonly KeyPrefix[];
    readonly delete?: readonly KeyPrefix[];
    /**
     * ListBucket. Besides listing, it makes S3 answer a GET of a missing key with
     * NoSuchKey instead of AccessDenied, and readers rely on NoSuchKey to tell an object
     * that a job just moved (read again) from a fault.
     */
    readonly list?: boolean;
  };
}

/** Sealing, retention, compaction, garbage collection, purges, and the lag metrics. */
const jobs: StorageAccess = {
  tables: {
    topics: ['GetItem', 'Scan', 'DeleteItem'],
    log: ['Query', 'BatchWriteItem'],
    partitions: ['GetItem', 'UpdateItem', 'DeleteItem'],
    segments: ['Query', 'PutItem', 'DeleteItem'],
    groups: ['Query', 'Scan'],
  },
  objects: { get: ['staged', 'segments'], put: ['segments'], delete: ['staged', 'segments'], list: true },
};

/** Topic and group administration; POST /v1/jobs/run adds what the jobs need (merged below). */
const adminRoutes: StorageAccess = {
  tables: {
    topics: ['GetItem', 'Scan', 'PutItem', 'DeleteItem'],
    log: ['Query'],
    partitions: ['GetItem'],
    segments: ['Query'],
    groups: ['Query', 'Scan', 'UpdateItem', 'DeleteItem'],
  },
  // Resetting a group's offsets to a timestamp reads records.
  objects: { get: ['staged', 'segments'], list: true },
};

export const functionAccess: Readonly<Record<SluiceFunctionName, StorageAccess>> = {
  // Appends (large batches staged in S3 first) and idempotent producers: their state, and
  // where an earlier try of a batch landed (the tail, or sealed segments' batch headers).
  // The one delete is of a producer id it allocated and lost to a concurrent init. It
  // cannot change topics nor touch groups.
  produce: {
    tables: {
      topics: ['GetItem'],
      log: ['Query', 'PutItem'],
      partitions: ['GetItem'],
      segments: ['Query'],
      producers: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem'],
    },
    objects: { get: ['segments'], put: ['staged'], list: true },
  },
  // Reads only.
  fetch: {
    tables: { topics: ['GetItem'], log: ['Query'], partitions: ['GetItem'], segments: ['Query'] },
    objects: { get: ['staged', 'segments'], list: true },
  },
  // Membership, leases and commits: the groups table, and topics to check partitions.
  groups: {
    tables: { topics: ['GetItem'], groups: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query'] },
  },
  admin: merge(adminRoutes, jobs),
  jobs,
};

/** Where a function's storage lives in its region. */
export interface StorageTargets {
  readonly tables: Readonly<Record<TableRole, ITableV2>>;
  readonly bucket: IBucket;
  /** In a replica region, the home bucket that reads fall back to. */
  readonly sourceBucket?: IBucket;
}

/**
 * Grants `grantee` exactly `access` on `targets`; object reads extend to the source
 * bucket. Answers the object ARNs granted (each a key prefix and a wildcard).
 */
export function grantStorage(grantee: IGrantable, access: StorageAccess, targets: StorageTargets): string[] {
  for (const [role, operations] of Object.entries(access.tables) as Array<[TableRole, readonly DynamoDbOperation[]]>) {
    Grant.addToPrincipal({
      grantee,
      actions: operations.map((op) => `dynamodb:${op}`),
      resourceArns: [targets.tables[role].tableArn],
    });
  }
  const objects = access.objects ?? {};
  const readable = [targets.bucket, ...(targets.sourceBucket ? [targets.sourceBucket] : [])];
  const objectArns = new Set<string>();
  const grantObjects = (action: string, prefixes: readonly KeyPrefix[] | undefined, buckets: readonly IBucket[]) => {
    if (!prefixes?.length) return;
    const resourceArns = buckets.flatMap((b) => prefixes.map((p) => b.arnForObjects(`${bucketLayout[p]}*`)));
    Grant.addToPrincipal({ grantee, actions: [action], resourceArns });
    for (const arn of resourceArns) objectArns.add(arn);
  };
  grantObjects('s3:GetObject', objects.get, readable);
  grantObjects('s3:PutObject', objects.put, [targets.bucket]);
  grantObjects('s3:DeleteObject', objects.delete, [targets.bucket]);
  if (objects.list) Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: readable.map((b) => b.bucketArn) });
  return [...objectArns];
}

function merge(a: StorageAccess, b: StorageAccess): StorageAccess {
  const union = <T>(x: readonly T[] = [], y: readonly T[] = []) => [...new Set([...x, ...y])];
  const roles = [...new Set([...Object.keys(a.tables), ...Object.keys(b.tables)])] as TableRole[];
  return {
    tables: Object.fromEntries(roles.map((role) => [role, union(a.tables[role], b.tables[role])])),
    objects: {
      get: union(a.objects?.get, b.objects?.get),
      put: union(a.objects?.put, b.objects?.put),
      delete: union(a.objects?.delete, b.objects?.delete),
      list: Boolean(a.objects?.list || b.objects?.list),
    },
  };
}
