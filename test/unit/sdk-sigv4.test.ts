/**
 * SigV4 signing of the SDK's and the CLI's requests. The signer is checked against AWS's
 * own SigV4 test suite; what goes on the wire is checked by a local server that records
 * each request and recomputes its signature with an independent implementation of AWS's
 * description (node:crypto, not the SDK's signer), itself checked against the suite.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { SluiceClient } from '../../lib/client/client.ts';
import { Sluice } from '../../lib/client/index.ts';
import { executeApiRegion, RequestSigner, type AwsCredentials } from '../../lib/client/signing.ts';
import { ConfigError } from '../../lib/core/errors.ts';
import { RemoteError } from '../../lib/client/errors.ts';
import { runCli } from '../support/cli.ts';

/** A request as a server receives it: the raw request target, headers and body bytes. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

function header(request: Received, name: string): string {
  const value = request.headers[name];
  if (value === undefined) throw new Error(`no ${name} header`);
  return Array.isArray(value) ? value.join(',') : value;
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const uriEncode = (text: string): string => encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The signature a server expects for a received request, next to the one it carries,
 * following AWS's "Create a signed request" for services other than S3: each path
 * segment, already percent-encoded on the wire, is encoded once more; query pairs are
 * decoded, encoded and sorted; the signed headers are trimmed; the payload hash is of the
 * bytes received.
 */
function recompute(request: Received, secretAccessKey: string): { given: string; expected: string; scope: string } {
  const authorization = /^AWS4-HMAC-SHA256 Credential=[^/]+\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
    header(request, 'authorization'),
  );
  if (!authorization) throw new Error(`malformed authorization: ${header(request, 'authorization')}`);
  const [, date, region, service, signedHeaders, given] = authorization as unknown as [string, string, string, string, string, string];
  const [path = '/', query = ''] = request.url.split('?');
  const canonicalQuery = [...new URLSearchParams(query)]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([k1, v1], [k2, v2]) => (k1 === k2 ? (v1 < v2 ? -1 : 1) : k1 < k2 ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = [
    request.method,
    path.split('/').map(uriEncode).join('/'),
    canonicalQuery,
    signedHeaders
      .split(';')
      .map((name) => `${name}:${header(request, name).trim().replace(/\s+/g, ' ')}\n`)
      .join(''),
    signedHeaders,
    sha256(request.body),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', header(request, 'x-amz-date'), scope, sha256(canonicalRequest)].join('\n');
  let key: Buffer | string = `AWS4${secretAccessKey}`;
  for (const part of [date, region, service, 'aws4_request']) key = hmac(key, part);
  return { given, expected: hmac(key, stringToSign).toString('hex'), scope };
}

/** AWS's SigV4 test suite: its credentials, date, region and service. */
const suite = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  date: new Date('2015-08-30T12:36:00Z'),
  sessionToken:
    'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==',
};
const scope = 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

interface SuiteCase {
  readonly name: string;
  readonly method: string;
  readonly target: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly sessionToken?: string;
  readonly signedHeaders: string;
  readonly signature: string;
}

const suiteCases: SuiteCase[] = [
  { name: 'get-vanilla', method: 'GET', target: '/', signedHeaders: 'host;x-amz-date', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' },
  {
    name: 'get-vanilla-query-order-key-case',
    method: 'GET',
    target: '/?Param2=value2&Param1=value1',
    signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-unreserved',
    method: 'GET',
    target: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    signedHeaders: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'post-x-www-form-urlencoded',
    method: 'POST',
    target: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  {
    name: 'post-sts-header-before',
    method: 'POST',
    target: '/',
    sessionToken: suite.sessionToken,
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
  },
];

describe("the signer against AWS's SigV4 test suite", () => {
  test.each(suiteCases)('$name', async (c) => {
    const credentials = c.sessionToken ? { ...suite.credentials, sessionToken: c.sessionToken } : suite.credentials;
    const signer = new RequestSigner({ region: 'us-east-1', service: 'service', credentials });
    const body = c.body === undefined ? undefined : new TextEncoder().encode(c.body);
    const headers = await signer.sign({ method: c.method, url: new URL(`https://example.amazonaws.com${c.target}`), headers: c.headers ?? {}, body }, suite.date);
    expect(headers).toEqual({
      ...c.headers,
      'x-amz-date': '20150830T123600Z',
      ...(c.sessionToken ? { 'x-amz-security-token': c.sessionToken } : {}),
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=${c.signedHeaders}, Signature=${c.signature}`,
    });
  });

  test("the test's own server-side check gives the suite's signatures, and refuses a changed body", () => {
    for (const c of suiteCases) {
      const received: Received = {
        method: c.method,
        url: c.target,
        headers: {
          ...c.headers,
          host: 'example.amazonaws.com',
          'x-amz-date': '20150830T123600Z',
          ...(c.sessionToken ? { 'x-amz-security-token': c.sessionToken } : {}),
          authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=${c.signedHeaders}, Signature=${c.signature}`,
        },
        body: Buffer.from(c.body ?? ''),
      };
      const check = recompute(received, suite.credentials.secretAccessKey);
      expect(check.expected, c.name).toBe(c.signature);
      expect(recompute({ ...received, body: Buffer.from('tampered') }, suite.credentials.secretAccessKey).expected).not.toBe(c.signature);
    }
  });
});

/** A server that records every request and answers from the test's script (default: 200 {}). */
const received: Received[] = [];
let answer: (request: Received, index: number) => { status: number; body?: unknown } = () => ({ status: 200, body: {} });
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(request);
      const { status, body } = answer(request, received.length - 1);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body === undefined ? undefined : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  received.length = 0;
  answer = () => ({ status: 200, body: {} });
  vi.unstubAllEnvs();
});

