import { HIST_BINS, HIST_SLOT_WORDS, REDUCE_RECORD_WORDS, STATS_ITEMS, STATS_WG, type HistParams, type StatsFold } from '../codecs/stats';
import type { KernelCache } from './codec-runner';

/**
 * Runs shaders/stats.wgsl over f32 values already on the GPU (a decode kernel's output) and
 * feeds the results into a StatsFold, the same fold the CPU twin uses.
 */
export class GpuStats {
  constructor(private readonly cache: KernelCache) {}

  private params(n: number, p: HistParams | null, nGroups = 0): GPUBuffer {
    const buf = this.cache.gpu.device.createBuffer({ label: 'stats params', size: 32, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    const range = buf.getMappedRange();
    new Uint32Array(range).set([n, 0, 0, 0, 0, nGroups, 0, 0]);
    new Float32Array(range, 8, 3).set(p ? [p.lo, p.scale, p.mean] : [0, 0, 0]);
    buf.unmap();
    return buf;
  }

  private async dispatch(entry: string, src: GPUBuffer, dst: GPUBuffer, params: GPUBuffer, groups: [number, number], enc: GPUCommandEncoder): Promise<void> {
    const wg = entry === 'stats_hist_sum' ? 256 : STATS_WG;
    const pipeline = await this.cache.pipeline('stats', entry, wg, entry === 'stats_hist_sum' ? {} : { ITEMS: STATS_ITEMS });
    const bind = this.cache.gpu.device.createBindGroup({
      label: entry,
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src } },
        { binding: 1, resource: { buffer: dst } },
        { binding: 2, resource: { buffer: params } },
      ],
    });
    const pass = enc.beginComputePass({ label: entry });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(groups[0], groups[1]);
    pass.end();
  }

  private async readWords(buf: GPUBuffer, words: number, enc: GPUCommandEncoder): Promise<Uint32Array> {
    const device = this.cache.gpu.device;
    const staging = device.createBuffer({ label: 'stats readback', size: words * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.copyBufferToBuffer(buf, 0, staging, 0, words * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const out = new Uint32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    return out;
  }

  private groups(n: number): { count: number; grid: [number, number] } {
    const count = Math.max(1, Math.ceil(n / (STATS_WG * STATS_ITEMS)));
    const x = Math.min(count, this.cache.gpu.maxWorkgroupsPerDim);
    return { count, grid: [x, Math.ceil(count / x)] };
  }

  /** Pass 1 over `n` f32 values in `src`. */
  async reduce(src: GPUBuffer, n: number, fold: StatsFold): Promise<void> {
    const device = this.cache.gpu.device;
    const g = this.groups(n);
    const out = device.createBuffer({ label: 'stats records', size: g.grid[0] * g.grid[1] * REDUCE_RECORD_WORDS * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const params = this.params(n, null);
    const enc = device.createCommandEncoder({ label: 'stats reduce' });
    await this.dispatch('stats_reduce', src, out, params, g.grid, enc);
    const records = await this.readWords(out, g.count * REDUCE_RECORD_WORDS, enc);
    out.destroy();
    params.destroy();
    fold.addReduce(records, n);
  }

  /** Pass 2 over the same values, with the fold's pass-1 results. */
  async histogram(src: GPUBuffer, n: number, fold: StatsFold): Promise<void> {
    const device = this.cache.gpu.device;
    const g = this.groups(n);
    const slotsSize = g.grid[0] * g.grid[1] * HIST_SLOT_WORDS * 4;
    const slots = device.createBuffer({ label: 'stats slots', size: slotsSize, usage: GPUBufferUsage.STORAGE });
    const folded = device.createBuffer({ label: 'stats folded', size: (HIST_BINS + g.count) * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
    const params = this.params(n, fold.histParams(), g.count);
    const enc = device.createCommandEncoder({ label: 'stats histogram' });
    await this.dispatch('stats_histogram', src, slots, params, g.grid, enc);
    await this.dispatch('stats_hist_sum', slots, folded, params, [1, 1], enc);
    const words = await this.readWords(folded, HIST_BINS + g.count, enc);
    for (const b of [slots, folded, params]) b.destroy();
    const ssd = new Float32Array(words.buffer, HIST_BINS * 4, g.count);
    fold.addHistogram(words.subarray(0, HIST_BINS), ssd);
  }
}
