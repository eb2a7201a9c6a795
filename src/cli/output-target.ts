import { stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InputFileError, OutputFileError } from '../io/node/fs-errors';

/** An input file's identity: two paths name one file when device and inode agree. */
export interface InputId {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
}

export async function identifyInputs(paths: readonly string[]): Promise<InputId[]> {
  const out: InputId[] = [];
  for (const path of paths) {
    try {
      const st = await stat(path);
      out.push({ path, dev: st.dev, ino: st.ino });
    } catch (e) {
      throw InputFileError.from(path, e);
    }
  }
  return out;
}

async function statOrNull(path: string, display: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw OutputFileError.from(display, e);
  }
}

/**
 * Checks the directory an output goes into, before any input is read: it must exist and be a directory.
 * `given` is the -o value as typed; a trailing slash means a directory, and Kiln wants a file name.
 */
export async function checkOutputFolder(given: string): Promise<string> {
  if (/[/\\]$/.test(given)) throw new OutputFileError(given, 'the output must be a file name, not a directory (for example ' + `${given}model.gguf)`);
  const abs = resolve(given);
  const dir = await statOrNull(dirname(abs), given);
  if (dir === null) throw new OutputFileError(given, `the directory ${dirname(given)} does not exist`, 'ENOENT');
  if (!dir.isDirectory()) throw new OutputFileError(given, `${dirname(given)} is a file, not a directory`, 'ENOTDIR');
  return abs;
}

/**
 * Refuses an output file that would destroy something: an existing directory or device, or one of
 * the inputs under any spelling (a symbolic link, a hard link, `./`, another case on a
 * case-insensitive disk), since the output replaces whatever is at its path.
 */
export async function checkOutputFile(path: string, display: string, inputs: readonly InputId[]): Promise<void> {
  const st = await statOrNull(path, display);
  if (st === null) return;
  if (st.isDirectory()) throw new OutputFileError(display, `it is a directory; give a file name (for example ${display.replace(/[/\\]$/, '')}/model.gguf)`, 'EISDIR');
  if (!st.isFile()) throw new OutputFileError(display, 'it exists and is not a regular file (a device, pipe or socket); Kiln writes regular files only');
  const same = inputs.find((i) => i.dev === st.dev && i.ino === st.ino);
  if (same !== undefined) {
    throw new OutputFileError(display, `it is the input ${same.path}, which the conversion reads; choose another output name`);
  }
}

/**
 * Checks the folder a Hugging Face output (--format hf) goes into, before any input is read: an
 * existing directory, or a new one whose parent exists (made by the run, removed again if the run
 * fails and leaves it empty). A file of that name is refused.
 */
export async function checkOutputDir(given: string): Promise<{ path: string; exists: boolean }> {
  const abs = resolve(given);
  const st = await statOrNull(abs, given);
  if (st !== null) {
    if (!st.isDirectory()) throw new OutputFileError(given, 'a Hugging Face folder is written into a directory, and this is a file', 'ENOTDIR');
    return { path: abs, exists: true };
  }
  const parent = await statOrNull(dirname(abs), given);
  if (parent === null || !parent.isDirectory()) throw new OutputFileError(given, `the directory ${dirname(given.replace(/[/\\]+$/, '')) || '.'} does not exist`, 'ENOENT');
  return { path: abs, exists: false };
}
