import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../support/browser';

/**
 * The page froze mid-conversion because a pending Blob stream read was garbage-collected with its
 * stream and reader (nothing but the pending read referred to them), so the awaited promise never
 * settled. Forced collections during reads make that deterministic.
 */
let s: BrowserSession;
beforeAll(async () => {
  s = await openHarness(inject('baseUrl'), ['--js-flags=--expose-gc']);
});
afterAll(async () => {
  await s?.close();
});

it('Blob reads into a recycled buffer settle while the garbage collector runs', async () => {
  const r = await s.page.evaluate(() => window.harnessExt.blobReadsUnderGc!(12, 24));
  expect(r).toEqual({ settled: 12, lost: 0, wrong: 0 });
}, 120_000);
