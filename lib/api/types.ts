/** The HTTP API without a transport: a request in, a response out. */
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
