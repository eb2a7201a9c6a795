import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * The grid-search encoders report ggml's abort conditions through their abort word: input the
 * CPU twin refuses (NaN: a group scale not >= 0; magnitudes near 3e19: no grid neighbour with a
 * finite error, or IQ2_XXS levels off the grid) is refused by the GPU too, naming the block, and
 * input it encodes still gives the twin's bytes. IQ2_XXS and IQ2_XS run with all-ones weights.
 */
const s = useHarness();

describe('grid-search encoders: abort word', () => {
  for (const t of ['IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ2_XXS', 'IQ2_XS']) {
    for (const spoil of ['nan', 'huge', 'none'] as const) {
      it(`${t}, ${spoil}: the GPU refuses what the CPU twin refuses`, async () => {
        const r = (await s.page.evaluate((a, b) => window.harnessExt.abortProbe!(a, b), t, spoil)) as { cpu: string; gpu: string };
        if (r.cpu === 'bytes') {
          // IQ2_XXS: a NaN makes every weight of its super-block NaN, make_qp_quants returns 0 and
          // ggml skips each group there (a zero block) instead of aborting
          expect(spoil === 'none' || (t === 'IQ2_XXS' && spoil === 'nan')).toBe(true);
          expect(r.gpu).toBe('bytes');
        } else {
          expect(r.cpu).toMatch(/aborts/);
          expect(r.gpu).toMatch(new RegExp(`^${t}: ggml's quantizer aborts on this block \\(.*block 2 of the chunk\\)`));
        }
      });
    }
  }
});
