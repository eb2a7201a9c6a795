import { TYPES } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import type { HarnessEnv } from './main';
import { fetchFixture, goldenManifest } from './fixtures';
import { shaderSource } from '../../src/gpu/shaders';
import { KernelCache } from '../../src/gpu/codec-runner';
import { rng, toName } from './common';
import { runProbe } from './probe';

/**
 * Page-side helpers for the IQ / low-bit kernel tests: golden encodes broken down by input row
 * (with the reconstruction error of ours and ggml's rows where blocks differ), and a throughput
 * probe that times the GPU kernels and the CPU twins in the same page.
 */
interface RowReport {
  row: number;
  blocks: number;
  vsGgml: number;
  vsTwin: number | null;
  /** Sum of squared reconstruction errors over the row: ours (GPU) and ggml's. */
  sseGpu: number;
  sseGgml: number;
}

function differingBlocks(a: Uint8Array, b: Uint8Array, from: number, to: number, size: number): number {
  let n = 0;
  for (let blk = from; blk < to; blk++) {
    for (let i = blk * size; i < (blk + 1) * size; i++) {
      if (a[i] !== b[i]) {
        n++;
        break;
      }
    }
  }
  return n;
}

function sse(x: Float32Array, y: Float32Array, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += (x[i]! - y[i]!) ** 2;
  return s;
}

