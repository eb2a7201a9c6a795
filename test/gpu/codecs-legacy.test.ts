import { describe, expect, it } from 'vitest';
import { describeChunkedEqualsWhole, expectGoldenDecode, expectGoldenEncode, useHarness } from '../support/gpu-suite';

/**
 * The legacy block kernels (Q4_0 ... Q8_0, Q1_0, Q2_0) on real WebGPU (SwiftShader here), bit
 * for bit against ggml's golden vectors and the CPU twins: decode of random blocks
 * (dequant_only) and of ggml's own quantized rows, encode of all 24 golden input rows.
 */
const s = useHarness();

const TYPES = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q1_0', 'Q2_0'];

describe('div_rn_fast (legacy_io.wgsl), the encoders\' division', () => {
  it('equals IEEE float32 division on 400k random and near-tie inputs', async () => {
    const r = (await s.page.evaluate(() => window.harnessExt.lkDivCompare!(400_000, 77))) as { bad: number; first: string[] };
    expect(r.first).toEqual([]);
    expect(r.bad).toBe(0);
  });
});

describe('legacy decode kernels vs ggml and the CPU twin', () => {
  for (const t of TYPES) {
    for (const source of ['dequant_only', 'quantized'] as const) {
      it(`${t} ${source}: every float identical`, () => expectGoldenDecode(s, t, source));
    }
  }
});

describe('legacy encode kernels vs ggml_quantize_chunk and the CPU twin', () => {
  for (const t of TYPES) {
    it(`${t}: every block of the 24 golden rows identical`, () => expectGoldenEncode(s, t, t === 'Q1_0' ? 128 : t === 'Q2_0' ? 64 : 32));
  }
});

describeChunkedEqualsWhole(
  s,
  'chunked conversion equals whole (odd block counts, padding blocks)',
  [
    ['F32', 'Q4_0', 32 * 1001, 32 * 77],
    ['F32', 'Q8_0', 32 * 999, 32 * 333],
    ['Q5_0', 'Q5_1', 32 * 515, 32 * 129],
    ['Q1_0', 'Q2_0', 128 * 63, 128 * 17],
  ],
  99,
);

describe('legacy kernels vs the CPU twin on varied seeded input', () => {
  // scales 1e-9 .. 1e5, zeros, constants, one-signed blocks, exact half-integer ties, outliers
  for (const t of TYPES) {
    it(`${t}: 8192 blocks encode and decode identically`, async () => {
      const r = await s.page.evaluate((a) => window.harnessExt.lkStress!(a, 8192, 31337), t);
      expect(r).toMatchObject({ encodeBlocksDiffering: 0, decodeFloatsDiffering: 0, first: [] });
    });
  }
});
