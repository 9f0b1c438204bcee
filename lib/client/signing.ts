/**
 * SigV4 signing for a deployed Sluice: its API Gateway HTTP API uses IAM authorization
 * (service `execute-api`), so every request carries an AWS4-HMAC-SHA256 signature over
 * the method, the path and query as sent, the headers and the hash of the body bytes.
 * Endpoints on `*.execute-api.<region>.amazonaws.com` are signed by default; a custom
 * domain is signed once given a region. Credentials come from the standard AWS chain
 * (loaded on first use only, so local use never loads it) or from the caller.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { ConfigError } from '../core/errors.ts';
import { refuseUnknownKeys } from './instrumentation.ts';

/** AWS credentials, as the AWS SDK's credential providers resolve them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** When temporary credentials stop working; they are fetched anew five minutes before. */
  readonly expiration?: Date;
}

/** Resolves credentials, e.g. `fromIni({ profile })` or `fromSSO()` of @aws-sdk/credential-providers. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** How requests are signed; `signing: false` sends them unsigned. */
export interface SigningOptions {
  /**
   * The API's region. Default: read from an `execute-api` endpoint's host; required to
   * sign a custom domain (giving it turns signing on for any endpoint).
   */
  readonly region?: string;
  /**
   * Credentials or a provider of them. Default: the standard AWS chain (environment,
   * shared config and SSO, web identity, container or instance role).
   */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
}

/** The request as it goes on the wire: the URL with its encoded path and query, and the body bytes. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | undefined;
}

/** API Gateway's own hosts: `{api-id}.execute-api.{region}.amazonaws.com` (`.com.cn` in China). */
const executeApiHost = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;

/** Loose on purpose: refuses a malformed value, not a region newer than this code. */
const regionPattern = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Temporary credentials are renewed this long before they expire, as the AWS SDK does. */
const renewBeforeMs = 5 * 60_000;

/** The region of an API Gateway endpoint's host name, or undefined for any other host. */
export function executeApiRegion(hostname: string): string | undefined {
  return executeApiHost.exec(hostname.toLowerCase())?.[1];
}

/**
 * The signer for an endpoint, or undefined when its requests go unsigned: `false` turns
 * signing off; otherwise an execute-api host is signed for its region, and any endpoint
 * is signed when `options` names a region (a custom domain, or a local proxy that checks
 * signatures).
 */
export function signerFor(endpoint: URL, options: SigningOptions | false | undefined): RequestSigner | undefined {
  if (options === false) return undefined;
  if (options !== undefined) refuseUnknownKeys('signing', options, ['region', 'credentials']);
  const region = options?.region ?? executeApiRegion(endpoint.hostname);
  if (region !== undefined) return new RequestSigner({ region, credentials: options?.credentials });
  if (options !== undefined) {
    throw new ConfigError(`signing requests to ${endpoint.host} needs a region: only execute-api hosts name their own`);
  }
  return undefined;
}

export class RequestSigner {
  private readonly signer: SignatureV4;

  /** `service` is execute-api, API Gateway's signing name; AWS's test suite signs for another. */
  constructor(options: { region: string; credentials?: AwsCredentials | AwsCredentialsProvider | undefined; service?: string }) {
    if (!regionPattern.test(options.region)) throw new ConfigError(`signing region '${options.region}' is not a region name`);
    const resolve = credentialsProvider(options.credentials);
    const fromChain = options.credentials === undefined;
    this.signer = new SignatureV4({
      service: options.service ?? 'execute-api',
      region: options.region,
      sha256: Sha256,
      // Every service but S3 signs the path encoded once more than sent (`a%20b` as
      // `a%2520b`); the AWS SDK's own execute-api client does the same.
      uriEscapePath: true,
      // The body's hash goes into the signature only, not into an x-amz-content-sha256
      // header: API Gateway hashes the body it receives.
      applyChecksum: false,
      credentials: async () => {
        try {
          return await resolve();
        } catch (cause) {
          const reason = cause instanceof Error ? cause.message : String(cause);
          const hint = fromChain ? " (set AWS_PROFILE or AWS_ACCESS_KEY_ID, or run 'aws sso login')" : '';
          throw new ConfigError(`no AWS credentials to sign requests with: ${reason}${hint}`, { cause });
        }
      },
    });
  }

  /**
   * The headers to send: the request's own (exactly those sent; fetch adds only unsigned
   * ones) plus authorization, x-amz-date and, with temporary credentials,
   * x-amz-security-token. Host is signed as the URL gives it, which is what fetch sends.
   * The signature holds for this request and moment only: sign each retry again.
   */
  async sign(request: SignableRequest, signingDate = new Date()): Promise<Record<string, string>> {
    const { url } = request;
    const { headers } = await this.signer.sign(
      {
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...request.headers, host: url.host },
        body: request.body,
      },
      { signingDate },
    );
    delete headers.host; // fetch sets it from the URL
    return headers;
  }
}

/** Static credentials, the caller's provider (reused while valid) or the standard chain. */
function credentialsProvider(credentials: AwsCredentials | AwsCredentialsProvider | undefined): AwsCredentialsProvider {
  if (typeof credentials === 'function') return reused(credentials);
  if (credentials !== undefined) {
    if (typeof credentials.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string') {
      throw new ConfigError('signing.credentials needs accessKeyId and secretAccessKey');
    }
    return () => Promise.resolve(credentials);
  }
  // The chain memoizes and renews by itself; importing it only now keeps it out of local use.
  let chain: Promise<AwsCredentialsProvider> | undefined;
  return async () => {
    chain ??= import('@aws-sdk/credential-provider-node').then(({ defaultProvider }) => defaultProvider());
    return (await chain)();
  };
}

/**
 * Reuses a provider's credentials until shortly before they expire, so a provider such as
 * fromSSO() is not asked once per request. A failure is not kept: the next request asks again.
 */
function reused(provider: AwsCredentialsProvider): AwsCredentialsProvider {
  let current: Promise<AwsCredentials> | undefined;
  let renewAt = Infinity;
  return () => {
    if (current === undefined || Date.now() >= renewAt) {
      renewAt = Infinity;
      const next = Promise.resolve().then(provider);
      current = next;
      next.then(
        (credentials) => {
          if (current === next && credentials.expiration) renewAt = credentials.expiration.getTime() - renewBeforeMs;
        },
        () => {
          if (current === next) current = undefined;
        },
      );
    }
    return current;
  };
}
