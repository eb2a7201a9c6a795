import { dirname, join } from 'node:path';
import type { OutputFile, OutputFormat } from '../pipeline/plan';
import type { CliIo } from './command';

/** Where each planned output file goes, and how messages spell it. */
export interface OutputNames {
  pathOf(name: string): string;
  displayOf(name: string): string;
}

/**
 * An unsplit output is written to exactly the path given with -o, whatever its extension or case
 * (`-o model.bin` writes model.bin, not model.bin.gguf). Split and sharded outputs keep their
 * documented part names (<prefix>-00001-of-0000N.gguf) beside it.
 */
export function outputNames(files: readonly OutputFile[], given: string, outPath: string, split: boolean): OutputNames {
  const dir = dirname(outPath);
  const givenDir = dirname(given);
  const only = !split && files.length === 1 ? files[0]!.name : null;
  return {
    pathOf: (n) => (n === only ? outPath : join(dir, n)),
    displayOf: (n) => (n === only ? given : join(givenDir, n)),
  };
}

/** A GGUF named model.safetensors is legal but surprising: say so, then do as asked. */
export function warnExtension(given: string, format: OutputFormat, io: CliIo): void {
  const ext = format === 'gguf' ? '.gguf' : '.safetensors';
  if (given.toLowerCase().endsWith(ext)) return;
  io.err(`warning: ${given} does not end in ${ext}; writing a ${format === 'gguf' ? 'GGUF' : 'safetensors'} file under that name as given\n`);
}
