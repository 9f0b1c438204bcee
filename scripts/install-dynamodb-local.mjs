#!/usr/bin/env node
// Fetches only DynamoDB Local's jar and native libraries out of the npm package
// amplify-dynamodb-simulator (which ships AWS's own emulator in emulator/), without
// installing that package's dependency tree. Runs on `npm ci`; skips when present.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const INTEGRITY =
  'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'node_modules', '.cache', 'dynamodb-local');

if (existsSync(join(target, 'DynamoDBLocal.jar'))) process.exit(0);

const work = mkdtempSync(join(tmpdir(), 'sluice-ddb-'));
try {
  process.stdout.write(`sluice: fetching DynamoDB Local from ${PACKAGE}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const name = execFileSync(npm, ['pack', PACKAGE, '--silent', '--pack-destination', work], {
    encoding: 'utf8',
  }).trim().split('\n').pop();
  const tarball = join(work, name);
  const digest = 'sha512-' + createHash('sha512').update(readFileSync(tarball)).digest('base64');
  if (digest !== INTEGRITY) throw new Error(`integrity mismatch for ${PACKAGE}: ${digest}`);
  execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/emulator']);
  mkdirSync(dirname(target), { recursive: true });
  rmSync(target, { recursive: true, force: true });
  renameSync(join(work, 'package', 'emulator'), target);
} catch (err) {
  process.stderr.write(`sluice: could not install DynamoDB Local: ${err.message}\n`);
  process.exit(1);
} finally {
  rmSync(work, { recursive: true, force: true });
}
