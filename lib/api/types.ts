/** The HTTP API without a transport: a request in, a response out. */
import type { ApiConfig } from '../core/config.ts';
import type { ResponseOf, StatusOf } from '../core/http-contract.ts';
import type { JobReport } from '../core/job-report.ts';
import type { RouteName } from '../core/routes.ts';
import type { Storage } from '../storage/index.ts';

export interface ApiRequest {
  readonly method: string;
  /** Path without query string, e.g. `/v1/topics/orders/records`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body?: Buffer;
  /** Echoed in 5xx answers and logs so a caller can quote it. */
  readonly requestId: string;
  /** Aborts long polls: the server is closing or the Lambda deadline is near. */
  readonly signal?: AbortSignal;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text, or empty for 204. */
  readonly body: string;
}

export type Api = (request: ApiRequest) => Promise<ApiResponse>;

/** Names Answer's compile-time-only member; no value exists at run time. */
declare const contract: unique symbol;

/**
 * A response whose JSON text is a `Body` (lib/core/http-contract.ts) sent with `Status`.
 * Only lib/api/respond.ts makes one, from a value of that type, so a handler's declared
 * answer is checked against what it builds.
 */
export interface Answer<Body, Status extends number = number> extends ApiResponse {
  /** Compile time only, never set: carries the body's type and the status. */
  readonly [contract]: { readonly body: Body; readonly status: Status };
}

/** What route `N` answers on success, as the contract says (RouteContracts). */
export type AnswerOf<N extends RouteName> = Answer<ResponseOf<N>, StatusOf<N>>;

/** Runs the background jobs once (lib/jobs/run.ts); the edge that has them passes it in. */
export type JobsRunner = (storage: Storage, options: { readonly topic?: string; readonly reportDeferred?: boolean }) => Promise<JobReport>;

export interface RouteContext {
  readonly storage: Storage;
  readonly config: ApiConfig;
  readonly request: ApiRequest;
  readonly params: Readonly<Record<string, string>>;
  /** Keyless records of one request stick to one partition; successive requests rotate. */
  readonly keylessPartition: (partitions: number) => number;
  /** POST /v1/jobs/run's runner; undefined where the jobs are not run on request. */
  readonly runJobs: JobsRunner | undefined;
}

/** Serves route `N`: its answer must be the one the contract gives that route. */
export type Handler<N extends RouteName = RouteName> = (context: RouteContext) => Promise<AnswerOf<N>>;
