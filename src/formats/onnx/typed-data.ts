import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import { decodeVarint, varint, VARINT_TRUNCATED } from '../protobuf/wire';
import { ONNX_MAX_SEGMENTS } from './limits';
import type { Storage } from './schema';

/**
 * Lazy access to a TensorProto's typed value fields (float_data, int32_data, ...). A field may
 * occur several times (packed runs, or one element per occurrence when unpacked); each
 * occurrence is a segment of encoded bytes, and the segments concatenated are one stream of
 * values. Nothing is decoded while the model is opened: reads decode just the elements they
 * cover, through bounded chunks of the file.
 */

/** Encoded bytes fetched per step while decoding varints. */
export const VARINT_CHUNK_BYTES = 1 << 20;

/** A checkpoint (element index -> file position) is kept every this many elements, so a read far into a tensor resumes nearby instead of decoding from the start. */
export const VARINT_CHECKPOINT_EVERY = 1 << 16;

export interface Where {
  readonly file: string;
  readonly tensor: string;
  /** e.g. "int32_data" */
  readonly field: string;
  /** e.g. "FLOAT16" */
  readonly label: string;
}

/** Growable (offset, length) list of one field's occurrences. */
export class Segments {
  offsets = new Float64Array(4);
  lengths = new Float64Array(4);
  count = 0;
  totalBytes = 0;

  /** False when the limit is reached. */
  push(offset: number, length: number): boolean {
    if (this.count >= ONNX_MAX_SEGMENTS) return false;
    if (this.count === this.offsets.length) {
      const o = new Float64Array(this.count * 2);
      o.set(this.offsets);
      this.offsets = o;
      const l = new Float64Array(this.count * 2);
      l.set(this.lengths);
      this.lengths = l;
    }
    this.offsets[this.count] = offset;
    this.lengths[this.count] = length;
    this.count++;
    this.totalBytes += length;
    return true;
  }
}

/** Canonical bytes [offset, offset + length) of a fixed-width field (float_data, double_data): the segments laid end to end. */
export async function readFixed(src: ByteSource, segs: Segments, offset: number, length: number): Promise<Uint8Array> {
  if (segs.count === 1) return src.read(segs.offsets[0]! + offset, length);
  const out = new Uint8Array(length);
  let skip = offset;
  let o = 0;
  for (let i = 0; i < segs.count && o < length; i++) {
    const len = segs.lengths[i]!;
    if (skip >= len) {
      skip -= len;
      continue;
    }
    const n = Math.min(len - skip, length - o);
    out.set(await src.read(segs.offsets[i]! + skip, n), o);
    o += n;
    skip = 0;
  }
  return out;
}

/** Decodes varint fields (int32_data, int64_data, uint64_data) into canonical little-endian elements of `width` bytes. */
export class VarintData {
  private readonly cpElem: number[] = [0];
  private readonly cpSeg: number[] = [0];
  private readonly cpPos: number[];

  constructor(
    private readonly src: ByteSource,
    private readonly segs: Segments,
    private readonly storage: Exclude<Storage, { kind: 'fixed' }>,
    private readonly width: number,
    private readonly count: number,
    private readonly where: Where,
  ) {
    this.cpPos = [segs.count > 0 ? segs.offsets[0]! : 0];
  }

  private fail(what: string, offset: number): never {
    throw new FormatError({ format: 'onnx', file: this.where.file, offset, tensor: this.where.tensor }, `${this.where.field}: ${what}`);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const w = this.width;
    const e0 = Math.floor(offset / w);
    const e1 = Math.ceil((offset + length) / w);
    const out = new Uint8Array((e1 - e0) * w);
    // nearest checkpoint at or before e0
    let lo = 0;
    let hi = this.cpElem.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.cpElem[mid]! <= e0) lo = mid;
      else hi = mid - 1;
    }
    let elem = this.cpElem[lo]!;
    let seg = this.cpSeg[lo]!;
    let pos = this.cpPos[lo]!;
    const segs = this.segs;
    const st = this.storage;
    while (elem < e1) {
      if (seg >= segs.count) this.fail(`holds ${elem} values but the shape needs ${this.count}`, pos);
      const segEnd = segs.offsets[seg]! + segs.lengths[seg]!;
      if (pos >= segEnd) {
        seg++;
        if (seg < segs.count) pos = segs.offsets[seg]!;
        continue;
      }
      const bufStart = pos;
      const buf = await this.src.read(bufStart, Math.min(VARINT_CHUNK_BYTES, segEnd - pos));
      const end = buf.length;
      const more = bufStart + end < segEnd;
      let p = 0;
      while (elem < e1 && p < end) {
        // decode up to the next checkpoint, then record it
        const stop = Math.min(e1, (Math.floor(elem / VARINT_CHECKPOINT_EVERY) + 1) * VARINT_CHECKPOINT_EVERY);
        decodeRun(buf, p, end, elem, e0, stop, out, w, st);
        const r = run;
        if (r.status === RUN_TRUNCATED && more) {
          p = r.p;
          elem = r.elem;
          break; // the value straddles the chunk: refill from p
        }
        if (r.status !== RUN_OK) {
          const at = bufStart + r.p;
          if (r.status === RUN_TRUNCATED) this.fail(`truncated varint at element ${r.elem}`, at);
          if (r.status === RUN_OVERLONG) this.fail(`overlong varint at element ${r.elem}`, at);
          if (st.kind === 'int32') this.fail(`value ${r.bad} at element ${r.elem} is outside ${st.min}..${st.max} for ${this.where.label}`, at);
          this.fail(`value at element ${r.elem} exceeds 2^32 - 1 for ${this.where.label}`, at);
        }
        p = r.p;
        elem = r.elem;
        if (elem % VARINT_CHECKPOINT_EVERY === 0) this.checkpoint(elem, seg, bufStart + p);
      }
      pos = bufStart + p;
    }
    this.checkpoint(elem, seg, pos);
    if (e1 === this.count) {
      // the last element was read: nothing may follow it
      let left = 0;
      for (let s = seg; s < segs.count; s++) left += s === seg ? segs.offsets[s]! + segs.lengths[s]! - pos : segs.lengths[s]!;
      if (left > 0) this.fail(`${left} bytes of values remain after the ${this.count} the shape needs`, pos);
    }
    const skip = offset - e0 * w;
    return skip === 0 && out.length === length ? out : out.subarray(skip, skip + length);
  }

  private checkpoint(elem: number, seg: number, pos: number): void {
    if (elem > this.cpElem[this.cpElem.length - 1]!) {
      this.cpElem.push(elem);
      this.cpSeg.push(seg);
      this.cpPos.push(pos);
    }
  }
}

