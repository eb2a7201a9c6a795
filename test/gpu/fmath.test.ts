import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../support/browser';

/** shaders/fmath.wgsl: correctly rounded division and sqrt, ggml's nearest_int, on real WebGPU. */
let s: BrowserSession;
beforeAll(async () => {
  s = await openHarness(inject('baseUrl'));
});
afterAll(async () => {
  await s?.close();
});

it('div_rn, sqrt_rn and nearest_int equal IEEE float32 results on 200k random inputs', async () => {
  const r = await s.page.evaluate(() => window.harness.fmathCompare(200_000, 99));
  expect(r.first).toEqual([]);
  expect([r.div, r.sqrt, r.nint]).toEqual([0, 0, 0]);
});
