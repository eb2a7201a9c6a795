import { describe, expect, it } from 'vitest';
import { SEARCH_TABLES } from '../../../src/codecs/iq-search-table';
import { iq1Grid, iq1sGrid, iq2sGrid, iq2xsGrid, iq2xxsGrid, iq3sGrid, iq3xxsGrid, neighbours, type SearchGrid } from '../../../src/codecs/iq-search';

/**
 * The flat search tables (GPU storage buffers, wasm memory) hold the same grid codes, map and
 * neighbour lists as the TypeScript twins' lazily built grids (iq-search.ts), for every code
 * an encoder can produce.
 */
const GRIDS: Record<keyof typeof SEARCH_TABLES, [SearchGrid, number, number]> = {
  IQ2_XXS: [iq2xxsGrid(), 43692, 2],
  IQ2_XS: [iq2xsGrid(), 43692, 2],
  IQ2_S: [iq2sGrid(), 43692, 2],
  IQ1_S: [iq1sGrid(), 43692, 2],
  IQ1_M: [iq1Grid(), 43692, 2],
  IQ3_XXS: [iq3xxsGrid(), 4096, 7],
  IQ3_S: [iq3sGrid(), 4096, 7],
};

describe('search tables', () => {
  for (const [type, [g, mapSize, maxLevel]] of Object.entries(GRIDS)) {
    it(`${type}: codes, map and neighbour lists equal the twin's`, () => {
      const t = SEARCH_TABLES[type as keyof typeof SEARCH_TABLES]();
      expect(Array.from(t.subarray(0, g.size))).toEqual(Array.from(g.codes));
      const map = new Int32Array(t.buffer, g.size * 4, mapSize);
      const lists = t.subarray(g.size + mapSize);
      const mask = (1 << g.bits) - 1;
      let checked = 0;
      for (let u = 0; u < mapSize; u++) {
        let reachable = true;
        for (let i = 0; i < g.dim; i++) if (((u >> (g.bits * i)) & mask) > maxLevel) reachable = false;
        if (!reachable) continue;
        if (g.map[u]! >= 0) {
          expect(map[u]).toBe(g.map[u]);
          continue;
        }
        const m = map[u]!;
        expect(m, `code ${u} is off the grid`).toBeLessThan(0);
        const at = -m - 1;
        const got = lists.subarray(at + 1, at + 1 + lists[at]!);
        const want = neighbours(g, u);
        if (got.length !== want.length || got.some((v, i) => v !== want[i])) expect(Array.from(got), `list of ${u}`).toEqual(Array.from(want));
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
