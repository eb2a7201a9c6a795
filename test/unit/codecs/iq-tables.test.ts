import { describe, expect, it } from 'vitest';
import { IQ1S_GRID } from '../../../src/codecs/iq-grid-1bit';
import { IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID } from '../../../src/codecs/iq-grid-2bit';
import { gridBytes32, gridBytes64, IQ3S_GRID, IQ3XXS_GRID, KSIGNS_IQ2XS, KVALUES_FP4, KVALUES_IQ4NL } from '../../../src/codecs/iq-tables';
import { iq1Grid, iq2sGrid, iq3sGrid, iq3xxsGrid, neighbours, type SearchGrid } from '../../../src/codecs/iq-search';

/**
 * The IQ tables against ggml's. Every expected checksum below was computed outside Kiln from
 * ggml's sources at llama.cpp 34af94cd: FNV-1a (32-bit) over the tables of ggml-common.h as
 * little-endian bytes, over the kgrid_* arrays of ggml-quants.c (u16 little-endian), and over the
 * neighbour lists that iq2xs_init_impl / iq3xs_init_impl build (a numpy replica of their qsort
 * by (distance, index) and the nwant-distinct-distances cut).
 */
function fnv(bytes: ArrayLike<number>, h = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193) >>> 0;
  return h;
}

function u16le(vals: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(vals.length * 2);
  for (let i = 0; i < vals.length; i++) {
    out[2 * i] = vals[i]! & 0xff;
    out[2 * i + 1] = vals[i]! >>> 8;
  }
  return out;
}

describe('IQ decode tables equal ggml-common.h', () => {
  it.each([
    ['iq2xxs_grid', () => gridBytes64(IQ2XXS_GRID), 256 * 8, 0x3db4a16e],
    ['iq2xs_grid', () => gridBytes64(IQ2XS_GRID), 512 * 8, 0xebeb17dd],
    ['iq2s_grid', () => gridBytes64(IQ2S_GRID), 1024 * 8, 0x82981110],
    ['iq1s_grid', () => gridBytes64(IQ1S_GRID), 2048 * 8, 0x2fe8cbce],
    ['iq3xxs_grid', () => gridBytes32(IQ3XXS_GRID), 256 * 4, 0x49a45035],
    ['iq3s_grid', () => gridBytes32(IQ3S_GRID), 512 * 4, 0x71cc6c89],
    ['ksigns_iq2xs', () => KSIGNS_IQ2XS, 128, 0xaba69a45],
  ] as const)('%s', (_name, bytes, len, want) => {
    const b = bytes();
    expect(b.length).toBe(len);
    expect(fnv(b).toString(16)).toBe(want.toString(16));
  });

  it('kvalues_iq4nl and kvalues_fp4', () => {
    expect(Array.from(KVALUES_IQ4NL)).toEqual([-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]);
    expect(Array.from(KVALUES_FP4)).toEqual([0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12]);
  });

  it('spot values read the way ggml lays them out in memory', () => {
    // iq2s_grid[1] = 0x080808080808082b: byte 0 (the first element) is 0x2b
    expect(Array.from(gridBytes64(IQ2S_GRID).subarray(8, 16))).toEqual([0x2b, 8, 8, 8, 8, 8, 8, 8]);
    // iq1s_grid[1] = 0xffffffffffffff01: first element +1, the rest -1
    expect(Array.from(new Int8Array(gridBytes64(IQ1S_GRID).buffer, 8, 8))).toEqual([1, -1, -1, -1, -1, -1, -1, -1]);
  });
});

describe('quantizer grids equal the kgrid_* tables of ggml-quants.c', () => {
  it.each([
    ['IQ2_S (kgrid_2bit_1024)', iq2sGrid, 0xa1eb5434],
    ['IQ1_M (kgrid_1bit_2048)', iq1Grid, 0xfd6cbae4],
    ['IQ3_XXS (kgrid_256)', iq3xxsGrid, 0x4818d567],
    ['IQ3_S (kgrid_512)', iq3sGrid, 0xf6248ac2],
  ] as const)('%s', (_name, grid, want) => {
    const g = grid();
    expect(fnv(u16le(g.codes)).toString(16)).toBe(want.toString(16));
    // the map sends every point's code to its index, and nothing else onto the grid
    let onGrid = 0;
    for (let u = 0; u < g.map.length; u++) {
      const k = g.map[u]!;
      if (k >= 0) {
        onGrid++;
        expect(g.codes[k]).toBe(u);
      }
    }
    expect(onGrid).toBe(g.size);
  });
});

/** Hash of every neighbour list of the vectors the quantizer can ask about (levels 0..nlev-1). */
function neighbourHash(g: SearchGrid, nlev: number): { count: number; entries: number; hash: number } {
  let h = 0x811c9dc5;
  let count = 0;
  let entries = 0;
  const lv = new Int32Array(g.dim);
  const total = nlev ** g.dim;
  for (let n = 0; n < total; n++) {
    // the numpy replica walks itertools.product order: the first element varies slowest
    let r = n;
    for (let i = g.dim - 1; i >= 0; i--) {
      lv[i] = r % nlev;
      r = Math.floor(r / nlev);
    }
    let u = 0;
    for (let i = 0; i < g.dim; i++) u |= lv[i]! << (g.bits * i);
    if (g.map[u]! >= 0) continue;
    const list = neighbours(g, u);
    h = fnv(u16le([u, list.length]), h);
    h = fnv(u16le(list), h);
    count++;
    entries += list.length;
  }
  return { count, entries, hash: h };
}

describe('neighbour lists equal what iq2xs_init_impl / iq3xs_init_impl build', () => {
  it.each([
    ['IQ2_S (nwant 1)', iq2sGrid, 3, 5537, 44716, 0x1de238bf],
    ['IQ1_M (nwant 3)', iq1Grid, 3, 4513, 327721, 0xe306bade],
    ['IQ3_XXS (nwant 2)', iq3xxsGrid, 8, 3840, 18985, 0x763fc4d3],
    ['IQ3_S (nwant 3)', iq3sGrid, 8, 3584, 24733, 0x70c09235],
  ] as const)('%s', (_name, grid, nlev, count, entries, hash) => {
    const got = neighbourHash(grid(), nlev);
    expect({ count: got.count, entries: got.entries, hash: got.hash.toString(16) }).toEqual({ count, entries, hash: hash.toString(16) });
  });
});
