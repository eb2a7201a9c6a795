import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TypeName } from '../../../src/codecs/catalogue';
import type { GpuContext } from '../../../src/gpu/device';
import { CompositeEngine } from '../../../src/pipeline/composite-engine';
import type { TransformEngine } from '../../../src/pipeline/engine';
import { GpuEngine } from '../../../src/pipeline/gpu-engine';

/**
 * IQ2_XXS and IQ2_XS have a weighted GPU kernel and no unweighted one (ggml quantizes them only
 * with an importance matrix): weighted chunks go to the GPU, unweighted ones to the CPU, whose
 * codec then says it needs an importance matrix. Fake engines record which one got each chunk;
 * the GPU fake answers supports / supportsWeighted / acceptsWeightsFor from GpuEngine's own
 * methods, so the real kernel table decides.
 */
interface Call {
  readonly to: TypeName;
  readonly weighted: boolean;
}

function fake(label: string, gpuTable: boolean): TransformEngine & { calls: Call[] } {
  const calls: Call[] = [];
  const g = GpuEngine.prototype;
  const cpuLike = { supports: () => true, acceptsWeights: true };
  const gpuLike = { supports: g.supports, supportsWeighted: g.supportsWeighted, acceptsWeights: true, acceptsWeightsFor: g.acceptsWeightsFor };
  return {
    label,
    calls,
    ...(gpuTable ? gpuLike : cpuLike),
    maxChunkElements: () => 1 << 20,
    transform(_from: TypeName, to: TypeName, _bytes: Uint8Array, elements: number, _out?: Uint8Array, weights?: Float32Array) {
      calls.push({ to, weighted: weights !== undefined });
      return Promise.resolve(new Uint8Array(elements));
    },
    dispose: () => undefined,
  };
}

const bytes = new Uint8Array(256 * 2);
const ones = new Float32Array(256).fill(1);

describe('CompositeEngine routes weighted-only types', () => {
  for (const to of ['IQ2_XXS', 'IQ2_XS', 'IQ1_S'] as const) {
    it(`${to}: weighted chunks to the GPU, unweighted ones to the CPU`, async () => {
      const gpu = fake('gpu', true);
      const cpu = fake('cpu', false);
      const c = new CompositeEngine(gpu, cpu);
      expect(gpu.supports('F16', to)).toBe(false);
      await c.transform('F16', to, bytes, 256, undefined, ones);
      expect(gpu.calls).toEqual([{ to, weighted: true }]);
      expect(cpu.calls).toEqual([]);
      expect(c.label).toBe('gpu');
      await c.transform('F16', to, bytes, 256);
      expect(cpu.calls).toEqual([{ to, weighted: false }]);
      expect(gpu.calls).toHaveLength(1);
      expect(c.label).toBe('gpu + cpu');
    });
  }

  it('a type with both kernels keeps both kinds of chunk on the GPU; one with neither goes to the CPU', async () => {
    const gpu = fake('gpu', true);
    const cpu = fake('cpu', false);
    const c = new CompositeEngine(gpu, cpu);
    await c.transform('F16', 'IQ2_S', bytes, 256, undefined, ones);
    await c.transform('F16', 'IQ2_S', bytes, 256);
    expect(gpu.calls).toEqual([
      { to: 'IQ2_S', weighted: true },
      { to: 'IQ2_S', weighted: false },
    ]);
    await c.transform('F16', 'Q8_K', bytes, 256, undefined, ones);
    expect(cpu.calls).toEqual([{ to: 'Q8_K', weighted: true }]);
  });

  it('an engine without supportsWeighted takes weights where it supports the pair and accepts them', async () => {
    const primary: TransformEngine & { calls: Call[] } = { ...fake('p', false), supports: (_f, to) => to === 'Q4_K', acceptsWeightsFor: (to) => to === 'Q4_K' };
    const cpu = fake('cpu', false);
    const c = new CompositeEngine(primary, cpu);
    await c.transform('F16', 'Q4_K', bytes, 256, undefined, ones);
    await c.transform('F16', 'IQ2_XXS', bytes, 256, undefined, ones);
    expect(primary.calls).toEqual([{ to: 'Q4_K', weighted: true }]);
    expect(cpu.calls).toEqual([{ to: 'IQ2_XXS', weighted: true }]);
  });
});

describe('GpuEngine.prepare warms weighted-only targets with weights', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('IQ2_XXS, IQ2_XS and IQ1_S get a row of weights, Q4_K none, Q8_K (no GPU encoder) nothing', async () => {
    vi.stubGlobal('GPUBufferUsage', { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, STORAGE: 128 });
    const ctx = { device: {} as GPUDevice, maxBinding: 1 << 27, maxBuffer: 1 << 28, maxWorkgroupsPerDim: 65535, maxInvocations: 256, adapterLabel: 'fake', isFallback: true, lost: new Promise<never>(() => undefined) } satisfies GpuContext;
    const engine = new GpuEngine(ctx);
    const warmed: { to: TypeName; elements: number; weights: number | null }[] = [];
    engine.transform = (_from, to, _bytes, elements, _out, weights) => {
      warmed.push({ to, elements, weights: weights ? weights.length : null });
      return Promise.resolve(new Uint8Array(0));
    };
    await engine.prepare([
      ['F16', 'IQ2_XXS'],
      ['F16', 'IQ2_XS'],
      ['F16', 'Q4_K'],
      ['F16', 'IQ1_S'],
      ['F16', 'Q8_K'],
    ]);
    expect(warmed).toEqual([
      { to: 'IQ2_XXS', elements: 256, weights: 256 },
      { to: 'IQ2_XS', elements: 256, weights: 256 },
      { to: 'Q4_K', elements: 256, weights: null },
      { to: 'IQ1_S', elements: 256, weights: 256 },
    ]);
  });
});
