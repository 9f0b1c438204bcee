/**
 * One Lambda function per handler in functions/, bundled locally by esbuild (no Docker),
 * each with its own role, log group and sizing.
 */
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { defaultApiConfig } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import type { SluiceFunctionName } from './topology.ts';

/** Sizing of one function. */
export interface FunctionOptions {
  /** Memory in MB; CPU grows with it (one vCPU at 1769 MB). @default per function, see functionDefaults */
  readonly memorySize?: number;
  /** @default per function, see functionDefaults */
  readonly timeout?: Duration;
  /**
   * Reserved concurrency: a cap on the function, and capacity no other function can take.
   * @default none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

/** Every handler in functions/: Sluice's own, and the dispatcher a SluiceTrigger runs. */
export type HandlerName = SluiceFunctionName | 'trigger';

/**
 * API Gateway ends an HTTP API integration at 30 s, so API functions stop before that;
 * this also bounds a request's life, which the sealer's timing relies on (see the
 * timeline in lib/storage/log.ts). Fetch long-polls up to maxWaitMs (20 s) and answers
 * a second before its deadline. The jobs seal segments of up to 64 MiB in memory, and
 * finish within their partition lease (5 minutes, lib/jobs/run.ts); the admin function
 * runs the same jobs on POST /v1/jobs/run. A trigger's dispatcher mostly waits (long
 * polls, its function's invocations) and runs as long as Lambda lets it.
 */
export const functionDefaults: Readonly<Record<HandlerName, Required<Omit<FunctionOptions, 'reservedConcurrentExecutions'>>>> = {
  produce: { memorySize: 1024, timeout: Duration.seconds(20) },
  fetch: { memorySize: 1024, timeout: Duration.seconds(25) },
  groups: { memorySize: 512, timeout: Duration.seconds(10) },
  admin: { memorySize: 2048, timeout: Duration.seconds(29) },
  jobs: { memorySize: 2048, timeout: Duration.minutes(4) },
  trigger: { memorySize: 256, timeout: Duration.minutes(15) },
};

const maxApiTimeout = Duration.seconds(29);
const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface SluiceFunctionProps extends FunctionOptions {
  readonly name: HandlerName;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
}

/** A handler of functions/ as a Lambda function with a role of its own, granted nothing yet. */
export class SluiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: SluiceFunctionProps) {
    super(scope, id);
    const { name } = props;
    const memorySize = props.memorySize ?? functionDefaults[name].memorySize;
    const timeout = props.timeout ?? functionDefaults[name].timeout;
    if (name !== 'jobs' && name !== 'trigger' && timeout.toSeconds() > maxApiTimeout.toSeconds()) {
      throw new ConfigError(`the ${name} function's timeout must be at most ${maxApiTimeout.toSeconds()} s: API Gateway ends requests at 30 s`);
    }
    if (name === 'fetch' && timeout.toMilliseconds() <= defaultApiConfig.maxWaitMs) {
      throw new ConfigError(`the fetch function's timeout must exceed its ${defaultApiConfig.maxWaitMs / 1000} s long poll`);
    }

    // Our own role: the default one carries AWSLambdaBasicExecutionRole, which may
    // write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Sluice ${name} function`,
    });
    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      description: `Sluice ${name}`,
      entry: `${projectRoot}functions/${name}.ts`,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize,
      timeout,
      ...(props.reservedConcurrentExecutions !== undefined ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions } : {}),
      role: this.role,
      logGroup: this.logGroup,
      tracing: Tracing.ACTIVE,
      environment: { ...props.environment },
      // A failed scheduled run is not retried: the next one does the same work.
      ...(name === 'jobs' || name === 'trigger' ? { retryAttempts: 0 } : {}),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        minify: true,
        // Error class names (new.target.name) stay readable in logs.
        keepNames: true,
        // The X-Ray SDK (under Powertools Tracer) is CommonJS and require()s Node's
        // built-ins, which an ES module can do only through createRequire.
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
        // The Node.js 22 runtime has the AWS SDK v3; bundling it would triple each bundle.
        externalModules: ['@aws-sdk/*', '@smithy/*'],
        forceDockerBundling: false,
      },
    });
  }
}
