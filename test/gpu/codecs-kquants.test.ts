import { describe, expect, it } from 'vitest';
import { describeChunkedEqualsWhole, expectGoldenDecode, expectGoldenEncode, useHarness } from '../support/gpu-suite';

/**
 * The K-quant kernels on real WebGPU (SwiftShader here), bit for bit against ggml's golden
 * vectors and the CPU twins: decode of random super-blocks (dequant_only) and of ggml's own
 * quantized rows, encode of all 24 golden input rows (zeros, constants, tiny and huge values,
 * outliers and the edge-pattern rows included).
 */
const s = useHarness();

const TYPES = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];

describe('K-quant decode kernels vs ggml and the CPU twin', () => {
  for (const t of TYPES) {
    for (const source of ['dequant_only', 'quantized'] as const) {
      it(`${t} ${source}: every float identical`, () => expectGoldenDecode(s, t, source));
    }
  }
});

describe('Q8_K decode kernel vs the CPU twin (no golden vectors: ggml has no to_float for it)', () => {
  it('1001 random super-blocks, every float identical', async () => {
    const r = await s.page.evaluate(() => window.harnessExt.lkDecodeQ8K!(1001, 8));
    expect(r).toEqual({ floats: 1001 * 256, differing: 0 });
  });
});

describe('K-quant encode kernels vs ggml_quantize_chunk and the CPU twin', () => {
  for (const t of TYPES) {
    it(`${t}: every super-block of the 24 golden rows identical`, () => expectGoldenEncode(s, t, 256));
  }
});

describeChunkedEqualsWhole(
  s,
  'chunked conversion equals whole (odd block counts, padding blocks)',
  [
    ['F32', 'Q3_K', 256 * 37, 256 * 11],
    ['F32', 'Q6_K', 256 * 41, 256 * 13],
    ['Q4_K', 'Q5_K', 256 * 29, 256 * 7],
    ['Q2_K', 'Q4_0', 256 * 9, 256 * 3],
  ],
  5,
);

describe('K-quant kernels vs the CPU twin on varied seeded input', () => {
  // scales 1e-9 .. 1e5 per run of 32, zeros, constants, one-signed groups, exact ties, outliers
  for (const t of TYPES) {
    it(`${t}: 512 super-blocks encode and decode identically`, async () => {
      const r = await s.page.evaluate((a) => window.harnessExt.lkStress!(a, 512, 4242), t);
      expect(r).toMatchObject({ encodeBlocksDiffering: 0, decodeFloatsDiffering: 0, first: [] });
    });
  }
});
