import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { HF_MAX_JSON_BYTES } from './limits';

/** The small JSON and text files of a Hugging Face folder, read whole (they are bounded). */

export async function readJson(f: ByteSource | undefined, limit = HF_MAX_JSON_BYTES): Promise<Record<string, unknown> | null> {
  if (f === undefined) return null;
  const where = { format: 'hf' as const, file: f.name };
  if (f.size > limit) throw new FormatError(where, `${f.size} bytes, above the limit of ${limit} for this JSON file`);
  let v: unknown;
  try {
    // Python's json also takes NaN / Infinity; config files do not use them in practice
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await f.read(0, f.size)));
  } catch (e) {
    throw new FormatError(where, `not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(where, 'is not a JSON object');
  return v as Record<string, unknown>;
}

export async function readText(f: ByteSource | undefined): Promise<string | null> {
  if (f === undefined) return null;
  if (f.size > HF_MAX_JSON_BYTES) throw new FormatError({ format: 'hf', file: f.name }, `${f.size} bytes, above the limit of ${HF_MAX_JSON_BYTES}`);
  return new TextDecoder().decode(await f.read(0, f.size));
}
