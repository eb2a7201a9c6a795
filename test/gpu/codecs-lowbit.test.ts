import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../support/browser';

/**
 * TQ1_0, TQ2_0, MXFP4 and NVFP4 kernels on real WebGPU (SwiftShader here) against ggml's golden
 * vectors (decode: dequant_only blocks and ggml's quantized rows; encode: all 24 input rows) and
 * against the CPU twins, bit for bit.
 */
let s: BrowserSession;
beforeAll(async () => {
  s = await openHarness(inject('baseUrl'));
});
afterAll(async () => {
  await s?.close();
});

const TYPES = ['TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4'];

describe.each(TYPES)('%s', (type) => {
  for (const source of ['dequant_only', 'quantized'] as const) {
    it(`decodes ggml's ${source} blocks exactly`, async () => {
      const r = await s.page.evaluate((t, src) => window.harness.decodeGolden(t, src), type, source);
      expect(r.vsGgml.total).toBeGreaterThanOrEqual(8192);
      expect(r.vsGgml.first).toEqual([]);
      expect(r.vsGgml.mismatches).toBe(0);
      expect(r.vsTwin?.mismatches).toBe(0);
    });
  }
  it('encodes the 24 golden rows exactly as ggml_quantize_chunk', async () => {
    const r = await s.page.evaluate((t) => window.harness.encodeGolden(t), type);
    expect(r.vsGgml.total).toBe((24 * 4096) / { TQ1_0: 256, TQ2_0: 256, MXFP4: 32, NVFP4: 64 }[type]!);
    expect(r.vsGgml.first).toEqual([]);
    expect(r.vsGgml.mismatches).toBe(0);
    expect(r.vsTwin?.mismatches).toBe(0);
  });
});

describe('chunked conversion equals whole', () => {
  const cases: [string, string, number, number][] = [
    ['F32', 'TQ1_0', 256 * 37, 256 * 5],
    ['TQ2_0', 'MXFP4', 256 * 21, 256 * 3],
    ['F32', 'MXFP4', 32 * 1001, 32 * 77],
    ['NVFP4', 'TQ1_0', 256 * 13, 256 * 7],
  ];
  for (const [from, to, n, chunk] of cases) {
    it(`${from} -> ${to}, ${n} elements in chunks of ${chunk}`, async () => {
      const r = await s.page.evaluate((a, b, c, d) => window.harness.chunkedEqualsWhole(a, b, c, d, 11), from, to, n, chunk);
      expect(r.joinedBytes).toBe(r.bytes);
      expect(r.diff).toBe(0);
    });
  }
});
