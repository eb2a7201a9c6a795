import { once } from 'node:events';
import { FormatError } from '../formats/errors';
import { InputFileError, OutputFileError } from '../io/node/fs-errors';
import { CancelledError } from '../pipeline/executor';
import { EXIT_CANCELLED } from './interrupt';
import { UsageError, type CliIo, type Command } from './command';
import { inspectCommand } from './inspect';
import { convertCommand } from './convert';

/** Every subcommand; add one by writing its own file and listing it here. */
const COMMANDS: readonly Command[] = [inspectCommand, convertCommand];

const nodeIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  // a pipe to a slow reader must not make Node queue the whole --json document in memory
  drain: () => (process.stdout.writableNeedDrain ? once(process.stdout, 'drain').then(() => undefined) : Promise.resolve()),
};

function help(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: tensor-kiln <command> [arguments]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    `  ${'help'.padEnd(w)}  show this text, or a command's usage: tensor-kiln help <command>`,
    '',
  ].join('\n');
}

/** One line, no stack: what the user needs to fix their input. */
function describe(e: unknown): string {
  if (e instanceof FormatError || e instanceof InputFileError || e instanceof OutputFileError) return e.message;
  const err = e as NodeJS.ErrnoException;
  // a file operation outside the sinks and sources (listing a folder): an input, in words
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.path === 'string') return `${err.path}: ${InputFileError.from(err.path, err).reason}`;
  if (e instanceof Error) return e.message.split('\n')[0]!;
  return String(e);
}

/**
 * The command line, in-process: returns the exit status (0 ok, 1 bad input or failure, 2 bad
 * usage). bin/tensor-kiln.mjs calls it with process.argv.slice(2).
 */
export async function main(argv: readonly string[], io: CliIo = nodeIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(help());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    const cmd = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && cmd === undefined) {
      io.err(`tensor-kiln: unknown command '${topic}' (see tensor-kiln --help)\n`);
      return 2;
    }
    io.out(cmd ? cmd.usage + '\n' : help());
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (cmd === undefined) {
    io.err(`tensor-kiln: unknown command '${name}' (see tensor-kiln --help)\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tensor-kiln: ${e.message}\n${cmd.usage}\n`);
      return 2;
    }
    io.err(`tensor-kiln: ${describe(e)}\n`);
    return e instanceof CancelledError ? EXIT_CANCELLED : 1;
  }
}
