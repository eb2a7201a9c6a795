import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';

/**
 * Every IQ / low-bit GPU encoder against its CPU twin (which follows ggml's C float semantics) on
 * seeded random blocks far from the golden rows: each block has its own distribution and a scale
 * drawn from a range of powers of two, down to where ggml's sums are float32 subnormals (which
 * SwiftShader, like many GPUs, flushes to zero in plain arithmetic) and inputs that are themselves
 * subnormal; up to where the sums overflow; and with NaN / Inf inputs. ggml aborts the grid-search
 * types (IQ2_S, IQ3_*, IQ1_M) on overflow, NaN and Inf, so those ranges leave them out.
 * Decoders: random bytes, so every scale pattern (NaN, Inf, subnormal) occurs.
 */
const s = useHarness();

const ALL = ['TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4', 'IQ4_NL', 'IQ4_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_M'];
const NO_ABORT = ['TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4', 'IQ4_NL', 'IQ4_XS'];

const cases: [string, string[], number, number, number][] = [
  ['scales 2^-24 .. 2^24', ALL, -24, 24, 0],
  ['tiny scales 2^-64 .. 2^-30 (subnormal sums)', ALL, -64, -30, 0],
  ['subnormal inputs 2^-140 .. 2^-120', ALL, -140, -120, 0],
  ['huge scales 2^30 .. 2^60 (overflowing sums)', NO_ABORT, 30, 60, 0],
  ['1% NaN and +-Inf', NO_ABORT, -8, 8, 0.01],
];

for (const [name, types, lo, hi, special] of cases) {
  describe(name, () => {
    for (const type of types) {
      it(`${type} equals the CPU twin`, async () => {
        const r = (await s.page.evaluate((t, a, b, c) => window.harnessExt.encodeRandomVsTwin!(t, 48, 1000 + a, a, b, c), type, lo, hi, special)) as {
          diff: number;
          first: string[];
        };
        expect(r.first).toEqual([]);
        expect(r.diff).toBe(0);
      });
    }
  });
}

describe('decoders on random bytes (NaN / Inf / subnormal scales)', () => {
  for (const type of ['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M', 'IQ4_NL', 'IQ4_XS', 'TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4']) {
    it(`${type} equals the CPU twin`, async () => {
      const r = (await s.page.evaluate((t) => window.harnessExt.decodeRandomVsTwin!(t, 512, 4242), type)) as { n: number; diff: number; first: string[] };
      expect(r.n).toBeGreaterThanOrEqual(512 * 32);
      expect(r.first).toEqual([]);
      expect(r.diff).toBe(0);
    });
  }
});
