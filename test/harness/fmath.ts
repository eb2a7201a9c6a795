import { shaderSource } from '../../src/gpu/shaders';
import type { GpuContext } from '../../src/gpu/device';
import { runProbe } from './probe';

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

export function runFmath(ctx: GpuContext, a: Float32Array<ArrayBuffer>, b: Float32Array<ArrayBuffer>): Promise<Uint32Array> {
  return runProbe(ctx.device, shaderSource('fmath') + ENTRY, [a, b], a.length, 12);
}
