/**
 * Synthesizes the Sluice app as `npx cdk synth` does (cdk.json's feature flags, one stack
 * per region) and reads the templates back in terms tests can state plainly: which
 * function may do what to which table or object prefix.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { tableRoles, type TableRole } from '../../lib/core/config.ts';
import { addSluiceStacks, type SluiceAppProps, type SluiceStack } from '../../lib/infra/stack.ts';

export const account = '111111111111';
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };

export interface Synthesized {
  readonly stacks: readonly SluiceStack[];
  /** By region. */
  readonly templates: Readonly<Record<string, Template>>;
}

/**
 * The app for `regions` (home first). Without `bundle`, functions are not bundled and the
 * built-in CloudFormation validation is off: both take seconds and only the bundle tests
 * need them.
 */
export function synthesize(
  regions: readonly string[],
  sluice: SluiceAppProps['sluice'] = {},
  options: { bundle?: boolean; outdir?: string; alarmTopicName?: string; extend?: (stack: SluiceStack) => void } = {},
): Synthesized {
  const app = new App({
    context: { ...cdkJson.context, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
    builtinCloudFormationValidation: options.bundle ?? false,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stacks = addSluiceStacks(app, { regions, account, sluice, ...(options.alarmTopicName ? { alarmTopicName: options.alarmTopicName } : {}) });
  for (const stack of stacks) options.extend?.(stack);
  return { stacks, templates: Object.fromEntries(stacks.map((s) => [s.region, Template.fromStack(s)])) };
}

/** AwsSolutions findings of error severity that nobody acknowledged. */
export function nagErrors(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.filter((v) => v.severity === 'error').flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

type Resource = { Type: string; Properties: Record<string, any> };

export function resources(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.toJSON().Resources as Record<string, Resource>).filter(([, r]) => r.Type === type);
}

/** The logical id of the function whose description is `Sluice <name>`. */
export function functionId(template: Template, name: string): string {
  const found = resources(template, 'AWS::Lambda::Function').find(([, r]) => r.Properties.Description === `Sluice ${name}`);
  if (!found) throw new Error(`no ${name} function`);
  return found[0];
}

export function functionProps(template: Template, name: string): Record<string, any> {
  return (template.toJSON().Resources as Record<string, Resource>)[functionId(template, name)]!.Properties;
}

/**
 * Everything a function's role may do, one `action on target` string per pair, with
 * targets named by what they are: `table:log`, `bucket:staged/*`, `source:segments/*`,
 * `bucket`, `logs`, `*`.
 */
export function permissions(template: Template, name: string): Set<string> {
  const json = template.toJSON().Resources as Record<string, Resource>;
  const roleId = (functionProps(template, name).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const tableIds = new Map(resources(template, 'AWS::DynamoDB::GlobalTable').map(([id, r]) => [id, r.Properties.TableName as string]));
  const target = (resource: unknown): string => {
    const text = flatten(resource);
    const owned = /^<(\w+)\.Arn>(?:\/(.*))?$/.exec(text);
    if (owned) {
      const [, id, objects] = owned;
      if (tableIds.has(id!)) return `table:${roleOf(tableIds.get(id!)!)}`;
      const type = json[id!]!.Type;
      if (type === 'AWS::S3::Bucket') return objects ? `bucket:${objects}` : 'bucket';
      if (type === 'AWS::Logs::LogGroup') return 'logs';
    }
    // Imported by name: a replica's tables, and the home bucket it falls back to.
    const table = /^arn:aws:dynamodb:[^:]+:[^:]+:table\/(.+)$/.exec(text);
    if (table) return `table:${roleOf(table[1]!)}`;
    const source = /^arn:aws:s3:::[^/]+(?:\/(.*))?$/.exec(text);
    if (source) return source[1] ? `source:${source[1]}` : 'source';
    return text;
  };
  const granted = new Set<string>();
  for (const [, policy] of resources(template, 'AWS::IAM::Policy')) {
    if (!(policy.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId)) continue;
    for (const statement of policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of list(statement.Action)) for (const resource of list(statement.Resource)) granted.add(`${action as string} on ${target(resource)}`);
    }
  }
  return granted;
}

/** `<Id.Arn>`, `<AWS::AccountId>` and literal parts, as cdk-nag writes intrinsics. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v['Fn::GetAtt']) return `<${v['Fn::GetAtt'][0]}.${v['Fn::GetAtt'][1]}>`;
  if (v.Ref) return `<${v.Ref}>`;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
  return JSON.stringify(value);
}

function roleOf(tableName: string): TableRole {
  const role = tableRoles.find((r) => tableName.endsWith(`-${r}`));
  if (!role) throw new Error(`table ${tableName} has no Sluice role`);
  return role;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}
