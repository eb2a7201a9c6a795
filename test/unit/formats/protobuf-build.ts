/**
 * A tiny protobuf encoder for hermetic test inputs (byte builders): fields are appended in
 * the order written, so tests can also produce unusual but legal encodings (unpacked repeated
 * fields, repeated occurrences) and illegal ones (raw bytes).
 */
export class PB {
  private readonly out: number[] = [];

  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }

  rawBytes(b: Uint8Array): this {
    for (const x of b) this.out.push(x);
    return this;
  }

  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.out.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.out.push(Number(n));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }

  fixed32(field: number, v: number): this {
    this.tag(field, 5);
    for (let i = 0; i < 4; i++) this.out.push((v >>> (8 * i)) & 0xff);
    return this;
  }

  float(field: number, v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return this.tag(field, 5).rawBytes(b);
  }

  double(field: number, v: number): this {
    const b = new Uint8Array(new Float64Array([v]).buffer);
    return this.tag(field, 1).rawBytes(b);
  }

  bytes(field: number, b: Uint8Array | string): this {
    const data = typeof b === 'string' ? new TextEncoder().encode(b) : b;
    return this.tag(field, 2).varint(data.length).rawBytes(data);
  }

  msg(field: number, m: PB): this {
    return this.bytes(field, m.finish());
  }

  packedVarints(field: number, values: readonly (number | bigint)[]): this {
    const inner = new PB();
    for (const v of values) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, values: readonly number[]): this {
    return this.bytes(field, new Uint8Array(new Float32Array(values).buffer));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export const pb = (): PB => new PB();

/** Wraps a source and records every read, to prove a reader never fetches more than it should. */
export class CountingSource {
  reads = 0;
  bytesRead = 0;
  largestRead = 0;
  constructor(private readonly inner: { name: string; size: number; read(o: number, l: number): Promise<Uint8Array> }) {}
  get name(): string {
    return this.inner.name;
  }
  get size(): number {
    return this.inner.size;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    this.reads++;
    this.bytesRead += length;
    this.largestRead = Math.max(this.largestRead, length);
    return this.inner.read(offset, length);
  }
}

/**
 * A file of any size that exists only as a few real byte ranges (the protobuf framing) with
 * zeros between them: lets tests open a "3 GB" model without 3 GB of memory.
 */
export class SparseSource {
  constructor(
    readonly name: string,
    readonly size: number,
    private readonly pieces: ReadonlyArray<{ at: number; bytes: Uint8Array }>,
  ) {}
  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new RangeError(`${this.name}: read of ${length} at ${offset} is outside ${this.size}`);
    const out = new Uint8Array(length);
    for (const p of this.pieces) {
      const s = Math.max(offset, p.at);
      const e = Math.min(offset + length, p.at + p.bytes.length);
      if (s < e) out.set(p.bytes.subarray(s - p.at, e - p.at), s - offset);
    }
    return out;
  }
}
