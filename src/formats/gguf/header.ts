import type { ByteSource } from '../../io/byte-source';
import { byteSizeOf, retiredGgmlTypeName, typeFromGgmlId, typeInfo, type TypeName } from '../../codecs/catalogue';
import { FormatError, UnsupportedError } from '../errors';
import type { Metadata } from '../model';
import { GGUF_MAX_DIMS, GGUF_MAX_KV, GGUF_MAX_TENSORS, MAX_SAFE_BYTES } from '../limits';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, KEY_ALIGNMENT, padTo } from './constants';
import { HeaderCursor } from './cursor';
import { readSize, readString, readValue, type ValueReader } from './metadata-read';

/** One tensor info record, as the file states it plus what the reader derived. */
export interface GgufTensorEntry {
  readonly name: string;
  /** ggml's ne: ne[0] is the contiguous dimension (the reverse of row-major shape). */
  readonly ne: readonly number[];
  readonly ggmlType: number;
  readonly type: TypeName | null;
  readonly typeLabel: string;
  /** Offset from the start of the data section. */
  readonly offset: number;
  /** Exact for catalogue types; for unknown types the gap to the next tensor (padding included). */
  readonly nbytes: number;
}

export interface GgufHeader {
  readonly file: string;
  readonly version: 1 | 2 | 3;
  readonly littleEndian: boolean;
  readonly alignment: number;
  readonly metadata: Metadata;
  readonly tensors: readonly GgufTensorEntry[];
  /** Where the KV pairs and tensor infos end (before the padding that aligns the data). */
  readonly headerBytes: number;
  /** Absolute offset of the data section. */
  readonly dataOffset: number;
}

/** Bytes 4..8 read as a little-endian u32 with its low 16 bits zero mean the file was written big-endian (gguf.cpp, gguf-py). */
function detectVersion(b: Uint8Array): { version: number; littleEndian: boolean } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = dv.getUint32(4, true);
  if ((le & 0xffff) === 0 && le !== 0) return { version: dv.getUint32(4, false), littleEndian: false };
  return { version: le, littleEndian: true };
}

async function readCount(r: ValueReader, what: string, max: number): Promise<number> {
  // v2+ counts are int64 in gguf.cpp; a negative one reads as a huge u64 and fails the limit.
  return readSize(r, what, max);
}

function typeLabelFor(id: number): { type: TypeName | null; label: string } {
  const t = typeFromGgmlId(id);
  if (t !== undefined) return { type: t, label: t };
  const retired = retiredGgmlTypeName(id);
  const what = retired !== undefined ? `${retired}, retired` : 'unknown';
  // "ggml type 99", not "type 99": messages that say "type ${label}" read "type type 99"
  return { type: null, label: `ggml type ${id} (${what}; size inferred from layout)` };
}

