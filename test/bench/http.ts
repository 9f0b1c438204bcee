/** HTTP calls to the local server, and the one-line errors the bench prints. */

/** A failure the bench explains in one line. */
export class BenchError extends Error {}

const requestTimeoutMs = 120_000;

/** The answer to POST /v1/topics/{topic}/records. */
export interface ProduceAnswer {
  offsets: Array<{ partition: number; offset: number }>;
}

interface TopicAnswer {
  partitions: Array<{ partition: number; highWatermark: number }>;
}

export interface CallInit {
  readonly method: string;
  readonly body?: string;
  readonly signal: AbortSignal;
}

export interface Measured<T> {
  readonly answer: T;
  /** Body bytes sent and received (what API Gateway would meter). */
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** From sending the request to having read the whole answer. */
  readonly ms: number;
}

/** One request; a non-2xx answer becomes a BenchError quoting the API's error code. */
export async function call<T>(what: string, url: string, init: CallInit): Promise<T> {
  return (await callMeasured<T>(what, url, init)).answer;
}

export async function callMeasured<T>(what: string, url: string, init: CallInit): Promise<Measured<T>> {
  let response: Response;
  let bytes: Buffer;
  const started = performance.now();
  try {
    response = await fetch(url, {
      method: init.method,
      ...(init.body !== undefined ? { body: init.body, headers: { 'content-type': 'application/json' } } : {}),
      signal: AbortSignal.any([init.signal, AbortSignal.timeout(requestTimeoutMs)]),
    });
    bytes = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    if (init.signal.aborted) throw init.signal.reason;
    throw new BenchError(`${what} failed: ${describe(error)}`);
  }
  const ms = performance.now() - started;
  const text = bytes.toString('utf8');
  if (!response.ok) {
    let reason = text.slice(0, 200);
    try {
      const { error } = JSON.parse(text) as { error: { code: string; message: string } };
      reason = `${error.code}: ${error.message}`;
    } catch {
      // Not our JSON error body; the raw text says it.
    }
    throw new BenchError(`${what} answered ${response.status} ${reason}`);
  }
  return {
    answer: (text ? JSON.parse(text) : undefined) as T,
    requestBytes: init.body === undefined ? 0 : Buffer.byteLength(init.body),
    responseBytes: bytes.length,
    ms,
  };
}

/** The topic's high watermarks by partition, read fresh (GET /v1/topics/{topic}). */
export async function highWatermarks(topicUrl: string, signal: AbortSignal): Promise<number[]> {
  const topic = await call<TopicAnswer>('describe topic', topicUrl, { method: 'GET', signal });
  return topic.partitions.map((p) => p.highWatermark);
}

export function describe(error: unknown): string {
  if (error instanceof BenchError) return error.message;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return oneLine(`${error.message}${cause}`);
  }
  return oneLine(String(error));
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
