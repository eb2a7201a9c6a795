/**
 * Byte builders for TensorFlow bundles in tests: LevelDB-style table blocks, footer, and the
 * bundle protos, following the same documents as test/fixtures/tensorflow/make_bundles.py.
 * Block checksums use the reader's crc32c; its correctness is pinned separately by the
 * TensorFlow-written fixtures and the standard check value.
 */
import { MemorySource } from '../../../src/io/byte-source';
import { crc32c, maskCrc } from '../../../src/formats/tensorflow/crc32c';
import { pb, PB } from './protobuf-build';

const enc = new TextEncoder();
export const key = (k: string | Uint8Array): Uint8Array => (typeof k === 'string' ? enc.encode(k) : k);

export function block(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, restartInterval = 16): Uint8Array {
  const b = pb();
  const restarts = [0];
  let prev: Uint8Array = new Uint8Array(0);
  let size = 0;
  entries.forEach(([k, v], i) => {
    if (i > 0 && i % restartInterval === 0) {
      restarts.push(size);
      prev = new Uint8Array(0);
    }
    let shared = 0;
    while (shared < Math.min(prev.length, k.length) && prev[shared] === k[shared]) shared++;
    const e = pb().varint(shared).varint(k.length - shared).varint(v.length).rawBytes(k.subarray(shared)).rawBytes(v).finish();
    b.rawBytes(e);
    size += e.length;
    prev = k;
  });
  for (const r of [...restarts, restarts.length]) b.raw(r & 0xff, (r >>> 8) & 0xff, (r >>> 16) & 0xff, r >>> 24);
  return b.finish();
}

export interface TableOptions {
  /** Entries per data block. */
  perBlock?: number;
  /** Compression byte written in every trailer (the body is not compressed). */
  type?: number;
  /** Rewrites a block body after its checksum is computed (for checksum tests) when `afterCrc`. */
  mangle?: (body: Uint8Array, kind: 'data' | 'index') => Uint8Array;
  afterCrc?: boolean;
}

export function table(entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, o: TableOptions = {}): Uint8Array {
  const out: number[] = [];
  const write = (body0: Uint8Array, kind: 'data' | 'index'): [number, number] => {
    let body = o.mangle && !o.afterCrc ? o.mangle(body0, kind) : body0;
    const type = o.type ?? 0;
    const withType = new Uint8Array(body.length + 1);
    withType.set(body);
    withType[body.length] = type;
    const crc = maskCrc(crc32c(withType));
    if (o.mangle && o.afterCrc) body = o.mangle(body, kind);
    const at = out.length;
    out.push(...body, type, crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24);
    return [at, body.length];
  };
  const per = o.perBlock ?? 1000;
  const index: [Uint8Array, Uint8Array][] = [];
  for (let i = 0; i < entries.length; i += per) {
    const chunk = entries.slice(i, i + per);
    const [at, len] = write(block(chunk), 'data');
    index.push([chunk[chunk.length - 1]![0], pb().varint(at).varint(len).finish()]);
  }
  const meta = write(block([]), 'data');
  const idx = write(block(index, 1), 'index');
  const footer = pb().varint(meta[0]).varint(meta[1]).varint(idx[0]).varint(idx[1]).finish();
  out.push(...footer, ...new Array(40 - footer.length).fill(0), 0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb);
  return Uint8Array.from(out);
}

export function header(o: { numShards?: number; endianness?: number; producer?: number; minConsumer?: number; bad?: number[] } = {}): Uint8Array {
  const v = pb().int(1, o.producer ?? 1);
  if (o.minConsumer) v.int(2, o.minConsumer);
  for (const b of o.bad ?? []) v.int(3, b);
  const h = pb().int(1, o.numShards ?? 1);
  if (o.endianness) h.int(2, o.endianness);
  return h.msg(3, v).finish();
}

export interface EntrySpec {
  dtype: number;
  shape: readonly number[];
  shard?: number;
  offset?: number;
  size: number;
  crc?: number;
  slices?: ReadonlyArray<ReadonlyArray<readonly [number, number | null]>>;
  unknownRank?: boolean;
}

export function entry(e: EntrySpec): Uint8Array {
  const shape = pb();
  for (const d of e.shape) shape.msg(2, pb().int(1, d));
  if (e.unknownRank) shape.int(3, 1);
  const m = pb().int(1, e.dtype).msg(2, shape);
  if (e.shard) m.int(3, e.shard);
  if (e.offset) m.int(4, e.offset);
  m.int(5, e.size);
  if (e.crc !== undefined) m.fixed32(6, e.crc);
  for (const s of e.slices ?? []) {
    const sl = new PB();
    for (const [start, len] of s) {
      const x = pb().int(1, start);
      if (len !== null) x.int(2, len);
      sl.msg(1, x);
    }
    m.msg(7, sl);
  }
  return m.finish();
}

/** A one-shard bundle named t.ckpt with the given entries (sorted here) and data. */
export function bundle(
  entries: ReadonlyArray<readonly [string | Uint8Array, Uint8Array]>,
  data: Uint8Array,
  o: TableOptions & { header?: Uint8Array } = {},
): MemorySource[] {
  const sorted = entries.map(([k, v]) => [key(k), v] as const).sort((a, b) => Buffer.compare(a[0], b[0]));
  const idx = table([[new Uint8Array(0), o.header ?? header()], ...sorted], o);
  return [new MemorySource('t.ckpt.index', idx), new MemorySource('t.ckpt.data-00000-of-00001', data)];
}

export const f32le = (...v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);
