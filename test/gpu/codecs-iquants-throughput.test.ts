import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../support/browser';

/**
 * Opt-in (KILN_THROUGHPUT=1): MB/s of f32 through the IQ and low-bit GPU kernels (upload, kernel,
 * readback, as ChunkTransformer.run does) and through the CPU twins, timed in the same page.
 * Prints one table row per type and direction. Sizes: KILN_TP_MI (Mi floats, default 16) for
 * decoders and the light encoders, a sixteenth of it for the grid-search encoders.
 */
const ON = process.env.KILN_THROUGHPUT === '1';
const MI = Number(process.env.KILN_TP_MI ?? 16) * 2 ** 20;

let s: BrowserSession;
beforeAll(async () => {
  if (ON) s = await openHarness(inject('baseUrl'));
});
afterAll(async () => {
  await s?.close();
});

const DECODE = ['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M', 'IQ4_NL', 'IQ4_XS', 'TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4'];
const ENCODE_LIGHT = ['IQ4_NL', 'IQ4_XS', 'TQ1_0', 'TQ2_0', 'MXFP4', 'NVFP4'];
const ENCODE_SEARCH = ['IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_M'];

interface Tp {
  type: string;
  dir: string;
  elements: number;
  gpuMBs: number;
  cpuElements: number;
  cpuMBs: number;
}

describe.runIf(ON)('throughput (MB/s of f32)', () => {
  const cases: [string, 'decode' | 'encode', number][] = [
    ...DECODE.map((t) => [t, 'decode', MI] as [string, 'decode', number]),
    ...ENCODE_LIGHT.map((t) => [t, 'encode', MI] as [string, 'encode', number]),
    ...ENCODE_SEARCH.map((t) => [t, 'encode', MI / 16] as [string, 'encode', number]),
  ];
  for (const [type, dir, n] of cases) {
    it(`${type} ${dir}`, async () => {
      const r = (await s.page.evaluate((t, d, e) => window.harnessExt.throughput!(t, d, e, e), type, dir, n)) as Tp;
      console.log(`| ${r.type} | ${r.dir} | ${(r.elements / 2 ** 20).toFixed(2)} Mi | ${r.gpuMBs.toFixed(1)} | ${r.cpuMBs.toFixed(1)} |`);
      expect(r.gpuMBs).toBeGreaterThan(0);
    }, 600_000);
  }
});
