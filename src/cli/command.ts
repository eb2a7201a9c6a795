/** Where a command writes: stdout for results, stderr for messages. Tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Resolves when what out() was given has been taken (stdout's backpressure); absent: at once. */
  drain?(): Promise<void>;
}

/** A subcommand. main.ts keeps a table of these; each lives in its own file. */
export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Full usage text for `help <command>` and `<command> --help`. */
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Bad command line: printed with a hint, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
