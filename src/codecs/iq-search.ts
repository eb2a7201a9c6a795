/**
 * The quantizer-side codebooks of IQ2_S, IQ3_XXS, IQ3_S and IQ1_M, as ggml's iq2xs_init_impl
 * and iq3xs_init_impl build them: every grid point as odd integers 2l+1, a map from a packed
 * vector of levels l to its grid index (or "not on the grid"), and for each off-grid vector the
 * grid points at the `nwant` smallest distinct squared distances, ordered by (distance, index)
 * as ggml's qsort with iq2_compare_func leaves them.
 *
 * ggml fills every neighbour list at init; here a list is built the first time a vector asks
 * for it (the lists only depend on the vector, so the result is the same). The compact level
 * codes come from the decode grids of ggml-common.h, which hold the same points in the same
 * order as the kgrid_* tables in ggml-quants.c (checked in test/unit/codecs/iq-tables.test.ts).
 */
import { IQ1S_GRID } from './iq-grid-1bit';
import { IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID } from './iq-grid-2bit';
import { FLT_MAX, fr, nearestIntBits as nearestInt, noFiniteNeighbour } from './iq-math';
import { gridBytes32, gridBytes64, IQ3S_GRID, IQ3XXS_GRID } from './iq-tables';

export interface SearchGrid {
  /** The quant type this grid belongs to, for error messages. */
  readonly type: string;
  /** Points, `dim` int8 values each, every value 2l+1. */
  readonly pos: Int8Array;
  /** The same points as levels l. */
  readonly lev: Int8Array;
  readonly dim: number;
  readonly size: number;
  /** Packed levels (`bits` per element) -> grid index, or -1 when off the grid. */
  readonly map: Int32Array;
  /** Level code l of each point's elements (pos = 2l+1), packed as in `map`. */
  readonly codes: Uint16Array;
  readonly bits: number;
  readonly nwant: number;
  /** Neighbour lists by packed vector, filled on demand. */
  readonly lists: (Uint16Array | undefined)[];
}

function makeGrid(type: string, levels: Uint8Array, size: number, dim: number, bits: number, nwant: number): SearchGrid {
  const pos = new Int8Array(size * dim);
  const lev = new Int8Array(size * dim);
  const codes = new Uint16Array(size);
  const map = new Int32Array(1 << (bits * dim)).fill(-1);
  for (let k = 0; k < size; k++) {
    let u = 0;
    for (let i = 0; i < dim; i++) {
      const l = levels[k * dim + i]!;
      pos[k * dim + i] = 2 * l + 1;
      lev[k * dim + i] = l;
      u |= l << (bits * i);
    }
    codes[k] = u;
    map[u] = k;
  }
  return { type, pos, lev, dim, size, map, codes, bits, nwant, lists: new Array<Uint16Array | undefined>(map.length) };
}

/** Level codes of a decode grid: the position of each byte in the type's ascending level list. */
function levelsOf(bytes: Uint8Array, levelBytes: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const l = levelBytes.indexOf(bytes[i]!);
    if (l < 0) throw new Error(`grid byte ${bytes[i]} at ${i} is not one of ${levelBytes.join(', ')}`);
    out[i] = l;
  }
  return out;
}

let iq2s: SearchGrid | null = null;
let iq2xxs: SearchGrid | null = null;
let iq2xs: SearchGrid | null = null;
let iq1s: SearchGrid | null = null;

/** iq2xs_init_impl(GGML_TYPE_IQ2_XXS): 256 points, nwant = 2. */
export function iq2xxsGrid(): SearchGrid {
  iq2xxs ??= makeGrid('IQ2_XXS', levelsOf(gridBytes64(IQ2XXS_GRID), [0x08, 0x19, 0x2b]), 256, 8, 2, 2);
  return iq2xxs;
}

/** iq2xs_init_impl(GGML_TYPE_IQ2_XS): 512 points, nwant = 2. */
export function iq2xsGrid(): SearchGrid {
  iq2xs ??= makeGrid('IQ2_XS', levelsOf(gridBytes64(IQ2XS_GRID), [0x08, 0x19, 0x2b]), 512, 8, 2, 2);
  return iq2xs;
}

