import { FormatError } from '../errors';
import { GGUF_MAX_ARRAY_DEPTH, GGUF_MAX_ARRAY_ITEMS, GGUF_MAX_KV, GGUF_MAX_METADATA_ITEMS, GGUF_MAX_STRING_BYTES } from '../limits';
import type { MetaArray, MetaValue, Metadata, ScalarType } from '../model';

/**
 * GGUF metadata carried through safetensors. The spec makes __metadata__ string -> string, so the
 * typed KVs travel as one JSON document under this key: an array of [key, type, value] entries in
 * file order. Values: 8/16/32-bit integers and bools as JSON; u64 / i64 as decimal strings (JSON
 * numbers lose precision above 2^53); f32 / f64 as the shortest JSON number that reads back to the
 * same double (exact, as every f32 is a double), non-finite values and -0 as the strings "NaN",
 * "Infinity", "-Infinity", "-0"; an array as [itemType, [items]], nested arrays the same way.
 */
export const GGUF_METADATA_KEY = 'gguf';

type Item = number | bigint | boolean | string | MetaArray;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const SCALAR_TYPES: readonly ScalarType[] = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'u64', 'i64', 'f32', 'f64', 'bool', 'string'];

const INT_RANGE: Partial<Record<ScalarType, readonly [number, number]>> = {
  u8: [0, 0xff],
  i8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
};

const BIG_RANGE: Partial<Record<ScalarType, readonly [bigint, bigint]>> = {
  u64: [0n, 0xffffffffffffffffn],
  i64: [-(1n << 63n), (1n << 63n) - 1n],
};

function encodeFloat(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return v;
}

function encodeItem(type: ScalarType | 'array', v: Item): Json {
  if (type === 'array') {
    const a = v as MetaArray;
    return [a.itemType, a.value.map((x) => encodeItem(a.itemType, x))];
  }
  if (type === 'u64' || type === 'i64') return String(v);
  if (type === 'f32' || type === 'f64') return encodeFloat(v as number);
  return v as number | boolean | string;
}

/** One entry of the document, as JSON text (the caller sizes entries one by one). */
export function encodeGgufEntry(key: string, v: MetaValue): string {
  return JSON.stringify([key, v.type, v.type === 'array' ? encodeItem('array', v) : encodeItem(v.type, v.value)]);
}

/** The whole document for `md`, in its order. */
export function encodeGgufMetadata(md: Metadata): string {
  return `[${[...md].map(([k, v]) => encodeGgufEntry(k, v)).join(',')}]`;
}

class Bad extends Error {}

function utf8Bytes(s: string): number {
  // a UTF-16 unit is at most 3 UTF-8 bytes: count exactly only when the bound is not enough
  return s.length * 3 <= GGUF_MAX_STRING_BYTES ? s.length : new TextEncoder().encode(s).length;
}

function checkString(s: string, what: string): string {
  if (utf8Bytes(s) > GGUF_MAX_STRING_BYTES) throw new Bad(`${what} is longer than ${GGUF_MAX_STRING_BYTES} bytes`);
  return s;
}

function decodeFloat(j: Json, type: 'f32' | 'f64', what: string): number {
  let v: number;
  if (typeof j === 'number') v = j;
  else if (j === 'NaN') v = NaN;
  else if (j === 'Infinity') v = Infinity;
  else if (j === '-Infinity') v = -Infinity;
  else if (j === '-0') v = -0;
  else throw new Bad(`${what} must be a number (or "NaN", "Infinity", "-Infinity", "-0"), found ${JSON.stringify(j)?.slice(0, 40)}`);
  if (type === 'f32' && !Number.isNaN(v) && !Object.is(Math.fround(v), v)) throw new Bad(`${what} is ${v}, which no f32 holds exactly`);
  return v;
}

class Decoder {
  private items = 0;

  private count(n: number, what: string): void {
    this.items += n;
    if (this.items > GGUF_MAX_METADATA_ITEMS) throw new Bad(`${what}: more than ${GGUF_MAX_METADATA_ITEMS} metadata items in all`);
  }

