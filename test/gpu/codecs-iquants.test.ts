import { describe, expect, it } from 'vitest';
import { expectGoldenDecode, expectGoldenEncode, useHarness } from '../support/gpu-suite';

/**
 * IQ kernels on real WebGPU (SwiftShader here) against ggml's golden vectors and the CPU twins,
 * bit for bit. Decode: ggml's dequant_only blocks (every type) and ggml's quantized rows (the
 * types ggml quantizes without an importance matrix); encode (IQ4_NL, IQ4_XS here; the grid
 * searches in codecs-iquants-search.test.ts): all 24 golden input rows.
 */
const s = useHarness();

const DECODE = ['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M', 'IQ4_NL', 'IQ4_XS'];
/** ggml_quantize_chunk refuses IQ2_XXS, IQ2_XS and IQ1_S without an imatrix: no quantized rows. */
const QUANTIZED = ['IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_M', 'IQ4_NL', 'IQ4_XS'];

describe.each(DECODE)('%s decode', (type) => {
  const sources = QUANTIZED.includes(type) ? (['dequant_only', 'quantized'] as const) : (['dequant_only'] as const);
  for (const source of sources) {
    it(`decodes ggml's ${source} blocks exactly`, () => expectGoldenDecode(s, type, source));
  }
});

const BLOCK: Record<string, number> = { IQ4_NL: 32, IQ4_XS: 256 };

describe.each(['IQ4_NL', 'IQ4_XS'])('%s encode', (type) => {
  it('encodes the 24 golden rows exactly as ggml_quantize_chunk', () => expectGoldenEncode(s, type, BLOCK[type]!));
});

it('mul_bits, prod_gt and add_exact equal IEEE float32 results down to the subnormals (200k cases)', async () => {
  const r = (await s.page.evaluate(() => window.harnessExt.mulBitsCompare!(200_000, 5))) as { mul: number; gt: number; add: number; first: string[] };
  expect(r.first).toEqual([]);
  expect([r.mul, r.gt, r.add]).toEqual([0, 0, 0]);
});
