/**
 * The one table of AWS list prices the bench's cost report uses: us-east-1 (N. Virginia),
 * on-demand, no free tier, no volume tiers beyond the first, no Savings Plans.
 *
 * Checked 2026-11-25 with the project's search tool, which reads stored copies of public
 * pages (not the live pricing pages, whose price tables are filled in by script and are
 * mostly missing from those copies). Each entry names the AWS page that is the authority
 * and the copy that confirmed the figure. Change a price here and nowhere else.
 *
 * Units: AWS bills data in "GB"; the report treats a GB as a GiB (2^30 bytes), as AWS
 * billing does for data volumes. The difference, had it been 10^9 bytes, is 7%.
 */

export interface Price {
  /** US dollars per `per`. */
  readonly usd: number;
  readonly per: string;
  readonly what: string;
  /** Where the figure comes from and how it was confirmed. */
  readonly source: string;
}

export const pricesCheckedOn = '2026-11-25';
export const priceRegion = 'us-east-1';

export const prices = {
  // DynamoDB on-demand request units were cut by 50% from 1 Nov 2024 (they had been
  // $1.25 and $0.25 per million). Authority: https://aws.amazon.com/dynamodb/pricing/on-demand/
  // Confirmed: airbyte.com/data-engineering-resources/dynamodb-pricing (Jul 2025, "$0.625 per
  // million write request units, $0.125 per million read request units" after the late-2024
  // cut) and jusdb.com's DynamoDB cost guide (Aug 2025, "effective November 1, 2024 ... 50%").
  dynamodbWriteUnit: {
    usd: 0.625 / 1e6,
    per: 'write request unit',
    what: 'DynamoDB on-demand write request unit (1 KB written; a delete costs the same as a write)',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand ($0.625 per million, after the 1 Nov 2024 cut); confirmed via airbyte.com and jusdb.com guides',
  },
  dynamodbReadUnit: {
    usd: 0.125 / 1e6,
    per: 'read request unit',
    what: 'DynamoDB on-demand read request unit (4 KB read strongly consistent)',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand ($0.125 per million, after the 1 Nov 2024 cut); confirmed via airbyte.com and jusdb.com guides',
  },
  // Authority and confirmation: the stored copy of https://aws.amazon.com/dynamodb/pricing/
  // ("the first 25 GB consumed per month is free, and prices start from $0.25 per GB-month").
  dynamodbStorage: {
    usd: 0.25,
    per: 'GB-month',
    what: 'DynamoDB Standard table storage (excluded: storage time)',
    source: 'aws.amazon.com/dynamodb/pricing ("$0.25 per GB-month", first 25 GB free)',
  },
  // Authority: https://aws.amazon.com/s3/pricing/ (Requests & data retrievals, S3 Standard).
  // Confirmed: c3x.dev/blog/s3-request-fees-explained ("PUT, COPY, POST, LIST: $0.005 per
  // 1,000; GET, HEAD, SELECT: $0.0004 per 1,000" at S3 Standard).
  s3Tier1Request: {
    usd: 0.005 / 1000,
    per: 'request',
    what: 'S3 Standard PUT, COPY, POST, LIST request',
    source: 'aws.amazon.com/s3/pricing ($0.005 per 1,000); confirmed via c3x.dev S3 request-fee guide',
  },
  s3Tier2Request: {
    usd: 0.0004 / 1000,
    per: 'request',
    what: 'S3 Standard GET, SELECT, HEAD request (a ranged GET is one GET)',
    source: 'aws.amazon.com/s3/pricing ($0.0004 per 1,000); confirmed via c3x.dev S3 request-fee guide',
  },
  // Authority: https://aws.amazon.com/s3/pricing/ ("DELETE and CANCEL requests are free");
  // the stored S3 FAQ says "as with standard delete requests, Amazon S3 doesn't charge you for
  // removing objects". DeleteObjects (multi-object delete) is sent as a POST; we price it as a
  // DELETE, which we could not confirm. Were it billed as a POST, sealing would cost
  // $0.005 per 1,000 deletes of up to 100 objects: under $0.0001 per GiB in either scenario.
  s3DeleteRequest: {
    usd: 0,
    per: 'request',
    what: 'S3 DELETE (DeleteObject, DeleteObjects: assumed free like DELETE)',
    source: 'aws.amazon.com/s3/pricing and S3 FAQ (delete requests are free); DeleteObjects assumed the same, not confirmed',
  },
  // Authority: https://aws.amazon.com/s3/pricing/ (S3 Standard, first 50 TB / month).
  // Confirmed: cloudburn.io/blog/amazon-s3-pricing (Mar 2026, us-east-1: "$0.023/GB/month").
  s3Storage: {
    usd: 0.023,
    per: 'GB-month',
    what: 'S3 Standard storage, first 50 TB (excluded: storage time)',
    source: 'aws.amazon.com/s3/pricing ($0.023 per GB-month); confirmed via cloudburn.io (Mar 2026)',
  },
  // Authority: https://aws.amazon.com/api-gateway/pricing/ (HTTP APIs, first 300 million a
  // month). Confirmed: awsforengineers.com (May 2025, "$1.00 per million requests (first
  // 300M)"); stormit.cloud and cloud-horizons.com (May 2026): "HTTP API calls are metered in
  // 512 KB increments, so 513 KB is metered as two requests".
  apiGatewayHttpRequest: {
    usd: 1.0 / 1e6,
    per: '512 KB metered request',
    what: 'API Gateway HTTP API request, metered in 512 KB increments',
    source: 'aws.amazon.com/api-gateway/pricing ($1.00 per million, first 300 million; 512 KB increments); confirmed via awsforengineers.com, stormit.cloud, cloud-horizons.com',
  },
  // Authority: https://aws.amazon.com/lambda/pricing/. Confirmed: kodekloud Lambda pricing
  // notes and a lambda cost note on git.mcrn.ar (May 2026): requests "$0.20 / 1M", arm64
  // duration "$0.0000133334 / GB-s" (first tier).
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: 'invocation',
    what: 'Lambda request',
    source: 'aws.amazon.com/lambda/pricing ($0.20 per million); confirmed via kodekloud notes',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'GB-second',
    what: 'Lambda duration, arm64, first tier',
    source: 'aws.amazon.com/lambda/pricing ($0.0000133334 per GB-s arm64); confirmed via kodekloud notes',
  },
  // Authority: https://aws.amazon.com/kinesis/data-streams/pricing/ (on-demand, called
  // On-Demand Standard since a discounted On-Demand Advantage mode with a commitment was
  // added; not used here). Confirmed: trek10.com "Kinesis Data Streams on-demand vs.
  // provisioned" (us-east-1: "$0.08 per GB" in, payloads rounded up to 1 KB; "$0.04/GB" out;
  // "$0.04 per stream hour"). The stream-hour charge is left out (not per GiB). The stored
  // copy of the pricing page's key terms: Data-In is "the number of data records you send
  // ... multiplied by the size of each record rounded up to the nearest 1 KB (1,024 bytes)";
  // kinesisOnDemandUsd applies that to data in, and bills data out on the bytes read.
  kinesisOnDemandIn: {
    usd: 0.08,
    per: 'GB',
    what: 'Kinesis Data Streams on-demand, data in (each record rounded up to the next 1 KB, 1,024 bytes)',
    source: 'aws.amazon.com/kinesis/data-streams/pricing ($0.08 per GB); confirmed via trek10.com',
  },
  kinesisOnDemandOut: {
    usd: 0.04,
    per: 'GB',
    what: 'Kinesis Data Streams on-demand, data out (shared throughput, no enhanced fan-out)',
    source: 'aws.amazon.com/kinesis/data-streams/pricing ($0.04 per GB); confirmed via trek10.com',
  },
  kinesisOnDemandStreamHour: {
    usd: 0.04,
    per: 'stream-hour',
    what: 'Kinesis Data Streams on-demand, per stream (left out of per-GiB figures)',
    source: 'aws.amazon.com/kinesis/data-streams/pricing ($0.04 per stream-hour); confirmed via trek10.com',
  },
  // Authority: https://aws.amazon.com/msk/pricing/ (MSK Serverless). Confirmed: a us-east-1
  // MSK Serverless price table in gist.github.com/EverettBerry (Oct 2022): data in "$0.10 per
  // GiB", data out "$0.05 per GiB", "$0.75 per hour" per cluster, "$0.0015 per partition per
  // hour". Cluster and partition hours are left out (not per GiB).
  mskServerlessIn: {
    usd: 0.1,
    per: 'GB',
    what: 'MSK Serverless, data in',
    source: 'aws.amazon.com/msk/pricing ($0.10 per GiB); confirmed via an Oct 2022 us-east-1 table (gist EverettBerry)',
  },
  mskServerlessOut: {
    usd: 0.05,
    per: 'GB',
    what: 'MSK Serverless, data out',
    source: 'aws.amazon.com/msk/pricing ($0.05 per GiB); same confirmation',
  },
  mskServerlessClusterHour: {
    usd: 0.75,
    per: 'cluster-hour',
    what: 'MSK Serverless, per cluster (left out of per-GiB figures)',
    source: 'aws.amazon.com/msk/pricing ($0.75 per cluster-hour); same confirmation',
  },
  mskServerlessPartitionHour: {
    usd: 0.0015,
    per: 'partition-hour',
    what: 'MSK Serverless, per partition (left out of per-GiB figures)',
    source: 'aws.amazon.com/msk/pricing ($0.0015 per partition-hour); same confirmation',
  },
} as const satisfies Record<string, Price>;

