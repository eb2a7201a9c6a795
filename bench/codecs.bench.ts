import { afterAll, beforeAll, inject, it } from 'vitest';
import { openHarness, type BrowserSession } from '../test/support/browser';
import { TYPE_NAMES, TYPES } from '../src/codecs/catalogue';
import { GPU_KERNELS } from '../src/gpu/kernels';
import { CPU_CODECS } from '../src/codecs/registry';
import { report } from './support/report';

/**
 * Issue 4's measurement: every type's GPU decode and encode throughput (upload + kernel + readback,
 * MB/s of f32) in headless Chromium next to its CPU twin in the same page, and their ratio. Each
 * row also checks the GPU's output equals the twin's. Sizes: KILN_BENCH_ELEMENTS (default 4 Mi)
 * for decoders and light encoders, a quarter of that for the searching encoders (K, IQ, TQ).
 */
const MI = 1 << 20;
const N = Number(process.env.KILN_BENCH_ELEMENTS ?? 4 * MI);
let s: BrowserSession;

beforeAll(async () => {
  s = await openHarness(inject('baseUrl'));
});
afterAll(async () => {
  await s?.close();
});

interface Probe {
  gpuMBs: number;
  cpuMBs: number;
  same: boolean;
}

const heavy = (t: string) => /_K$|^IQ|^TQ|^NVFP4|^MXFP4/.test(t);

it('per-type GPU vs CPU twin throughput', async () => {
  const rows: Record<string, string | number>[] = [];
  const types = TYPE_NAMES.filter((t) => TYPES[t].family === 'quant' || t === 'F16' || t === 'BF16');
  for (const type of types) {
    const k = GPU_KERNELS[type];
    const c = CPU_CODECS[type];
    if (!c.decode || !c.encode) continue; // the probe needs both twins (it encodes its own test data)
    const row: Record<string, string | number> = { type };
    for (const dir of ['decode', 'encode'] as const) {
      const kernel = k[dir];
      if (kernel === null || kernel === 'identity') {
        Object.assign(row, { [`${dir} GPU MB/s`]: '—', [`${dir} CPU MB/s`]: '—', [`${dir} GPU/CPU`]: '—' });
        continue;
      }
      const n = dir === 'encode' && heavy(type) ? N / 4 : N;
      const r = (await s.page.evaluate((t, d, a, b) => window.harnessExt.lkThroughput!(t, d, a, b), type, dir, n, n)) as Probe;
      Object.assign(row, {
        [`${dir} GPU MB/s`]: r.gpuMBs,
        [`${dir} CPU MB/s`]: r.cpuMBs,
        [`${dir} GPU/CPU`]: (r.gpuMBs / r.cpuMBs).toFixed(2) + (r.same ? '' : ' (outputs differ!)'),
      });
    }
    rows.push(row);
  }
  const adapter = (await s.page.evaluate(() => window.harness.gpuInfo())).adapter;
  report('codecs', `GPU kernels vs CPU twins in headless Chromium (${adapter}), MB/s of f32, best of 3`, rows);
});
