/**
 * Reads an importance matrix in either of the formats llama-imatrix writes (llama.cpp 34af94cd,
 * common/imatrix-loader.cpp common_imatrix_load): a GGUF whose tensors are `<weight>.in_sum2`
 * (F32, n_in per expert) and `<weight>.counts` (F32, one per expert), with imatrix.datasets,
 * imatrix.chunk_count and imatrix.chunk_size; or the legacy .dat stream (entry count, then per
 * entry name, ncall, value count and values, then an optional chunk count and dataset name).
 * As llama.cpp does, a file that is not a GGUF is read as .dat. Everything is checked against
 * the file's size and the limits in ./limits before it is allocated.
 */
import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { readGgufHeader } from '../gguf/header';
import type { MetaValue } from '../model';
import { byteOrder, type Imatrix, type ImatrixEntry } from './imatrix';
import { IMATRIX_MAX_DATASET_BYTES, IMATRIX_MAX_ENTRIES, IMATRIX_MAX_NAME_BYTES } from './limits';

const SUM_SUFFIX = '.in_sum2';
const COUNT_SUFFIX = '.counts';

export async function readImatrix(src: ByteSource): Promise<Imatrix> {
  if (src.size >= 4) {
    const magic = await src.read(0, 4);
    if (magic[0] === 0x47 && magic[1] === 0x47 && magic[2] === 0x55 && magic[3] === 0x46) return readGgufImatrix(src);
  }
  return readDatImatrix(src);
}

function fail(src: ByteSource, offset: number | undefined, what: string, tensor?: string): FormatError {
  return new FormatError({ format: 'imatrix', file: src.name, offset, tensor }, what);
}

function f32s(bytes: Uint8Array, littleEndian: boolean): Float32Array {
  const out = new Float32Array(bytes.length / 4);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(4 * i, littleEndian);
  return out;
}