export type PriceId = keyof typeof prices;

/** The dollar targets and comparisons the report prints, per GiB produced and consumed once. */
export const comparisons = {
  kinesisOnDemand: prices.kinesisOnDemandIn.usd + prices.kinesisOnDemandOut.usd,
  mskServerless: prices.mskServerlessIn.usd + prices.mskServerlessOut.usd,
  /** The target for bulk batches. */
  bulkTargetPerGiB: 0.02,
  /**
   * Issue 13's targets for small JSON records compressed with zstd (smallJsonZstd): storage
   * requests, and all-in with API Gateway and Lambda, at most Kinesis on-demand's data charges.
   */
  smallJsonZstdStorageTargetPerGiB: 0.12,
  smallJsonZstdAllInTargetPerGiB: 0.25,
} as const;

/**
 * Kinesis on-demand's data charges for `valueBytes` of record data produced and consumed
 * once, `billedInBytes` of which it bills in (each record rounded up to the next 1 KB).
 */
export function kinesisOnDemandUsd(valueBytes: number, billedInBytes: number): number {
  const GiB = 1024 ** 3;
  return (billedInBytes / GiB) * prices.kinesisOnDemandIn.usd + (valueBytes / GiB) * prices.kinesisOnDemandOut.usd;
}

/** How S3 bills a request, by the SDK command that made it. */
export type S3RequestClass = 'tier1' | 'tier2' | 'free';

