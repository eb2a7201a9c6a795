/**
 * Byte builders for the PyTorch reader tests: raw pickle opcodes, a torch-style data.pkl, and a zip
 * writer (stored or deflated, ZIP64 when asked or needed) that can lay out sparse multi-GiB files.
 * These make inputs only; expected values in the tests come from torch (expected.json) or from the
 * bytes the test itself put in.
 */
import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32, deflateRawSync } from 'node:zlib';
import { MemorySource } from '../../../src/io/byte-source';
import { fixtureBytes, fixtureJson } from '../../support/fixtures';

export function ptBytes(name: string): Uint8Array {
  return fixtureBytes(`pytorch/${name}`);
}

export function ptSource(name: string): MemorySource {
  return new MemorySource(name, ptBytes(name));
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

export interface ExpectedTensor {
  name: string;
  dtype: string;
  shape: number[];
  nbytes: number;
  contiguous: boolean;
  sha256: string;
  hex: string | null;
}
export interface ExpectedZipEntry {
  name: string;
  method: number;
  size: number;
  csize: number;
  crc: number;
  dataOffset: number;
  sha256: string;
}
export interface Expected {
  torch: string;
  checkpoints: Record<string, { tensors: ExpectedTensor[]; metadata: Record<string, unknown> }>;
  plain: Record<string, unknown>;
  zips: Record<string, ExpectedZipEntry[]>;
}

export const expected = fixtureJson<Expected>('pytorch/expected.json');

// ---- pickle opcodes -----------------------------------------------------------------------------

export type Part = string | number | readonly number[] | Uint8Array;

/** Concatenates parts: a string is Latin-1 bytes, a number one byte, arrays their bytes. */
export function pk(...parts: Part[]): Uint8Array {
  return concat(parts);
}

/** pk over an array (no argument spreading, so any number of parts). */
export function concat(parts: readonly Part[]): Uint8Array {
  const chunks: Uint8Array[] = parts.map((p) => {
    if (p instanceof Uint8Array) return p;
    if (typeof p === 'string') return Uint8Array.from(p, (c) => c.charCodeAt(0));
    if (typeof p === 'number') return Uint8Array.of(p);
    return Uint8Array.from(p);
  });
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export const u16le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff];
export const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
export function u64le(n: number | bigint): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return [...b];
}

/** BINUNICODE. */
export function str(s: string): Uint8Array {
  const b = new TextEncoder().encode(s);
  return pk('X', u32le(b.length), b);
}

/** A Python int: BININT for int32, LONG1 otherwise. */
export function int(n: number | bigint): Uint8Array {
  const v = BigInt(n);
  if (v >= -(2n ** 31n) && v < 2n ** 31n) return pk('J', u32le(Number(BigInt.asUintN(32, v))));
  const bytes: number[] = [];
  let x = BigInt.asUintN(128, v);
  for (let i = 0; i < 16; i++, x >>= 8n) bytes.push(Number(x & 0xffn));
  while (bytes.length > 1 && bytes[bytes.length - 1] === 0 && (bytes[bytes.length - 2]! & 0x80) === 0) bytes.pop();
  return pk(0x8a, bytes.length, bytes);
}

export function ints(xs: ReadonlyArray<number | bigint>): Uint8Array {
  return pk('(', ...xs.map(int), 't');
}

export interface TensorSpec {
  name: string;
  /** Storage class, e.g. "FloatStorage", or "UntypedStorage" with `dtype` for _rebuild_tensor_v3. */
  storage: string;
  key: string;
  numel: number | bigint;
  offset?: number | bigint;
  shape: ReadonlyArray<number | bigint>;
  stride?: ReadonlyArray<number | bigint>;
  dtype?: string;
}

function contiguousStride(shape: ReadonlyArray<number | bigint>): bigint[] {
  const out: bigint[] = [];
  let acc = 1n;
  for (let i = shape.length - 1; i >= 0; i--) {
    out.unshift(acc);
    acc *= BigInt(shape[i]!);
  }
  return out;
}

/** A data.pkl as torch.save (protocol 2) writes it: a dict of name -> _rebuild_tensor_v2/_v3(...). */
export function torchPickle(tensors: readonly TensorSpec[]): Uint8Array {
  const parts: Part[] = [0x80, 2, '}', '('];
  for (const t of tensors) {
    const v3 = t.dtype !== undefined;
    parts.push(str(t.name), `ctorch._utils\n_rebuild_tensor_${v3 ? 'v3' : 'v2'}\n`, '(');
    parts.push('(', str('storage'), `ctorch\n${t.storage}\n`, str(t.key), str('cpu'), int(t.numel), 't', 'Q');
    parts.push(int(t.offset ?? 0), ints(t.shape), ints(t.stride ?? contiguousStride(t.shape)), 0x89, 'ccollections\nOrderedDict\n', ')', 'R');
    if (v3) parts.push(`ctorch\n${t.dtype}\n`);
    parts.push('t', 'R');
  }
  parts.push('u', '.');
  return pk(...parts);
}

// ---- zip ----------------------------------------------------------------------------------------

export interface ZipSpecEntry {
  name: string;
  /** The entry's uncompressed bytes; for a sparse entry, its last bytes (the rest is zeros). */
  data: Uint8Array;
  /** Uncompressed size when larger than `data` (sparse: zeros, then `data` at the end). */
  size?: number;
  method?: 0 | 8;
  /** Local header extra-field padding, as torch writes for alignment. */
  pad?: number;
  /** Bytes of hole before this entry's local header (sparse files). */
  gapBefore?: number;
}