/** C's lround of a float: half away from zero. */
function lround(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

function u32Key(src: ByteSource, v: MetaValue | undefined, key: string): number {
  if (v === undefined) return 0;
  // gguf_get_val_u32 asserts the type; a file written otherwise is not one llama-imatrix made
  if (v.type !== 'u32') throw fail(src, undefined, `key '${key}' must be u32 but is ${v.type}`);
  return v.value;
}

async function readGgufImatrix(src: ByteSource): Promise<Imatrix> {
  const h = await readGgufHeader(src);
  if (h.tensors.length < 1) throw fail(src, h.headerBytes, 'no data: the GGUF holds no tensors');
  const ds = h.metadata.get('imatrix.datasets');
  const datasets: string[] = [];
  if (ds !== undefined && ds.type === 'array' && ds.itemType === 'string') for (const d of ds.value) datasets.push(d as string);
  const hasMeta = ds !== undefined && h.metadata.has('imatrix.chunk_count') && h.metadata.has('imatrix.chunk_size');
  // load_imatrix refuses a GGUF without the three keys (only the legacy format may lack them)
  if (!hasMeta) throw fail(src, undefined, 'missing imatrix metadata (imatrix.datasets, imatrix.chunk_count and imatrix.chunk_size are required)');
  const chunkCount = u32Key(src, h.metadata.get('imatrix.chunk_count'), 'imatrix.chunk_count');
  const chunkSize = u32Key(src, h.metadata.get('imatrix.chunk_size'), 'imatrix.chunk_size');

  const pairs = new Map<string, { sums?: (typeof h.tensors)[number]; counts?: (typeof h.tensors)[number] }>();
  for (const t of h.tensors) {
    let base: string;
    let kind: 'sums' | 'counts';
    if (t.name.endsWith(SUM_SUFFIX)) [base, kind] = [t.name.slice(0, -SUM_SUFFIX.length), 'sums'];
    else if (t.name.endsWith(COUNT_SUFFIX)) [base, kind] = [t.name.slice(0, -COUNT_SUFFIX.length), 'counts'];
    else continue; // common_imatrix_load skips other tensors
    const p = pairs.get(base) ?? {};
    p[kind] = t;
    pairs.set(base, p);
  }
  const entries: ImatrixEntry[] = [];
  for (const name of [...pairs.keys()].sort(byteOrder)) {
    const { sums, counts } = pairs.get(name)!;
    if (sums === undefined || counts === undefined) throw fail(src, undefined, `mismatched sums and counts: ${sums ? COUNT_SUFFIX : SUM_SUFFIX} is missing`, name);
    if (sums.type !== 'F32' || counts.type !== 'F32') throw fail(src, undefined, `sums and counts must be F32, not ${sums.typeLabel} and ${counts.typeLabel}`, name);
    const nCounts = counts.nbytes / 4;
    if (nCounts < 1) throw fail(src, h.dataOffset + counts.offset, 'counts holds no values', name);
    const nVal = sums.nbytes / 4;
    if (nVal % nCounts !== 0) throw fail(src, h.dataOffset + sums.offset, `${nVal} sums are not a whole number of rows for ${nCounts} counts`, name);
    const sumValues = f32s(await src.read(h.dataOffset + sums.offset, sums.nbytes), h.littleEndian);
    const countValues = Array.from(f32s(await src.read(h.dataOffset + counts.offset, counts.nbytes), h.littleEndian), (c, i) => {
      if (!Number.isFinite(c) || Math.abs(c) >= 2 ** 53) throw fail(src, h.dataOffset + counts.offset + 4 * i, `count ${i} is ${c}, not a token count`, name);
      return lround(c);
    });
    entries.push({ name, sums: sumValues, counts: countValues });
  }
  if (entries.length === 0) throw fail(src, undefined, 'no importance matrix entries: no tensor is named <weight>.in_sum2 / <weight>.counts');
  return { format: 'gguf', file: src.name, datasets, chunkCount, chunkSize, entries };
}

/** The .dat stream through one read of the whole file, every field bounds-checked. */
async function readDatImatrix(src: ByteSource): Promise<Imatrix> {
  const bytes = await src.read(0, src.size);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number, what: string): void => {
    if (at + n > bytes.length) throw fail(src, at, `file ends inside ${what}: ${n} bytes needed, ${bytes.length - at} left`);
  };
  const i32 = (what: string): number => {
    need(4, what);
    const v = dv.getInt32(at, true);
    at += 4;
    return v;
  };
  const text = (len: number, what: string): string => {
    need(len, what);
    const s = bytes.subarray(at, at + len);
    at += len;
    // the loader builds a C string from the bytes: it ends at the first NUL
    const nul = s.indexOf(0);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(nul >= 0 ? s.subarray(0, nul) : s);
    } catch {
      throw fail(src, at - len, `${what} is not valid UTF-8`);
    }
  };

  if (src.size < 4) throw fail(src, 0, `file is ${src.size} bytes: neither a GGUF nor a legacy imatrix (no entry count)`);
  const n = i32('the entry count');
  if (n < 1) throw fail(src, 0, `entry count is ${n}: no data`);
  if (n > IMATRIX_MAX_ENTRIES) throw fail(src, 0, `entry count ${n} is above the limit of ${IMATRIX_MAX_ENTRIES}`);
  // each entry takes at least 16 bytes (three int32 and one value)
  if (4 + n * 16 > bytes.length) throw fail(src, 0, `entry count ${n} needs at least ${4 + n * 16} bytes; the file has ${bytes.length}`);
  const byName = new Map<string, ImatrixEntry>();
  for (let i = 0; i < n; i++) {
    const entryAt = at;
    const len = i32(`the name length of entry ${i + 1}`);
    if (len < 0 || len > IMATRIX_MAX_NAME_BYTES) throw fail(src, entryAt, `entry ${i + 1} name length ${len} is outside 0..${IMATRIX_MAX_NAME_BYTES}`);
    const name = text(len, `the name of entry ${i + 1}`);
    const ncall = i32(`the call count of entry ${i + 1}`);
    const nvalAt = at;
    const nval = i32(`the value count of entry ${i + 1}`);
    if (nval < 1) throw fail(src, nvalAt, `entry ${i + 1} has ${nval} values`, name);
    need(nval * 4, `the ${nval} values of entry ${i + 1}`);
    const sums = f32s(bytes.subarray(at, at + nval * 4), true);
    at += nval * 4;
    if (byName.has(name)) throw fail(src, entryAt, `duplicate entry name`, name);
    byName.set(name, { name, sums, counts: [ncall] });
  }
  let chunkCount = 0;
  const datasets: string[] = [];
  // the trailer (chunk count, then dataset name) is optional, and each part may be cut short
  if (at + 4 <= bytes.length) {
    chunkCount = i32('the chunk count');
    if (at + 4 <= bytes.length) {
      const lenAt = at;
      const len = i32('the dataset name length');
      if (len > IMATRIX_MAX_DATASET_BYTES) throw fail(src, lenAt, `dataset name length ${len} is above the limit of ${IMATRIX_MAX_DATASET_BYTES}`);
      if (len > 0 && at + len <= bytes.length) datasets.push(text(len, 'the dataset name'));
    }
  }
  const entries = [...byName.keys()].sort(byteOrder).map((k) => byName.get(k)!);
  return { format: 'dat', file: src.name, datasets, chunkCount, chunkSize: 0, entries };
}
