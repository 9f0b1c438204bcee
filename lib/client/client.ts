/**
 * The Sluice SDK over HTTP API v1: one typed method per topic and record call. Failures
 * arrive as the server's typed errors (`RemoteError` with its code) or as a
 * `ConnectionError` when no answer came back.
 */
import type { MethodOf, QueryOf, RequestOf, ResponseOf } from '../core/http-contract.ts';
import type { RouteName } from '../core/routes.ts';
import { ConfigError, SluiceError } from '../core/errors.ts';
import { ConnectionError, errorFromResponse, InvalidResponseError, isNetworkFailure, type RemoteError } from './errors.ts';
import { backoffDelay, defaultRetryPolicy, parseRetryAfter, sleep, type RetryPolicy } from './retry.ts';
import { signerFor, type RequestSigner, type SigningOptions } from './signing.ts';
import type {
  AlterTopicRequest,
  CommitOffsetsRequest,
  CommitOffsetsResponse,
  CreateTopicRequest,
  FetchRequest,
  FetchResponse,
  GroupDescription,
  HeartbeatResponse,
  InitProducerRequest,
  JobReport,
  JoinGroupRequest,
  JoinGroupResponse,
  ListGroupsResponse,
  ListTopicsResponse,
  OffsetResponse,
  OffsetSpec,
  ProduceRequest,
  ProduceResponse,
  ProducerIdentity,
  ResetOffsetsRequest,
  ResetOffsetsResponse,
  RunJobsRequest,
  TopicDescription,
} from './types.ts';

export type * from './types.ts';
export type { RetryPolicy } from './retry.ts';

