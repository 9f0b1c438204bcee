/**
 * The HTTP API: every route of lib/core/routes.ts whose group this region serves, each on
 * the function named by its group, behind one default authorizer.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type IHttpRouteAuthorizer,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { routeTable, type RouteGroup } from '../core/routes.ts';
import { ConfigError } from '../core/errors.ts';

export interface SluiceApiProps {
  readonly name: string;
  /** The functions of the route groups this region serves; fetch is served everywhere. */
  readonly handlers: Partial<Record<RouteGroup, IFunction>> & { readonly fetch: IFunction };
  readonly authorizer: IHttpRouteAuthorizer;
  readonly throttle: ThrottleSettings;
  readonly logRetention: RetentionDays;
}

export class SluiceApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  /** The API's base URL, e.g. `https://abc123.execute-api.us-east-1.amazonaws.com/`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SluiceApiProps) {
    super(scope, id);
    const integrations = new Map<RouteGroup, HttpLambdaIntegration>();
    const integrationFor = (group: RouteGroup, fn: IFunction) => {
      const existing = integrations.get(group);
      if (existing) return existing;
      const created = new HttpLambdaIntegration(`${group}-integration`, fn);
      integrations.set(group, created);
      return created;
    };

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: props.name,
      description: 'Sluice HTTP API v1',
      defaultAuthorizer: props.authorizer,
      // The API's own 404 and 405 answers (JSON errors, as locally) rather than API
      // Gateway's, from the function that can do least.
      defaultIntegration: integrationFor('fetch', props.handlers.fetch),
      createDefaultStage: false,
    });
    for (const route of routeTable) {
      const fn = props.handlers[route.group];
      if (!fn) continue;
      this.httpApi.addRoutes({ path: route.path, methods: [httpMethod(route.method)], integration: integrationFor(route.group, fn) });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: accessLogFormat },
    });
    this.url = this.stage.url;
  }
}

/** One JSON line per request: who called what, and how it went. */
const accessLogFormat = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTimeEpoch',
    caller: '$context.identity.userArn',
    sourceIp: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    path: '$context.path',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationLatencyMs: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  }),
);

function httpMethod(method: string): HttpMethod {
  const known = Object.values(HttpMethod) as string[];
  if (!known.includes(method)) throw new ConfigError(`route method ${method} is not an HTTP API method`);
  return method as HttpMethod;
}
