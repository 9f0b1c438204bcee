/**
 * The CDK app (`npx cdk synth|deploy|destroy`): one Sluice stack per region, options
 * from CDK context (lib/infra/context.ts). cdk-nag's AWS Solutions checks run on every
 * synth; an error they find and nobody acknowledged (lib/infra/nag.ts) fails it.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lib/core/errors.ts';
import { appPropsFromContext } from '../lib/infra/context.ts';
import { addSluiceStacks } from '../lib/infra/stack.ts';

const app = new App();
try {
  // The CLI passes the profile's account and region in these (and nothing else does).
  const defaults = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  addSluiceStacks(app, appPropsFromContext(app.node.getAllContext(), defaults));
} catch (error) {
  // A bad option is the user's to fix: one line, no stack trace.
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`sluice: ${error.message}\n`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
