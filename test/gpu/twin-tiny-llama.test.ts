import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../support/browser';
import { TYPE_NAMES } from '../../src/codecs/catalogue';
import { GPU_KERNELS } from '../../src/gpu/kernels';
import { CPU_CODECS } from '../../src/codecs/registry';

/**
 * Every GPU encoder equals its CPU twin on the tiny llama's weights. ggml's golden rows are random
 * floats; real bf16-rounded weights make exact rounding ties (roundf vs half-to-even) common.
 */
let s: BrowserSession;
beforeAll(async () => {
  s = await openHarness(inject('baseUrl'));
});
afterAll(async () => {
  await s?.close();
});

const types = TYPE_NAMES.filter((t) => {
  const k = GPU_KERNELS[t].encode;
  return k !== null && k !== 'identity' && CPU_CODECS[t].encode !== null;
});

it('has GPU encoders to check', () => {
  expect(types.length).toBeGreaterThan(0);
});

for (const type of types) {
  it(`${type}: GPU encoder equals the CPU twin on every block of the tiny llama`, async () => {
    const r = (await s.page.evaluate((t) => window.harnessExt.twinOnTinyLlama!(t), type)) as { mismatches: number; blocks: number; first: string[] };
    expect(r.first).toEqual([]);
    expect(r.mismatches).toBe(0);
    expect(r.blocks).toBeGreaterThan(1000);
  }, 300_000);
}
