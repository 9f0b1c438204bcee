/**
 * The code layout's arrows (../shared/DESIGN.md, "Code layout"), read from the imports
 * themselves so a wrong-way import fails here rather than in a reviewer's head.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Which parts each part may import. Typed errors and configuration live in core, which
 * every part shares. functions/ is where a Lambda's configuration becomes storage, so it
 * builds storage itself; bin/ starts the local runner and the Kafka gateway as well as the
 * CLI and the CDK app. lib/local and lib/cli serve the built console (lib/console/static.ts,
 * and `sluice console`'s proxy.ts).
 */
const mayUse: Record<string, readonly string[]> = {
  'lib/core': [],
  'lib/storage': ['lib/core'],
  'lib/api': ['lib/core', 'lib/storage'],
  'lib/jobs': ['lib/core', 'lib/storage'],
  'lib/client': ['lib/core'],
  'lib/kafka': ['lib/core', 'lib/storage', 'lib/api'],
  'lib/trigger': ['lib/core', 'lib/client', 'lib/storage'],
  'lib/console': ['lib/core', 'lib/client'],
  'lib/cli': ['lib/core', 'lib/client', 'lib/trigger', 'lib/console'],
  'lib/local': ['lib/core', 'lib/api', 'lib/jobs', 'lib/kafka', 'lib/storage', 'lib/console'],
  'lib/infra': ['lib/core', 'lib/storage'],
  functions: ['lib/core', 'lib/api', 'lib/jobs', 'lib/storage', 'lib/client', 'lib/trigger'],
  bin: ['lib/core', 'lib/cli', 'lib/infra', 'lib/kafka', 'lib/local'],
};

/** Only storage talks to DynamoDB and S3. */
const storageSdk = /^@aws-sdk\/client-(dynamodb|s3)$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Static imports and re-exports, and dynamic import() of a literal. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of source.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) found.push(m[1]!);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1]!);
  return found;
}

function partOf(path: string): string | undefined {
  return Object.keys(mayUse).find((part) => path === part || path.startsWith(`${part}/`));
}

const files = Object.keys(mayUse).flatMap((part) => {
  try {
    return sourceFiles(part);
  } catch {
    return []; // a part not built yet (lib/kafka, lib/console, ...)
  }
});

describe('code layout', () => {
  it('finds the source files and their imports', () => {
    // Guards the test itself: a parser that found nothing would pass everything.
    expect(files.length).toBeGreaterThan(50);
    expect(specifiers(readFileSync(join(root, 'lib/api/index.ts'), 'utf8')).some((s) => s.startsWith('../storage/'))).toBe(true);
  });

  it('imports run only along the arrows of the layout table', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = partOf(file)!;
      for (const spec of specifiers(readFileSync(join(root, file), 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = relative(root, resolve(root, dirname(file), spec));
        const to = partOf(target);
        if (to === undefined || to === from) continue;
        if (!mayUse[from]!.includes(to)) wrong.push(`${file} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('nothing under lib/ reads process.env: configuration arrives from the edges (functions/, bin/)', () => {
    const readers = files.filter(
      (file) =>
        file.startsWith('lib/') &&
        readFileSync(join(root, file), 'utf8')
          .split('\n')
          .some((line) => /process\.env\b/.test(line) && !/^\s*(\*|\/\/)/.test(line)),
    );
    expect(readers).toEqual([]);
  });

  it('only lib/storage imports the DynamoDB and S3 clients', () => {
    const wrong = files.filter(
      (file) => partOf(file) !== 'lib/storage' && specifiers(readFileSync(join(root, file), 'utf8')).some((s) => storageSdk.test(s)),
    );
    expect(wrong).toEqual([]);
  });
});
