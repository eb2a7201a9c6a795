import type { Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from './browser';

/**
 * What the GPU kernel tests (test/gpu/*.test.ts) share: one harness page per test file, and the
 * checks every codec family makes against ggml's golden vectors and the CPU twin.
 */

/** The harness page, opened before this file's tests and closed after them. */
export interface HarnessPage {
  readonly page: Page;
}

/** Call at the top level of a test file; `.page` is usable inside its tests. */
export function useHarness(): HarnessPage {
  let s: BrowserSession | undefined;
  beforeAll(async () => {
    s = await openHarness(inject('baseUrl'));
  });
  afterAll(async () => {
    await s?.close();
  });
  return {
    get page(): Page {
      if (!s) throw new Error('harness page not open (did beforeAll fail?)');
      return s.page;
    },
  };
}

/** ggml's golden blocks (random ones, or ggml's own quantized rows) decode to ggml's floats and the twin's. */
export async function expectGoldenDecode(h: HarnessPage, type: string, source: 'dequant_only' | 'quantized'): Promise<void> {
  const r = await h.page.evaluate((t, src) => window.harness.decodeGolden(t, src), type, source);
  expect(r.vsGgml.total).toBeGreaterThanOrEqual(8192);
  expect(r.vsGgml.first).toEqual([]);
  expect(r.vsGgml.mismatches).toBe(0);
  expect(r.vsTwin?.mismatches).toBe(0);
}

/** ggml's 24 golden input rows encode to ggml_quantize_chunk's blocks and the twin's. */
export async function expectGoldenEncode(h: HarnessPage, type: string, blockSize: number): Promise<void> {
  const r = await h.page.evaluate((t) => window.harness.encodeGolden(t), type);
  expect(r.vsGgml.total).toBe((24 * 4096) / blockSize);
  expect(r.vsGgml.first).toEqual([]);
  expect(r.vsGgml.mismatches).toBe(0);
  expect(r.vsTwin?.mismatches).toBe(0);
}

/** [from, to, elements, chunk elements] */
export type ChunkCase = [string, string, number, number];

/** A describe block: each conversion run in chunks gives the bytes of the same conversion run whole. */
export function describeChunkedEqualsWhole(h: HarnessPage, title: string, cases: ChunkCase[], seed: number): void {
  describe(title, () => {
    for (const [from, to, n, chunk] of cases) {
      it(`${from} -> ${to}, ${n} elements in chunks of ${chunk}`, async () => {
        const r = await h.page.evaluate((a, b, c, d, e) => window.harness.chunkedEqualsWhole(a, b, c, d, e), from, to, n, chunk, seed);
        expect(r.joinedBytes).toBe(r.bytes);
        expect(r.diff).toBe(0);
      });
    }
  });
}
