import { describe, expect, it } from 'vitest';
import { appPropsFromContext } from '../../lib/infra/context.ts';
import { dataBucketName, regionRole, topology, validateName } from '../../lib/infra/topology.ts';

describe('regions: what runs where', () => {
  it('three regions replicate with strong consistency (MRSC) unless told otherwise', () => {
    expect(topology('us-east-1', ['us-east-2', 'us-west-2']).consistency).toBe('strong');
    expect(topology('us-east-1', ['us-east-2', 'us-west-2'], 'eventual').consistency).toBe('eventual');
    expect(topology('us-east-1', ['eu-west-1']).consistency).toBe('eventual');
    expect(topology('us-east-1', []).consistency).toBe('eventual');
  });

  it('refuses strong consistency without exactly three regions, repeated regions and bad names', () => {
    expect(() => topology('us-east-1', ['us-east-2'], 'strong')).toThrow('strong consistency (MRSC) needs exactly three regions, not 2');
    expect(() => topology('us-east-1', ['us-east-1'])).toThrow('regions must be distinct: us-east-1, us-east-1');
    expect(() => topology('us-east-1', ['Europe'])).toThrow("'Europe' is not an AWS region name (like us-east-1)");
  });

  it('writes stay home; replicas serve reads, and with strong consistency consumer groups too', () => {
    const eventual = topology('us-east-1', ['eu-west-1']);
    expect(regionRole(eventual, 'us-east-1')).toEqual({ region: 'us-east-1', isHome: true, functions: ['produce', 'fetch', 'groups', 'admin', 'jobs'] });
    expect(regionRole(eventual, 'eu-west-1').functions).toEqual(['fetch']);
    expect(regionRole(topology('us-east-1', ['us-east-2', 'us-west-2']), 'us-west-2').functions).toEqual(['fetch', 'groups']);
    expect(() => regionRole(eventual, 'ap-south-1')).toThrow('region ap-south-1 is neither the home region (us-east-1) nor a replica (eu-west-1)');
  });

  it('names: a deployment name that fits bucket names, and a bucket per account and region', () => {
    expect(validateName('sluice-prod')).toBe('sluice-prod');
    for (const bad of ['Sluice', '1st', 'a_b', 'x-', 'a'.repeat(21)]) expect(() => validateName(bad)).toThrow(/lowercase letters, digits and hyphens/);
    expect(dataBucketName('sluice', '111111111111', 'eu-west-1')).toBe('sluice-data-111111111111-eu-west-1');
  });
});

describe('app options from CDK context', () => {
  it('defaults to one stack in the CLI profile region', () => {
    expect(appPropsFromContext({}, { account: '111111111111', region: 'eu-west-1' })).toEqual({ regions: ['eu-west-1'], account: '111111111111', sluice: {} });
    expect(appPropsFromContext({}, {}).regions).toEqual([]);
  });

  it('reads every option, from -c strings or cdk.json values', () => {
    const props = appPropsFromContext(
      {
        'sluice:name': 'orders',
        'sluice:regions': 'us-east-1, us-east-2,us-west-2',
        'sluice:deletionProtection': 'false',
        'sluice:jwtIssuer': 'https://issuer.example.com',
        'sluice:jwtAudience': ['sluice-api'],
        'sluice:throttleRateLimit': '50',
        'sluice:jobsEveryMinutes': 5,
        'sluice:memorySize': 'fetch=2048',
        'sluice:reservedConcurrency': { jobs: 2, produce: '100' },
        'sluice:logRetentionDays': '90',
        'sluice:alarmTopicName': 'ops',
      },
      {},
    );
    expect(props.regions).toEqual(['us-east-1', 'us-east-2', 'us-west-2']);
    expect(props.alarmTopicName).toBe('ops');
    const { jobsSchedule, ...sluice } = props.sluice;
    expect(jobsSchedule?.expressionString).toBe('rate(5 minutes)');
    expect(sluice).toEqual({
      name: 'orders',
      deletionProtection: false,
      jwt: { issuer: 'https://issuer.example.com', audience: ['sluice-api'] },
      throttle: { rateLimit: 50 },
      logRetention: 90,
      functions: { produce: { reservedConcurrentExecutions: 100 }, fetch: { memorySize: 2048 }, jobs: { reservedConcurrentExecutions: 2 } },
    });
  });

  it('refuses an unknown key (a typo) and malformed values', () => {
    expect(() => appPropsFromContext({ 'sluice:region': 'us-east-1' }, {})).toThrow(/unknown context key\(s\): sluice:region/);
    expect(() => appPropsFromContext({ 'sluice:deletionProtection': 'no' }, {})).toThrow('sluice:deletionProtection must be true or false, not "no"');
    expect(() => appPropsFromContext({ 'sluice:consistency': 'strict' }, {})).toThrow('sluice:consistency must be one of strong, eventual, not "strict"');
    expect(() => appPropsFromContext({ 'sluice:reservedConcurrency': 'fetcher=1' }, {})).toThrow("sluice:reservedConcurrency: 'fetcher' is not a function");
    expect(() => appPropsFromContext({ 'sluice:memorySize': 'fetch=lots' }, {})).toThrow('sluice:memorySize fetch must be a positive integer, not "lots"');
    expect(() => appPropsFromContext({ 'sluice:logRetentionDays': '31' }, {})).toThrow(/sluice:logRetentionDays must be a CloudWatch Logs retention/);
    expect(() => appPropsFromContext({ 'sluice:jwtIssuer': 'https://issuer.example.com' }, {})).toThrow('sluice:jwtIssuer and sluice:jwtAudience go together');
    expect(() => appPropsFromContext({ 'sluice:regions': 'us-east-1,,eu-west-1' }, {})).toThrow('sluice:regions must be a comma-separated list');
  });
});
