/**
 * The Lambda door: API Gateway HTTP API (payload v2) events in, the shared API in
 * lib/api, responses out, with Powertools' logs, metrics and traces around each call.
 * Configuration is read from the environment once, here.
 */
import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { createApi } from '../lib/api/index.ts';
import type { Api, ApiRequest, JobsRunner } from '../lib/api/types.ts';
import { storageConfigFromEnv } from '../lib/core/config.ts';
import type { RouteGroup } from '../lib/core/routes.ts';
import { createStorage } from '../lib/storage/index.ts';
import { logServerError, meteredApi, observability, traceStorage } from './observability.ts';

/** Long polls end this long before the Lambda deadline, so they answer instead of timing out. */
const deadlineMarginMs = 1000;

/** The handler of a function that serves the routes of `groups` (and runs the jobs on request, given `runJobs`). */
export function httpHandler(groups: readonly RouteGroup[], options: { readonly runJobs?: JobsRunner } = {}) {
  const storage = createStorage(storageConfigFromEnv(process.env));
  traceStorage(storage);
  const api = createApi({ storage, groups, log: logServerError, ...options });
  return lambdaAdapter(meteredApi(api, storage.usage));
}

export function lambdaAdapter(api: Api) {
  return middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>({
    timeoutEarlyInMillis: 250,
  })
    .use(observability)
    .handler(async (event, context, { signal }) => {
      const deadline = AbortSignal.timeout(Math.max(0, context.getRemainingTimeInMillis() - deadlineMarginMs));
      const response = await api(toApiRequest(event, context.awsRequestId || randomUUID(), AbortSignal.any([signal, deadline])));
      return { statusCode: response.status, headers: { ...response.headers }, body: response.body };
    });
}

export function toApiRequest(event: APIGatewayProxyEventV2, requestId: string, signal?: AbortSignal): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;
  // rawQueryString keeps the first of repeated parameters, as the local server does;
  // queryStringParameters would join them with commas.
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? '')) if (!(name in query)) query[name] = value;
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query,
    headers,
    ...(event.body !== undefined ? { body: Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') } : {}),
    requestId,
    ...(signal ? { signal } : {}),
  };
}
