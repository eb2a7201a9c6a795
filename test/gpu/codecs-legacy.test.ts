import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../support/browser';

/**
 * The legacy block kernels (Q4_0 ... Q8_0, Q1_0, Q2_0) on real WebGPU (SwiftShader here), bit
 * for bit against ggml's golden vectors and the CPU twins: decode of random blocks
 * (dequant_only) and of ggml's own quantized rows, encode of all 24 golden input rows.
 */
let s: BrowserSession;
beforeAll(async () => {
  s = await openHarness(inject('baseUrl'));
});
afterAll(async () => {
  await s?.close();
});

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
      it(`${t} ${source}: every float identical`, async () => {
        const r = await s.page.evaluate((a, b) => window.harness.decodeGolden(a, b), t, source);
        expect(r.vsGgml.total).toBeGreaterThanOrEqual(8192);
        expect(r.vsGgml.first).toEqual([]);
        expect(r.vsGgml.mismatches).toBe(0);
        expect(r.vsTwin?.mismatches).toBe(0);
      });
    }
  }
});

describe('legacy encode kernels vs ggml_quantize_chunk and the CPU twin', () => {
  for (const t of TYPES) {
    it(`${t}: every block of the 24 golden rows identical`, async () => {
      const r = await s.page.evaluate((a) => window.harness.encodeGolden(a), t);
      expect(r.vsGgml.total).toBe((24 * 4096) / (t === 'Q1_0' ? 128 : t === 'Q2_0' ? 64 : 32));
      expect(r.vsGgml.first).toEqual([]);
      expect(r.vsGgml.mismatches).toBe(0);
      expect(r.vsTwin?.mismatches).toBe(0);
    });
  }
});

describe('chunked conversion equals whole (odd block counts, padding blocks)', () => {
  const cases: [string, string, number, number][] = [
    ['F32', 'Q4_0', 32 * 1001, 32 * 77],
    ['F32', 'Q8_0', 32 * 999, 32 * 333],
    ['Q5_0', 'Q5_1', 32 * 515, 32 * 129],
    ['Q1_0', 'Q2_0', 128 * 63, 128 * 17],
  ];
  for (const [from, to, n, chunk] of cases) {
    it(`${from} -> ${to}, ${n} elements in chunks of ${chunk}`, async () => {
      const r = await s.page.evaluate((a, b, c, d) => window.harness.chunkedEqualsWhole(a, b, c, d, 99), from, to, n, chunk);
      expect(r.joinedBytes).toBe(r.bytes);
      expect(r.diff).toBe(0);
    });
  }
});

describe('legacy kernels vs the CPU twin on varied seeded input', () => {
  // scales 1e-9 .. 1e5, zeros, constants, one-signed blocks, exact half-integer ties, outliers
  for (const t of TYPES) {
    it(`${t}: 8192 blocks encode and decode identically`, async () => {
      const r = await s.page.evaluate((a) => window.harnessExt.lkStress!(a, 8192, 31337), t);
      expect(r).toMatchObject({ encodeBlocksDiffering: 0, decodeFloatsDiffering: 0, first: [] });
    });
  }
});