const RUN_OK = 0;
const RUN_TRUNCATED = 1;
const RUN_OVERLONG = 2;
const RUN_RANGE = 3;
/** decodeRun's result: where it stopped, the element reached, why, and the offending value. */
const run = { p: 0, elem: 0, status: RUN_OK, bad: 0 };

/**
 * Decodes varints from buf[p..end) for elements elem..stop, writing those at or after e0 into
 * `out` as little-endian `w`-byte values. Self-contained on purpose: this is the loop a 2 GB
 * int32_data tensor runs through, so it decodes inline while 10 bytes remain and only falls
 * back to decodeVarint near the chunk's end. Stops early at a truncated, overlong or
 * out-of-range value (status says which; `p` and `elem` then point at that value).
 */
function decodeRun(
  buf: Uint8Array,
  p: number,
  end: number,
  elem: number,
  e0: number,
  stop: number,
  out: Uint8Array,
  w: number,
  st: Exclude<Storage, { kind: 'fixed' }>,
): void {
  const kind = st.kind === 'int32' ? 0 : st.kind === 'uint64' && st.max32 ? 1 : 2;
  const min = st.kind === 'int32' ? st.min : 0;
  const max = st.kind === 'int32' ? st.max : 0;
  let status = RUN_OK;
  let bad = 0;
  while (elem < stop && p < end) {
    let b = buf[p]!;
    let lo: number;
    let hi = 0;
    let q: number;
    if (b < 0x80) {
      lo = b;
      q = p + 1;
    } else if (end - p >= 10) {
      lo = b & 0x7f;
      q = p + 1;
      b = buf[q++]!;
      lo |= (b & 0x7f) << 7;
      if (b >= 0x80) {
        b = buf[q++]!;
        lo |= (b & 0x7f) << 14;
        if (b >= 0x80) {
          b = buf[q++]!;
          lo |= (b & 0x7f) << 21;
          if (b >= 0x80) {
            b = buf[q++]!;
            lo |= (b & 0x0f) << 28;
            hi = (b & 0x70) >>> 4;
            for (let shift = 3; b >= 0x80; shift += 7) {
              if (shift > 31) {
                status = RUN_OVERLONG;
                break;
              }
              b = buf[q++]!;
              if (shift === 31 && b > 1) {
                status = RUN_OVERLONG;
                break;
              }
              hi |= (b & 0x7f) << shift;
            }
            if (status !== RUN_OK) break;
          }
        }
      }
      lo >>>= 0;
      hi >>>= 0;
    } else {
      q = decodeVarint(buf, p, end);
      if (q < 0) {
        status = q === VARINT_TRUNCATED ? RUN_TRUNCATED : RUN_OVERLONG;
        break;
      }
      lo = varint.lo;
      hi = varint.hi;
    }
    if (elem >= e0) {
      const at = (elem - e0) * w;
      if (kind === 0) {
        const v = lo | 0;
        if (v < min || v > max) {
          status = RUN_RANGE;
          bad = v;
          break;
        }
        out[at] = v;
        if (w > 1) out[at + 1] = v >>> 8;
        if (w > 2) {
          out[at + 2] = v >>> 16;
          out[at + 3] = v >>> 24;
        }
      } else {
        if (kind === 1 && hi !== 0) {
          status = RUN_RANGE;
          break;
        }
        writeU32(out, at, lo);
        if (kind === 2) writeU32(out, at + 4, hi);
      }
    }
    elem++;
    p = q;
  }
  run.p = p;
  run.elem = elem;
  run.status = status;
  run.bad = bad;
}

function writeU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v & 0xff;
  b[p + 1] = (v >>> 8) & 0xff;
  b[p + 2] = (v >>> 16) & 0xff;
  b[p + 3] = v >>> 24;
}