/** iq2xs_init_impl(GGML_TYPE_IQ1_S): IQ1_M's 2048 points and neighbour lists (nwant = 3), named for IQ1_S's errors. */
export function iq1sGrid(): SearchGrid {
  iq1s ??= { ...iq1Grid(), type: 'IQ1_S' };
  return iq1s;
}
let iq1: SearchGrid | null = null;
let iq3xxs: SearchGrid | null = null;
let iq3s: SearchGrid | null = null;

/** iq2xs_init_impl(GGML_TYPE_IQ2_S): 1024 points, nwant = 1. */
export function iq2sGrid(): SearchGrid {
  iq2s ??= makeGrid('IQ2_S', levelsOf(gridBytes64(IQ2S_GRID), [0x08, 0x19, 0x2b]), 1024, 8, 2, 1);
  return iq2s;
}

/** iq2xs_init_impl(GGML_TYPE_IQ1_M): 2048 points with levels -1, 0, +1, nwant = 3. */
export function iq1Grid(): SearchGrid {
  iq1 ??= makeGrid('IQ1_M', levelsOf(gridBytes64(IQ1S_GRID), [0xff, 0x00, 0x01]), 2048, 8, 2, 3);
  return iq1;
}

/** iq3xs_init_impl(256) for IQ3_XXS: nwant = 2. */
export function iq3xxsGrid(): SearchGrid {
  iq3xxs ??= makeGrid('IQ3_XXS', levelsOf(gridBytes32(IQ3XXS_GRID), [4, 12, 20, 28, 36, 44, 52, 62]), 256, 4, 3, 2);
  return iq3xxs;
}

/** iq3xs_init_impl(512) for IQ3_S: nwant = 3. */
export function iq3sGrid(): SearchGrid {
  iq3s ??= makeGrid('IQ3_S', levelsOf(gridBytes32(IQ3S_GRID), [1, 3, 5, 7, 9, 11, 13, 15]), 512, 4, 3, 3);
  return iq3s;
}

const dist = new Int32Array(2048);
/** Squared distances of u's low / high half to every half-vector code, rebuilt per u. */
const halfLo = new Int32Array(256);
const halfHi = new Int32Array(256);
const want = new Int32Array(8);
const bucket = new Uint16Array(3 * 2048);
const bucketLen = new Int32Array(3);

/**
 * The neighbour list of the off-grid packed vector `u` (grid indices, nearest first).
 * Distances are sums over elements of ((2l+1) - (2m+1))^2, computed half a vector at a time.
 */
export function neighbours(g: SearchGrid, u: number): Uint16Array {
  const have = g.lists[u];
  if (have) return have;
  const { codes, dim, size, bits, nwant } = g;
  const half = dim >> 1;
  const hbits = half * bits;
  const mask = (1 << bits) - 1;
  for (let h = 0; h < 2; h++) {
    const t = h === 0 ? halfLo : halfHi;
    const uh = (u >> (h * hbits)) & ((1 << hbits) - 1);
    for (let c = 0; c < 1 << hbits; c++) {
      let d2 = 0;
      for (let k = 0; k < half; k++) {
        const diff = 2 * (((c >> (bits * k)) & mask) - ((uh >> (bits * k)) & mask));
        d2 += diff * diff;
      }
      t[c] = d2;
    }
  }
  // one pass for the distances and the nwant smallest distinct ones (ascending in want)
  const hmask = (1 << hbits) - 1;
  let nhave = 0;
  for (let j = 0; j < size; j++) {
    const c = codes[j]!;
    const d = halfLo[c & hmask]! + halfHi[c >> hbits]!;
    dist[j] = d;
    if (nhave === nwant && d >= want[nwant - 1]!) continue;
    let k = nhave;
    while (k > 0 && want[k - 1]! > d) k--;
    if (k > 0 && want[k - 1] === d) continue;
    for (let m = Math.min(nhave, nwant - 1); m > k; m--) want[m] = want[m - 1]!;
    want[k] = d;
    if (nhave < nwant) nhave++;
  }
  bucketLen.fill(0);
  for (let j = 0; j < size; j++) {
    const d = dist[j]!;
    for (let h = 0; h < nhave; h++) {
      if (want[h] === d) {
        bucket[h * 2048 + bucketLen[h]!++] = j;
        break;
      }
    }
  }
  let n = 0;
  for (let h = 0; h < nhave; h++) n += bucketLen[h]!;
  const list = new Uint16Array(n);
  for (let h = 0, c = 0; h < nhave; h++) {
    list.set(bucket.subarray(h * 2048, h * 2048 + bucketLen[h]!), c);
    c += bucketLen[h]!;
  }
  g.lists[u] = list;
  return list;
}

