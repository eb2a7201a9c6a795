import type { KernelCache } from './codec-runner';

const WG = 64;

/**
 * shaders/heatmap.wgsl over a 2-D tensor that arrives in chunks of whole rows already decoded on
 * the GPU: per-cell running sums stay in one small buffer between chunks; `read` returns the
 * (sum, max, skipped) triples for HeatmapFold.result.
 */
export class GpuHeatmap {
  private readonly cells: GPUBuffer;
  private readonly words: number;

  constructor(
    private readonly cache: KernelCache,
    private readonly rows: number,
    private readonly cols: number,
    private readonly gridRows: number,
    private readonly gridCols: number,
  ) {
    this.words = gridRows * gridCols * 3;
    // zero-initialised by WebGPU
    this.cells = cache.gpu.device.createBuffer({ label: 'heatmap cells', size: Math.max(16, this.words * 4), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  }

  /** Adds rows [row0, row0 + nrows) held as f32 in `src`. */
  async accumulate(src: GPUBuffer, row0: number, nrows: number): Promise<void> {
    const device = this.cache.gpu.device;
    const pipeline = await this.cache.pipeline('heatmap', 'heatmap_accumulate', WG);
    const params = device.createBuffer({ label: 'heatmap params', size: 32, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint32Array(params.getMappedRange()).set([this.rows, this.cols, this.gridRows, this.gridCols, row0, nrows, 0, 0]);
    params.unmap();
    const bind = device.createBindGroup({
      label: 'heatmap_accumulate bind',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: src } },
        { binding: 1, resource: { buffer: this.cells } },
        { binding: 2, resource: { buffer: params } },
      ],
    });
    const enc = device.createCommandEncoder({ label: 'heatmap' });
    const pass = enc.beginComputePass({ label: 'heatmap_accumulate' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    const groups = Math.ceil((this.gridRows * this.gridCols) / WG);
    const x = Math.min(groups, this.cache.gpu.maxWorkgroupsPerDim);
    pass.dispatchWorkgroups(x, Math.ceil(groups / x));
    pass.end();
    device.queue.submit([enc.finish()]);
    params.destroy();
  }

  async read(): Promise<Float64Array> {
    const device = this.cache.gpu.device;
    const staging = device.createBuffer({ label: 'heatmap readback', size: Math.max(16, this.words * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder({ label: 'heatmap readback' });
    enc.copyBufferToBuffer(this.cells, 0, staging, 0, this.words * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const u = new Uint32Array(staging.getMappedRange(0, this.words * 4));
    const f = new Float32Array(u.buffer, u.byteOffset, u.length);
    const out = new Float64Array(this.words);
    for (let i = 0; i < this.words; i += 3) {
      out[i] = f[i]!;
      out[i + 1] = f[i + 1]!;
      out[i + 2] = u[i + 2]!;
    }
    staging.unmap();
    staging.destroy();
    return out;
  }

  destroy(): void {
    this.cells.destroy();
  }
}
