import { describe, expect, it } from 'vitest';
import { iq1Grid, iq2sGrid, iq2xsGrid, iq2xxsGrid, neighbours, type SearchGrid } from '../../../src/codecs/iq-search';
import { IQ1M_SEARCH, IQ2S_SEARCH, IQ2XS_SEARCH, IQ2XXS_SEARCH } from '../../../src/gpu/kernels-iquants';
import type { GpuTable } from '../../../src/gpu/kernel';

/**
 * The GPU encoders' search tables for the 8-element grids (codes, map, neighbour lists, as
 * buildSearchTable lays them out for the shaders) hold what the CPU twins search: the same level
 * code per grid point, the same grid index for every on-grid code, and for every off-grid code
 * the encoders can produce (levels 0..2) the twin's neighbour list, in the same order.
 */
const MAP_SIZE = 43692;

function check(table: GpuTable, g: SearchGrid): { offGrid: number } {
  const t = table.build();
  const map = new Int32Array(t.buffer, t.byteOffset + 4 * g.size, MAP_SIZE);
  const lists = t.subarray(g.size + MAP_SIZE);
  expect(Array.from(t.subarray(0, g.size))).toEqual(Array.from(g.codes));
  let offGrid = 0;
  for (let u = 0; u < MAP_SIZE; u++) {
    if (((u >> 1) & u & 0x5555) !== 0) continue; // a level of 3: no encoder makes it
    if (g.map[u]! >= 0) {
      expect(map[u], `code ${u}`).toBe(g.map[u]);
      continue;
    }
    offGrid++;
    expect(map[u]!, `code ${u}`).toBeLessThan(0);
    const at = -map[u]! - 1;
    const n = lists[at]!;
    const want = neighbours(g, u);
    if (n !== want.length || want.some((v, j) => lists[at + 1 + j] !== v)) {
      expect(Array.from(lists.subarray(at + 1, at + 1 + n)), `neighbours of code ${u}`).toEqual(Array.from(want));
    }
  }
  return { offGrid };
}

describe('IQ search tables equal the CPU twins\' grids and neighbour lists', () => {
  for (const [name, table, grid] of [
    ['IQ2_XXS', IQ2XXS_SEARCH, iq2xxsGrid],
    ['IQ2_XS', IQ2XS_SEARCH, iq2xsGrid],
    ['IQ2_S', IQ2S_SEARCH, iq2sGrid],
    ['IQ1_M', IQ1M_SEARCH, iq1Grid],
  ] as const) {
    it(`${name}: every code with levels 0..2`, () => {
      const g = grid();
      const { offGrid } = check(table, g);
      expect(offGrid).toBe(3 ** 8 - g.size);
    });
  }
});
