import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../support/browser';

/**
 * Throughput of the legacy and K-quant kernels against their CPU twins in the same page, in MB/s
 * of f32 (upload + kernel + readback for the GPU). Slow on SwiftShader, so it runs only when asked:
 *   KILN_THROUGHPUT=1 npx vitest run test/gpu/codecs-kquants-throughput.test.ts
 * Each measurement also checks that the GPU's output equals the twin's.
 */
let s: BrowserSession;
beforeAll(async () => {
  if (process.env.KILN_THROUGHPUT) s = await openHarness(inject('baseUrl'));
});
afterAll(async () => {
  await s?.close();
});

interface Row {
  type: string;
  dir: string;
  elements: number;
  gpuMBs: number;
  cpuElements: number;
  cpuMBs: number;
  same: boolean;
}

const MI = 1 << 20;
const LEGACY = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q1_0', 'Q2_0'];
const KQUANTS = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];

describe.skipIf(!process.env.KILN_THROUGHPUT)('GPU kernels vs CPU twins: MB/s of f32', () => {
  it('decode 16 Mi floats, encode 4 Mi (legacy) / 1 Mi (K-quants)', async () => {
    const plan: [string, 'decode' | 'encode', number, number][] = [
      ...[...LEGACY, ...KQUANTS].map((t) => [t, 'decode', 16 * MI, 16 * MI] as [string, 'decode', number, number]),
      ...LEGACY.map((t) => [t, 'encode', 4 * MI, 4 * MI] as [string, 'encode', number, number]),
      ...KQUANTS.map((t) => [t, 'encode', MI, MI] as [string, 'encode', number, number]),
    ];
    const rows: Row[] = [];
    for (const [t, dir, n, cn] of plan) {
      rows.push((await s.page.evaluate((a, b, c, d) => window.harnessExt.lkThroughput!(a, b, c, d), t, dir, n, cn)) as Row);
    }
    const adapter = await s.page.evaluate(() => window.harness.gpuInfo());
    console.log(
      [`adapter: ${adapter.adapter}`, '| type | dir | elements | GPU MB/s | CPU twin MB/s |', '|---|---|---|---|---|']
        .concat(rows.map((r) => `| ${r.type} | ${r.dir} | ${r.elements} | ${r.gpuMBs} | ${r.cpuMBs} |`))
        .join('\n'),
    );
    for (const r of rows) expect(r.same, `${r.type} ${r.dir}: GPU output differs from the twin`).toBe(true);
  }, 900_000);
});
