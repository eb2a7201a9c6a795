import fc from 'fast-check';
import type { ByteSource } from '../../../src/io/byte-source';
import { MemorySource } from '../../../src/io/byte-source';
import { FormatError } from '../../../src/formats/errors';
import { elementCount, type ModelView } from '../../../src/formats/model';
import { byteSizeOf } from '../../../src/codecs/catalogue';

/** What a correct parse guarantees: unique names, sizes that match type and shape, data inside its file, no overlaps. */
export function checkView(view: ModelView, srcs: readonly ByteSource[]): void {
  const size = new Map(srcs.map((s) => [s.name, s.size]));
  const names = new Set<string>();
  const spans = new Map<string, [number, number][]>();
  for (const t of view.tensors) {
    if (names.has(t.name)) throw new Error(`duplicate tensor ${t.name}`);
    names.add(t.name);
    if (t.type !== null && byteSizeOf(t.type, elementCount(t.shape)) !== t.nbytes) throw new Error(`${t.name}: ${t.nbytes} bytes for ${t.type} ${t.shape}`);
    const fs = size.get(t.file);
    if (fs === undefined || t.fileOffset < 0 || t.fileOffset + t.nbytes > fs) throw new Error(`${t.name}: [${t.fileOffset}, +${t.nbytes}) outside ${t.file}`);
    spans.set(t.file, [...(spans.get(t.file) ?? []), [t.fileOffset, t.fileOffset + t.nbytes]]);
  }
  for (const [f, list] of spans) {
    list.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < list.length; i++) if (list[i]![0] < list[i - 1]![1] && list[i]![1] > list[i]![0]) throw new Error(`overlapping tensors in ${f}`);
  }
}

/** A mutation of a valid file: the shapes of damage real files and hostile files show. */
export type Mutation =
  | { kind: 'flip'; at: number[]; values: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; from: number; to: number; len: number }
  | { kind: 'insert'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'field'; at: number; value: bigint; width: 4 | 8 };

const INTERESTING = [0n, 1n, 7n, 0x7fn, 0xffn, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

/** Half the mutations land in the first 16 KiB, where headers live, whatever the file size. */
const HEADER_REGION = 16 * 1024;

/** Positions are fractions of the file size (or of its header region) so one arbitrary fits every base file. */
export function mutationArb(): fc.Arbitrary<(size: number) => Mutation> {
  return fc.tuple(fc.boolean(), kindArb()).map(([head, make]) => (size: number) => make(head ? Math.min(size, HEADER_REGION) : size));
}

function kindArb(): fc.Arbitrary<(size: number) => Mutation> {
  const pos = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
  const at = (f: number, size: number) => Math.floor(f * size);
  return fc.oneof(
    fc.record({ p: fc.array(pos, { minLength: 1, maxLength: 8 }), v: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 8, maxLength: 8 }) }).map(
      ({ p, v }) => (size: number): Mutation => ({ kind: 'flip', at: p.map((f) => at(f, size)), values: v }),
    ),
    pos.map((p) => (size: number): Mutation => ({ kind: 'truncate', at: at(p, size) })),
    fc.record({ a: pos, b: pos, len: fc.integer({ min: 1, max: 64 }) }).map(({ a, b, len }) => (size: number): Mutation => ({ kind: 'splice', from: at(a, size), to: at(b, size), len })),
    fc.record({ a: pos, bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }).map(({ a, bytes }) => (size: number): Mutation => ({ kind: 'insert', at: at(a, size), bytes })),
    fc.record({ a: pos, len: fc.integer({ min: 1, max: 32 }) }).map(({ a, len }) => (size: number): Mutation => ({ kind: 'delete', at: at(a, size), len })),
    fc.record({ a: pos, v: fc.constantFrom(...INTERESTING), w: fc.constantFrom(4 as const, 8 as const), le: fc.boolean() }).map(
      ({ a, v, w }) => (size: number): Mutation => ({ kind: 'field', at: at(a, size), value: v, width: w }),
    ),
  );
}

export function applyMutation(base: Uint8Array, m: Mutation, littleEndian = true): Uint8Array {
  switch (m.kind) {
    case 'flip': {
      const b = base.slice();
      m.at.forEach((p, i) => (b[p] = m.values[i % m.values.length]!));
      return b;
    }
    case 'truncate':
      return base.slice(0, m.at);
    case 'splice': {
      const b = base.slice();
      const len = Math.min(m.len, b.length - m.from, b.length - m.to);
      if (len > 0) b.copyWithin(m.to, m.from, m.from + len);
      return b;
    }
    case 'insert': {
      const b = new Uint8Array(base.length + m.bytes.length);
      b.set(base.subarray(0, m.at));
      b.set(m.bytes, m.at);
      b.set(base.subarray(m.at), m.at + m.bytes.length);
      return b;
    }
    case 'delete': {
      const b = new Uint8Array(base.length - Math.min(m.len, base.length - m.at));
      b.set(base.subarray(0, m.at));
      b.set(base.subarray(m.at + m.len), m.at);
      return b;
    }
    case 'field': {
      const b = base.slice();
      if (m.at + m.width > b.length) return b;
      const dv = new DataView(b.buffer);
      if (m.width === 8) dv.setBigUint64(m.at, m.value & ((1n << 64n) - 1n), littleEndian);
      else dv.setUint32(m.at, Number(m.value & 0xffffffffn), littleEndian);
      return b;
    }
  }
}

/** A source that records the largest single read and the total bytes asked for. */
export class CountingSource implements ByteSource {
  readonly size: number;
  maxRead = 0;
  total = 0;
  private readonly inner: MemorySource;
  constructor(
    readonly name: string,
    bytes: Uint8Array,
  ) {
    this.inner = new MemorySource(name, bytes);
    this.size = bytes.length;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    this.maxRead = Math.max(this.maxRead, length);
    this.total += length;
    return this.inner.read(offset, length);
  }
}

export interface Outcome {
  ok: boolean;
  ms: number;
}

/**
 * Opens a (possibly damaged) file and reads every tensor's bytes. The contract: a view whose
 * tensors all read, or a FormatError (UnsupportedError is one); never another exception, and
 * no single read larger than the file or the header chunk.
 */
export async function openAndReadAll(open: (src: ByteSource[]) => Promise<ModelView>, srcs: CountingSource[], chunkCap: number): Promise<Outcome> {
  const t0 = performance.now();
  let view: ModelView;
  try {
    view = await open(srcs);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    return { ok: false, ms: performance.now() - t0 };
  }
  checkView(view, srcs);
  for (const s of srcs) {
    if (s.maxRead > Math.max(chunkCap, s.size)) throw new Error(`a header read asked for ${s.maxRead} bytes of a ${s.size}-byte file`);
  }
  for (const t of view.tensors) {
    for (let o = 0; o < t.nbytes; o += 1 << 16) {
      try {
        await t.read(o, Math.min(1 << 16, t.nbytes - o));
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        break;
      }
    }
  }
  return { ok: true, ms: performance.now() - t0 };
}
