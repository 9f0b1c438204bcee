/**
 * Several regions: one stack each. The home stack owns the global tables and the source
 * bucket; replica stacks hold a replica bucket and the read path (with MRSC, also
 * consumer groups), and none refers to another's outputs.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routeTable as routes } from '../../lib/core/routes.ts';
import { storageConfigFromEnv, tableRoles } from '../../lib/core/config.ts';
import { account, functionProps, nagErrors, permissions, resources, synthesize, type Synthesized } from './synth.ts';

const bucket = (region: string) => `sluice-data-${account}-${region}`;
let strong: Synthesized;
let eventual: Synthesized;

beforeAll(() => {
  strong = synthesize(['us-east-1', 'us-east-2', 'us-west-2']);
  eventual = synthesize(['us-east-1', 'eu-west-1']);
});

const functionsIn = (template: Template) => resources(template, 'AWS::Lambda::Function').map(([, f]) => (f.Properties.Description as string).replace('Sluice ', '')).sort();
const routeKeys = (template: Template) => resources(template, 'AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey as string).sort();

describe('three regions: multi-region strong consistency', () => {
  it('makes every table a global table with MRSC and a replica in each region, each protected and recoverable', () => {
    const home = strong.templates['us-east-1']!;
    home.resourceCountIs('AWS::DynamoDB::GlobalTable', tableRoles.length);
    for (const [, table] of resources(home, 'AWS::DynamoDB::GlobalTable')) {
      expect(table.Properties.MultiRegionConsistency).toBe('STRONG');
      const replicas = table.Properties.Replicas as Array<Record<string, unknown>>;
      expect(replicas.map((r) => r.Region).sort()).toEqual(['us-east-1', 'us-east-2', 'us-west-2']);
      for (const replica of replicas) {
        expect(replica).toMatchObject({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
      }
    }
    for (const region of ['us-east-2', 'us-west-2']) strong.templates[region]!.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it('has no TTL (MRSC tables cannot): the sealer deletes sealed tail items instead', () => {
    for (const [, table] of resources(strong.templates['us-east-1']!, 'AWS::DynamoDB::GlobalTable')) {
      expect(table.Properties.TimeToLiveSpecification).toBeUndefined();
    }
    for (const region of ['us-east-1', 'us-east-2']) {
      expect(functionProps(strong.templates[region]!, 'fetch').Environment.Variables.SLUICE_TAIL_CLEANUP).toBe('delete');
    }
  });

  it('serves reads and consumer groups in replicas (conditional writes hold across regions); writes and jobs stay home', () => {
    expect(functionsIn(strong.templates['us-east-1']!)).toEqual(['admin', 'fetch', 'groups', 'jobs', 'produce']);
    const replica = strong.templates['us-east-2']!;
    expect(functionsIn(replica)).toEqual(['fetch', 'groups']);
    expect(routeKeys(replica)).toEqual(
      [...routes.filter((r) => r.group === 'fetch' || r.group === 'groups').map((r) => `${r.method} ${r.path}`), '$default'].sort(),
    );
    replica.resourceCountIs('AWS::Events::Rule', 0);
  });

  it("gives replicas' functions their region's replica tables", () => {
    const fn = functionProps(strong.templates['us-west-2']!, 'groups');
    const statements = JSON.stringify(resources(strong.templates['us-west-2']!, 'AWS::IAM::Policy').map(([, p]) => p.Properties));
    expect(statements).toContain(`arn:aws:dynamodb:us-west-2:${account}:table/sluice-groups`);
    expect(statements).not.toContain('arn:aws:dynamodb:us-east-1');
    expect(storageConfigFromEnv({ AWS_REGION: 'us-west-2', ...fn.Environment.Variables }).tables.groups).toBe('sluice-groups');
  });

  it('refuses three regions outside one MRSC region set unless told to replicate eventually', () => {
    expect(() => synthesize(['us-east-1', 'eu-west-1', 'ap-northeast-1'])).toThrow(/not in the same region set/);
    const { templates } = synthesize(['us-east-1', 'eu-west-1', 'ap-northeast-1'], { consistency: 'eventual' });
    expect(resources(templates['us-east-1']!, 'AWS::DynamoDB::GlobalTable')[0]![1].Properties.MultiRegionConsistency).toBeUndefined();
  });
});

describe('two regions: eventually consistent replicas', () => {
  it('replicates the tables without MRSC', () => {
    for (const [, table] of resources(eventual.templates['us-east-1']!, 'AWS::DynamoDB::GlobalTable')) {
      expect(table.Properties.MultiRegionConsistency).toBeUndefined();
      expect((table.Properties.Replicas as Array<{ Region: string }>).map((r) => r.Region).sort()).toEqual(['eu-west-1', 'us-east-1']);
    }
  });

  it('keeps each partition written in one home region: the replica deploys only fetch and its routes, and no jobs', () => {
    const replica = eventual.templates['eu-west-1']!;
    expect(functionsIn(replica)).toEqual(['fetch']);
    expect(routeKeys(replica)).toEqual([...routes.filter((r) => r.group === 'fetch').map((r) => `${r.method} ${r.path}`), '$default'].sort());
    replica.resourceCountIs('AWS::Events::Rule', 0);
    expect(functionsIn(eventual.templates['us-east-1']!)).toEqual(['admin', 'fetch', 'groups', 'jobs', 'produce']);
  });
});

describe('S3 cross-region replication', () => {
  it('replicates the home bucket, delete markers included, to the bucket of each replica region', () => {
    strong.templates['us-east-1']!.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: bucket('us-east-1'),
      VersioningConfiguration: { Status: 'Enabled' },
      ReplicationConfiguration: {
        Role: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        Rules: ['us-east-2', 'us-west-2'].map((region) =>
          Match.objectLike({ Status: 'Enabled', Destination: { Bucket: `arn:aws:s3:::${bucket(region)}` }, DeleteMarkerReplication: { Status: 'Enabled' } }),
        ),
      },
    });
  });

  it('gives replication a role that reads the source and writes replicas, nothing more', () => {
    const home = strong.templates['us-east-1']!;
    const replicationRole = resources(home, 'AWS::IAM::Role').find(([, r]) => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('s3.amazonaws.com'))!;
    const [, policy] = resources(home, 'AWS::IAM::Policy').find(([, p]) => p.Properties.Roles[0].Ref === replicationRole[0])!;
    const actions = (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => s.Action);
    expect(actions.filter((a) => !/^s3:(GetReplicationConfiguration|ListBucket|GetObjectVersion\w*|Replicate\w+|ObjectOwnerOverrideToBucketOwner)$/.test(a))).toEqual([]);
  });

  it('makes each replica bucket versioned and private, and lets its readers fall back to the source bucket', () => {
    for (const region of ['us-east-2', 'us-west-2']) {
      const replica = strong.templates[region]!;
      replica.hasResourceProperties('AWS::S3::Bucket', {
        BucketName: bucket(region),
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      });
      expect(resources(replica, 'AWS::S3::Bucket')[0]![1].Properties.ReplicationConfiguration).toBeUndefined();
      const variables = functionProps(replica, 'fetch').Environment.Variables as Record<string, string>;
      expect(storageConfigFromEnv({ AWS_REGION: region, ...variables })).toMatchObject({
        bucket: bucket(region),
        sourceBucket: { name: bucket('us-east-1'), region: 'us-east-1' },
      });
      const granted = permissions(replica, 'fetch');
      for (const p of ['s3:GetObject on source:staged/*', 's3:GetObject on source:segments/*', 's3:ListBucket on source']) expect(granted).toContain(p);
      expect([...granted].filter((p) => /^(dynamodb:(Put|Update|Delete|BatchWrite)|s3:(Put|Delete))/.test(p))).toEqual([]);
    }
  });
});

describe('stacks', () => {
  it('one per region; the home stack deploys after the replicas whose buckets it replicates to', () => {
    expect(strong.stacks.map((s) => s.stackName)).toEqual(['sluice-us-east-1', 'sluice-us-east-2', 'sluice-us-west-2']);
    expect(strong.stacks[0]!.dependencies.map((s) => s.stackName).sort()).toEqual(['sluice-us-east-2', 'sluice-us-west-2']);
    for (const replica of strong.stacks.slice(1)) expect(replica.dependencies).toEqual([]);
  });

  it('refer to no other stack (no exports, imports or cross-region references)', () => {
    for (const { templates } of [strong, eventual]) {
      for (const template of Object.values(templates)) {
        const text = JSON.stringify(template.toJSON());
        expect(text).not.toMatch(/Fn::ImportValue|Fn::GetStackOutput|ExportsReader|ExportsWriter/);
        for (const output of Object.values((template.toJSON().Outputs ?? {}) as Record<string, { Export?: unknown }>)) expect(output.Export).toBeUndefined();
      }
    }
  });

  it('pass cdk-nag in every region', () => {
    for (const stack of [...strong.stacks, ...eventual.stacks]) expect(nagErrors(stack)).toEqual([]);
  });
});