const keys = { accessKeyId: 'AKIDSLUICETEST', secretAccessKey: 'sluice/test+secret', sessionToken: 'session-token-1' };

/** Every recorded request is signed for `region` with `credentials`, and its signature holds. */
function expectSigned(requests: readonly Received[], region: string, credentials: AwsCredentials = keys): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) {
    expect(header(request, 'authorization')).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/\\d{8}/${region}/execute-api/aws4_request, SignedHeaders=`));
    expect(header(request, 'x-amz-date')).toMatch(/^\d{8}T\d{6}Z$/);
    if (credentials.sessionToken) expect(request.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    const { given, expected } = recompute(request, credentials.secretAccessKey);
    expect(given, `${request.method} ${request.url}`).toBe(expected);
  }
}

describe('signed requests on the wire', () => {
  test('every call is signed over its stage path, encoded names, query, headers and body bytes', async () => {
    const client = new SluiceClient({ endpoint: `${base}/prod`, signing: { region: 'eu-west-1', credentials: keys } });
    await client.createTopic({ name: 'orders', partitions: 2 });
    await client.produce('a b/ü', { records: [{ key: 'k', value: 'grüße, 🌍' }] });
    await client.fetchRecords('a b/ü', 1, { offset: 3, maxRecords: 10, waitMs: 0, encoding: 'base64' });
    await client.heartbeat('billing team', 'member#1');
    await client.deleteTopic('orders');

    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /prod/v1/topics',
      'POST /prod/v1/topics/a%20b%2F%C3%BC/records',
      'GET /prod/v1/topics/a%20b%2F%C3%BC/partitions/1/records?offset=3&maxRecords=10&waitMs=0&encoding=base64',
      'POST /prod/v1/groups/billing%20team/members/member%231/heartbeat',
      'DELETE /prod/v1/topics/orders',
    ]);
    expectSigned(received, 'eu-west-1');
    // The body is signed: its content type is a signed header and its hash is what arrived.
    expect(header(received[1]!, 'authorization')).toContain('SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token,');
    expect(JSON.parse(received[1]!.body.toString('utf8'))).toEqual({ records: [{ key: 'k', value: 'grüße, 🌍' }] });
  });

  test('a request changed on the way fails the check', async () => {
    await new SluiceClient({ endpoint: base, signing: { region: 'eu-west-1', credentials: keys } }).produce('t', { records: [{ value: 'v' }] });
    const [request] = received;
    expect(recompute({ ...request!, body: Buffer.from('{"records":[{"value":"w"}]}') }, keys.secretAccessKey).expected).not.toBe(recompute(request!, keys.secretAccessKey).given);
    expect(recompute({ ...request!, url: '/v1/topics/u/records' }, keys.secretAccessKey).expected).not.toBe(recompute(request!, keys.secretAccessKey).given);
  });

  test('the Sluice config signs through the client its producers, consumers and admin share', async () => {
    const sluice = new Sluice({ endpoint: base, signing: { region: 'ap-southeast-2', credentials: keys } });
    answer = () => ({ status: 200, body: { topics: [], groups: [] } });
    await sluice.admin().listTopics();
    await sluice.admin().listGroups();
    expect(received).toHaveLength(2);
    expectSigned(received, 'ap-southeast-2');
  });

  test('a retry is signed anew, with the credentials the provider gives then', async () => {
    let calls = 0;
    // Credentials that expire within five minutes are asked for again on every request.
    const provider = async (): Promise<AwsCredentials> => ({ ...keys, sessionToken: `token-${++calls}`, expiration: new Date(Date.now() + 60_000) });
    answer = (_request, index) => (index === 0 ? { status: 503, body: { error: { code: 'UNAVAILABLE', message: 'busy' } } } : { status: 200, body: { topics: [] } });
    const client = new SluiceClient({ endpoint: base, signing: { region: 'eu-west-1', credentials: provider }, retries: 1, retryMinDelayMs: 1, retryMaxDelayMs: 1 });
    await expect(client.listTopics()).resolves.toEqual({ topics: [] });
    expect(received).toHaveLength(2);
    expectSigned(received.slice(0, 1), 'eu-west-1', { ...keys, sessionToken: 'token-1' });
    expectSigned(received.slice(1), 'eu-west-1', { ...keys, sessionToken: 'token-2' });
    expect(header(received[0]!, 'authorization')).not.toBe(header(received[1]!, 'authorization'));
  });

  test("a provider's credentials are reused while they are valid, not fetched per request", async () => {
    const provider = vi.fn(async (): Promise<AwsCredentials> => ({ ...keys, expiration: new Date(Date.now() + 3_600_000) }));
    const client = new SluiceClient({ endpoint: base, signing: { region: 'eu-west-1', credentials: provider } });
    await client.listTopics();
    await client.listGroups();
    await client.describeTopic('t');
    expect(provider).toHaveBeenCalledTimes(1);
    expectSigned(received, 'eu-west-1');
  });

  test('local endpoints are not signed unless asked', async () => {
    answer = () => ({ status: 200, body: { topics: [] } });
    await new SluiceClient({ endpoint: base }).listTopics();
    await new Sluice({ endpoint: base }).admin().listTopics();
    const seen: Headers[] = [];
    const recording = (async (_url: string | URL | Request, init?: RequestInit) => {
      seen.push(new Headers(init?.headers));
      return new Response('{"topics":[]}', { status: 200 });
    }) as typeof fetch;
    await new SluiceClient({ endpoint: 'http://localhost:8790', fetch: recording }).listTopics();
    for (const headers of [...received.map((r) => new Headers(r.headers as Record<string, string>)), ...seen]) {
      expect(headers.get('authorization')).toBeNull();
      expect(headers.get('x-amz-date')).toBeNull();
    }
    expect(received).toHaveLength(2);
  });
});

describe('execute-api endpoints', () => {
  test('the region comes from the host', () => {
    expect(executeApiRegion('a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(executeApiRegion('A1B2C3D4E5.execute-api.us-gov-west-1.amazonaws.com')).toBe('us-gov-west-1');
    expect(executeApiRegion('a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(executeApiRegion('sluice.example.com')).toBeUndefined();
    expect(executeApiRegion('execute-api.eu-west-1.amazonaws.com')).toBeUndefined();
    expect(executeApiRegion('a1.execute-api.eu-west-1.amazonaws.com.evil.example')).toBeUndefined();
    expect(executeApiRegion('127.0.0.1')).toBeUndefined();
  });

  /** A fetch that keeps each request as the server would receive it (fetch adds the Host header from the URL). */
  function capturing() {
    const requests: Received[] = [];
    const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      const headers = { ...(init?.headers as Record<string, string>), host: url.host };
      requests.push({ method: init?.method ?? 'GET', url: url.pathname + url.search, headers, body: Buffer.from((init?.body as Uint8Array | undefined) ?? []) });
      return new Response('{"topics":[]}', { status: 200 });
    }) as typeof fetch;
    return { fetchFn, requests };
  }

  test('requests to an execute-api endpoint are signed by default, for its region, with its stage in the path', async () => {
    const { fetchFn, requests } = capturing();
    const sluice = new Sluice({ endpoint: 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com/prod/', fetch: fetchFn, signing: { credentials: keys } });
    await sluice.admin().listTopics();
    await sluice.client.createTopic({ name: 'orders', partitions: 1 });
    expect(requests.map((r) => r.url)).toEqual(['/prod/v1/topics', '/prod/v1/topics']);
    expectSigned(requests, 'us-west-2');
  });

  test('signing: false sends an execute-api request unsigned', async () => {
    const { fetchFn, requests } = capturing();
    await new SluiceClient({ endpoint: 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com', fetch: fetchFn, signing: false }).listTopics();
    expect(requests[0]?.headers.authorization).toBeUndefined();
  });

  test('a custom domain is signed once given a region, and needs one', async () => {
    const { fetchFn, requests } = capturing();
    await new SluiceClient({ endpoint: 'https://sluice.example.com', fetch: fetchFn, signing: { region: 'eu-central-1', credentials: keys } }).listTopics();
    expectSigned(requests, 'eu-central-1');
    expect(() => new SluiceClient({ endpoint: 'https://sluice.example.com', signing: { credentials: keys } })).toThrow(/needs a region/);
    expect(() => new SluiceClient({ endpoint: 'https://sluice.example.com', signing: { region: 'EU West' } })).toThrow(ConfigError);
    expect(() => new Sluice({ endpoint: 'https://sluice.example.com', signing: { region: 'eu-west-1', profile: 'x' } as never })).toThrow(/unknown signing option 'profile'/);
    expect(() => new SluiceClient({ endpoint: 'https://sluice.example.com', signing: { region: 'eu-west-1', credentials: { accessKeyId: 'A' } as never } })).toThrow(ConfigError);
  });

  test('no credentials: a ConfigError with the reason, before anything is sent and without retries', async () => {
    const { fetchFn, requests } = capturing();
    const provider = vi.fn(async (): Promise<AwsCredentials> => {
      throw new Error('The SSO session has expired');
    });
    const client = new SluiceClient({ endpoint: 'https://a1b2c3d4e5.execute-api.us-west-2.amazonaws.com', fetch: fetchFn, signing: { credentials: provider } });
    const error = await client.listTopics().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('no AWS credentials to sign requests with: The SSO session has expired');
    expect(requests).toHaveLength(0);
    expect(provider).toHaveBeenCalledTimes(1);
  });

  test("API Gateway's own refusal keeps its message and is not retried", async () => {
    answer = () => ({ status: 403, body: { message: 'The security token included in the request is invalid.' } });
    const error = await new SluiceClient({ endpoint: base, signing: { region: 'eu-west-1', credentials: keys } }).listTopics().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RemoteError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403, retriable: false, message: 'The security token included in the request is invalid.' });
    expect(received).toHaveLength(1);
  });
});

describe('the CLI', () => {
  /** The standard AWS chain with nothing to find: no keys, profiles, files or metadata service. */
  function emptyAwsEnvironment(): void {
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
      vi.stubEnv(name, '');
    }
    vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/sluice-test/config');
    vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/sluice-test/credentials');
    vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  }

  test('--region signs for a custom domain with credentials from the AWS chain (here the environment), before or after the command', async () => {
    emptyAwsEnvironment();
    vi.stubEnv('AWS_ACCESS_KEY_ID', keys.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', keys.secretAccessKey);
    vi.stubEnv('AWS_SESSION_TOKEN', keys.sessionToken);
    answer = () => ({ status: 200, body: { topics: [] } });
    expect((await runCli(['topics', 'list', '--region', 'eu-north-1'], base)).code).toBe(0);
    expect((await runCli(['--region', 'eu-north-1', '--endpoint', base, 'topics', 'list'], base, { env: {} })).code).toBe(0);
    expect(received).toHaveLength(2);
    expectSigned(received, 'eu-north-1');
  });

  test('without --region a local endpoint is not signed; a malformed region is a usage error', async () => {
    answer = () => ({ status: 200, body: { topics: [] } });
    expect((await runCli(['topics', 'list'], base)).code).toBe(0);
    expect(received[0]?.headers.authorization).toBeUndefined();
    const bad = await runCli(['topics', 'list', '--region', 'EU WEST'], base);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^sluice: signing region 'EU WEST' is not a region name/);
  });

  test('no credentials: one line with the reason and exit code 1', async () => {
    emptyAwsEnvironment();
    const run = await runCli(['topics', 'list', '--endpoint', 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/prod'], base);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^sluice: no AWS credentials to sign requests with: Could not load credentials from any providers \(set AWS_PROFILE or AWS_ACCESS_KEY_ID, or run 'aws sso login'\)\n$/);
  });

  test('credentials the API refuses: one line with its reason and exit code 1', async () => {
    emptyAwsEnvironment();
    vi.stubEnv('AWS_ACCESS_KEY_ID', keys.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', keys.secretAccessKey);
    answer = () => ({ status: 403, body: { message: 'The security token included in the request is invalid.' } });
    const run = await runCli(['topics', 'list', '--region', 'eu-west-1'], base);
    expect(run).toMatchObject({ code: 1, stderr: 'sluice: FORBIDDEN: The security token included in the request is invalid.\n' });
  });
});
