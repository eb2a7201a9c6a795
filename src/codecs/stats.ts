/**
 * Tensor statistics: the CPU twin of shaders/stats.wgsl, and the host-side fold that both the GPU
 * and the CPU paths share. The twin walks the same tiles, invocations and reduction tree as the
 * shader so its partial records are the shader's bit for bit.
 */

export const STATS_WG = 256;
export const STATS_ITEMS = 16;
export const HIST_BINS = 256;
export const REDUCE_RECORD_WORDS = 8;
export const HIST_SLOT_WORDS = 260;

export interface TensorStats {
  /** All elements, finite or not. */
  readonly count: number;
  readonly finite: number;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
  /** Over finite values; NaN when there are none. */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  /** Population standard deviation over finite values. */
  readonly std: number;
  /** 256 equal bins over [min, max]; the last bin includes max. */
  readonly histogram: Uint32Array;
}

const f = Math.fround;
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const bitsOf = (x: number) => ((F32[0] = x), U32[0]!);
const fromBits = (b: number) => ((U32[0] = b), F32[0]!);

/** Pass 1 twin: one 8-word record per tile of WG * ITEMS elements. */
export function statsReduceCpu(x: Float32Array, wg = STATS_WG, items = STATS_ITEMS): Uint32Array {
  const tile = wg * items;
  const groups = Math.max(1, Math.ceil(x.length / tile));
  const out = new Uint32Array(groups * REDUCE_RECORD_WORDS);
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const cnt = new Uint32Array(wg), nan = new Uint32Array(wg), pinf = new Uint32Array(wg), ninf = new Uint32Array(wg);
  const mn = new Float32Array(wg), mx = new Float32Array(wg), sum = new Float32Array(wg);
  for (let g = 0; g < groups; g++) {
    const base = g * tile;
    for (let t = 0; t < wg; t++) {
      let c = 0, na = 0, pi = 0, ni = 0, lo = Infinity, hi = -Infinity, s = 0;
      for (let k = 0; k < items; k++) {
        const i = base + k * wg + t;
        if (i >= x.length) continue;
        const b = bits[i]!;
        if ((b & 0x7f800000) !== 0x7f800000) {
          const v = x[i]!;
          c++;
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
          s = f(s + v);
        } else if ((b & 0x7fffff) !== 0) na++;
        else if (b >>> 31 === 0) pi++;
        else ni++;
      }
      cnt[t] = c; nan[t] = na; pinf[t] = pi; ninf[t] = ni; mn[t] = lo; mx[t] = hi; sum[t] = s;
    }
    for (let s = wg >>> 1; s > 0; s >>>= 1) {
      for (let t = 0; t < s; t++) {
        cnt[t] += cnt[t + s]!; nan[t] += nan[t + s]!; pinf[t] += pinf[t + s]!; ninf[t] += ninf[t + s]!;
        mn[t] = Math.min(mn[t]!, mn[t + s]!);
        mx[t] = Math.max(mx[t]!, mx[t + s]!);
        sum[t] = sum[t]! + sum[t + s]!;
      }
    }
    out.set([cnt[0]!, nan[0]!, pinf[0]!, ninf[0]!, bitsOf(mn[0]!), bitsOf(mx[0]!), bitsOf(sum[0]!), 0], g * REDUCE_RECORD_WORDS);
  }
  return out;
}

/** Pass 2 twin: one 260-word slot per tile (256 bins, then the squared-deviation sum's bits). */
export function statsHistogramCpu(x: Float32Array, p: HistParams, wg = STATS_WG, items = STATS_ITEMS): Uint32Array {
  const tile = wg * items;
  const groups = Math.max(1, Math.ceil(x.length / tile));
  const out = new Uint32Array(groups * HIST_SLOT_WORDS);
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const ssd = new Float32Array(wg);
  for (let g = 0; g < groups; g++) {
    const base = g * tile;
    const o = g * HIST_SLOT_WORDS;
    for (let t = 0; t < wg; t++) {
      let s = 0;
      for (let k = 0; k < items; k++) {
        const i = base + k * wg + t;
        if (i >= x.length || (bits[i]! & 0x7f800000) === 0x7f800000) continue;
        const v = x[i]!;
        const d = f(v - p.mean);
        s = f(s + f(d * d));
        const pos = f(f(v - p.lo) * p.scale);
        out[o + Math.trunc(Math.min(Math.max(pos, 0), 255))]!++;
      }
      ssd[t] = s;
    }
    for (let s = wg >>> 1; s > 0; s >>>= 1) for (let t = 0; t < s; t++) ssd[t] = ssd[t]! + ssd[t + s]!;
    out[o + 256] = bitsOf(ssd[0]!);
  }
  return out;
}

export interface HistParams {
  readonly lo: number;
  readonly scale: number;
  readonly mean: number;
}

/** Running fold of pass-1 records over all chunks of a tensor. */
export class StatsFold {
  count = 0;
  finite = 0;
  nan = 0;
  posInf = 0;
  negInf = 0;
  min = Infinity;
  max = -Infinity;
  private sum = 0;
  private ssd = 0;
  readonly histogram = new Uint32Array(HIST_BINS);

  addReduce(records: Uint32Array, elements: number): void {
    this.count += elements;
    for (let o = 0; o < records.length; o += REDUCE_RECORD_WORDS) {
      this.finite += records[o]!;
      this.nan += records[o + 1]!;
      this.posInf += records[o + 2]!;
      this.negInf += records[o + 3]!;
      if (records[o]! > 0) {
        this.min = Math.min(this.min, fromBits(records[o + 4]!));
        this.max = Math.max(this.max, fromBits(records[o + 5]!));
      }
      this.sum += fromBits(records[o + 6]!);
    }
  }

  /** Parameters for pass 2, as float32 values both paths use. */
  histParams(): HistParams {
    const mean = this.finite > 0 ? f(this.sum / this.finite) : 0;
    if (this.finite === 0) return { lo: 0, scale: 0, mean };
    const range = this.max - this.min;
    const scale = range > 0 ? f(HIST_BINS / range) : 0;
    return { lo: f(this.min), scale: Number.isFinite(scale) ? scale : 0, mean };
  }

  /** Adds pass-2 output: either a folded 256-bin histogram + ssd partials, or raw slots. */
  addHistogram(bins: Uint32Array, ssdPartials: Iterable<number>): void {
    for (let b = 0; b < HIST_BINS; b++) this.histogram[b] += bins[b]!;
    for (const s of ssdPartials) this.ssd += s;
  }

  addHistogramSlots(slots: Uint32Array): void {
    for (let o = 0; o < slots.length; o += HIST_SLOT_WORDS) {
      for (let b = 0; b < HIST_BINS; b++) this.histogram[b] += slots[o + b]!;
      this.ssd += fromBits(slots[o + 256]!);
    }
  }

  result(): TensorStats {
    const none = this.finite === 0;
    return {
      count: this.count,
      finite: this.finite,
      nan: this.nan,
      posInf: this.posInf,
      negInf: this.negInf,
      min: none ? NaN : this.min,
      max: none ? NaN : this.max,
      mean: none ? NaN : this.sum / this.finite,
      std: none ? NaN : Math.sqrt(this.ssd / this.finite),
      histogram: this.histogram,
    };
  }
}

