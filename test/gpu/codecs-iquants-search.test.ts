import { describe, expect, it } from 'vitest';
import { describeChunkedEqualsWhole, useHarness } from '../support/gpu-suite';

/**
 * The grid-search IQ encoders (IQ2_S, IQ3_XXS, IQ3_S, IQ1_M) on real WebGPU (SwiftShader here)
 * against ggml_quantize_chunk's output for the 24 golden rows (zeros, constants, tiny values whose
 * products are subnormal, huge and log-spread values, edge blocks) and the CPU twins, bit for
 * bit; and chunked conversions of IQ types against whole ones.
 */
const s = useHarness();

interface RowReport {
  row: number;
  vsGgml: number;
  vsTwin: number | null;
}

describe.each(['IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_M'])('%s encode', (type) => {
  it('encodes every block of the 24 golden rows exactly as ggml_quantize_chunk', async () => {
    const rows = (await s.page.evaluate((t) => window.harnessExt.encodeRows!(t), type)) as RowReport[];
    expect(rows.length).toBe(24);
    expect(rows.filter((r) => r.vsGgml !== 0)).toEqual([]);
    expect(rows.filter((r) => r.vsTwin !== null && r.vsTwin !== 0)).toEqual([]);
  });
});

describeChunkedEqualsWhole(
  s,
  'chunked conversion equals whole',
  [
    ['F32', 'IQ4_NL', 32 * 1001, 32 * 77],
    ['F32', 'IQ2_S', 256 * 9, 256 * 5],
    ['IQ4_XS', 'IQ3_S', 256 * 7, 256 * 3],
    ['IQ1_M', 'IQ3_XXS', 256 * 5, 256 * 3],
  ],
  23,
);
