import type { ByteSource } from '../../io/byte-source';
import type { TypeName } from '../../codecs/catalogue';
import { FormatError } from '../errors';
import { MAX_DIMS, SAFETENSORS_MAX_HEADER_BYTES } from '../limits';
import { safetensorsDtype } from './dtypes';

export interface SafetensorsEntry {
  readonly name: string;
  readonly dtype: string;
  readonly type: TypeName | null;
  readonly typeLabel: string;
  readonly shape: readonly number[];
  /** data_offsets, relative to the first byte after the header. */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly file: string;
  /** The header length N from the first 8 bytes (JSON plus padding). */
  readonly headerBytes: number;
  readonly dataOffset: number;
  /** __metadata__ in file order, or null when the file has none. */
  readonly metadata: ReadonlyMap<string, string> | null;
  /** Sorted by data_offsets, as the Rust crate orders them. */
  readonly tensors: readonly SafetensorsEntry[];
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function fmtShape(shape: readonly unknown[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Parses and validates a safetensors header as the Rust crate's SafeTensors::read_metadata does,
 * one rung at a time: size field, header size against the limit and the file, UTF-8, JSON, field
 * types, then per tensor (in data_offsets order) contiguity, element count overflow, and byte
 * size; last, that the tensors cover the data section exactly.
 */
export async function readSafetensorsHeader(src: ByteSource): Promise<SafetensorsHeader> {
  const fail = (what: string, offset?: number, tensor?: string) =>
    new FormatError({ format: 'safetensors', file: src.name, ...(offset !== undefined ? { offset } : {}), ...(tensor !== undefined ? { tensor } : {}) }, what);
  if (src.size < 8) throw fail(`header too small: the file is ${src.size} bytes, less than the 8-byte header length`, 0);
  const lenBytes = await src.read(0, 8);
  const n64 = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) throw fail(`header too large: ${n64} bytes declared, the limit is ${SAFETENSORS_MAX_HEADER_BYTES}`, 0);
  const n = Number(n64);
  if (8 + n > src.size) throw fail(`invalid header length: ${n} bytes declared but only ${src.size - 8} follow the length field`, 0);
  const raw = await src.read(8, n);
  let text: string;
  try {
    text = utf8Strict.decode(raw);
  } catch {
    throw fail('header is not valid UTF-8', 8);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail(`header is not valid JSON: ${(e as Error).message}`, 8);
  }
  if (!isPlainObject(json)) throw fail(`header must be a JSON object, found ${Array.isArray(json) ? 'an array' : typeof json}`, 8);

  let metadata: Map<string, string> | null = null;
  const entries: SafetensorsEntry[] = [];
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(v)) throw fail('__metadata__ must be an object mapping strings to strings', 8);
      metadata = new Map();
      for (const [k, s] of Object.entries(v)) {
        if (typeof s !== 'string') throw fail(`__metadata__ value of '${k}' must be a string, found ${s === null ? 'null' : typeof s}`, 8);
        metadata.set(k, s);
      }
      continue;
    }
    if (!isPlainObject(v)) throw fail('tensor entry must be an object with dtype, shape and data_offsets', 8, name);
    const { dtype, shape, data_offsets: offs } = v;
    if (typeof dtype !== 'string') throw fail('dtype must be a string', 8, name);
    const dt = safetensorsDtype(dtype);
    if (dt === undefined) throw fail(`unknown dtype "${dtype}"`, 8, name);
    if (!Array.isArray(shape)) throw fail('shape must be an array of non-negative integers', 8, name);
    const tooBig = shape.findIndex((d) => typeof d === 'number' && Number.isInteger(d) && d > Number.MAX_SAFE_INTEGER);
    // a dimension JSON holds but a double cannot count exactly: say so, not "not an integer"
    if (tooBig >= 0) throw fail(`shape dimension ${tooBig} is ${BigInt(shape[tooBig] as number)}, above 2^53 - 1, the largest size Kiln can count exactly`, 8, name);
    if (!shape.every(isIndex)) throw fail('shape must be an array of non-negative integers', 8, name);
    if (shape.length > MAX_DIMS) throw fail(`shape has ${shape.length} dimensions, above the limit of ${MAX_DIMS}`, 8, name);
    if (!Array.isArray(offs) || offs.length !== 2 || !isIndex(offs[0]) || !isIndex(offs[1])) {
      throw fail('data_offsets must be [begin, end] with non-negative integers below 2^53', 8, name);
    }
    entries.push({ name, dtype, type: dt.type, typeLabel: dt.label, shape, begin: offs[0], end: offs[1] });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let start = 0;
  for (const e of entries) {
    if (e.begin !== start) {
      throw fail(`invalid offset: data_offsets [${e.begin}, ${e.end}] do not continue from the previous tensor's end ${start}`, 8, e.name);
    }
    if (e.end < e.begin) throw fail(`invalid offset: data_offsets [${e.begin}, ${e.end}] end before they begin`, 8, e.name);
    start = e.end;
    let elements = 1;
    for (const d of e.shape) elements *= d;
    if (!Number.isSafeInteger(elements)) throw fail(`validation overflow: shape ${fmtShape(e.shape)} has more than 2^53-1 elements`, 8, e.name);
    const bits = elements * safetensorsDtype(e.dtype)!.bits;
    if (!Number.isSafeInteger(bits)) throw fail(`validation overflow: shape ${fmtShape(e.shape)} of ${e.dtype} has more than 2^53-1 bits`, 8, e.name);
    if (bits % 8 !== 0) throw fail(`misaligned: ${elements} elements of ${e.dtype} are ${bits} bits, not a whole number of bytes`, 8, e.name);
    if (e.end - e.begin !== bits / 8) {
      throw fail(`invalid tensor info: ${e.dtype} with shape ${fmtShape(e.shape)} needs ${bits / 8} bytes but data_offsets [${e.begin}, ${e.end}] span ${e.end - e.begin}`, 8, e.name);
    }
  }
  const dataBytes = src.size - 8 - n;
  if (start !== dataBytes) throw fail(`incomplete metadata: the tensors cover ${start} bytes of data but the file holds ${dataBytes} after the header`, 8 + n);
  return { file: src.name, headerBytes: n, dataOffset: 8 + n, metadata, tensors: entries };
}