const s3Classes: Record<string, S3RequestClass> = {
  PutObjectCommand: 'tier1',
  CopyObjectCommand: 'tier1',
  CreateMultipartUploadCommand: 'tier1',
  UploadPartCommand: 'tier1',
  UploadPartCopyCommand: 'tier1',
  CompleteMultipartUploadCommand: 'tier1',
  ListObjectsCommand: 'tier1',
  ListObjectsV2Command: 'tier1',
  ListMultipartUploadsCommand: 'tier1',
  ListPartsCommand: 'tier1',
  CreateBucketCommand: 'tier1',
  GetObjectCommand: 'tier2',
  HeadObjectCommand: 'tier2',
  HeadBucketCommand: 'tier2',
  SelectObjectContentCommand: 'tier2',
  DeleteObjectCommand: 'free',
  DeleteObjectsCommand: 'free',
  AbortMultipartUploadCommand: 'free',
};

/** A command this table does not know is priced as a PUT (the dearer class), never as free. */
export function s3RequestClass(command: string): S3RequestClass {
  return s3Classes[command] ?? 'tier1';
}

export function s3RequestKnown(command: string): boolean {
  return command in s3Classes;
}

export function s3RequestPrice(command: string): number {
  const cls = s3RequestClass(command);
  return cls === 'tier1' ? prices.s3Tier1Request.usd : cls === 'tier2' ? prices.s3Tier2Request.usd : prices.s3DeleteRequest.usd;
}
