import { dirname } from 'node:path';

/**
 * Errno codes in words a person can act on. Node's own messages ("ENOSPC: no space left on
 * device, write") name neither the file nor what to do, and often name a temporary file instead
 * of the one the user asked for.
 */
const COMMON: Readonly<Record<string, string>> = {
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'your disk quota is used up',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EMFILE: 'this process has too many files open (raise the limit with `ulimit -n`)',
  ENFILE: 'the system has too many files open',
  EFBIG: 'the file is larger than this file system allows',
  EIO: 'the device reported an input/output error',
  ENAMETOOLONG: 'the name is too long for this file system',
  ELOOP: 'the path has too many symbolic links (a link loop?)',
  ENXIO: 'it is a device or pipe that nothing is attached to',
};

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function fallback(e: unknown, code: string | undefined): string {
  if (code !== undefined) return `the system reported ${code}`;
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

/** Reading an input failed: the user's path and the reason. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`cannot read ${path}: ${reason}`);
  }

  static from(path: string, e: unknown): InputFileError {
    if (e instanceof InputFileError) return e;
    const code = codeOf(e);
    const reason = code === 'ENOENT' ? 'no such file or directory' : code !== undefined && COMMON[code] !== undefined ? COMMON[code] : fallback(e, code);
    return new InputFileError(path, reason, code);
  }
}

/** What happened while writing, beyond the errno: sizes for a full disk. */
export interface WriteContext {
  /** Bytes the file was planned to hold. */
  readonly needs?: number;
  /** Bytes written before the failure. */
  readonly written?: number;
}

/**
 * Writing an output failed. `path` is the final path as the user gave it, never the temporary
 * file the bytes were going to.
 */
export class OutputFileError extends Error {
  override readonly name = 'OutputFileError';
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`cannot write ${path}: ${reason}`);
  }

  static from(path: string, e: unknown, ctx: WriteContext = {}): OutputFileError {
    if (e instanceof OutputFileError) return e;
    const code = codeOf(e);
    let reason: string;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      const sizes = ctx.needs !== undefined ? ` (the file needs ${ctx.needs} bytes${ctx.written !== undefined ? `; ${ctx.written} were written` : ''})` : '';
      reason = `${COMMON[code]}${sizes}; nothing was kept, free some space and run again`;
    } else if (code === 'ENOENT') {
      reason = `the directory ${dirname(path)} does not exist`;
    } else if (code === 'EACCES' || code === 'EPERM') {
      reason = `${COMMON[code]} (check that you may write in ${dirname(path)})`;
    } else {
      reason = code !== undefined && COMMON[code] !== undefined ? COMMON[code] : fallback(e, code);
    }
    return new OutputFileError(path, reason, code);
  }
}
