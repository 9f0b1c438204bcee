/**
 * Sluice's data in one region: the DynamoDB tables, built from the same definitions the
 * local runner creates (lib/storage/tables.ts), and the S3 bucket for staged batches and
 * segments. The home region owns the global tables (their replicas included) and the
 * source bucket, which replicates to a bucket in each replica region.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  MultiRegionConsistency,
  TableV2,
  type Attribute,
  type ITableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { tableNamesWithPrefix, tableRoles, type TableRole } from '../core/config.ts';
import { tableDefinitions, type KeyAttribute, type TableDefinition } from '../storage/tables.ts';
import { constructId, dataBucketName, type RegionRole, type Topology } from './topology.ts';

export interface SluiceStorageProps {
  readonly name: string;
  readonly topology: Topology;
  readonly role: RegionRole;
  readonly deletionProtection: boolean;
  /** Days a deleted or overwritten object version stays recoverable. */
  readonly noncurrentVersionDays: number;
}

export class SluiceStorage extends Construct {
  readonly tables: Readonly<Record<TableRole, ITableV2>>;
  readonly tableNames: Readonly<Record<TableRole, string>>;
  readonly bucket: IBucket;
  /** The bucket's name, known before deployment (no reference to the bucket resource). */
  readonly bucketName: string;
  /** In the home region: each replica region's bucket, a replication destination. */
  readonly replicaBuckets: readonly IBucket[];
  /** In a replica region: the home bucket it replicates from, where reads fall back. */
  readonly sourceBucket?: IBucket;
  readonly sourceRegion?: string;

  constructor(scope: Construct, id: string, props: SluiceStorageProps) {
    super(scope, id);
    const { name, topology, role } = props;
    this.tableNames = tableNamesWithPrefix(`${name}-`);
    // Imported by name, not referenced: stacks in other regions must not depend on
    // each other's outputs, and a replica has its global table's name.
    const bucketIn = (region: string, id: string) => Bucket.fromBucketAttributes(this, id, { bucketName: dataBucketName(name, Stack.of(this).account, region), region });

    this.bucketName = dataBucketName(name, Stack.of(this).account, role.region);
    this.replicaBuckets = role.isHome ? topology.replicas.map((r) => bucketIn(r, `ReplicaBucket-${r}`)) : [];
    this.bucket = this.dataBucket(props, this.replicaBuckets);
    if (role.isHome) {
      this.tables = mapRoles((r) => this.globalTable(r, props));
    } else {
      this.tables = mapRoles((r) => TableV2.fromTableName(this, `${constructId(r)}Table`, this.tableNames[r]));
      this.sourceBucket = bucketIn(topology.home, 'SourceBucket');
      this.sourceRegion = topology.home;
    }
  }

  private globalTable(role: TableRole, props: SluiceStorageProps): TableV2 {
    const definition: TableDefinition = tableDefinitions[role];
    const { topology } = props;
    return new TableV2(this, `${constructId(role)}Table`, {
      tableName: this.tableNames[role],
      partitionKey: attribute(definition.partitionKey),
      ...(definition.sortKey ? { sortKey: attribute(definition.sortKey) } : {}),
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection,
      removalPolicy: RemovalPolicy.RETAIN,
      replicas: topology.replicas.map((region) => ({ region })),
      ...(topology.consistency === 'strong' ? { multiRegionConsistency: MultiRegionConsistency.STRONG } : {}),
      // Multi-region strongly consistent tables have no TTL: their sealer deletes instead (tailCleanup).
      ...(definition.timeToLiveAttribute && topology.consistency !== 'strong' ? { timeToLiveAttribute: definition.timeToLiveAttribute } : {}),
    });
  }

  /**
   * Versioned (cross-region replication needs it on both ends), so old versions expire
   * after a few days: deletes by retention and compaction then free their storage, and
   * delete markers replicate so replicas drop what home dropped.
   */
  private dataBucket(props: SluiceStorageProps, destinations: readonly IBucket[]): IBucket {
    return new Bucket(this, 'DataBucket', {
      bucketName: this.bucketName,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'cleanup',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays),
          expiredObjectDeleteMarker: true,
        },
      ],
      ...(destinations.length > 0
        ? {
            replicationRules: destinations.map((destination, i) => ({
              id: `to-${props.topology.replicas[i]}`,
              destination,
              priority: i + 1,
              deleteMarkerReplication: true,
            })),
          }
        : {}),
    });
  }
}

function mapRoles<T>(fn: (role: TableRole) => T): Record<TableRole, T> {
  return Object.fromEntries(tableRoles.map((role) => [role, fn(role)])) as Record<TableRole, T>;
}

const attributeTypes = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: attributeTypes[key.type] };
}