export interface SluiceClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8790` or an API Gateway stage URL. */
  readonly endpoint: string;
  /** Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  /** Retries of a retriable failure (429, 5xx, no answer) of an idempotent call; default 3. */
  readonly retries?: number;
  /** First retry's delay ceiling in ms; default 100. */
  readonly retryMinDelayMs?: number;
  /** Largest delay between tries in ms; default 2000. */
  readonly retryMaxDelayMs?: number;
  /** Time allowed for one try, on top of a fetch's `waitMs`; default 30000. */
  readonly timeoutMs?: number;
  /**
   * SigV4 signing for an API with IAM authorization. Default: on for an execute-api
   * endpoint (region from its host), off elsewhere; give a region to sign a custom
   * domain, or `false` to send unsigned requests.
   */
  readonly signing?: SigningOptions | false;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call (and its retries); the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** A call as sent: any route's. */
interface Call {
  readonly method: Method;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal | undefined;
  /** Extra time for a long poll. */
  readonly extraTimeoutMs?: number;
  /**
   * Which failures a retry may follow: `always` (any retriable one), `network` (only a
   * ConnectionError), `never`. Default: `always` for GET, PATCH and DELETE, else `never`.
   */
  readonly retry?: RetryMode;
  /** Told before each retry. */
  readonly onRetry?: () => void;
}

/** Route `N`'s call: its method, body and query keys as the contract gives them for `N`. */
interface RouteCall<N extends RouteName> extends Call {
  readonly method: MethodOf<N>;
  readonly query?: { readonly [K in keyof QueryOf<N>]?: string | number };
  readonly body?: RequestOf<N>;
}

type RetryMode = 'always' | 'network' | 'never';

/** Calls that are safe to repeat: a retried POST could create or append twice. */
const idempotent: ReadonlySet<Method> = new Set(['GET', 'PATCH', 'DELETE']);

export class SluiceClient {
  readonly endpoint: string;
  private readonly fetchFn: typeof fetch;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly signer: RequestSigner | undefined;

  constructor(options: SluiceClientOptions) {
    this.endpoint = normalizeEndpoint(options.endpoint);
    this.signer = signerFor(new URL(this.endpoint), options.signing);
    // Bound: a browser's fetch refuses to be called as another object's method.
    this.fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.retry = {
      retries: nonNegative('retries', options.retries ?? defaultRetryPolicy.retries),
      minDelayMs: nonNegative('retryMinDelayMs', options.retryMinDelayMs ?? defaultRetryPolicy.minDelayMs),
      maxDelayMs: nonNegative('retryMaxDelayMs', options.retryMaxDelayMs ?? defaultRetryPolicy.maxDelayMs),
    };
    this.timeoutMs = nonNegative('timeoutMs', options.timeoutMs ?? 30_000);
  }

  /** Creates a topic; TOPIC_EXISTS (409) if the name is taken. Not retried. */
  createTopic(request: CreateTopicRequest, options: CallOptions = {}): Promise<TopicDescription> {
    return this.call<'createTopic'>({ method: 'POST', path: '/v1/topics', body: request, signal: options.signal });
  }

  listTopics(options: CallOptions = {}): Promise<ListTopicsResponse> {
    return this.call<'listTopics'>({ method: 'GET', path: '/v1/topics', signal: options.signal });
  }

  /** Id, config and each partition's offset bounds. */
  describeTopic(name: string, options: CallOptions = {}): Promise<TopicDescription> {
    return this.call<'describeTopic'>({ method: 'GET', path: topicPath(name), signal: options.signal });
  }

  /**
   * Grows the partition count and/or changes config keys. A count that is not larger than
   * the topic's is refused (INVALID_REQUEST), as Kafka refuses it; but when a retry meets
   * exactly the count and config it asked for, its earlier try landed and lost its answer,
   * so the topic as it is now is the answer.
   */
  async alterTopic(name: string, request: AlterTopicRequest, options: CallOptions = {}): Promise<TopicDescription> {
    let retried = false;
    try {
      return await this.call<'alterTopic'>({ method: 'PATCH', path: topicPath(name), body: request, signal: options.signal, onRetry: () => (retried = true) });
    } catch (error) {
      if (!retried || request.partitions === undefined || !(error instanceof SluiceError) || error.code !== 'INVALID_REQUEST') throw error;
      if (error.details.partitions !== request.partitions) throw error;
      const now = await this.describeTopic(name, options);
      const config = now.config as unknown as Readonly<Record<string, unknown>>;
      const landed = Object.entries(request.config ?? {}).every(([key, value]) => config[key] === value);
      if (!landed) throw error;
      return now;
    }
  }

  deleteTopic(name: string, options: CallOptions = {}): Promise<void> {
    return this.call<'deleteTopic'>({ method: 'DELETE', path: topicPath(name), signal: options.signal });
  }

  /**
   * A producer id and epoch for idempotent produce requests. Retried: a lost answer costs
   * at most an unused id or a skipped epoch.
   */
  initProducer(request: InitProducerRequest = {}, options: CallOptions = {}): Promise<ProducerIdentity> {
    return this.call<'initProducer'>({ method: 'POST', path: '/v1/producers', body: request, signal: options.signal, retry: 'always' });
  }

  /**
   * Appends records; the answer gives each record's partition and offset in request
   * order. Never retried here: unless the request is idempotent (producerId and
   * sequences), a retry could append the records twice, so the caller decides.
   */
  produce(topic: string, request: ProduceRequest, options: CallOptions = {}): Promise<ProduceResponse> {
    return this.call<'produce'>({ method: 'POST', path: `${topicPath(topic)}/records`, body: request, signal: options.signal });
  }

  /** Reads records from `request.offset` on; with `waitMs`, long-polls at the log end. */
  fetchRecords(topic: string, partition: number, request: FetchRequest, options: CallOptions = {}): Promise<FetchResponse> {
    return this.call<'fetchRecords'>({
      method: 'GET',
      path: `${partitionPath(topic, partition)}/records`,
      query: {
        offset: request.offset,
        maxRecords: request.maxRecords,
        maxBytes: request.maxBytes,
        waitMs: request.waitMs,
        encoding: request.encoding,
      },
      signal: options.signal,
      extraTimeoutMs: request.waitMs ?? 0,
    });
  }

  /** Runs sealing, retention, compaction and purges once (all topics, or one) and reports what it did. */
  runJobs(request: RunJobsRequest = {}, options: CallOptions = {}): Promise<JobReport> {
    return this.call<'runJobs'>({ method: 'POST', path: '/v1/jobs/run', body: request, signal: options.signal });
  }

  /** The earliest or latest offset, or the first offset at or after a timestamp (ms). */
  offsetFor(topic: string, partition: number, at: OffsetSpec, options: CallOptions = {}): Promise<OffsetResponse> {
    return this.call<'offsetForTime'>({
      method: 'GET',
      path: `${partitionPath(topic, partition)}/offsets`,
      query: { at: String(at) },
      signal: options.signal,
    });
  }

  /**
   * Joins a consumer group as a new member and answers its first partition leases. Not
   * retried (a lost answer would leave a second member behind until its session expires)
   * unless `instanceId` is set: a static member joins as the same member again.
   */
  joinGroup(group: string, request: JoinGroupRequest, options: CallOptions = {}): Promise<JoinGroupResponse> {
    return this.call<'joinGroup'>({
      method: 'POST',
      path: `${groupPath(group)}/members`,
      body: request,
      signal: options.signal,
      retry: request.instanceId === undefined ? 'never' : 'always',
    });
  }

  /**
   * Renews a member's session and leases; answers the member's current set, which may have
   * grown or shrunk. UNKNOWN_MEMBER (404): the member is gone and must join again.
   */
  heartbeat(group: string, memberId: string, options: CallOptions = {}): Promise<HeartbeatResponse> {
    return this.call<'heartbeat'>({ method: 'POST', path: `${memberPath(group, memberId)}/heartbeat`, signal: options.signal, retry: 'always' });
  }

  /** Leaves a group: the member's leases are free for the others at once. */
  leaveGroup(group: string, memberId: string, options: CallOptions = {}): Promise<void> {
    return this.call<'leaveGroup'>({ method: 'DELETE', path: memberPath(group, memberId), signal: options.signal });
  }

  /**
   * Commits offsets (each the next offset to read) under the member's lease epochs. FENCED
   * (409, `details.results` per partition) when a lease was lost: nothing is committed for
   * those partitions. Retried after network failures only: the write is conditional, so a
   * repeat of a commit that landed changes nothing.
   */
  commitOffsets(group: string, request: CommitOffsetsRequest, options: CallOptions = {}): Promise<CommitOffsetsResponse> {
    return this.call<'commitOffsets'>({ method: 'POST', path: `${groupPath(group)}/offsets`, body: request, signal: options.signal, retry: 'network' });
  }

  listGroups(options: CallOptions = {}): Promise<ListGroupsResponse> {
    return this.call<'listGroups'>({ method: 'GET', path: '/v1/groups', signal: options.signal });
  }

  /** Members, their partitions, and each partition's committed offset and lag. */
  describeGroup(group: string, options: CallOptions = {}): Promise<GroupDescription> {
    return this.call<'describeGroup'>({ method: 'GET', path: groupPath(group), signal: options.signal });
  }

  /**
   * Sets, or with `dryRun: true` only plans, a group's committed offsets for every partition
   * of a topic. GROUP_NOT_EMPTY (409) while members are active. A dry run is retried like a
   * GET; an executed reset to an absolute position after network failures only, and a
   * `shiftBy` (which would shift twice) not at all.
   */
  resetGroupOffsets(group: string, request: ResetOffsetsRequest, options: CallOptions = {}): Promise<ResetOffsetsResponse> {
    return this.call<'resetOffsets'>({
      method: 'POST',
      path: `${groupPath(group)}/offsets/reset`,
      body: request,
      signal: options.signal,
      retry: request.dryRun === true ? 'always' : typeof request.to === 'object' && 'shiftBy' in request.to ? 'never' : 'network',
    });
  }

  /** Deletes a group's offsets and leases; GROUP_NOT_EMPTY (409) while members are active. */
  deleteGroup(group: string, options: CallOptions = {}): Promise<void> {
    return this.call<'deleteGroup'>({ method: 'DELETE', path: groupPath(group), signal: options.signal });
  }

  /** Route `N`'s call, answered with the contract's body for it (give N: the default answers nothing useful). */
  private async call<N extends RouteName>(call: RouteCall<N>): Promise<ResponseOf<N>> {
    const mode: RetryMode = call.retry ?? (idempotent.has(call.method) ? 'always' : 'never');
    for (let attempt = 0; ; attempt++) {
      const answer = await this.attempt(call);
      if (answer.ok) return parseBody<ResponseOf<N>>(answer.status, answer.text);
      const retriable = mode === 'always' || (mode === 'network' && answer.failure instanceof ConnectionError);
      if (!retriable || !answer.failure.retriable || attempt >= this.retry.retries) throw answer.failure;
      call.onRetry?.();
      await sleep(backoffDelay(attempt, this.retry, answer.retryAfterMs), call.signal);
    }
  }

  /** One try: a 2xx body, or the failure (HTTP error or no answer) to retry or throw. */
  private async attempt(
    call: Call,
  ): Promise<{ ok: true; status: number; text: string } | { ok: false; failure: SluiceError; retryAfterMs: number }> {
    let response: Response;
    let text: string;
    try {
      response = await this.send(call);
      text = await response.text();
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      if (!isNetworkFailure(error)) throw error;
      return { ok: false, failure: new ConnectionError(this.endpoint, error), retryAfterMs: 0 };
    }
    if (response.ok) return { ok: true, status: response.status, text };
    return {
      ok: false,
      failure: errorFromResponse(response.status, parseJson(text)),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
    };
  }

  /** Sends one try; a signed request is signed here, so each retry gets a fresh signature. */
  private async send(call: Call): Promise<Response> {
    const url = new URL(this.endpoint + call.path);
    for (const [name, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    // Encoded once: the signature covers the hash of exactly these bytes.
    const body = call.body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(call.body));
    let headers: Record<string, string> = { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    if (this.signer) headers = await this.signer.sign({ method: call.method, url, headers, body });
    const timeout = AbortSignal.timeout(this.timeoutMs + (call.extraTimeoutMs ?? 0));
    const init: RequestInit = { method: call.method, headers, signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout };
    if (body !== undefined) init.body = body;
    return this.fetchFn(url, init);
  }
}

/** Trims trailing slashes; refuses anything but an http(s) URL. */
function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`endpoint '${endpoint}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`endpoint '${endpoint}' must be an http or https URL`);
  }
  if (url.search || url.hash) throw new ConfigError(`endpoint '${endpoint}' must not carry a query or fragment`);
  return url.href.replace(/\/+$/, '');
}

function topicPath(name: string): string {
  return `/v1/topics/${encodeURIComponent(name)}`;
}

function groupPath(group: string): string {
  return `/v1/groups/${encodeURIComponent(group)}`;
}

function memberPath(group: string, memberId: string): string {
  return `${groupPath(group)}/members/${encodeURIComponent(memberId)}`;
}

function partitionPath(topic: string, partition: number): string {
  return `${topicPath(topic)}/partitions/${encodeURIComponent(String(partition))}`;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(`${name} must be a non-negative number`);
  return value;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function parseBody<T>(status: number, text: string): T {
  if (status === 204 || text === '') return undefined as T;
  const body = parseJson(text);
  if (body === null || typeof body !== 'object') {
    throw new InvalidResponseError(`HTTP ${status} answer is not a JSON object`);
  }
  return body as T;
}
