/**
 * `sluice console` as a user runs it, in a child process against `sluice local` (an
 * unsigned endpoint): it serves the built console and passes the API through, long polls
 * included, until Ctrl-C. Signing is covered by test/unit/console-proxy.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../lib/console/build.ts';
import { builtConsoleDir } from '../../lib/console/static.ts';
import { repoRoot, startSluiceLocal, withoutAwsEndpoints, type SluiceLocal } from '../support/sluice-local.ts';

interface ConsoleProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `sluice console --endpoint <endpoint> --port 0` and reads the URL it prints. */
async function startConsole(endpoint: string): Promise<ConsoleProcess> {
  const env = withoutAwsEndpoints();
  delete env.SLUICE_ENDPOINT;
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'sluice.js'), 'console', '--endpoint', endpoint, '--port', '0'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sluice console printed no URL in 30 s:\n${output}`)), 30_000);
    const onData = (text: string): void => {
      output += text;
      const match = /^Sluice console for (\S+) at (http:\/\/\S+)\/ {2}\(Ctrl-C to stop\)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[2]!);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`sluice console exited (${code}) before printing its URL:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

describe('sluice console against sluice local', () => {
  let local: SluiceLocal;
  let proxy: ConsoleProcess;

  beforeAll(async () => {
    // Built once by `npm run build`; a fresh clone's test run builds it here.
    const built = existsSync(join(builtConsoleDir, 'index.html')) ? Promise.resolve(builtConsoleDir) : buildConsole();
    [local] = await Promise.all([startSluiceLocal(), built]);
    proxy = await startConsole(local.url);
  });

  afterAll(async () => {
    if (proxy && proxy.child.exitCode === null && proxy.child.signalCode === null) proxy.child.kill('SIGKILL');
    await local?.stop();
  });

  it('prints the endpoint it forwards to', () => {
    expect(proxy.output()).toContain(`Sluice console for ${local.url} at ${proxy.url}/`);
    expect(proxy.output()).not.toContain('signed');
  });

  it('serves the console at its root and at the app paths', async () => {
    for (const path of ['/', '/topics', '/topics/orders/messages?partition=0']) {
      const answer = await fetch(`${proxy.url}${path}`);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await answer.text()).toMatch(/<html[\s>][\s\S]*app\.js/i);
    }
  });

  it('forwards the API: a topic created through it is in sluice local, its errors are the API own', async () => {
    const topic = `proxied-${randomBytes(4).toString('hex')}`;
    const created = await fetch(`${proxy.url}/v1/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: topic, partitions: 2 }),
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { name: string }).name).toBe(topic);
    const listed = (await (await fetch(`${local.url}/v1/topics`)).json()) as { topics: Array<{ name: string; partitions: number }> };
    expect(listed.topics).toContainEqual({ name: topic, partitions: 2 });

    const again = await fetch(`${proxy.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: topic, partitions: 2 }) });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('TOPIC_EXISTS');

    const [viaProxy, direct] = await Promise.all([fetch(`${proxy.url}/v1/no-such-thing`), fetch(`${local.url}/v1/no-such-thing`)]);
    expect(viaProxy.status).toBe(404);
    expect(viaProxy.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    expect(((await viaProxy.json()) as { error: { code: string } }).error.code).toBe(((await direct.json()) as { error: { code: string } }).error.code);

    const deleted = await fetch(`${proxy.url}/v1/topics/${topic}`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
  });

  it('passes a long poll through: a fetch waiting at the log end returns the record produced meanwhile', async () => {
    const topic = `poll-${randomBytes(4).toString('hex')}`;
    const created = await fetch(`${proxy.url}/v1/topics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: topic, partitions: 1 }) });
    expect(created.status).toBe(201);

    const started = Date.now();
    const polling = fetch(`${proxy.url}/v1/topics/${topic}/partitions/0/records?offset=0&waitMs=20000`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const produced = await fetch(`${local.url}/v1/topics/${topic}/records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ records: [{ key: 'k', value: 'hello through the proxy' }] }),
    });
    expect(produced.status).toBe(200);
    const answer = await polling;
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { records: Array<{ offset: number; value: string }>; nextOffset: number };
    expect(body.records).toEqual([expect.objectContaining({ offset: 0, value: 'hello through the proxy' })]);
    expect(body.nextOffset).toBe(1);
    // Answered when the record came, not when the wait ran out.
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('stops on Ctrl-C with exit code 0', async () => {
    proxy.child.kill('SIGINT');
    expect(await proxy.exited).toBe(0);
    await expect(fetch(`${proxy.url}/`)).rejects.toThrow();
  });
});
