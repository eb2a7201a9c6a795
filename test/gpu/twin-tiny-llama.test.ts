import { expect, it } from 'vitest';
import { useHarness } from '../support/gpu-suite';
import { TYPE_NAMES } from '../../src/codecs/catalogue';
import { GPU_KERNELS } from '../../src/gpu/kernels';
import { CPU_CODECS } from '../../src/codecs/registry';

/**
 * Every GPU encoder equals its CPU twin on the tiny llama's weights. ggml's golden rows are random
 * floats; real bf16-rounded weights make exact rounding ties (roundf vs half-to-even) common.
 */
const s = useHarness();

const types = TYPE_NAMES.filter((t) => {
  const k = GPU_KERNELS[t].encode;
  return k !== null && k !== 'identity' && CPU_CODECS[t].encode !== null;
});

it('has GPU encoders to check', () => {
  expect(types.length).toBeGreaterThan(0);
});

// the grid-search encoders run at a few MB/s on a software adapter: a slice of every tensor
const SLICE: Record<string, number> = { IQ2_S: 16384, IQ3_XXS: 16384, IQ3_S: 16384, IQ1_M: 16384, Q2_K: 32768, Q3_K: 32768, Q4_K: 32768, Q5_K: 32768, Q6_K: 32768 };

for (const type of types) {
  it(`${type}: GPU encoder equals the CPU twin on the tiny llama's weights`, async () => {
    const r = (await s.page.evaluate((t, n) => window.harnessExt.twinOnTinyLlama!(t, n), type, SLICE[type] ?? null)) as { mismatches: number; blocks: number; first: string[] };
    expect(r.first).toEqual([]);
    expect(r.mismatches).toBe(0);
    expect(r.blocks).toBeGreaterThan(SLICE[type] ? 100 : 1000);
  }, 300_000);
}
