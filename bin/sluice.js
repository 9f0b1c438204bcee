#!/usr/bin/env node
// The `sluice` command. Plain JavaScript so `npx sluice` works right after `npm ci`:
// tsx's loader compiles the TypeScript sources on import, no build step. This file is
// the edge that reads process.env and owns process signals and the exit code.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// Our own tsconfig, whatever directory the user runs from.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });

const args = process.argv.slice(2);

async function run() {
  if (args[0] === 'local') {
    // The local runner owns its signals (it stops its emulators on SIGINT/SIGTERM). Run
    // from an npm script (`npm start`), it also stops when npm goes: a process manager
    // watches npm, and must not lose track of us when it SIGKILLs it.
    const { main } = await import('../lib/local/main.ts');
    return main(args.slice(1), { env: process.env, stopWithParent: process.env.npm_lifecycle_event !== undefined });
  }
  if (args[0] === 'gateway') {
    const { main } = await import('../lib/kafka/main.ts');
    return main(args.slice(1), { env: process.env });
  }
  // First Ctrl-C: stop gracefully (a consumer prints its total, a producer sends what it
  // has read). A second one: leave now.
  const interrupt = new AbortController();
  const onSigint = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const { main } = await import('../lib/cli/main.ts');
    return await main(args, {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      env: process.env,
      signal: interrupt.signal,
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

try {
  // exitCode, not exit(): Node leaves once stdout and stderr have drained.
  process.exitCode = await run();
} catch (error) {
  process.stderr.write(`sluice: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
