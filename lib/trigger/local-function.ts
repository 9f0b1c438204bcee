/**
 * A handler module run in-process as Lambda would run it: `./path/handler.mjs#exportName`
 * (the export `handler` by default) is imported once and called with the event and a
 * Lambda-shaped context, and an invocation that outlives its timeout fails as Lambda's
 * does ("Task timed out after 3.00 seconds"), so a function is tried against `sluice
 * local` before it is deployed.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { ConfigError } from '../core/errors.ts';
import type { KafkaEvent } from './event.ts';
import type { TriggerTarget } from './dispatcher.ts';

type Handler = (event: KafkaEvent, context: Context) => unknown;

/** Loads `path[#export]` relative to `cwd`; a missing module or export is a ConfigError. */
export async function loadLocalFunction(spec: string, options: { cwd: string; timeoutMs: number; memoryMb?: number }): Promise<TriggerTarget> {
  const at = spec.lastIndexOf('#');
  const [path, exportName] = at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, 'handler'];
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(resolve(options.cwd, path)).href)) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`cannot load handler module ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // A CommonJS module's exports arrive as the default export.
  const handler = module[exportName] ?? (module.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof handler !== 'function') throw new ConfigError(`${path} has no function export '${exportName}'`);
  const name = path.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
  return {
    name,
    invoke: (event) => invokeWithTimeout(handler as Handler, event, name, options.timeoutMs, options.memoryMb ?? 1024),
  };
}

async function invokeWithTimeout(handler: Handler, event: KafkaEvent, functionName: string, timeoutMs: number, memoryMb: number): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  const requestId = randomUUID();
  const context: Context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => handler(event, context)), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
