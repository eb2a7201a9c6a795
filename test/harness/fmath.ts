import { shaderSource } from '../../src/gpu/shaders';
import type { GpuContext } from '../../src/gpu/device';

/**
 * Runs div_rn / sqrt_rn / nearest_int from shaders/fmath.wgsl over `a`, `b` on the GPU and
 * returns their raw result bits. The test entry point is defined here, not in shaders/.
 */
const ENTRY = `
struct P { n: u32, zero: u32, _a: u32, _b: u32 }
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
@group(0) @binding(3) var<uniform> p: P;
fn fmath_zero() -> u32 { return p.zero; }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n) { return; }
  out[3u * i] = bitcast<u32>(div_rn(a[i], b[i]));
  out[3u * i + 1u] = bitcast<u32>(sqrt_rn(a[i]));
  out[3u * i + 2u] = bitcast<u32>(nearest_int(b[i]));
}`;

export async function runFmath(ctx: GpuContext, a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>): Promise<Uint32Array> {
  const d = ctx.device;
  const mod = d.createShaderModule({ code: shaderSource('fmath') + ENTRY });
  const info = await mod.getCompilationInfo();
  const errs = info.messages.filter((m) => m.type === 'error');
  if (errs.length) throw new Error(errs.map((m) => `${m.lineNum}: ${m.message}`).join('; '));
  const pipe = await d.createComputePipelineAsync({ layout: 'auto', compute: { module: mod, entryPoint: 'main' } });
  const mk = (data: ArrayBufferView<ArrayBuffer>, usage: number) => {
    const buf = d.createBuffer({ size: Math.max(16, data.byteLength), usage: usage | GPUBufferUsage.COPY_DST });
    d.queue.writeBuffer(buf, 0, data);
    return buf;
  };
  const n = a.length;
  const ba = mk(a, GPUBufferUsage.STORAGE);
  const bb = mk(b, GPUBufferUsage.STORAGE);
  const out = d.createBuffer({ size: n * 12, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const params = mk(new Uint32Array([n, 0, 0, 0]), GPUBufferUsage.UNIFORM);
  const staging = d.createBuffer({ size: n * 12, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = d.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, d.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [ba, bb, out, params].map((buffer, binding) => ({ binding, resource: { buffer } })),
  }));
  pass.dispatchWorkgroups(Math.ceil(n / 64));
  pass.end();
  enc.copyBufferToBuffer(out, 0, staging, 0, n * 12);
  d.queue.submit([enc.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const res = new Uint32Array(staging.getMappedRange().slice(0));
  for (const x of [ba, bb, out, params, staging]) x.destroy();
  return res;
}
