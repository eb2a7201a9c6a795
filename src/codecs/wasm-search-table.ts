/**
 * The WebAssembly encoders' copy of a grid type's search table (iq-search-table.ts): codes and
 * map as there, and for the IQ2 and IQ3 types the neighbour lists regrouped for a four-lane
 * scan (src/codecs/wasm/grid-table.ts reads them). Each regrouped list: its count and three
 * zero words (16-byte aligned), then per 4 neighbours a batch of their 4 grid indices and, per
 * element of a point, one v128 whose lane j holds the byte indices 4l .. 4l + 3 of neighbour
 * j's level l: an i8x16.swizzle of a v128 (or pair) of that element's error terms by level
 * gives the four neighbours' terms with no unpacking. A short last batch repeats the list's
 * last neighbour: an equal error at a later position never wins (ggml keeps the first). This
 * costs 16 bytes per element per neighbour (IQ2_XS: 7 MB, IQ2_XXS 4.7 MB, IQ2_S 2.2 MB, IQ3
 * under 1 MB) for a scan of one swizzle and one add per element. The map's negative entries point at the
 * regrouped lists; the IQ1 types keep their table as it is.
 */
import { SEARCH_TABLES } from './iq-search-table';

interface Regroup {
  readonly size: number;
  readonly mapSize: number;
  readonly dim: number;
  readonly bits: number;
}

const IQ2_MAP = 43692;
const REGROUPED: Partial<Record<keyof typeof SEARCH_TABLES, Regroup>> = {
  IQ2_XXS: { size: 256, mapSize: IQ2_MAP, dim: 8, bits: 2 },
  IQ2_XS: { size: 512, mapSize: IQ2_MAP, dim: 8, bits: 2 },
  IQ2_S: { size: 1024, mapSize: IQ2_MAP, dim: 8, bits: 2 },
  IQ3_XXS: { size: 256, mapSize: 4096, dim: 4, bits: 3 },
  IQ3_S: { size: 512, mapSize: 4096, dim: 4, bits: 3 },
};

/**
 * `type`'s table as the wasm encoders read it (u32 words, placed 16-byte aligned). Written in two
 * passes straight into its typed array: every codec worker builds it, and a growing array of
 * JavaScript numbers cost tens of MB of garbage per worker for the largest tables.
 */
export function wasmSearchTable(type: keyof typeof SEARCH_TABLES): Uint32Array<ArrayBuffer> {
  const words = SEARCH_TABLES[type]();
  const spec = REGROUPED[type];
  if (spec === undefined) return words;
  const { size, mapSize, dim, bits } = spec;
  const listsAt = size + mapSize;
  const mask = (1 << bits) - 1;
  const map = new Int32Array(words.buffer, size * 4, mapSize);
  // pass 1: where each distinct list goes (lists are shared between map entries)
  const moved = new Map<number, number>();
  let length = 0;
  for (let u = 0; u < mapSize; u++) {
    const m = map[u]!;
    if (m >= 0) continue;
    const old = listsAt - m - 1;
    if (moved.has(old)) continue;
    moved.set(old, length);
    length += 4 + Math.ceil(words[old]! / 4) * 4 * (1 + dim);
  }
  // pass 2: codes, the map pointing at the regrouped lists, the lists
  const table = new Uint32Array(listsAt + length);
  table.set(words.subarray(0, size));
  const out = new Int32Array(table.buffer, size * 4, mapSize);
  const ks = new Uint32Array(4);
  for (let u = 0; u < mapSize; u++) {
    const m = map[u]!;
    if (m >= 0) {
      out[u] = m;
      continue;
    }
    const old = listsAt - m - 1;
    const at = moved.get(old)!;
    out[u] = -(at + 1);
    let w = listsAt + at;
    if (table[w] !== 0 || words[old] === 0) continue; // written for an earlier entry (or empty)
    const count = words[old]!;
    table[w] = count;
    w += 4;
    for (let b = 0; b < count; b += 4) {
      for (let j = 0; j < 4; j++) ks[j] = words[old + 1 + Math.min(b + j, count - 1)]!;
      table.set(ks, w);
      w += 4;
      for (let i = 0; i < dim; i++) {
        for (let j = 0; j < 4; j++) table[w++] = (0x03020100 + 0x04040404 * ((words[ks[j]!]! >>> (bits * i)) & mask)) >>> 0;
      }
    }
  }
  return table;
}
