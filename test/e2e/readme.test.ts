/**
 * The README's examples, run as written against a `sluice local` of their own, in README
 * order, as a reader would: the Quick start's `npx sluice` session and the curl session
 * through bash (each command's output compared with the README's, `…` a wildcard), and
 * the SDK snippet from another project that has the package `sluice` linked in, with plain
 * `node` and through `tsc`. The only change made to an example is the port: 8790 becomes
 * the test runner's (the CLI gets it as SLUICE_ENDPOINT). The names are the README's; the
 * runner is private to this file, so they collide with nothing.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { consoleSteps, matchesShown, readmeBlocks, type CodeBlock } from '../support/readme.ts';
import { repoRoot, startSluiceLocal, withoutAwsEndpoints, type SluiceLocal } from '../support/sluice-local.ts';

const readmePort = ':8790';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end (SIGKILL after `timeoutMs`), feeding it no input. */
function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A reader's shell: this test's Node first on PATH (npx runs on it too), none of npm's
 * variables from `npm test`, no update notices, and the CLI pointed at the runner.
 */
function shellEnv(local: SluiceLocal): NodeJS.ProcessEnv {
  const env = withoutAwsEndpoints();
  for (const key of Object.keys(env)) if (key.startsWith('npm_') || key === 'NODE_OPTIONS') delete env[key];
  return {
    ...env,
    PATH: [dirname(process.execPath), env.PATH ?? ''].join(delimiter),
    SLUICE_ENDPOINT: local.url,
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
  };
}

/** `kafka-console-consumer` order: partitions interleave as they answer, offsets in order within each. */
function byPartition(lines: readonly string[]): string[] {
  const partitionOf = (line: string) => Number(/^Partition:(\d+)\t/.exec(line)?.[1]);
  const slots = lines.flatMap((line, i) => (Number.isNaN(partitionOf(line)) ? [] : [i]));
  const sorted = slots.map((i) => lines[i]!).sort((a, b) => partitionOf(a) - partitionOf(b));
  const result = [...lines];
  slots.forEach((slot, k) => (result[slot] = sorted[k]!));
  return result;
}

