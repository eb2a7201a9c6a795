/**
 * The grid encoders' search tables as one flat Uint32Array, for the encoders that cannot hold
 * iq-search.ts's lazily built objects: the WGSL kernels (a storage buffer) and the WebAssembly
 * encoders (a block of wasm memory). The contents are ggml's iq2xs_init_impl / iq3xs_init_impl
 * kmap and neighbour lists, built eagerly for every code an encoder can produce.
 */
import type { TypeName } from './catalogue';
import { IQ1S_GRID } from './iq-grid-1bit';
import { IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID } from './iq-grid-2bit';
import { gridBytes32, gridBytes64, IQ3S_GRID, IQ3XXS_GRID } from './iq-tables';

/**
 * Each grid point's packed level code (levels l with grid value 2l + 1, `bits` per element), a
 * map from every packed code to its grid index or to -(offset + 1) of its neighbour list, and
 * the lists: a count, then the points at the `nwant` smallest distinct squared distances,
 * ordered by (distance, index) as ggml's qsort leaves them. Lists are built for the codes an
 * encoder can produce (levels <= `maxLevel`); other map entries stay 0.
 * Layout (u32 words): codes[size], map[1 << (bits * dim)] (capped at `mapSize`), lists, with
 * list offsets counted from the start of the lists.
 */
export function buildSearchTable(levels: Uint8Array, dim: number, bits: number, nwant: number, mapSize: number, maxLevel: number): Uint32Array<ArrayBuffer> {
  const size = levels.length / dim;
  const codes = new Uint32Array(size);
  const map = new Int32Array(mapSize).fill(-1);
  for (let k = 0; k < size; k++) {
    let u = 0;
    for (let i = 0; i < dim; i++) u |= levels[k * dim + i]! << (bits * i);
    codes[k] = u;
    map[u] = k;
  }
  const mask = (1 << bits) - 1;
  const lists: number[] = [];
  const dist = new Int32Array(size);
  const want = new Int32Array(nwant);
  // squared distances split into two half-vectors, tabulated per half code for each u
  const hbits = (dim >> 1) * bits;
  const hmask = (1 << hbits) - 1;
  const halfLo = new Int32Array(1 << hbits);
  const halfHi = new Int32Array(1 << hbits);
  for (let u = 0; u < mapSize; u++) {
    if (map[u]! >= 0) continue;
    let reachable = true;
    for (let i = 0; i < dim; i++) if (((u >> (bits * i)) & mask) > maxLevel) reachable = false;
    if (!reachable) {
      map[u] = 0;
      continue;
    }
    for (let h = 0; h < 2; h++) {
      const t = h === 0 ? halfLo : halfHi;
      const uh = (u >> (h * hbits)) & hmask;
      for (let c = 0; c <= hmask; c++) {
        let d2 = 0;
        for (let i = 0; i < dim >> 1; i++) {
          const diff = 2 * (((c >> (bits * i)) & mask) - ((uh >> (bits * i)) & mask));
          d2 += diff * diff;
        }
        t[c] = d2;
      }
    }
    let nhave = 0;
    for (let j = 0; j < size; j++) {
      const c = codes[j]!;
      const d2 = halfLo[c & hmask]! + halfHi[c >> hbits]!;
      dist[j] = d2;
      // keep the nwant smallest distinct distances, ascending
      let p = nhave;
      while (p > 0 && want[p - 1]! > d2) p--;
      if ((p > 0 && want[p - 1] === d2) || p >= nwant) continue;
      for (let m = Math.min(nhave, nwant - 1); m > p; m--) want[m] = want[m - 1]!;
      want[p] = d2;
      if (nhave < nwant) nhave++;
    }
    map[u] = -(lists.length + 1);
    const at = lists.length;
    lists.push(0);
    for (let h = 0; h < nhave; h++) {
      for (let j = 0; j < size; j++) if (dist[j] === want[h]) lists.push(j);
    }
    lists[at] = lists.length - at - 1;
  }
  const out = new Uint32Array(size + mapSize + lists.length);
  out.set(codes, 0);
  out.set(new Uint32Array(map.buffer), size);
  out.set(lists, size + mapSize);
  return out;
}

/** Level codes of a decode grid's bytes: each byte's position in the type's ascending values. */
export function gridLevels(bytes: Uint8Array, values: readonly number[]): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const l = values.indexOf(bytes[i]!);
    if (l < 0) throw new Error(`grid byte ${bytes[i]} at ${i} is not one of ${values.join(', ')}`);
    out[i] = l;
  }
  return out;
}

const IQ2_BYTES = [0x08, 0x19, 0x2b];
/** Every code of 8 levels 0..2 is below 43692 (0xaaaa + 2). */
const IQ2_MAP = 43692;

/**
 * The search table of each grid type, as its ggml init builds it (iq2xs_init_impl(type) or
 * iq3xs_init_impl(grid size)); IQ1_S and IQ1_M share IQ1_M's grid and lists. Built on demand.
 */
export const SEARCH_TABLES = {
  IQ2_XXS: () => buildSearchTable(gridLevels(gridBytes64(IQ2XXS_GRID), IQ2_BYTES), 8, 2, 2, IQ2_MAP, 2),
  IQ2_XS: () => buildSearchTable(gridLevels(gridBytes64(IQ2XS_GRID), IQ2_BYTES), 8, 2, 2, IQ2_MAP, 2),
  IQ2_S: () => buildSearchTable(gridLevels(gridBytes64(IQ2S_GRID), IQ2_BYTES), 8, 2, 1, IQ2_MAP, 2),
  IQ1_S: () => buildSearchTable(gridLevels(gridBytes64(IQ1S_GRID), [0xff, 0x00, 0x01]), 8, 2, 3, IQ2_MAP, 2),
  IQ1_M: () => buildSearchTable(gridLevels(gridBytes64(IQ1S_GRID), [0xff, 0x00, 0x01]), 8, 2, 3, IQ2_MAP, 2),
  IQ3_XXS: () => buildSearchTable(gridLevels(gridBytes32(IQ3XXS_GRID), [4, 12, 20, 28, 36, 44, 52, 62]), 4, 3, 2, 4096, 7),
  IQ3_S: () => buildSearchTable(gridLevels(gridBytes32(IQ3S_GRID), [1, 3, 5, 7, 9, 11, 13, 15]), 4, 3, 3, 4096, 7),
} as const satisfies Partial<Record<TypeName, () => Uint32Array<ArrayBuffer>>>;
