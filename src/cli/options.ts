import type { TypeName } from '../codecs/catalogue';
import type { MetaValue } from '../formats/model';
import { parseGgmlType, parseTensorTypeOption, type KvUpdate } from '../pipeline/presets-plan';
import { UsageError } from './command';

/**
 * --override-kv KEY=TYPE:VALUE as llama.cpp's string_parse_kv_override reads it (int, float,
 * bool, str; a key under 128 bytes, a string under 128), and as llama-quantize then writes it:
 * int as u32 of its absolute value, float as f32.
 */
export function parseOverrideKv(text: string): KvUpdate {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq >= 128) throw new UsageError(`malformed KV override '${text}' (want KEY=TYPE:VALUE)`);
  const key = text.slice(0, eq);
  const rest = text.slice(eq + 1);
  let value: MetaValue;
  if (rest.startsWith('int:')) {
    const n = parseIntPrefix(rest.slice(4));
    value = { type: 'u32', value: Math.abs(n) % 2 ** 32 };
  } else if (rest.startsWith('float:')) {
    value = { type: 'f32', value: Math.fround(parseFloatPrefix(rest.slice(6))) };
  } else if (rest.startsWith('bool:')) {
    const v = rest.slice(5);
    if (v !== 'true' && v !== 'false') throw new UsageError(`invalid boolean value for KV override '${text}'`);
    value = { type: 'bool', value: v === 'true' };
  } else if (rest.startsWith('str:')) {
    const v = rest.slice(4);
    if (new TextEncoder().encode(v).length > 127) throw new UsageError(`malformed KV override '${text}', value cannot exceed 127 chars`);
    value = { type: 'string', value: v };
  } else {
    throw new UsageError(`invalid type for KV override '${text}' (int, float, bool or str)`);
  }
  return { op: 'set', key, value };
}

/** std::atol: leading blanks, a sign, digits; anything after ignored; 0 when there are none. */
function parseIntPrefix(s: string): number {
  const m = /^\s*([+-]?\d+)/.exec(s);
  return m ? Number(m[1]) : 0;
}

function parseFloatPrefix(s: string): number {
  const m = /^\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf(inity)?|[+-]?nan)/i.exec(s);
  if (!m) return 0;
  const t = m[1]!.toLowerCase();
  if (t.includes('inf')) return t.startsWith('-') ? -Infinity : Infinity;
  if (t.includes('nan')) return NaN;
  return Number(t);
}

/** gguf-split --split-max-size: a number of bytes, or with M / G (10^6 / 10^9) as gguf-split takes it. */
export function parseSize(text: string): number {
  const m = /^(\d+)([MG]?)$/.exec(text);
  if (!m) throw new UsageError(`invalid size '${text}' (bytes, or a number followed by M or G)`);
  const n = Number(m[1]) * (m[2] === 'M' ? 1e6 : m[2] === 'G' ? 1e9 : 1);
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`invalid size '${text}'`);
  return n;
}

export function parseTypeOption(flag: string, text: string): TypeName {
  const t = parseGgmlType(text);
  if (t === null) throw new UsageError(`${flag}: unknown type '${text}'`);
  return t;
}

export function parseTensorType(text: string): readonly [string, TypeName] {
  try {
    return parseTensorTypeOption(text);
  } catch (e) {
    throw new UsageError(`--tensor-type: ${e instanceof Error ? e.message : String(e)}`);
  }
}
