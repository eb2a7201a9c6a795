import type { TypeName } from '../codecs/catalogue';
import type { GpuContext } from './device';
import type { GpuKernel, GpuStep, GpuTable } from './kernel';
import { GPU_KERNELS } from './kernels';
import { shaderSource } from './shaders';

const DEFAULT_WG = 256;
const DEFAULT_ENCODE_WG = 64;

export class GpuKernelMissingError extends Error {
  override readonly name = 'GpuKernelMissingError';
}

/**
 * Compiles codec kernels once and records their dispatches. Pipelines are cached by module,
 * entry point and workgroup size, which also label them for debugging.
 */
export class KernelCache {
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  private readonly tables = new Map<string, GPUBuffer>();

  constructor(readonly gpu: GpuContext) {}

  /** The storage buffer holding `t`, built and uploaded on first use. */
  table(t: GpuTable): GPUBuffer {
    let buf = this.tables.get(t.name);
    if (!buf) {
      const data = t.build();
      buf = this.gpu.device.createBuffer({ label: `table ${t.name}`, size: Math.max(16, data.byteLength), usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
      this.gpu.device.queue.writeBuffer(buf, 0, data);
      this.tables.set(t.name, buf);
    }
    return buf;
  }

  pipeline(module: string, entry: string, wg: number, constants: Record<string, number> = {}): Promise<GPUComputePipeline> {
    const key = `${module}:${entry}:wg${wg}:${JSON.stringify(constants)}`;
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.compile(module, key, entry, { WG: wg, ...constants });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private async compile(module: string, key: string, entry: string, constants: Record<string, number>): Promise<GPUComputePipeline> {
    let mod = this.modules.get(module);
    if (!mod) {
      mod = this.checkedModule(module);
      this.modules.set(module, mod);
    }
    return this.gpu.device.createComputePipelineAsync({ label: key, layout: 'auto', compute: { module: await mod, entryPoint: entry, constants } });
  }

  /** Compiles a module once and turns its compiler errors into one readable exception. */
  private async checkedModule(module: string): Promise<GPUShaderModule> {
    const mod = this.gpu.device.createShaderModule({ label: module, code: shaderSource(module) });
    const info = await mod.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new Error(`shader ${module}.wgsl does not compile: ` + errors.map((m) => `${m.lineNum}:${m.linePos} ${m.message}`).join('; '));
    }
    return mod;
  }

  /** Workgroup grid for `invocations`, 2-D when one dimension would exceed the device limit. */
  grid(invocations: number, wg: number): [number, number] {
    const groups = Math.max(1, Math.ceil(invocations / wg));
    const x = Math.min(groups, this.gpu.maxWorkgroupsPerDim);
    return [x, Math.ceil(groups / x)];
  }
}

export function kernelFor(type: TypeName, dir: 'decode' | 'encode'): GpuStep {
  return GPU_KERNELS[type][dir];
}

export function requireKernel(type: TypeName, dir: 'decode' | 'encode'): GpuKernel | 'identity' {
  const k = kernelFor(type, dir);
  if (k === null) throw new GpuKernelMissingError(`no GPU kernel to ${dir} ${type}`);
  return k;
}

/**
 * Records one codec dispatch: `n` blocks from `src` into `dst`. The params buffer is created per
 * dispatch (16 bytes) and released with the encoder's submission.
 */
export async function recordCodec(
  cache: KernelCache,
  enc: GPUCommandEncoder,
  kernel: GpuKernel,
  dir: 'decode' | 'encode',
  src: GPUBuffer,
  dst: GPUBuffer,
  n: number,
  weights?: { readonly buffer: GPUBuffer; readonly rowLength: number },
  abortWord?: GPUBuffer,
): Promise<void> {
  if (kernel.reportsAbort === true && abortWord === undefined) throw new Error(`${kernel.entry} needs its abort word buffer`);
  if (kernel.weighted === true && weights === undefined) throw new Error(`${kernel.entry} needs the importance weights`);
  const wg = kernel.workgroupSize ?? (dir === 'encode' ? DEFAULT_ENCODE_WG : DEFAULT_WG);
  const pipeline = await cache.pipeline(kernel.module, kernel.entry, wg);
  const device = cache.gpu.device;
  const params = device.createBuffer({ label: 'codec params', size: 16, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
  new Uint32Array(params.getMappedRange()).set([n, 0, weights?.rowLength ?? 0, 0]);
  params.unmap();
  const entries: GPUBindGroupEntry[] = [
    { binding: 0, resource: { buffer: src } },
    { binding: 1, resource: { buffer: dst } },
    { binding: 2, resource: { buffer: params } },
  ];
  if (kernel.table) entries.push({ binding: 3, resource: { buffer: cache.table(kernel.table) } });
  if (kernel.weighted === true) entries.push({ binding: 4, resource: { buffer: weights!.buffer } });
  if (kernel.reportsAbort === true) entries.push({ binding: 5, resource: { buffer: abortWord! } });
  const bind = device.createBindGroup({ label: `${kernel.entry} bind`, layout: pipeline.getBindGroupLayout(0), entries });
  const pass = enc.beginComputePass({ label: kernel.entry });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  const [x, y] = cache.grid(Math.ceil(n / kernel.blocksPerInvocation) * (kernel.invocationsPerGroup ?? 1), wg);
  pass.dispatchWorkgroups(x, y);
  pass.end();
}

