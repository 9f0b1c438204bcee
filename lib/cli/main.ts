/**
 * The `sluice` command line (all but `sluice local` and `sluice gateway`, which
 * bin/sluice.js sends to the local runner and the Kafka gateway): dispatch, and the one place where failures become an exit code and
 * one line on stderr.
 */
import { readFileSync } from 'node:fs';
import { groupsCommand, groupsSpecs } from './groups.ts';
import { jobsCommand } from './jobs.ts';
import { ConnectionError } from '../client/errors.ts';
import { ConfigError, SluiceError } from '../core/errors.ts';
import { consoleCommand } from './console.ts';
import { consumeCommand } from './consume.ts';
import { InputError, OutputClosedError, UsageError } from './errors.ts';
import { Output, type CliIo } from './io.ts';
import { produceCommand } from './produce.ts';
import { topicCommands, topicsCommand } from './topics.ts';
import { triggerCommand } from './trigger.ts';

export type { CliIo } from './io.ts';

export const usage = `Usage: sluice <command> [options]

Commands:
  local                      run Sluice on this machine (DynamoDB Local, S3 emulator, API)
  gateway                    serve the Kafka protocol over a deployed Sluice's storage
  topics create|list|describe|alter|delete
                             manage topics, like kafka-topics
  produce --topic T          send stdin lines as records, like kafka-console-producer
  consume --topic T          print records, like kafka-console-consumer
  groups list|describe|reset-offsets|delete
                             consumer groups, like kafka-consumer-groups
  jobs run [--topic T]       seal, apply retention and compact now (normally on a schedule)
  trigger --topic T --group G --handler PATH
                             deliver a topic to a Lambda handler module, as on AWS
  console [--port 8791]      serve the web console here for a deployed Sluice, its API
                             calls signed with your AWS credentials (like kubectl proxy)

Every command takes --endpoint URL (alias --bootstrap-server, which may list several
servers, a:1,b:2: the first that answers is used); the default is $SLUICE_ENDPOINT, else
http://127.0.0.1:8790. Requests to an execute-api URL are signed (SigV4) with AWS
credentials from the standard chain (AWS_PROFILE, SSO, ...); --region R signs them for a
custom domain too. 'sluice --version' prints the version.
Run 'sluice <command> --help' for more.
`;

/** The package's version, as `sluice --version` prints it. */
export function version(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** Exit codes: 0 done, 1 failed (the API's error or no answer), 2 usage, 130 interrupted. */
export const exitCodes = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** `sluice --bootstrap-server H topics list` works too: connection flags before the command move after it. */
function connectionFlagsLast(argv: readonly string[]): string[] {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length && /^--(endpoint|bootstrap-server|region)(=|$)/.test(argv[i]!)) {
    const width = argv[i]!.includes('=') ? 1 : 2;
    leading.push(...argv.slice(i, i + width));
    i += width;
  }
  return [...argv.slice(i), ...leading];
}

/** Runs one CLI invocation (`argv` without node and the script) and returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const out = new Output(io.stdout);
  const [command, ...rest] = connectionFlagsLast(argv);
  try {
    switch (command) {
      case undefined:
        io.stderr.write(usage);
        return exitCodes.usage;
      case 'help':
      case '--help':
      case '-h':
        await out.write(usage);
        return exitCodes.ok;
      case '--version':
      case '-V':
      case 'version':
        await out.line(version());
        return exitCodes.ok;
      case 'topics':
        return await topicsCommand(rest, io, out);
      case 'produce':
        return await produceCommand(rest, io, out);
      case 'consume':
        return await consumeCommand(rest, io, out);
      case 'jobs':
        return await jobsCommand(rest, io, out);
      case 'groups':
        return await groupsCommand(rest, io, out);
      case 'trigger':
        return await triggerCommand(rest, io, out);
      case 'console':
        return await consoleCommand(rest, io, out);
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (error) {
    if (error instanceof OutputClosedError) return exitCodes.ok;
    if (io.signal?.aborted && !(error instanceof SluiceError)) return exitCodes.interrupted;
    const { line, code } = describeFailure(error, argv);
    io.stderr.write(`sluice: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
    return code;
  }
}

/** The one stderr line and the exit code for a failure. */
export function describeFailure(error: unknown, argv: readonly string[]): { line: string; code: number } {
  if (error instanceof UsageError) {
    const hint = ` (see 'sluice ${error.command ? `${error.command} ` : helpTopic(argv)}--help')`;
    return { line: error.message + hint, code: exitCodes.usage };
  }
  if (error instanceof ConnectionError) {
    const local = isLocal(error.endpoint);
    return { line: local ? `cannot reach ${error.endpoint} (is 'sluice local' running?)` : error.message, code: exitCodes.failed };
  }
  // This machine's setup (no AWS credentials, say), not an answer of the API: no code to show.
  if (error instanceof ConfigError) return { line: error.message, code: exitCodes.failed };
  if (error instanceof SluiceError) return { line: `${error.code}: ${error.message}`, code: exitCodes.failed };
  if (error instanceof InputError) return { line: error.message, code: exitCodes.failed };
  const message = error instanceof Error ? error.message : String(error);
  return { line: `unexpected error: ${message}`, code: exitCodes.failed };
}

/** `topics create ` for `sluice topics create --bad`, `produce ` for produce, else nothing. */
function helpTopic(argv: readonly string[]): string {
  const [command, sub] = argv;
  if (command === 'topics') return sub && !sub.startsWith('-') && topicCommands.includes(sub) ? `topics ${sub} ` : 'topics ';
  if (command === 'groups') return sub && !sub.startsWith('-') && Object.hasOwn(groupsSpecs, sub) ? `groups ${sub} ` : 'groups ';
  return ['produce', 'consume', 'trigger', 'console'].includes(command ?? '') ? `${command} ` : '';
}

/** True when the endpoint is this machine, where `sluice local` would be the server. */
function isLocal(endpoint: string): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(endpoint).hostname);
}