describe('README examples', () => {
  const blocks = readmeBlocks(repoRoot);
  const marked = (marker: string): CodeBlock[] => blocks.filter((b) => b.marker === marker);
  let local: SluiceLocal;
  let project: string;

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'sluice-readme-'));
    // The SDK as `npm ci` builds it (prepare), rebuilt from the current sources.
    const [started, build] = await Promise.all([
      startSluiceLocal(),
      run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
        cwd: repoRoot,
        env: process.env,
        timeoutMs: 120_000,
      }),
    ]);
    local = started;
    expect(build, 'npm run build').toMatchObject({ code: 0 });
    // Another project, with the package linked in as `npm link` or `npm install ../sluice`
    // would: node_modules/sluice is the repository itself. Its own @types/node, as a
    // TypeScript project would have.
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-consumer', private: true, type: 'module' }));
    mkdirSync(join(project, 'node_modules', '@types'), { recursive: true });
    symlinkSync(repoRoot, join(project, 'node_modules', 'sluice'), 'dir');
    symlinkSync(join(repoRoot, 'node_modules', '@types', 'node'), join(project, 'node_modules', '@types', 'node'), 'dir');
  }, 180_000);

  afterAll(async () => {
    await local?.stop();
    if (project) rmSync(project, { recursive: true, force: true });
  }, 60_000);

  test('every example of Quick start, Client SDK and HTTP API is marked to run here', () => {
    const shown = blocks.filter((b) => /^(Quick start|Client SDK|HTTP API)/.test(b.section));
    expect(shown.filter((b) => b.marker === undefined).map((b) => `README line ${b.line}`)).toEqual([]);
    expect(marked('console').map((b) => b.section)).toEqual(["Quick start (Kafka's, with `sluice`)", 'HTTP API v1']);
    expect(marked('sdk')).toHaveLength(1);
  });

  test('the output matcher: … stands for any text in a line, or for any lines on a line of its own', () => {
    expect(matchesShown(['a…c'], ['abbbc'])).toBe(true);
    expect(matchesShown(['a…c'], ['abbbd'])).toBe(false);
    expect(matchesShown(['x', '\t…', 'y'], ['x', '1', '2', 'y'])).toBe(true);
    expect(matchesShown(['x', '\t…', 'y'], ['x', 'y'])).toBe(true);
    expect(matchesShown(['x'], ['x', 'y'])).toBe(false);
    expect(matchesShown(['(a.b)'], ['(axb)'])).toBe(false);
    expect(byPartition(['Partition:2\tz', 'Partition:0\ta', 'Partition:0\tb', 'total'])).toEqual(['Partition:0\ta', 'Partition:0\tb', 'Partition:2\tz', 'total']);
  });

  /** Runs each `$ command` of a console block through bash and compares what it prints. */
  async function runSession(block: CodeBlock, check: (command: string, output: string) => void = () => {}): Promise<void> {
    const steps = consoleSteps(block.code);
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      const command = step.command.replaceAll(readmePort, `:${local.port}`);
      const result = await run('bash', ['-c', `{\n${command}\n} 2>&1`], { cwd: repoRoot, env: shellEnv(local) });
      const what = `README line ${block.line}: $ ${step.command}`;
      expect({ code: result.code, stderr: result.stderr }, `${what}\n${result.stdout}`).toEqual({ code: 0, stderr: '' });
      const printed = result.stdout.replace(/\n+$/, '');
      let lines = printed === '' ? [] : printed.split('\n');
      if (/\bsluice consume\b/.test(command)) lines = byPartition(lines);
      expect(matchesShown(step.expected, lines), `${what}\nshown:\n${step.expected.join('\n')}\nprinted:\n${lines.join('\n')}`).toBe(true);
      check(command, printed);
    }
  }

  test('Quick start: each npx sluice command prints what the README shows', async () => {
    await runSession(marked('console')[0]!);
  }, 180_000);

  test('Client SDK: node runs the snippet in another project; it prints the consumed message and exits', async () => {
    const [block] = marked('sdk');
    const code = block!.code.replaceAll(readmePort, `:${local.port}`);
    expect(code).toMatch(/^import \{ (\w+, )*Sluice(, \w+)* \} from 'sluice';$/m);
    // What the README says it prints: the comment on its console.log line.
    const shown = /console\.log\(.*\); \/\/ (.+)$/m.exec(code)?.[1];
    expect(shown, 'a `// output` comment on the console.log line').toBeDefined();

    writeFileSync(join(project, 'readme-sdk.mjs'), code);
    const env = shellEnv(local);
    const result = await run(process.execPath, ['readme-sdk.mjs'], { cwd: project, env, timeoutMs: 30_000 });
    expect(result).toEqual({ code: 0, stdout: `${shown}\n`, stderr: '' });

    // It committed what it consumed before leaving.
    const group = (await (await fetch(`${local.url}/v1/groups/billing`)).json()) as {
      members: unknown[];
      partitions: { topic: string; partition: number; committedOffset: number | null }[];
    };
    expect(group.members).toEqual([]);
    expect(group.partitions.find((p) => p.topic === 'orders' && p.partition === 2)?.committedOffset).toBe(1);
  }, 60_000);

  test('Client SDK: the snippet typechecks as TypeScript against the package declarations in dist/', async () => {
    const [block] = marked('sdk');
    writeFileSync(join(project, 'consumer.ts'), block!.code);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'] },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--listFiles'], { cwd: project, env: process.env, timeoutMs: 120_000 });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const files = result.stdout.split('\n');
    expect(files).toContain(join(repoRoot, 'dist', 'client', 'index.d.ts'));
    // The declarations, not the TypeScript sources, and nothing of storage or the AWS SDK's DynamoDB/S3 clients.
    expect(files.filter((f) => f.startsWith(join(repoRoot, 'lib')))).toEqual([]);
    expect(files.filter((f) => /client-dynamodb|client-s3|\/dist\/storage\//.test(f))).toEqual([]);
  }, 150_000);

  test('HTTP API: each curl example answers what the README shows, as JSON', async () => {
    const answers: unknown[] = [];
    await runSession(marked('console')[1]!, (command, printed) => {
      expect(command).toMatch(/^curl /);
      answers.push(JSON.parse(printed));
    });
    const [created, produced, fetched] = answers as [
      { name: string; topicId: string; partitions: unknown[] },
      { offsets: { partition: number; offset: number }[] },
      { records: { offset: number; key: string; value: string }[]; nextOffset: number },
    ];
    expect(created.partitions).toHaveLength(4);
    expect(created.topicId).toMatch(/^[0-9a-f-]{36}$/);
    // The fetch reads the partition the produce landed on, and finds the record there.
    const [landed] = produced.offsets;
    expect(command(2)).toContain(`/partitions/${landed!.partition}/records?offset=${landed!.offset}`);
    expect(fetched.records.map((r) => [r.offset, r.key, r.value])).toEqual([[0, 'i-1', '{"total":12}']]);

    function command(index: number): string {
      return consoleSteps(marked('console')[1]!.code)[index]!.command;
    }
  }, 60_000);
});
