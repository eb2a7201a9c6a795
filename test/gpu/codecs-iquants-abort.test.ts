import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * The grid-search encoders report ggml's abort conditions through their abort word: input the
 * CPU twin refuses (NaN: a group scale not >= 0; magnitudes near 3e19: no grid neighbour with a
 * finite error) is refused by the GPU too, naming the block, and clean input still gives the
 * twin's bytes.
 */
const s = useHarness();

describe('grid-search encoders: abort word', () => {
  for (const t of ['IQ2_S', 'IQ3_XXS', 'IQ3_S']) {
    for (const spoil of ['nan', 'huge', 'none'] as const) {
      it(`${t}, ${spoil}: the GPU refuses what the CPU twin refuses`, async () => {
        const r = (await s.page.evaluate((a, b) => window.harnessExt.abortProbe!(a, b), t, spoil)) as { cpu: string; gpu: string };
        if (r.cpu === 'bytes') {
          expect(spoil).toBe('none');
          expect(r.gpu).toBe('bytes');
        } else {
          expect(r.cpu).toMatch(/aborts/);
          expect(r.gpu).toMatch(new RegExp(`^${t}: ggml's quantizer aborts on this block \\(.*block 2 of the chunk\\)`));
        }
      });
    }
  }
});