export interface Piece {
  offset: number;
  bytes: Uint8Array;
}

/** Lays out a zip as pieces at offsets (holes between them are zeros); ZIP64 records when needed. */
export function layoutZip(
  entries: readonly ZipSpecEntry[],
  opts: { forceZip64?: boolean; comment?: string } = {},
): { pieces: Piece[]; size: number; dataOffsets: number[] } {
  const pieces: Piece[] = [];
  const dataOffsets: number[] = [];
  const cd: Uint8Array[] = [];
  let pos = 0;
  const big = (n: number): boolean => n >= 0xffffffff;
  for (const e of entries) {
    pos += e.gapBefore ?? 0;
    const size = e.size ?? e.data.length;
    const method = e.method ?? 0;
    if (method === 8 && size !== e.data.length) throw new Error('sparse entries must be stored');
    const body = method === 8 ? deflateRawSync(e.data) : e.data;
    const csize = method === 8 ? body.length : size;
    // CRC of a sparse entry is not computed (the reader checks CRCs of small whole-read records only).
    const crc = size === e.data.length ? zlibCrc32(e.data) >>> 0 : 0;
    const name = new TextEncoder().encode(e.name);
    const z64 = opts.forceZip64 || big(size) || big(csize) || big(pos);
    const localExtra = z64 ? pk(u16le(1), u16le(16), u64le(size), u64le(csize)) : new Uint8Array(0);
    const pad = e.pad ?? 0;
    const local = pk(u32le(0x04034b50), u16le(45), u16le(0x800), u16le(method), u16le(0), u16le(0x21), u32le(crc));
    const lh = pk(local, u32le(z64 ? 0xffffffff : csize), u32le(z64 ? 0xffffffff : size), u16le(name.length), u16le(localExtra.length + (pad ? pad + 4 : 0)), name, localExtra);
    const padField = pad ? pk(u16le(0x4246), u16le(pad), new Array<number>(pad).fill(0x5a)) : new Uint8Array(0);
    pieces.push({ offset: pos, bytes: pk(lh, padField) });
    const dataAt = pos + lh.length + padField.length;
    dataOffsets.push(dataAt);
    pieces.push({ offset: dataAt + csize - body.length, bytes: body });
    const cdExtra = z64 ? pk(u16le(1), u16le(24), u64le(size), u64le(csize), u64le(pos)) : new Uint8Array(0);
    cd.push(
      pk(u32le(0x02014b50), u16le(45), u16le(45), u16le(0x800), u16le(method), u16le(0), u16le(0x21), u32le(crc)),
      pk(u32le(z64 ? 0xffffffff : csize), u32le(z64 ? 0xffffffff : size), u16le(name.length), u16le(cdExtra.length), u16le(0), u16le(0), u16le(0), u32le(0)),
      pk(u32le(z64 ? 0xffffffff : pos), name, cdExtra),
    );
    pos = dataAt + csize;
  }
  const cdBytes = concat(cd);
  const cdAt = pos;
  pieces.push({ offset: cdAt, bytes: cdBytes });
  pos += cdBytes.length;
  const n = entries.length;
  const z64 = opts.forceZip64 || n >= 0xffff || big(cdAt) || big(cdBytes.length);
  if (z64) {
    const rec = pk(u32le(0x06064b50), u64le(44), u16le(45), u16le(45), u32le(0), u32le(0), u64le(n), u64le(n), u64le(cdBytes.length), u64le(cdAt));
    const loc = pk(u32le(0x07064b50), u32le(0), u64le(pos), u32le(1));
    pieces.push({ offset: pos, bytes: pk(rec, loc) });
    pos += rec.length + loc.length;
  }
  const comment = new TextEncoder().encode(opts.comment ?? '');
  const eocd = pk(
    u32le(0x06054b50),
    u16le(0),
    u16le(0),
    u16le(z64 ? 0xffff : n),
    u16le(z64 ? 0xffff : n),
    u32le(z64 ? 0xffffffff : cdBytes.length),
    u32le(z64 ? 0xffffffff : cdAt),
    u16le(comment.length),
    comment,
  );
  pieces.push({ offset: pos, bytes: eocd });
  return { pieces, size: pos + eocd.length, dataOffsets };
}

export function buildZip(entries: readonly ZipSpecEntry[], opts: { forceZip64?: boolean; comment?: string } = {}): Uint8Array {
  const { pieces, size } = layoutZip(entries, opts);
  const out = new Uint8Array(size);
  for (const p of pieces) out.set(p.bytes, p.offset);
  return out;
}

/** A torch-style checkpoint zip: <folder>/data.pkl, <folder>/data/<key>..., <folder>/version. */
export function torchZip(folder: string, pickle: Uint8Array, storages: Record<string, Uint8Array>, method: 0 | 8 = 0): Uint8Array {
  return buildZip([
    { name: `${folder}/data.pkl`, data: pickle, method },
    ...Object.entries(storages).map(([k, data]) => ({ name: `${folder}/data/${k}`, data, method, pad: 20 })),
    { name: `${folder}/version`, data: new TextEncoder().encode('3\n'), method },
  ]);
}

/** A ByteSource wrapper that records every read (to prove what was, and was not, touched). */
export class SpySource extends MemorySource {
  readonly reads: Array<[number, number]> = [];
  override async read(offset: number, length: number): Promise<Uint8Array> {
    this.reads.push([offset, length]);
    return super.read(offset, length);
  }
}