const terms8 = new Float32Array(24);

/**
 * matches iq2_find_best_neighbour (IQ2_S) and iq1_find_best_neighbour2 (IQ1_M), for the grids
 * of 8-element points with three levels: the neighbour of the off-grid vector `u` nearest to
 * x[xo..xo+8) at `scale` times the level values `lv`, weighted by w[at..at+8); the first on
 * ties. Each element's weighted squared error is tabulated once per level, then summed per
 * neighbour in element order, which is ggml's arithmetic exactly. Writes the point's levels to
 * out[at..at+8) and returns its grid index.
 */
export function bestNeighbour8(g: SearchGrid, u: number, x: Float32Array, xo: number, w: Float32Array, out: Int8Array, at: number, scale: number, lv: Float32Array): number {
  const list = neighbours(g, u);
  for (let i = 0; i < 8; i++) {
    for (let l = 0; l < 3; l++) {
      const diff = fr(fr(scale * lv[l]!) - x[xo + i]!);
      terms8[3 * i + l] = fr(w[at + i]! * diff) * diff;
    }
  }
  const lev = g.lev;
  let best = FLT_MAX;
  let gi = -1;
  for (let n = 0; n < list.length; n++) {
    const p = list[n]! * 8;
    let d2 = terms8[lev[p]!]!;
    for (let i = 1; i < 8; i++) d2 = fr(d2 + terms8[3 * i + lev[p + i]!]!);
    if (d2 < best) {
      best = d2;
      gi = list[n]!;
    }
  }
  // Only non-finite errors (huge |x|, where w*diff^2 overflows) get here; ggml then scans the
  // whole grid (IQ1_M reading past its 8 values) and aborts when that finds nothing either.
  if (gi < 0) throw noFiniteNeighbour(g.type, scale);
  for (let i = 0; i < 8; i++) out[at + i] = lev[gi * 8 + i]!;
  return gi;
}

/**
 * The levels l = nearest_int((id * x - 1) / 2), clamped to 0..kMax-1, of the g.dim values at
 * x[xo..] (IQ2_S and IQ3_* quantize_row_*_impl), into out[xo..]; returns them packed as g.map's
 * key (g.bits per element).
 */
export function gridLevels(g: SearchGrid, kMax: number, id: number, x: Float32Array, xo: number, out: Int8Array): number {
  const { dim, bits } = g;
  let u = 0;
  for (let i = 0; i < dim; i++) {
    const l = nearestInt(fr(0.5 * fr(fr(id * x[xo + i]!) - 1)));
    const c = l < 0 ? 0 : l > kMax - 1 ? kMax - 1 : l;
    out[xo + i] = c;
    u |= c << (bits * i);
  }
  return u;
}

/** sumq2 of the last weightedFit() (a module-level out-parameter, so the hot loop allocates nothing). */
export let fitQ2 = 0;

/**
 * The weighted sums of ggml's scale fit (IQ2_S and IQ3_*) for the levels in `lv`, over all of
 * lv: q = 2l+1, sumqx += w*x*q and sumq2 += w*q*q in element order. Returns sumqx, sets fitQ2.
 */
export function weightedFit(w: Float32Array, x: Float32Array, lv: Int8Array): number {
  let sumqx = 0;
  let sumq2 = 0;
  for (let i = 0; i < lv.length; i++) {
    const wi = w[i]!;
    const q = 2 * lv[i]! + 1;
    sumqx = fr(sumqx + fr(fr(wi * x[i]!) * q));
    sumq2 = fr(sumq2 + fr(fr(wi * q) * q));
  }
  fitQ2 = sumq2;
  return sumqx;
}