export async function readGgufHeader(src: ByteSource): Promise<GgufHeader> {
  const fail = (offset: number, what: string) => new FormatError({ format: 'gguf', file: src.name, offset }, what);
  if (src.size < 8) throw fail(0, `file is ${src.size} bytes, too small for the 8-byte GGUF magic and version`);
  const head = await src.read(0, 8);
  for (let i = 0; i < 4; i++) {
    if (head[i] !== GGUF_MAGIC[i]) throw fail(0, `bad magic ${Array.from(head.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}, expected 47 47 55 46 ("GGUF")`);
  }
  const { version, littleEndian } = detectVersion(head);
  if (version === 0) throw fail(4, 'version is 0');
  if (version > 3) {
    throw new UnsupportedError({ format: 'gguf', file: src.name, offset: 4 }, `GGUF version ${version} is not supported (Kiln reads versions 1, 2 and 3)`);
  }
  const cur = new HeaderCursor(src, littleEndian);
  cur.seek(8);
  const r: ValueReader = { cur, wideSizes: version >= 2, items: 0 };

  const nTensors = await readCount(r, 'tensor count', GGUF_MAX_TENSORS);
  const nKv = await readCount(r, 'key-value count', GGUF_MAX_KV);

  const metadata: Metadata = new Map();
  let alignAt = 0;
  for (let i = 0; i < nKv; i++) {
    const at = cur.offset;
    const key = await readString(r, `key ${i}`);
    if (key.length === 0) throw fail(at, `key ${i} is empty`);
    if (metadata.has(key)) throw fail(at, `duplicate key '${key}' (key ${i})`);
    if (key === KEY_ALIGNMENT) alignAt = at;
    metadata.set(key, await readValue(r, `value of key '${key}'`));
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const al = metadata.get(KEY_ALIGNMENT);
  if (al !== undefined) {
    if (al.type !== 'u32') throw fail(alignAt, `key '${KEY_ALIGNMENT}' must be of type u32 but is ${al.type}`);
    if (al.value === 0 || (al.value & (al.value - 1)) !== 0) throw fail(alignAt, `alignment ${al.value} is not a power of 2`);
    alignment = al.value;
  }

  const entries: { name: string; ne: number[]; ggmlType: number; offset: number; at: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const at = cur.offset;
    const name = await readString(r, `name of tensor ${i}`);
    if (names.has(name)) throw fail(at, `duplicate tensor name '${name}' (tensor ${i})`);
    names.add(name);
    await cur.need(4, `dimension count of tensor '${name}'`);
    const nDims = cur.u32();
    if (nDims > GGUF_MAX_DIMS) throw fail(at, `tensor '${name}' has ${nDims} dimensions, more than ggml's ${GGUF_MAX_DIMS}`);
    const ne: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      let n: number;
      if (version === 1) {
        await cur.need(4, `dimensions of tensor '${name}'`);
        n = cur.u32();
      } else {
        await cur.need(8, `dimensions of tensor '${name}'`);
        const v = cur.i64();
        if (v < 0n) throw fail(at, `tensor '${name}' dimension ${d} is ${v}, negative`);
        if (v > BigInt(MAX_SAFE_BYTES)) throw fail(at, `tensor '${name}' dimension ${d} is ${v}, above 2^53-1`);
        n = Number(v);
      }
      ne.push(n);
      elements *= n;
    }
    if (!Number.isSafeInteger(elements)) throw fail(at, `tensor '${name}' with ne [${ne.join(', ')}] has more than 2^53-1 elements`);
    await cur.need(12, `type and offset of tensor '${name}'`);
    const ggmlType = cur.u32();
    const off = cur.u64();
    if (off > BigInt(MAX_SAFE_BYTES)) throw fail(at, `tensor '${name}' data offset ${off} is above 2^53-1`);
    entries.push({ name, ne, ggmlType, offset: Number(off), at });
  }

  const headerBytes = cur.offset;
  // gguf.cpp pads to the alignment only when there are tensors.
  const dataOffset = nTensors > 0 ? padTo(headerBytes, alignment) : headerBytes;
  if (dataOffset > src.size) throw fail(headerBytes, `data section would start at ${dataOffset}, past the end of the ${src.size}-byte file`);
  const dataBytes = src.size - dataOffset;

  const tensors = sizeTensors(entries, dataBytes, dataOffset, fail);
  return { file: src.name, version: version as 1 | 2 | 3, littleEndian, alignment, metadata, tensors, headerBytes, dataOffset };
}

/**
 * Derives each tensor's byte size and checks the layout: inside the data section, no overlaps.
 * Unknown types get the gap up to the next tensor (or the end of the file) as their size.
 */
function sizeTensors(
  entries: readonly { name: string; ne: number[]; ggmlType: number; offset: number; at: number }[],
  dataBytes: number,
  dataOffset: number,
  fail: (offset: number, what: string) => FormatError,
): GgufTensorEntry[] {
  const known: (number | null)[] = entries.map((e) => {
    const { type } = typeLabelFor(e.ggmlType);
    if (type === null) return null;
    const info = typeInfo(type);
    const ne0 = e.ne.length > 0 ? e.ne[0]! : 1;
    if (ne0 % info.blockSize !== 0) {
      throw fail(e.at, `tensor '${e.name}' of type ${type} has ${ne0} elements per row, not a multiple of the block size ${info.blockSize}`);
    }
    let elements = 1;
    for (const n of e.ne) elements *= n;
    const size = byteSizeOf(type, elements);
    if (size === null || !Number.isSafeInteger(size)) throw fail(e.at, `tensor '${e.name}' size in bytes is not representable`);
    return size;
  });
  const order = entries.map((_, i) => i).sort((a, b) => entries[a]!.offset - entries[b]!.offset || a - b);
  const sizes: number[] = new Array<number>(entries.length);
  for (let k = 0; k < order.length; k++) {
    const i = order[k]!;
    const e = entries[i]!;
    const nextOffset = k + 1 < order.length ? entries[order[k + 1]!]!.offset : dataBytes;
    const size = known[i];
    if (e.offset > dataBytes) {
      throw fail(e.at, `tensor '${e.name}' data offset ${e.offset} is past the end of the data section (${dataBytes} bytes from offset ${dataOffset})`);
    }
    if (size === null || size === undefined) {
      sizes[i] = Math.min(nextOffset, dataBytes) - e.offset;
      continue;
    }
    const end = e.offset + size;
    if (end > dataBytes) {
      throw fail(e.at, `tensor '${e.name}' data [${e.offset}, ${end}) runs past the end of the data section (${dataBytes} bytes from offset ${dataOffset})`);
    }
    if (k + 1 < order.length && end > nextOffset && size > 0) {
      const other = entries[order[k + 1]!]!;
      throw fail(e.at, `tensor '${e.name}' data [${e.offset}, ${end}) overlaps tensor '${other.name}' at ${other.offset}`);
    }
    sizes[i] = size;
  }
  return entries.map((e, i) => {
    const { type, label } = typeLabelFor(e.ggmlType);
    return { name: e.name, ne: e.ne, ggmlType: e.ggmlType, type, typeLabel: label, offset: e.offset, nbytes: sizes[i]! };
  });
}
