import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * The grid-search encoders report ggml's abort conditions through their abort word: input the
 * CPU twin refuses (NaN: a group scale not >= 0; magnitudes near 3e19: no grid neighbour with a
 * finite error, all positive ones a NaN scale, or IQ2_XXS levels off the grid) is refused by the
 * GPU too, naming the block, and input the twin encodes (clean input always; for IQ1_S / IQ1_M a
 * NaN, which leaves every split's sums NaN and the group empty; IQ1_S's mixed-sign 3e19, whose
 * infinite weights do the same; IQ2_XXS's NaN, which makes its super-block's weights NaN so ggml
 * skips each group) gives the twin's bytes. With importance weights for the weighted kernels
 * (IQ2_XXS, IQ2_XS and IQ1_S have no other).
 */
const s = useHarness();

const KERNELS: [string, boolean][] = [
  ['IQ2_S', false],
  ['IQ3_XXS', false],
  ['IQ3_S', false],
  ['IQ1_M', false],
  ['IQ2_S', true],
  ['IQ1_S', true],
  ['IQ1_M', true],
  ['IQ2_XXS', true],
  ['IQ2_XS', true],
];

describe('grid-search encoders: abort word', () => {
  for (const [t, weighted] of KERNELS) {
    for (const spoil of ['nan', 'huge', 'huge+', 'none'] as const) {
      it(`${t}${weighted ? ' with importance weights' : ''}, ${spoil}: the GPU refuses what the CPU twin refuses`, async () => {
        const r = (await s.page.evaluate((a, b, c) => window.harnessExt.abortProbe!(a, b, c), t, spoil, weighted)) as { cpu: string; gpu: string };
        if (spoil === 'none') expect(r.cpu).toBe('bytes');
        if (spoil === 'huge+') expect(r.cpu).toMatch(/aborts/);
        if (r.cpu === 'bytes') {
          expect(r.gpu).toBe('bytes');
        } else {
          expect(r.cpu).toMatch(/aborts/);
          expect(r.gpu).toMatch(new RegExp(`^${t}: ggml's quantizer aborts on this block \\(.*block 2 of the chunk\\)`));
        }
      });
    }
  }
});
