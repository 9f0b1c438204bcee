/** The HTTP API without a transport: a request in, a response out. */
import type { ApiConfig } from '../core/config.ts';
import type { JobReport } from '../core/job-report.ts';
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

/** Runs the background jobs once (lib/jobs/run.ts); the edge that has them passes it in. */
export type JobsRunner = (storage: Storage, options: { readonly topic?: string }) => Promise<JobReport>;

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

export type Handler = (context: RouteContext) => Promise<ApiResponse>;
