import type { MetaArray, MetaValue, ScalarType } from '../model';
import { GGUF_MAX_ARRAY_DEPTH, GGUF_MAX_ARRAY_ITEMS, GGUF_MAX_METADATA_ITEMS, GGUF_MAX_STRING_BYTES } from '../limits';
import { FIXED_SIZE, valueTypeFromId } from './constants';
import type { HeaderCursor } from './cursor';

/** State shared by every value read from one header: the version decides the width of lengths. */
export interface ValueReader {
  readonly cur: HeaderCursor;
  /** GGUF v1 stores string lengths, array lengths and counts as u32; v2 and v3 as u64. */
  readonly wideSizes: boolean;
  /** Metadata items read so far (values and array items), against GGUF_MAX_METADATA_ITEMS. */
  items: number;
}

/** Reads a u32 or u64 size field and returns it as a number, failing if it exceeds `max`. */
export async function readSize(r: ValueReader, what: string, max: number): Promise<number> {
  const cur = r.cur;
  const at = cur.offset;
  if (!r.wideSizes) {
    await cur.need(4, what);
    const n = cur.u32();
    if (n > max) throw cur.fail(`${what} is ${n}, above the limit of ${max}`, at);
    return n;
  }
  await cur.need(8, what);
  const n = cur.u64();
  if (n > BigInt(max)) throw cur.fail(`${what} is ${n}, above the limit of ${max}`, at);
  return Number(n);
}

export async function readString(r: ValueReader, what: string): Promise<string> {
  const cur = r.cur;
  const at = cur.offset;
  const len = await readSize(r, `length of ${what}`, GGUF_MAX_STRING_BYTES);
  if (len > cur.remainingInFile) {
    throw cur.fail(`length of ${what} is ${len} bytes but only ${cur.remainingInFile} bytes follow in the file`, at);
  }
  await cur.need(len, what);
  return cur.text(len);
}

function countItems(r: ValueReader, n: number, what: string, at: number): void {
  r.items += n;
  if (r.items > GGUF_MAX_METADATA_ITEMS) {
    throw r.cur.fail(`${what} brings the metadata to ${r.items} items, above the limit of ${GGUF_MAX_METADATA_ITEMS}`, at);
  }
}

/** Smallest encoding of one item, used to reject counts that the rest of the file cannot hold. */
function minItemBytes(r: ValueReader, t: ScalarType | 'array'): number {
  const sizeField = r.wideSizes ? 8 : 4;
  if (t === 'string') return sizeField;
  if (t === 'array') return 4 + sizeField;
  return FIXED_SIZE[t];
}

function readFixed(cur: HeaderCursor, t: ScalarType): number | bigint | boolean {
  switch (t) {
    case 'u8':
      return cur.u8();
    case 'i8':
      return cur.i8();
    case 'u16':
      return cur.u16();
    case 'i16':
      return cur.i16();
    case 'u32':
      return cur.u32();
    case 'i32':
      return cur.i32();
    case 'f32':
      return cur.f32();
    case 'f64':
      return cur.f64();
    case 'u64':
      return cur.u64();
    case 'i64':
      return cur.i64();
    case 'bool':
      // gguf.cpp reads an int8 and keeps `tmp != 0`.
      return cur.u8() !== 0;
    case 'string':
      throw new Error('internal error: strings are not fixed-size');
  }
}

async function readTypeId(r: ValueReader, what: string): Promise<ScalarType | 'array'> {
  const cur = r.cur;
  const at = cur.offset;
  await cur.need(4, what);
  const id = cur.u32();
  const t = valueTypeFromId(id);
  if (t === undefined) throw cur.fail(`${what} is ${id}, not a GGUF value type (0..12)`, at);
  return t;
}

async function readArrayBody(r: ValueReader, what: string, depth: number): Promise<MetaArray> {
  const cur = r.cur;
  const at = cur.offset;
  if (depth > GGUF_MAX_ARRAY_DEPTH) throw cur.fail(`${what} nests arrays ${depth} deep, above the limit of ${GGUF_MAX_ARRAY_DEPTH}`, at);
  const itemType = await readTypeId(r, `item type of ${what}`);
  const countAt = cur.offset;
  const n = await readSize(r, `item count of ${what}`, GGUF_MAX_ARRAY_ITEMS);
  const minBytes = n * minItemBytes(r, itemType);
  if (minBytes > cur.remainingInFile) {
    throw cur.fail(`${what} declares ${n} items of type ${itemType} (at least ${minBytes} bytes) but only ${cur.remainingInFile} bytes follow`, countAt);
  }
  countItems(r, n, what, countAt);
  const out: (number | bigint | boolean | string | MetaArray)[] = new Array<number | bigint | boolean | string | MetaArray>(n);
  if (itemType === 'string') {
    for (let i = 0; i < n; i++) out[i] = await readString(r, `${what}[${i}]`);
  } else if (itemType === 'array') {
    for (let i = 0; i < n; i++) out[i] = await readArrayBody(r, `${what}[${i}]`, depth + 1);
  } else {
    const size = FIXED_SIZE[itemType];
    for (let i = 0; i < n; i++) {
      if (!cur.has(size)) await cur.need(Math.min(size * (n - i), 1 << 20), what);
      out[i] = readFixed(cur, itemType);
    }
  }
  return { type: 'array', itemType, value: out };
}

/** Reads one KV value (type id first); `what` names it in errors, e.g. "value of key 'general.name'". */
export async function readValue(r: ValueReader, what: string): Promise<MetaValue> {
  const cur = r.cur;
  const t = await readTypeId(r, `type of ${what}`);
  countItems(r, 1, what, cur.offset);
  if (t === 'array') return readArrayBody(r, what, 1);
  if (t === 'string') return { type: 'string', value: await readString(r, what) };
  await cur.need(FIXED_SIZE[t], what);
  const v = readFixed(cur, t);
  switch (t) {
    case 'u64':
    case 'i64':
      return { type: t, value: v as bigint };
    case 'bool':
      return { type: t, value: v as boolean };
    default:
      return { type: t, value: v as number };
  }
}
