import type { FormatName } from './model';

export interface FormatErrorWhere {
  readonly format: FormatName | 'zip' | 'pickle' | 'protobuf' | 'imatrix' | 'unknown';
  readonly file: string;
  /** Byte offset in `file` where the problem was found, when there is one. */
  readonly offset?: number;
  readonly tensor?: string;
}

/**
 * Malformed or unsupported input. The message says what is wrong with the actual numbers; the
 * fields say where, so the UI and the CLI can point at it.
 */
export class FormatError extends Error {
  override readonly name: string = 'FormatError';
  readonly format: FormatErrorWhere['format'];
  readonly file: string;
  readonly offset: number | undefined;
  readonly tensor: string | undefined;

  constructor(where: FormatErrorWhere, what: string) {
    const at = [where.file, where.offset !== undefined ? `offset ${where.offset}` : null, where.tensor !== undefined ? `tensor "${where.tensor}"` : null]
      .filter((s) => s !== null)
      .join(', ');
    super(`${where.format}: ${what} (${at})`);
    this.format = where.format;
    this.file = where.file;
    this.offset = where.offset;
    this.tensor = where.tensor;
  }
}

/** Input that is valid but uses something Kiln does not handle (a dtype, a format version). */
export class UnsupportedError extends FormatError {
  override readonly name: string = 'UnsupportedError';
}

/** Internal bug: a condition the code itself guarantees. Never for input validation. */
export function invariant(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Error(`internal error: ${msg}`);
}
