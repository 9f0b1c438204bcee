/**
 * `sluice console`: the web console for a deployed Sluice, served on this machine, with its
 * API calls forwarded to the endpoint and signed with the user's own AWS credentials, the
 * way `kubectl proxy` works (lib/console/proxy.ts). Runs until Ctrl-C.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { defaultConsolePort, isSigned, startConsoleProxy, type RunningConsoleProxy } from '../console/proxy.ts';
import { builtConsoleDir } from '../console/static.ts';
import { commonHelp, connectionFor, parseFlags, parseIntFlag, type CommandSpec } from './args.ts';
import { InputError, UsageError } from './errors.ts';
import { untilInterrupted, type CliIo, type Output } from './io.ts';

export const consoleHelp = `Usage: sluice console [--endpoint URL] [--port ${defaultConsolePort}] [--host 127.0.0.1] [--region R]

Serves the web console on this machine and forwards its API calls to the endpoint, as
'kubectl proxy' does: requests to an execute-api URL (or any URL, given --region) are
signed (SigV4) with your AWS credentials from the standard chain, so nothing new is
exposed on AWS and your IAM policies decide what the console may do. Runs until Ctrl-C.
  --port N               port to listen on (default ${defaultConsolePort}; 0 picks a free one)
  --host H               address to listen on (default 127.0.0.1); anyone who reaches the
                         proxy acts with your credentials, so keep it on this machine
${commonHelp}
`;

const options = {
  port: { type: 'string' },
  host: { type: 'string' },
} as const;

export const consoleSpec: CommandSpec = { options, help: consoleHelp };

export async function consoleCommand(argv: readonly string[], io: CliIo, out: Output): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    await out.write(consoleHelp);
    return 0;
  }
  const flags = parseFlags(argv, options, 'console');
  const port = flags.port === undefined ? defaultConsolePort : parseIntFlag('--port', flags.port, 0, 65_535);
  const host = flags.host ?? '127.0.0.1';
  const connection = await connectionFor(flags, io);
  let proxy: RunningConsoleProxy;
  try {
    proxy = await startConsoleProxy({ endpoint: connection.endpoint, signing: connection.signing, host, port, consoleDir: builtConsoleDir });
  } catch (error) {
    // A malformed endpoint or region is the user's typing; a taken port is this machine's.
    if (error instanceof ConfigError) throw new UsageError(error.message, 'console');
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new InputError(`port ${port} on ${host} is in use: pick another with --port (0 for any free one)`);
    if (code === 'EADDRNOTAVAIL') throw new InputError(`cannot listen on ${host}: not an address of this machine`);
    throw error;
  }
  try {
    await out.line(`Sluice console for ${connection.endpoint} at ${proxy.url}/  (Ctrl-C to stop)`);
    if (isSigned(connection.endpoint, connection.signing)) await out.line('API calls are signed (SigV4) with your AWS credentials');
    if (!existsSync(join(builtConsoleDir, 'index.html'))) {
      io.stderr.write(`sluice: the console is not built (no ${builtConsoleDir}); run 'npm run build' in the sluice package\n`);
    }
    await untilInterrupted(io.signal);
  } finally {
    await proxy.close();
  }
  return 0;
}
