/**
 * The deployable app: one stack per region, each with one `Sluice`. The replica regions'
 * stacks deploy first, since the home bucket names their buckets as replication
 * destinations; none reads another's outputs, so no cross-region references.
 */
import { Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { Sluice, type SluiceProps } from './sluice.ts';

export interface SluiceStackProps extends StackProps {
  readonly sluice: SluiceProps;
  /** Alarms notify the SNS topic of this name in the stack's region. @default no notification */
  readonly alarmTopicName?: string;
}

export class SluiceStack extends Stack {
  readonly sluice: Sluice;

  constructor(scope: Construct, id: string, props: SluiceStackProps) {
    super(scope, id, props);
    const alarmActions = props.alarmTopicName
      ? [new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', this.formatArn({ service: 'sns', resource: props.alarmTopicName })))]
      : [];
    this.sluice = new Sluice(this, 'Sluice', { ...props.sluice, alarmActions: [...alarmActions, ...(props.sluice.alarmActions ?? [])] });
  }
}

export interface SluiceAppProps {
  /** The home region first, then the replica regions; empty: one stack, region chosen at deploy. */
  readonly regions: readonly string[];
  readonly account?: string;
  readonly sluice: Omit<SluiceProps, 'homeRegion' | 'replicaRegions'>;
  readonly alarmTopicName?: string;
}

/** A stack per region, named `<name>-<region>` (or `<name>` for the region-agnostic one). */
export function addSluiceStacks(scope: Construct, props: SluiceAppProps): SluiceStack[] {
  const name = props.sluice.name ?? 'sluice';
  const [home, ...replicas] = props.regions;
  const regions: Array<string | undefined> = home === undefined ? [undefined] : [home, ...replicas];
  const stacks = regions.map(
    (region) =>
      new SluiceStack(scope, region ? `${name}-${region}` : name, {
        env: { account: props.account, region },
        description: `Sluice (${name}) ${region === undefined || region === home ? 'home region' : `replica of ${home}`}`,
        sluice: { ...props.sluice, ...(replicas.length > 0 ? { homeRegion: home, replicaRegions: replicas } : {}) },
        ...(props.alarmTopicName ? { alarmTopicName: props.alarmTopicName } : {}),
      }),
  );
  for (const replica of stacks.slice(1)) stacks[0]!.addStackDependency(replica, 'its bucket is a replication destination of the home bucket');
  return stacks;
}
