/**
 * `new Sluice({ endpoint })`: the SDK's entry, as kafkajs's `new Kafka({ brokers })`. It
 * holds one HTTP client and hands out producers, consumers and admin clients over it.
 */
import { SluiceClient } from './client.ts';
import { Admin } from './admin.ts';
import { Consumer, type ConsumerOptions } from './consumer.ts';
import { nonNegativeNumber, refuseUnknownKeys, retryPolicy, type RetryOptions } from './instrumentation.ts';
import { Producer } from './producer.ts';
import type { ProducerOptions } from './producer-types.ts';
import type { RetryPolicy } from './retry.ts';
import type { SigningOptions } from './signing.ts';

export interface SluiceConfig {
  /** Base URL of the API: `http://127.0.0.1:8790` for `sluice local`, or an API Gateway stage URL. */
  readonly endpoint: string;
  /** Names this client in logs; kept for kafkajs code. */
  readonly clientId?: string;
  /**
   * Retries with exponential backoff and full jitter: of calls safe to repeat (reads,
   * heartbeats), and the default of producers and consumers (each may set its own).
   * @default { retries: 5, initialRetryTime: 300, maxRetryTime: 30000 }
   */
  readonly retry?: RetryOptions;
  /** Time allowed for one HTTP request, on top of a fetch's long poll, in ms. @default 30000 */
  readonly requestTimeout?: number;
  /** Defaults to the global fetch; tests pass one that counts or fails requests. */
  readonly fetch?: typeof fetch;
  /**
   * SigV4 signing for a deployed Sluice (IAM authorization). Default: on for an
   * `https://{id}.execute-api.{region}.amazonaws.com` endpoint, with credentials from the
   * standard AWS chain; off elsewhere. `{ region }` signs a custom domain, `{ credentials }`
   * takes credentials or a provider such as `fromIni({ profile })`, `false` turns it off.
   */
  readonly signing?: SigningOptions | false;
}

export class Sluice {
  /** The HTTP client underneath: one method per API route. */
  readonly client: SluiceClient;
  readonly clientId: string | undefined;
  private readonly retry: RetryPolicy;

  constructor(config: SluiceConfig) {
    refuseUnknownKeys('Sluice', config, ['endpoint', 'clientId', 'retry', 'requestTimeout', 'fetch', 'signing'], ": Sluice speaks HTTP, so give 'endpoint' instead of brokers");
    this.retry = retryPolicy(config.retry);
    this.clientId = config.clientId;
    this.client = new SluiceClient({
      endpoint: config.endpoint,
      ...(config.fetch === undefined ? {} : { fetch: config.fetch }),
      ...(config.signing === undefined ? {} : { signing: config.signing }),
      retries: this.retry.retries,
      retryMinDelayMs: this.retry.minDelayMs,
      retryMaxDelayMs: this.retry.maxDelayMs,
      ...(config.requestTimeout === undefined ? {} : { timeoutMs: nonNegativeNumber('requestTimeout', config.requestTimeout) }),
    });
  }

  /** A producer: batched, retried, at-least-once sends (see Producer). */
  producer(options: ProducerOptions = {}): Producer {
    return new Producer(this.client, options, this.retry);
  }

  /** A consumer in group `groupId` (see Consumer). */
  consumer(options: ConsumerOptions): Consumer {
    return new Consumer(this.client, options, this.retry);
  }

  admin(): Admin {
    return new Admin(this.client);
  }
}
