import type { MetaArray, MetaValue, ScalarType } from '../model';
import { valueTypeId } from './constants';

const utf8 = new TextEncoder();

/** A growable little-endian byte buffer for GGUF headers (gguf.cpp's gguf_writer_buf, in JS). */
export class ByteBuilder {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  zeros(n: number): void {
    this.reserve(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  i8(v: number): void {
    this.reserve(1);
    this.view.setInt8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  i16(v: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  u64(v: bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, v, true);
    this.length += 8;
  }
  i64(v: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, v, true);
    this.length += 8;
  }
  /** GGUF string: u64 byte length, then the UTF-8 bytes without a terminator. */
  string(s: string): void {
    const b = utf8.encode(s);
    this.u64(BigInt(b.length));
    this.bytes(b);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

const INT_RANGE: Partial<Record<ScalarType, [number, number]>> = {
  u8: [0, 0xff],
  i8: [-0x80, 0x7f],
  u16: [0, 0xffff],
  i16: [-0x8000, 0x7fff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
};

function bad(what: string, msg: string): TypeError {
  return new TypeError(`GGUF metadata ${what}: ${msg}`);
}

function writeItem(w: ByteBuilder, t: ScalarType | 'array', v: unknown, what: string): void {
  const range = INT_RANGE[t as ScalarType];
  if (range !== undefined) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < range[0] || v > range[1]) throw bad(what, `${String(v)} is not a valid ${t}`);
  }
  switch (t) {
    case 'u8':
      return w.u8(v as number);
    case 'i8':
      return w.i8(v as number);
    case 'u16':
      return w.u16(v as number);
    case 'i16':
      return w.i16(v as number);
    case 'u32':
      return w.u32(v as number);
    case 'i32':
      return w.i32(v as number);
    case 'f32':
    case 'f64':
      if (typeof v !== 'number') throw bad(what, `${String(v)} is not a number`);
      return t === 'f32' ? w.f32(v) : w.f64(v);
    case 'u64':
      if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw bad(what, `${String(v)} is not a valid u64 (a bigint)`);
      return w.u64(v);
    case 'i64':
      if (typeof v !== 'bigint' || v < -(1n << 63n) || v >= 1n << 63n) throw bad(what, `${String(v)} is not a valid i64 (a bigint)`);
      return w.i64(v);
    case 'bool':
      if (typeof v !== 'boolean') throw bad(what, `${String(v)} is not a boolean`);
      return w.u8(v ? 1 : 0);
    case 'string':
      if (typeof v !== 'string') throw bad(what, `${String(v)} is not a string`);
      return w.string(v);
    case 'array': {
      const a = v as MetaArray;
      if (typeof a !== 'object' || a === null || a.type !== 'array') throw bad(what, 'item is not an array');
      return writeArrayBody(w, a, what);
    }
  }
}

/** Array body as gguf-py packs it: item type (u32), count (u64), items; nested arrays repeat this. */
function writeArrayBody(w: ByteBuilder, a: MetaArray, what: string): void {
  const id = valueTypeId(a.itemType);
  if (id < 0) throw bad(what, `unknown item type ${String(a.itemType)}`);
  w.u32(id);
  w.u64(BigInt(a.value.length));
  for (let i = 0; i < a.value.length; i++) writeItem(w, a.itemType, a.value[i], `${what}[${i}]`);
}

/** One KV pair as gguf.cpp writes it: key, value type (u32), value. */
export function writeKv(w: ByteBuilder, key: string, v: MetaValue): void {
  if (key.length === 0) throw bad('key', 'empty keys are not allowed (gguf.cpp rejects them)');
  w.string(key);
  w.u32(valueTypeId(v.type));
  if (v.type === 'array') writeArrayBody(w, v, `'${key}'`);
  else writeItem(w, v.type, v.value, `'${key}'`);
}
