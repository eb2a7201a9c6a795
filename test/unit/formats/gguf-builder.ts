/**
 * Hermetic GGUF byte builder for tests, written from the format description (gguf.h) and
 * independent of src/formats/gguf: every field is spelled out, so a test can break any one.
 */
export class Bytes {
  private out: number[] = [];
  constructor(
    readonly le = true,
    /** GGUF v1: counts, string and array lengths and dims are u32. */
    readonly v1 = false,
  ) {}
  get length(): number {
    return this.out.length;
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.out.push(b[i]! & 0xff);
    return this;
  }
  private num(size: number, set: (dv: DataView) => void): this {
    const dv = new DataView(new ArrayBuffer(size));
    set(dv);
    return this.raw(new Uint8Array(dv.buffer));
  }
  u8(v: number): this {
    return this.raw([v]);
  }
  u16(v: number): this {
    return this.num(2, (d) => d.setUint16(0, v, this.le));
  }
  i16(v: number): this {
    return this.num(2, (d) => d.setInt16(0, v, this.le));
  }
  u32(v: number): this {
    return this.num(4, (d) => d.setUint32(0, v, this.le));
  }
  i32(v: number): this {
    return this.num(4, (d) => d.setInt32(0, v, this.le));
  }
  f32(v: number): this {
    return this.num(4, (d) => d.setFloat32(0, v, this.le));
  }
  f64(v: number): this {
    return this.num(8, (d) => d.setFloat64(0, v, this.le));
  }
  u64(v: bigint | number): this {
    return this.num(8, (d) => d.setBigUint64(0, BigInt(v), this.le));
  }
  i64(v: bigint | number): this {
    return this.num(8, (d) => d.setBigInt64(0, BigInt(v), this.le));
  }
  /** A count or length: u32 in v1, u64 after. */
  size(v: bigint | number): this {
    return this.v1 ? this.u32(Number(v)) : this.u64(v);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.size(b.length).raw(b);
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.out.push(0);
    return this;
  }
  padTo(alignment: number): this {
    while (this.out.length % alignment !== 0) this.out.push(0);
    return this;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export const T = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 } as const;

export interface TensorRecord {
  name: string;
  ne: (number | bigint)[];
  type: number;
  offset: number | bigint;
}

export interface GgufSpec {
  version?: number;
  le?: boolean;
  /** Writes each KV after its key: type id and value, by hand. */
  kv?: [string, (b: Bytes) => void][];
  tensors?: TensorRecord[];
  alignment?: number;
  /** Bytes of the data section (after the aligned header). */
  data?: Uint8Array | number;
  /** Override the declared counts. */
  nTensors?: number | bigint;
  nKv?: number | bigint;
}

export function buildGguf(spec: GgufSpec): Uint8Array {
  const version = spec.version ?? 3;
  const b = new Bytes(spec.le ?? true, version === 1);
  const kv = spec.kv ?? [];
  const tensors = spec.tensors ?? [];
  b.raw([0x47, 0x47, 0x55, 0x46]).u32(version);
  b.size(spec.nTensors ?? tensors.length).size(spec.nKv ?? kv.length);
  for (const [k, write] of kv) {
    b.str(k);
    write(b);
  }
  for (const t of tensors) {
    b.str(t.name).u32(t.ne.length);
    for (const n of t.ne) {
      if (version === 1) b.u32(Number(n));
      else b.i64(n);
    }
    b.u32(t.type).u64(t.offset);
  }
  if (tensors.length > 0) b.padTo(spec.alignment ?? 32);
  const data = spec.data ?? 0;
  if (typeof data === 'number') b.zeros(data);
  else b.raw(data);
  return b.build();
}
