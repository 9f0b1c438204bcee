/**
 * Bundles the web console (lib/console/app.ts, index.html, app.css) into dist/console/,
 * the static files `sluice local` serves at its root. Run by `npm run build`:
 * `tsx lib/console/build.ts`.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = resolve(here, '..', '..', 'dist', 'console');

/**
 * The SDK's signing module loads the AWS credential chain (@aws-sdk/credential-provider-node,
 * which needs node:fs, node:os and child processes) with a dynamic import, only when a
 * request must be signed and no credentials were given. The console talks to its own
 * origin unsigned (`signing: false`), so that import never runs in the browser; this stub
 * keeps the Node-only package out of the bundle and fails clearly should it ever run.
 */
const noNodeCredentials: Plugin = {
  name: 'no-node-credentials',
  setup(builder) {
    builder.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: 'credential-provider-node', namespace: 'console-stub' }));
    builder.onLoad({ filter: /.*/, namespace: 'console-stub' }, () => ({
      contents: "export function defaultProvider() { throw new Error('the web console sends unsigned requests: no AWS credential chain in the browser'); }",
      loader: 'js',
    }));
  },
};

/** Writes dist/console/{index.html,app.js,app.css}; resolves with the output folder. */
export async function buildConsole(options: { minify?: boolean } = {}): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(here, 'app.ts')],
    outfile: join(outDir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: options.minify ?? true,
    sourcemap: true,
    legalComments: 'none',
    plugins: [noNodeCredentials],
    logLevel: 'warning',
  });
  copyFileSync(join(here, 'index.html'), join(outDir, 'index.html'));
  copyFileSync(join(here, 'app.css'), join(outDir, 'app.css'));
  return outDir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = await buildConsole();
  console.log(`console built into ${dir}`);
}
