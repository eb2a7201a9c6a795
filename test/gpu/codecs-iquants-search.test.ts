import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../support/browser';

/**
 * The grid-search IQ encoders (IQ2_S, IQ3_XXS, IQ3_S, IQ1_M) on real WebGPU (SwiftShader here)
 * against ggml_quantize_chunk's output for the 24 golden rows (zeros, constants, tiny values whose
 * products are subnormal, huge and log-spread values, edge blocks) and the CPU twins, bit for
 * bit; and chunked conversions of IQ types against whole ones.
 */
let s: BrowserSession;
beforeAll(async () => {
  s = await openHarness(inject('baseUrl'));
});
afterAll(async () => {
  await s?.close();
});

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

describe('chunked conversion equals whole', () => {
  const cases: [string, string, number, number][] = [
    ['F32', 'IQ4_NL', 32 * 1001, 32 * 77],
    ['F32', 'IQ2_S', 256 * 9, 256 * 5],
    ['IQ4_XS', 'IQ3_S', 256 * 7, 256 * 3],
    ['IQ1_M', 'IQ3_XXS', 256 * 5, 256 * 3],
  ];
  for (const [from, to, n, chunk] of cases) {
    it(`${from} -> ${to}, ${n} elements in chunks of ${chunk}`, async () => {
      const r = await s.page.evaluate((a, b, c, d) => window.harness.chunkedEqualsWhole(a, b, c, d, 23), from, to, n, chunk);
      expect(r.joinedBytes).toBe(r.bytes);
      expect(r.diff).toBe(0);
    });
  }
});