  item(type: ScalarType | 'array', j: Json, what: string, depth: number): Item {
    const range = INT_RANGE[type as ScalarType];
    if (range !== undefined) {
      if (typeof j !== 'number' || !Number.isInteger(j) || j < range[0] || j > range[1]) throw new Bad(`${what} is not a ${type} (${range[0]}..${range[1]})`);
      return j;
    }
    const big = BIG_RANGE[type as ScalarType];
    if (big !== undefined) {
      if (typeof j !== 'string' || !/^-?[0-9]{1,20}$/.test(j)) throw new Bad(`${what} must be a ${type} written as a decimal string`);
      const v = BigInt(j);
      if (v < big[0] || v > big[1]) throw new Bad(`${what} ${j} is outside the ${type} range`);
      return v;
    }
    switch (type) {
      case 'f32':
      case 'f64':
        return decodeFloat(j, type, what);
      case 'bool':
        if (typeof j !== 'boolean') throw new Bad(`${what} must be true or false`);
        return j;
      case 'string':
        if (typeof j !== 'string') throw new Bad(`${what} must be a string`);
        return checkString(j, what);
      case 'array':
        return this.array(j, what, depth + 1);
      default:
        throw new Bad(`${what} has an unknown type`);
    }
  }

  array(j: Json, what: string, depth: number): MetaArray {
    if (depth > GGUF_MAX_ARRAY_DEPTH) throw new Bad(`${what} nests arrays ${depth} deep, above the limit of ${GGUF_MAX_ARRAY_DEPTH}`);
    if (!Array.isArray(j) || j.length !== 2 || !Array.isArray(j[1])) throw new Bad(`${what} must be [itemType, [items]]`);
    const itemType = j[0];
    if (itemType !== 'array' && !SCALAR_TYPES.includes(itemType as ScalarType)) throw new Bad(`${what} has an unknown item type ${JSON.stringify(itemType)?.slice(0, 40)}`);
    const t = itemType as ScalarType | 'array';
    const raw = j[1];
    if (raw.length > GGUF_MAX_ARRAY_ITEMS) throw new Bad(`${what} has ${raw.length} items, above the limit of ${GGUF_MAX_ARRAY_ITEMS}`);
    this.count(raw.length, what);
    const value = new Array<Item>(raw.length);
    for (let i = 0; i < raw.length; i++) value[i] = this.item(t, raw[i]!, `${what}[${i}]`, depth);
    return { type: 'array', itemType: t, value };
  }

  entry(e: Json, i: number): [string, MetaValue] {
    if (!Array.isArray(e) || e.length !== 3 || typeof e[0] !== 'string' || typeof e[1] !== 'string') throw new Bad(`entry ${i} must be [key, type, value]`);
    const key = checkString(e[0], `key of entry ${i}`);
    const type = e[1];
    const what = `value of '${key.slice(0, 80)}'`;
    this.count(1, what);
    if (type === 'array') return [key, this.array(e[2]!, what, 1)];
    if (!SCALAR_TYPES.includes(type as ScalarType)) throw new Bad(`entry ${i} ('${key.slice(0, 80)}') has an unknown type ${JSON.stringify(type).slice(0, 40)}`);
    return [key, { type, value: this.item(type as ScalarType, e[2]!, what, 0) } as MetaValue];
  }
}

/**
 * Reads the document back. Null when `text` is not a JSON array (then the key is not ours and
 * stays an ordinary string); a FormatError naming the entry when it is one but is malformed or
 * exceeds the GGUF reader's limits.
 */
export function decodeGgufMetadata(text: string, file: string): Metadata | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(json)) return null;
  const fail = (what: string) => new FormatError({ format: 'safetensors', file, offset: 8 }, `__metadata__ "${GGUF_METADATA_KEY}" holds GGUF metadata that cannot be read: ${what}`);
  if (json.length > GGUF_MAX_KV) throw fail(`${json.length} entries, above the limit of ${GGUF_MAX_KV}`);
  const d = new Decoder();
  const md: Metadata = new Map();
  for (let i = 0; i < json.length; i++) {
    let kv: [string, MetaValue];
    try {
      kv = d.entry(json[i] as Json, i);
    } catch (e) {
      if (e instanceof Bad) throw fail(e.message);
      throw e;
    }
    if (md.has(kv[0])) throw fail(`key '${kv[0].slice(0, 80)}' appears twice`);
    md.set(kv[0], kv[1]);
  }
  return md;
}
