/**
 * The cdk-nag (AwsSolutions) findings Sluice accepts, each on the narrowest construct and
 * with its reason: the one place they live. Ids are exact, built from the resources the
 * way the rule writes them, so any other finding still fails synth.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
// The rule's own formatting of a resource in an IAM5 finding id.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { SluiceFunction } from './functions.ts';
import type { SluiceStorage } from './storage.ts';

const reasons = {
  runtime:
    'Node.js 22 on purpose: the runtime the handlers are built and tested for (esbuild target node22); moving to a newer runtime is a tested change, not a drift.',
  xray: 'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so their resource is *.',
  objectPrefix:
    'Object keys under a prefix of the Sluice data layout (staged/ or segments/, lib/storage/tables.ts) are created at run time, one per batch or segment; the grant is limited to that prefix and to the actions this function makes.',
  replication:
    "S3 cross-region replication copies every object of the home bucket, whatever its key; these are CDK's replication grants on the source bucket's objects and on the replica buckets' objects.",
  triggerRoutes:
    "A SluiceTrigger's dispatcher calls the Sluice API's routes for its one topic and group; the wildcards stand for the partition number and the member id in the path (and the API stage), which are known only at run time. Its grant to invoke the function covers the function's versions and aliases, as CDK's grantInvoke writes it.",
  accessLogs:
    "Public access is blocked and TLS required; this stack grants access only to the Sluice functions' roles, by key prefix and action. Per-request audit, where wanted, is CloudTrail data events for S3, which the account owner turns on; server access logs would need a second bucket per region and add a log write per batch.",
} as const;

/** Every function: its runtime, its X-Ray grant, and the object prefixes it was granted. */
export function acknowledgeFunction(fn: SluiceFunction, objectArns: readonly string[]): void {
  acknowledge(fn.function, 'AwsSolutions-L1', reasons.runtime);
  acknowledge(fn.role, 'AwsSolutions-IAM5[Resource::*]', reasons.xray);
  acknowledgeResources(fn.role, objectArns, reasons.objectPrefix);
}

/** A SluiceTrigger's dispatcher: its API routes (partition and member ids in the path) and its function's versions. */
export function acknowledgeTrigger(fn: SluiceFunction, arns: readonly string[]): void {
  acknowledgeResources(fn.role, arns, reasons.triggerRoutes);
}

/** The data bucket, and in the home region its replication role. */
export function acknowledgeStorage(storage: SluiceStorage): void {
  acknowledge(storage.bucket, 'AwsSolutions-S1', reasons.accessLogs);
  const replicationRole = storage.bucket.node.tryFindChild('ReplicationRole');
  if (replicationRole) {
    const objects = [storage.bucket, ...storage.replicaBuckets].map((b) => b.arnForObjects('*'));
    acknowledgeResources(replicationRole, objects, reasons.replication);
  }
}

function acknowledgeResources(scope: IConstruct, arns: readonly string[], reason: string): void {
  for (const arn of arns) acknowledge(scope, `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(scope).resolve(arn))}]`, reason);
}

function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
