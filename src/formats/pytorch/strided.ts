/**
 * Gathers the elements of a strided view into row-major order. torch.save keeps a view as it is
 * (a transposed matrix is saved as its storage plus swapped strides), so reading one in canonical
 * order means picking elements out of the storage.
 *
 * Work goes in batches of GATHER_BATCH output elements. A batch whose source elements lie within
 * MAX_GATHER_SPAN bytes is served by one read; a wider one (a column of a huge transposed matrix)
 * sweeps its span in windows of that size, so memory stays bounded whatever the strides.
 */
import type { ByteSource } from '../../io/byte-source';

export const GATHER_BATCH = 1 << 20;
export const MAX_GATHER_SPAN = 64 * 1024 * 1024;

export interface StridedView {
  readonly itemSize: number;
  /** Elements from the start of `src` to the view's first element. */
  readonly offset: number;
  readonly shape: readonly number[];
  readonly stride: readonly number[];
}

/** True when the view's elements are consecutive in row-major order. */
export function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  if (shape.includes(0)) return true; // no elements: nothing to be out of order
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    if (n !== 1 && stride[d] !== expected) return false;
    expected *= n;
  }
  return true;
}

/** Canonical bytes of elements [e0, e1) of the view. */
export async function gather(src: ByteSource, view: StridedView, e0: number, e1: number): Promise<Uint8Array> {
  const isz = view.itemSize;
  const out = new Uint8Array((e1 - e0) * isz);
  const idx = new Float64Array(Math.min(GATHER_BATCH, e1 - e0));
  const cursor = new Odometer(view, e0);
  for (let start = e0; start < e1; start += idx.length) {
    const n = Math.min(idx.length, e1 - start);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const p = cursor.next();
      idx[i] = p;
      if (p < lo) lo = p;
      if (p > hi) hi = p;
    }
    const dst = out.subarray((start - e0) * isz, (start - e0 + n) * isz);
    const spanBytes = (hi - lo + 1) * isz;
    if (spanBytes <= MAX_GATHER_SPAN) {
      const data = await src.read(lo * isz, spanBytes);
      copyElements(data, lo, lo + (hi - lo + 1), idx, n, isz, dst);
    } else {
      const windowElems = Math.max(1, Math.floor(MAX_GATHER_SPAN / isz));
      for (let w = lo; w <= hi; w += windowElems) {
        const wEnd = Math.min(hi + 1, w + windowElems);
        const data = await src.read(w * isz, (wEnd - w) * isz);
        copyElements(data, w, wEnd, idx, n, isz, dst);
      }
    }
  }
  return out;
}

/** Copies every element whose source index lies in [from, to) from `data` (which starts at `from`). */
function copyElements(data: Uint8Array, from: number, to: number, idx: Float64Array, n: number, isz: number, dst: Uint8Array): void {
  for (let i = 0; i < n; i++) {
    const p = idx[i]!;
    if (p < from || p >= to) continue;
    const s = (p - from) * isz;
    const d = i * isz;
    for (let k = 0; k < isz; k++) dst[d + k] = data[s + k]!;
  }
}

/** Walks the view's source element indices in row-major order, starting at element `e0`. */
class Odometer {
  private readonly idx: number[];
  private pos: number;
  private readonly last: number;

  constructor(private readonly view: StridedView, e0: number) {
    const nd = view.shape.length;
    this.idx = new Array<number>(nd).fill(0);
    this.last = nd - 1;
    let rest = e0;
    this.pos = view.offset;
    for (let d = nd - 1; d >= 0; d--) {
      const n = view.shape[d]!;
      this.idx[d] = rest % n;
      rest = Math.floor(rest / n);
      this.pos += this.idx[d]! * view.stride[d]!;
    }
  }

  next(): number {
    const p = this.pos;
    const { shape, stride } = this.view;
    for (let d = this.last; d >= 0; d--) {
      this.idx[d]!++;
      this.pos += stride[d]!;
      if (this.idx[d]! < shape[d]!) break;
      this.pos -= shape[d]! * stride[d]!;
      this.idx[d] = 0;
    }
    return p;
  }
}
