/** Failures of the CLI itself, beside the API's typed errors. */

/** Bad flags or arguments: exit code 2 and a pointer to `--help`. */
export class UsageError extends Error {
  /** The command whose help to point at, e.g. `topics create`. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.name = new.target.name;
    this.command = command;
  }
}

/** Input the command cannot use (e.g. a produce line without its key separator): exit 1. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** stdout was closed by its reader (`sluice consume | head`): stop quietly. */
export class OutputClosedError extends Error {
  constructor(cause: unknown) {
    super('output closed', { cause });
    this.name = new.target.name;
  }
}
