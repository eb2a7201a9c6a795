import { isTypeName } from '../../src/codecs/catalogue';
import { chunkQualityCpu, finishQuality } from '../../src/codecs/quality';
import { CPU_CODECS } from '../../src/codecs/registry';
import type { HarnessEnv } from './main';
import { rng } from './common';

/**
 * shaders/quality.wgsl against its CPU twin: one chunk converted on the GPU with the error sums
 * measured there, and the twin's float64 sums over the same input bytes and the same output bytes.
 */
export const harnessExt = {
  /** Milliseconds per chunk for run and runMeasured (the measurement's cost on this adapter). */
  async qualityCost(env: HarnessEnv, fromName: unknown, toName: unknown, count: unknown) {
    const from = String(fromName);
    const to = String(toName);
    if (!isTypeName(from) || !isTypeName(to)) throw new Error(`unknown type ${from} or ${to}`);
    const { tx } = await env();
    const n = Number(count);
    const x = new Float32Array(n).map((_, i) => Math.sin(i) * 0.1);
    const input = new Uint8Array(n * 2);
    CPU_CODECS[from].encode!(x, input);
    const time = async (f: () => Promise<unknown>) => {
      await f();
      const t0 = performance.now();
      for (let k = 0; k < 3; k++) await f();
      return (performance.now() - t0) / 3;
    };
    return { plain: await time(() => tx.run(from, to, input, n)), measured: await time(() => tx.runMeasured(from, to, input, n)) };
  },
  async qualityCompare(env: HarnessEnv, fromName: unknown, toName: unknown, count: unknown, seed: unknown, specials: unknown) {
    const from = String(fromName);
    const to = String(toName);
    if (!isTypeName(from) || !isTypeName(to)) throw new Error(`unknown type ${from} or ${to}`);
    const { tx } = await env();
    const n = Number(count);
    const next = rng(Number(seed));
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = (next() / 2 ** 32 - 0.5) * (i % 4099 === 0 ? 8 : 0.3);
    if (specials) {
      x[5] = NaN;
      x[n - 1] = Infinity;
    }
    let input = new Uint8Array(x.buffer);
    if (from !== 'F32') {
      input = new Uint8Array(n * 2); // F16 / BF16 only
      CPU_CODECS[from].encode!(x, input);
    }
    const r = await tx.runMeasured(from, to, input, n);
    if (r.quality === null) throw new Error(`no GPU quality for ${to}`);
    const cpu = chunkQualityCpu(from, to, input, r.bytes, n);
    return { gpuSums: r.quality, cpuSums: cpu, gpu: finishQuality('t', from, to, r.quality), cpu: finishQuality('t', from, to, cpu) };
  },
};