export const harnessExt = {
  /**
   * Decodes `blocks` blocks of seeded random bytes on the GPU and with the CPU twin (every scale
   * byte pattern: NaN / Inf / subnormal f16 scales, E8M0 exponents 0 and 1); returns the number
   * of differing floats (NaNs compare equal whatever their payload) and the first few.
   */
  async decodeRandomVsTwin(env: HarnessEnv, typeName: string, blocks: number, seed: number) {
    const type = toName(typeName);
    const { blockSize, typeSize } = TYPES[type];
    const bytes = new Uint8Array(blocks * typeSize);
    const next = rng(seed);
    for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
    // MXFP4: make every fourth block's exponent 0 or 1 (subnormal scales)
    if (type === 'MXFP4') for (let b = 0; b < blocks; b += 4) bytes[b * typeSize] = (b >> 2) & 1;
    const n = blocks * blockSize;
    const { tx } = await env();
    const got = new Float32Array((await tx.run(type, 'F32', bytes, n)).buffer);
    const want = new Float32Array(n);
    CPU_CODECS[type].decode!(bytes, want);
    const gu = new Uint32Array(got.buffer);
    const wu = new Uint32Array(want.buffer);
    let diff = 0;
    const first: string[] = [];
    for (let i = 0; i < n; i++) {
      if (gu[i] === wu[i] || (Number.isNaN(got[i]) && Number.isNaN(want[i]))) continue;
      diff++;
      if (first.length < 5) first.push(`[${i}] got 0x${gu[i]!.toString(16)} want 0x${wu[i]!.toString(16)}`);
    }
    return { n, diff, first };
  },

  /** Milliseconds to compile one kernel's module and pipeline from scratch (a fresh cache). */
  async compileMs(env: HarnessEnv, module: string, entry: string, wg: number) {
    const { ctx } = await env();
    const t0 = performance.now();
    await new KernelCache(ctx).pipeline(module, entry, wg);
    return performance.now() - t0;
  },

  /**
   * Encodes `blocks` blocks of seeded random data on the GPU and with the CPU twin; returns the
   * number of differing blocks and the first few. Each block gets its own distribution (normal,
   * uniform, sparse, one outlier, few distinct values) and scale (2^minExp .. 2^maxExp); with `special` > 0 that share of values is NaN or +-Inf.
   */
  async encodeRandomVsTwin(env: HarnessEnv, typeName: string, blocks: number, seed: number, minExp = -24, maxExp = 24, special = 0) {
    const type = toName(typeName);
    const { blockSize, typeSize } = TYPES[type];
    const n = blocks * blockSize;
    const x = new Float32Array(n);
    const next = rng(seed);
    const uni = () => next() / 2 ** 32;
    const gauss = () => {
      let t = 0;
      for (let k = 0; k < 12; k++) t += uni();
      return t - 6;
    };
    for (let b = 0; b < blocks; b++) {
      const kind = next() % 5;
      const scale = 2 ** ((next() % (maxExp - minExp + 1)) + minExp);
      for (let i = b * blockSize; i < (b + 1) * blockSize; i++) {
        let v = gauss();
        if (kind === 1) v = uni() * 2 - 1;
        if (kind === 2) v = next() % 4 === 0 ? gauss() : 0;
        if (kind === 3) v = i % blockSize === next() % blockSize ? 50 * gauss() : gauss();
        if (kind === 4) v = (next() % 3) - 1;
        x[i] = v * scale;
        if (special > 0 && uni() < special) x[i] = [NaN, Infinity, -Infinity, -NaN][next() % 4]!;
      }
    }
    const { tx } = await env();
    const got = await tx.run('F32', type, new Uint8Array(x.buffer), n);
    const enc = CPU_CODECS[type].encode;
    if (!enc) return { blocks, diff: -1, first: ['no CPU twin encoder'] };
    const want = new Uint8Array(blocks * typeSize);
    enc(x, want);
    let diff = 0;
    const first: string[] = [];
    for (let b = 0; b < blocks; b++) {
      for (let i = b * typeSize; i < (b + 1) * typeSize; i++) {
        if (got[i] !== want[i]) {
          diff++;
          if (first.length < 5) first.push(`block ${b} byte ${i - b * typeSize}: got ${got[i]} want ${want[i]}`);
          break;
        }
      }
    }
    return { blocks, diff, first };
  },

  /**
   * mul_bits and prod_gt against JS on `n` seeded operand quadruples whose products land around
   * the float32 subnormal range (and some elsewhere). Returns mismatch counts and examples.
   */
  async mulBitsCompare(env: HarnessEnv, n: number, seed: number) {
    const next = rng(seed);
    const q = new Uint32Array(4 * n);
    const f = new Float32Array(q.buffer);
    for (let i = 0; i < 4 * n; i++) {
      // exponents mostly near 2^-75 so that products straddle 2^-126 .. 2^-149
      const e = i % 16 === 0 ? next() % 254 : 127 - 60 - (next() % 30);
      q[i] = (next() & 0x807fffff) | (e << 23);
      if (i % 4 === 2 && next() % 4 === 0) f[i] = f[i - 2]!; // equal products
      if (i % 4 === 3 && next() % 4 === 0) f[i] = f[i - 2]!;
      // c near -a*b or +a*b, so additions cancel or straddle the subnormal range
      if (i % 4 === 2 && next() % 2 === 0) f[i] = Math.fround(f[i - 2]! * f[i - 1]! * (next() % 2 ? -1 : 1) * (1 + ((next() % 64) - 32) / 2 ** (next() % 24)));
    }
    const { ctx } = await env();
    const got = await runProbe(ctx.device, shaderSource('iquants_common') + MUL_ENTRY, [q], n, 12);
    const F = new Float32Array(1);
    const U = new Uint32Array(F.buffer);
    let mul = 0;
    let gt = 0;
    let add = 0;
    const first: string[] = [];
    for (let i = 0; i < n; i++) {
      F[0] = Math.fround(f[4 * i]! * f[4 * i + 1]!);
      const p = F[0]!;
      if (got[3 * i] !== U[0]) {
        mul++;
        if (first.length < 5) first.push(`${f[4 * i]} * ${f[4 * i + 1]}: got 0x${got[3 * i]!.toString(16)} want 0x${U[0]!.toString(16)}`);
      }
      const want = p > Math.fround(f[4 * i + 2]! * f[4 * i + 3]!) ? 1 : 0;
      if (got[3 * i + 1] !== want) {
        gt++;
        if (first.length < 5) first.push(`prod_gt ${Array.from(f.subarray(4 * i, 4 * i + 4)).join(', ')}: got ${got[3 * i + 1]}`);
      }
      F[0] = p + f[4 * i + 2]!;
      if (got[3 * i + 2] !== U[0] && !(Number.isNaN(F[0]) && (got[3 * i + 2]! & 0x7fffffff) > 0x7f800000)) {
        add++;
        if (first.length < 5) first.push(`${p} + ${f[4 * i + 2]}: got 0x${got[3 * i + 2]!.toString(16)} want 0x${U[0]!.toString(16)}`);
      }
    }
    return { mul, gt, add, first };
  },

  /** Encodes the golden rows on the GPU; per row: differing blocks vs ggml and twin, and SSEs. */
  async encodeRows(env: HarnessEnv, typeName: string): Promise<RowReport[]> {
    const type = toName(typeName);
    const m = await goldenManifest();
    const entry = m.types.find((t) => toName(t.type) === type && t.status === 'ok');
    if (!entry?.quant) throw new Error(`no golden encode vectors for ${type}`);
    const want = await fetchFixture(`golden/${entry.quant}`);
    const n = entry.nrows * 4096;
    const inputBytes = (await fetchFixture('golden/input.f32')).subarray(0, n * 4);
    const input = new Float32Array(inputBytes.buffer, inputBytes.byteOffset, n);
    const { tx } = await env();
    const got = await tx.run('F32', type, inputBytes, n);
    const codec = CPU_CODECS[type];
    let twin: Uint8Array | null = null;
    if (codec.encode) {
      twin = new Uint8Array(want.length);
      codec.encode(input, twin);
    }
    const decode = (b: Uint8Array) => {
      const f = new Float32Array(n);
      codec.decode!(b, f);
      return f;
    };
    const yGpu = decode(got);
    const yGgml = decode(want);
    const { blockSize, typeSize } = TYPES[type];
    const perRow = 4096 / blockSize;
    const out: RowReport[] = [];
    for (let r = 0; r < entry.nrows; r++) {
      const b0 = r * perRow;
      out.push({
        row: r,
        blocks: perRow,
        vsGgml: differingBlocks(got, want, b0, b0 + perRow, typeSize),
        vsTwin: twin ? differingBlocks(got, twin, b0, b0 + perRow, typeSize) : null,
        sseGpu: sse(input, yGpu, r * 4096, (r + 1) * 4096),
        sseGgml: sse(input, yGgml, r * 4096, (r + 1) * 4096),
      });
    }
    return out;
  },

  /**
   * MB/s of f32 (4 bytes per element) through the GPU kernel (upload, kernel, readback as
   * ChunkTransformer.run does it) and the CPU twin, on `elements` seeded values (0.02 * N(0,1)-ish).
   */
  async throughput(env: HarnessEnv, typeName: string, dir: 'decode' | 'encode', elements: number, cpuElements: number) {
    const type = toName(typeName);
    const { blockSize, typeSize } = TYPES[type];
    const n = Math.floor(elements / blockSize / 64) * blockSize * 64;
    const next = rng(12345);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = ((next() / 2 ** 32) * 2 - 1) * 0.05;
    const { tx } = await env();
    const xb = new Uint8Array(x.buffer);
    const codec = CPU_CODECS[type];
    const blocks = new Uint8Array((n / blockSize) * typeSize);
    if (codec.encode) codec.encode(x, blocks);
    else for (let i = 0; i < blocks.length; i++) blocks[i] = (i * 2654435761) >>> 24; // decode timing only
    const time = async (f: () => Promise<unknown> | unknown) => {
      await f(); // warm-up: pipelines, buffers
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const gpuMs = dir === 'encode' ? await time(() => tx.run('F32', type, xb, n)) : await time(() => tx.run(type, 'F32', blocks, n));
    const cn = Math.min(n, Math.floor(cpuElements / blockSize) * blockSize);
    const cx = x.subarray(0, cn);
    const cb = blocks.subarray(0, (cn / blockSize) * typeSize);
    const cf = new Float32Array(cn);
    const cpuMs =
      dir === 'encode' ? (codec.encode ? await time(() => codec.encode!(cx, cb)) : NaN) : await time(() => codec.decode!(cb, cf));
    return { type, dir, elements: n, gpuMs, gpuMBs: (n * 4) / 1e6 / (gpuMs / 1000), cpuElements: cn, cpuMs, cpuMBs: (cn * 4) / 1e6 / (cpuMs / 1000) };
  },
};

/** mul_bits / prod_gt / add_exact (shaders/iquants_common.wgsl) on the GPU, raw result bits. */
const MUL_ENTRY = `
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= params.n) { return; }
  let a = bitcast<f32>(src[4u * i]);
  let b = bitcast<f32>(src[4u * i + 1u]);
  let c = bitcast<f32>(src[4u * i + 2u]);
  let d = bitcast<f32>(src[4u * i + 3u]);
  dst[3u * i] = mul_bits(a, b);
  dst[3u * i + 1u] = select(0u, 1u, prod_gt(a, b, c, d));
  dst[3u * i + 2u] = bitcast<u32>(add_exact(bitcast<f32>(mul_bits(a, b)), c));
}`;
