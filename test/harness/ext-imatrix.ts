import { TYPES } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import { rng, toName } from './common';
import { fetchFixture } from './fixtures';
import type { HarnessEnv } from './main';

/**
 * Page-side helpers for the GPU encoders with an importance matrix: ggml_quantize_chunk's golden
 * imatrix rows (6 rows of 4096 with their weights) encoded by the weighted kernel, compared block
 * by block with ggml's bytes and with the CPU twin's.
 */
function badBlocks(got: Uint8Array, want: Uint8Array, ts: number): { bad: number; first: number } {
  let bad = 0;
  let first = -1;
  for (let b = 0; b < want.length / ts; b++) {
    for (let k = 0; k < ts; k++) {
      if (got[b * ts + k] !== want[b * ts + k]) {
        bad++;
        if (first < 0) first = b;
        break;
      }
    }
  }
  return { bad, first };
}

export const harnessExt = {
  /**
   * Four super-blocks of gentle values with block 2 spoilt (`nan`: one NaN; `huge`: magnitudes
   * around 3e19; `huge+`: the same, all positive, whose squares overflow to a NaN scale even in
   * IQ1_S's weighted search): what the GPU encoder and the CPU twin each say (an error message or
   * "bytes").
   * `weighted`: both encode with importance weights (one row of 1024, seeded, 0.25 .. 4).
   */
  async abortProbe(env: HarnessEnv, typeName: string, spoil: 'nan' | 'huge' | 'huge+' | 'none', weighted = false) {
    const type = toName(typeName);
    const { tx } = await env();
    const bits = rng(7);
    const r = () => bits() / 2 ** 32;
    const x = new Float32Array(4 * 256);
    for (let i = 0; i < x.length; i++) x[i] = (r() - 0.5) * 2;
    if (spoil === 'nan') x[2 * 256 + 17] = NaN;
    if (spoil === 'huge') for (let i = 2 * 256; i < 3 * 256; i++) x[i] = (r() < 0.5 ? -3e19 : 3e19) * (0.5 + r());
    if (spoil === 'huge+') for (let i = 2 * 256; i < 3 * 256; i++) x[i] = 3e19 * (0.5 + r());
    let w: Float32Array | undefined;
    if (weighted) {
      w = new Float32Array(x.length);
      for (let i = 0; i < w.length; i++) w[i] = 2 ** (4 * r() - 2);
    }
    const out = new Uint8Array((x.length / TYPES[type].blockSize) * TYPES[type].typeSize);
    let cpu = 'bytes';
    try {
      CPU_CODECS[type].encode!(x, out, w);
    } catch (e) {
      cpu = (e as Error).message;
    }
    let gpu = 'bytes';
    try {
      const got = await tx.run('F32', type, new Uint8Array(x.buffer), x.length, undefined, w);
      if (cpu === 'bytes' && !got.every((v, i) => v === out[i])) gpu = 'bytes differ from the CPU twin';
    } catch (e) {
      gpu = (e as Error).message;
    }
    return { cpu, gpu };
  },

  async imatrixGolden(env: HarnessEnv, typeName: string, file: string) {
    const type = toName(typeName);
    const { tx } = await env();
    const input = await fetchFixture('golden/imatrix/input.f32');
    const weights = new Float32Array((await fetchFixture('golden/imatrix/imatrix.f32')).buffer);
    const want = await fetchFixture(`golden/imatrix/${file}`);
    const x = new Float32Array(input.buffer, input.byteOffset, input.length / 4);
    const got = await tx.run('F32', type, input, x.length, undefined, weights);
    const twin = new Uint8Array(want.length);
    CPU_CODECS[type].encode!(x, twin, weights);
    const ts = TYPES[type].typeSize;
    return { blocks: want.length / ts, vsGgml: badBlocks(got, want, ts), vsTwin: badBlocks(got, twin, ts) };
  },

  /**
   * Random rows (magnitudes 2^minExp..2^maxExp by row, zero and constant groups, outliers) with
   * random weights (some zero, some huge), GPU against the CPU twin. `tinyWeights`: weights
   * 2^-70..2^-30 (some zero), so that with tiny rows the searches' sums are float32 subnormals.
   */
  async imatrixRandomVsTwin(env: HarnessEnv, typeName: string, rows: number, n: number, seed: number, minExp = -20, maxExp = 20, tinyWeights = false) {
    const type = toName(typeName);
    const { tx } = await env();
    const bits = rng(seed);
    const r = () => bits() / 2 ** 32;
    const x = new Float32Array(rows * n);
    for (let row = 0; row < rows; row++) {
      const scale = 2 ** (minExp + Math.floor(r() * (maxExp - minExp + 1)));
      for (let i = 0; i < n; i++) x[row * n + i] = (r() - 0.5) * 2 * scale * (r() < 0.01 ? 30 : 1);
    }
    for (let g = 0; g < x.length; g += 32) {
      const c = r();
      if (c < 0.04) x.fill(0, g, g + 32);
      else if (c < 0.08) x.fill(x[g]!, g, g + 32);
    }
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const c = r();
      w[i] = c < 0.05 ? 0 : tinyWeights ? 2 ** (-30 - 40 * r()) : c < 0.08 ? 1e5 * r() : r() * r() * 4;
    }
    const ts = TYPES[type].typeSize;
    const twin = new Uint8Array((x.length / TYPES[type].blockSize) * ts);
    CPU_CODECS[type].encode!(x, twin, w);
    const got = await tx.run('F32', type, new Uint8Array(x.buffer), x.length, undefined, w);
    const m = badBlocks(got, twin, ts);
    const hex = (u: Uint8Array) => [...u].map((v) => v.toString(16).padStart(2, '0')).join('');
    const at = Math.max(0, m.first);
    return { blocks: twin.length / ts, vsTwin: m, ...(m.bad > 0 ? { got: hex(got.subarray(at * ts, at * ts + ts)), want: hex(twin.subarray(at * ts, at * ts + ts)) } : {}) };
  },
};
