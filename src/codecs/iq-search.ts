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
import { IQ2S_GRID } from './iq-grid-2bit';
import { gridBytes32, gridBytes64, IQ3S_GRID, IQ3XXS_GRID } from './iq-tables';

export interface SearchGrid {
  /** Points, `dim` int8 values each, every value 2l+1. */
  readonly pos: Int8Array;
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

function makeGrid(levels: Uint8Array, size: number, dim: number, bits: number, nwant: number): SearchGrid {
  const pos = new Int8Array(size * dim);
  const codes = new Uint16Array(size);
  const map = new Int32Array(1 << (bits * dim)).fill(-1);
  for (let k = 0; k < size; k++) {
    let u = 0;
    for (let i = 0; i < dim; i++) {
      const l = levels[k * dim + i]!;
      pos[k * dim + i] = 2 * l + 1;
      u |= l << (bits * i);
    }
    codes[k] = u;
    map[u] = k;
  }
  return { pos, dim, size, map, codes, bits, nwant, lists: new Array<Uint16Array | undefined>(map.length) };
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
let iq1: SearchGrid | null = null;
let iq3xxs: SearchGrid | null = null;
let iq3s: SearchGrid | null = null;

/** iq2xs_init_impl(GGML_TYPE_IQ2_S): 1024 points, nwant = 1. */
export function iq2sGrid(): SearchGrid {
  iq2s ??= makeGrid(levelsOf(gridBytes64(IQ2S_GRID), [0x08, 0x19, 0x2b]), 1024, 8, 2, 1);
  return iq2s;
}

/** iq2xs_init_impl(GGML_TYPE_IQ1_M): 2048 points with levels -1, 0, +1, nwant = 3. */
export function iq1Grid(): SearchGrid {
  iq1 ??= makeGrid(levelsOf(gridBytes64(IQ1S_GRID), [0xff, 0x00, 0x01]), 2048, 8, 2, 3);
  return iq1;
}

/** iq3xs_init_impl(256) for IQ3_XXS: nwant = 2. */
export function iq3xxsGrid(): SearchGrid {
  iq3xxs ??= makeGrid(levelsOf(gridBytes32(IQ3XXS_GRID), [4, 12, 20, 28, 36, 44, 52, 62]), 256, 4, 3, 2);
  return iq3xxs;
}

/** iq3xs_init_impl(512) for IQ3_S: nwant = 3. */
export function iq3sGrid(): SearchGrid {
  iq3s ??= makeGrid(levelsOf(gridBytes32(IQ3S_GRID), [1, 3, 5, 7, 9, 11, 13, 15]), 512, 4, 3, 3);
  return iq3s;
}

let dist = new Int32Array(2048);
const want = new Int32Array(8);

/** The neighbour list of the off-grid packed vector `u` (grid indices, nearest first). */
export function neighbours(g: SearchGrid, u: number): Uint16Array {
  const have = g.lists[u];
  if (have) return have;
  const { pos, dim, size, bits, nwant } = g;
  if (dist.length < size) dist = new Int32Array(size);
  const mask = (1 << bits) - 1;
  for (let j = 0; j < size; j++) {
    let d2 = 0;
    for (let k = 0; k < dim; k++) {
      const diff = pos[j * dim + k]! - (2 * ((u >> (bits * k)) & mask) + 1);
      d2 += diff * diff;
    }
    dist[j] = d2;
  }
  // the nwant smallest distinct distances, ascending
  let nhave = 0;
  for (; nhave < nwant; nhave++) {
    const floor = nhave === 0 ? -1 : want[nhave - 1]!;
    let m = 0x7fffffff;
    for (let j = 0; j < size; j++) {
      const d = dist[j]!;
      if (d > floor && d < m) m = d;
    }
    if (m === 0x7fffffff) break;
    want[nhave] = m;
  }
  let n = 0;
  for (let j = 0; j < size; j++) if (dist[j]! <= want[nhave - 1]!) n++;
  const list = new Uint16Array(n);
  let c = 0;
  for (let h = 0; h < nhave; h++) {
    const d = want[h]!;
    for (let j = 0; j < size; j++) if (dist[j] === d) list[c++] = j;
  }
  g.lists[u] = list;
  return list;
}
