import { emptySums, type QualitySums } from '../codecs/quality';
import type { KernelCache } from './codec-runner';

/** Elements per workgroup of shaders/quality.wgsl: WG invocations × ITEMS each. */
export const QUALITY_WG = 256;
export const QUALITY_ITEMS = 256;
const RECORD_WORDS = 8;

/**
 * Records shaders/quality.wgsl over two f32 buffers already on the GPU into a caller's command
 * encoder; after submission, `read` maps the per-workgroup records and adds them in float64.
 */
export class GpuQuality {
  private records: GPUBuffer | null = null;
  private staging: GPUBuffer | null = null;
  private words = 0;

  constructor(private readonly cache: KernelCache) {}

  async record(enc: GPUCommandEncoder, ref: GPUBuffer, out: GPUBuffer, n: number): Promise<void> {
    const device = this.cache.gpu.device;
    const [x, y] = this.cache.grid(Math.ceil(n / QUALITY_ITEMS), QUALITY_WG);
    this.words = x * y * RECORD_WORDS;
    const size = Math.max(32, this.words * 4);
    if (!this.records || this.records.size < size) {
      this.records?.destroy();
      this.staging?.destroy();
      this.records = device.createBuffer({ label: 'quality records', size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
      this.staging = device.createBuffer({ label: 'quality readback', size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const pipeline = await this.cache.pipeline('quality', 'quality_reduce', QUALITY_WG, { ITEMS: QUALITY_ITEMS });
    const params = device.createBuffer({ label: 'quality params', size: 16, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
    new Uint32Array(params.getMappedRange()).set([n, 0, 0, 0]);
    params.unmap();
    const bind = device.createBindGroup({
      label: 'quality_reduce bind',
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: ref } },
        { binding: 1, resource: { buffer: out } },
        { binding: 2, resource: { buffer: this.records } },
        { binding: 3, resource: { buffer: params } },
      ],
    });
    const pass = enc.beginComputePass({ label: 'quality_reduce' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(x, y);
    pass.end();
    enc.copyBufferToBuffer(this.records, 0, this.staging!, 0, this.words * 4);
  }

  /** After the encoder holding `record` was submitted: the chunk's sums. */
  async read(): Promise<QualitySums> {
    const staging = this.staging!;
    await staging.mapAsync(GPUMapMode.READ, 0, this.words * 4);
    const u = new Uint32Array(staging.getMappedRange(0, this.words * 4));
    const f = new Float32Array(u.buffer, u.byteOffset, u.length);
    const s = emptySums();
    for (let o = 0; o < u.length; o += RECORD_WORDS) {
      s.sse += f[o]!;
      s.sumIn2 += f[o + 1]!;
      s.sumOut2 += f[o + 2]!;
      s.dot += f[o + 3]!;
      s.maxAbs = Math.max(s.maxAbs, f[o + 4]!);
      s.n += u[o + 5]!;
      s.nonFinite += u[o + 6]!;
    }
    staging.unmap();
    return s;
  }

  destroy(): void {
    this.records?.destroy();
    this.staging?.destroy();
    this.records = this.staging = null;
  }
}
