import { TYPES } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import type { HarnessEnv } from './main';
import { shaderSource } from '../../src/gpu/shaders';
import { rng, toName } from './common';
import { runProbe } from './probe';

/**
 * Page-side helpers for the legacy and K-quant kernel tests (test/gpu/codecs-legacy*.test.ts,
 * codecs-kquants*.test.ts): a seeded stress input far more varied than the 24 golden rows,
 * encoded and decoded on the GPU and by the CPU twin; and a throughput probe that times both in
 * the same page. Names carry an `lk` prefix: harnessExt is one namespace for every helper.
 */
/**
 * `elements` values in runs of 32 (a legacy block, a K-quant group of 32 or two of 16), each run
 * drawn from one of: Irwin-Hall normals at a scale 10^k, k in [-9, 4]; uniform; sparse (mostly
 * zero); constant; one sign only; small integers and half-integers (exact ties after scaling);
 * normals with a few outliers; all zero. Subnormal values are left out: GPUs may flush them.
 */
export function stressInput(elements: number, seed: number): Float32Array {
  const next = rng(seed);
  const u = () => next() / 2 ** 32;
  const z = () => {
    let a = 0;
    for (let k = 0; k < 12; k++) a += next() >>> 8;
    return a * 2 ** -24 - 6;
  };
  const x = new Float32Array(elements);
  for (let o = 0; o < elements; o += 32) {
    const kind = next() % 9;
    const scale = 10 ** (Math.floor(u() * 14) - 9) * (1 + u());
    const c = (u() * 2 - 1) * scale;
    for (let i = o; i < Math.min(elements, o + 32); i++) {
      let v: number;
      switch (kind) {
        case 0: v = z() * scale; break;
        case 1: v = (u() * 2 - 1) * scale; break;
        case 2: v = u() < 0.1 ? z() * scale : 0; break;
        case 3: v = c; break;
        case 4: v = Math.abs(z()) * scale + (next() & 1 ? scale : 0); break;
        case 5: v = ((next() % 33) - 16) * 0.5 * scale; break;
        case 6: v = (next() % 256 < 3 ? 40 : 1) * z() * scale; break;
        case 7: v = 0; break;
        default: v = -Math.abs(z()) * scale; break;
      }
      x[i] = v;
    }
  }
  return x;
}

function firstBlockDiffs(got: Uint8Array, want: Uint8Array, typeSize: number) {
  const first: string[] = [];
  let blocks = 0;
  for (let b = 0; b < want.length / typeSize; b++) {
    for (let i = b * typeSize; i < (b + 1) * typeSize; i++) {
      if (got[i] !== want[i]) {
        blocks++;
        if (first.length < 5) first.push(`block ${b} byte ${i - b * typeSize}: gpu ${got[i]} twin ${want[i]}`);
        break;
      }
    }
  }
  return { blocks, first };
}

function floatDiffs(got: Uint8Array, want: Float32Array) {
  const g = new Uint32Array(got.buffer, got.byteOffset, want.length);
  const gf = new Float32Array(got.buffer, got.byteOffset, want.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  let n = 0;
  for (let i = 0; i < w.length; i++) if (g[i] !== w[i] && !(Number.isNaN(want[i]) && Number.isNaN(gf[i]))) n++;
  return n;
}

/** div_rn_fast and div_significands (shaders/legacy_io.wgsl) over (a, b) pairs in src, results to dst. */
const DIV_ENTRY = `
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  begin_zero();
  let i = gid.x;
  if (i >= params.n) { return; }
  let a = bitcast<f32>(src[2u * i]);
  let b = bitcast<f32>(src[2u * i + 1u]);
  dst[2u * i] = bitcast<u32>(div_rn_fast(a, b));
  // the correction step alone, from a significand quotient pushed 0..3 ulp off (as WGSL's
  // 2.5 ulp allows), for finite nonzero operands
  let aa = bitcast<u32>(a) & 0x7fffffffu;
  let ab = bitcast<u32>(b) & 0x7fffffffu;
  var fixed = dst[2u * i];
  if (aa != 0u && aa < 0x7f800000u && ab != 0u && ab < 0x7f800000u) {
    let x = unpack_f32(aa);
    let y = unpack_f32(ab);
    let off = i32(i % 7u) - 3;
    let uq = u32(i32(bitcast<u32>(f32(x.m) / f32(y.m))) + off);
    fixed = div_significands((bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u, x, y, uq);
  }
  dst[2u * i + 1u] = fixed;
}`;

export const harnessExt = {
  /**
   * div_rn_fast against JavaScript's correctly rounded division (Math.fround(a / b) is exact:
   * a double quotient of floats rounds innocuously), on random bit patterns of every exponent
   * (subnormals, Inf, NaN and zeros included) and on quotients next to float32 ties (a = fl(b * t), t halfway between two floats, and
   * its neighbours; a quotient of two floats is never exactly halfway).
   */
  async lkDivCompare(env: HarnessEnv, n: number, seed: number) {
    const next = rng(seed);
    const pairs = new Uint32Array(2 * n);
    const f = new Float32Array(pairs.buffer);
    for (let i = 0; i < n; i++) {
      const kind = i % 6;
      if (kind === 5) {
        // quotients within a few ulp of 1 and of 2 (either side): binade edges of the correction
        pairs[2 * i + 1] = ((next() & 0x807fffff) | ((100 + (next() % 50)) << 23)) >>> 0;
        pairs[2 * i] = (pairs[2 * i + 1]! + (next() & 1 ? 0x800000 : 0) + (next() % 9) - 4) >>> 0;
      } else if (kind === 0) {
        pairs[2 * i] = next();
        pairs[2 * i + 1] = next();
      } else if (kind === 4) {
        // subnormal operands, and quotients that land in or near the subnormal range
        pairs[2 * i] = next() & (next() & 1 ? 0x807fffff : 0x87ffffff);
        pairs[2 * i + 1] = next() & (next() & 1 ? 0x807fffff : 0xc3ffffff);
      } else {
        // exponents within a few binades, so the quotient is normal and the fast path runs
        pairs[2 * i + 1] = ((next() & 0x807fffff) | ((120 + (next() % 16)) << 23)) >>> 0;
        const b = f[2 * i + 1]!;
        if (kind === 1) pairs[2 * i] = ((next() & 0x807fffff) | ((120 + (next() % 16)) << 23)) >>> 0;
        else {
          // q with 25 significant bits (an exact tie) or a 1-ulp neighbour of it: a = fl(b * q)
          const q = (0x1000001 + 2 * (next() & 0x7fffff)) * 2 ** -24 * 2 ** ((next() % 8) - 4);
          f[2 * i] = b * q;
          if (kind === 3) pairs[2 * i] = (pairs[2 * i]! + ((next() % 3) - 1)) >>> 0;
        }
      }
    }
    const { ctx } = await env();
    const got = await runProbe(ctx.device, shaderSource('legacy_io') + DIV_ENTRY, [pairs], n, 8);
    const want = new Float32Array(n);
    for (let i = 0; i < n; i++) want[i] = f[2 * i]! / f[2 * i + 1]!;
    const wb = new Uint32Array(want.buffer);
    const gf = new Float32Array(got.buffer);
    let bad = 0;
    const first: string[] = [];
    for (let i = 0; i < 2 * n; i++) {
      const w = i >> 1;
      if (got[i] === wb[w] || (Number.isNaN(gf[i]) && Number.isNaN(want[w]))) continue;
      bad++;
      const what = i & 1 ? `from ${(w % 7) - 3} ulp` : 'fast';
      const detail = `got 0x${got[i]!.toString(16)} want 0x${wb[w]!.toString(16)}`;
      if (first.length < 5) first.push(`${what}: ${f[2 * w]} / ${f[2 * w + 1]}: ${detail}`);
    }
    return { n, bad, first };
  },

  /**
   * Q8_K has no golden vectors (ggml gives it no to_float): random blocks with a finite f32 d
   * (2^-20 .. 2^10, either sign), decoded on the GPU and by the twin (dequantize_row_q8_K).
   */
  async lkDecodeQ8K(env: HarnessEnv, blocks: number, seed: number) {
    const next = rng(seed);
    const bytes = new Uint8Array(blocks * 292);
    for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
    const view = new DataView(bytes.buffer);
    for (let b = 0; b < blocks; b++) view.setFloat32(b * 292, (next() & 1 ? -1 : 1) * 2 ** ((next() % 31) - 20) * (1 + next() / 2 ** 32), true);
    const cpu = new Float32Array(blocks * 256);
    CPU_CODECS.Q8_K.decode!(bytes, cpu);
    const { tx } = await env();
    const gpu = await tx.run('Q8_K', 'F32', bytes, blocks * 256);
    return { floats: cpu.length, differing: floatDiffs(gpu, cpu) };
  },

  /**
   * Encodes `blocks` blocks of stress input on the GPU and with the CPU twin and compares the
   * bytes; then decodes the twin's blocks on the GPU and with the twin and compares the floats.
   */
  async lkStress(env: HarnessEnv, typeName: string, blocks: number, seed: number) {
    const type = toName(typeName);
    const { blockSize, typeSize } = TYPES[type];
    const n = blocks * blockSize;
    const x = stressInput(n, seed);
    const codec = CPU_CODECS[type];
    if (!codec.encode || !codec.decode) throw new Error(`${type} has no CPU encode/decode`);
    const { tx } = await env();
    const gpuBlocks = await tx.run('F32', type, new Uint8Array(x.buffer), n);
    const cpuBlocks = new Uint8Array(blocks * typeSize);
    codec.encode(x, cpuBlocks);
    const enc = firstBlockDiffs(gpuBlocks, cpuBlocks, typeSize);
    const gpuFloats = await tx.run(type, 'F32', cpuBlocks, n);
    const cpuFloats = new Float32Array(n);
    codec.decode(cpuBlocks, cpuFloats);
    return { blocks, encodeBlocksDiffering: enc.blocks, first: enc.first, decodeFloatsDiffering: floatDiffs(gpuFloats, cpuFloats) };
  },

  /**
   * MB/s of f32 (4 bytes per element) through the GPU (upload, kernel, readback, as
   * ChunkTransformer.run does it; best of three after a warm-up) and through the CPU twin, on the
   * same 0.02 * N(0,1)-ish input (decode: its blocks, tiled); `cpuElements` may be fewer when the twin is slow. Also reports whether
   * the GPU's result equals the twin's on the elements both converted.
   */
  async lkThroughput(env: HarnessEnv, typeName: string, dir: 'decode' | 'encode', elements: number, cpuElements: number) {
    const type = toName(typeName);
    const { blockSize, typeSize } = TYPES[type];
    const n = Math.floor(elements / blockSize / 2) * blockSize * 2;
    const next = rng(777);
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let a = 0;
      for (let k = 0; k < 12; k++) a += next() >>> 8;
      x[i] = (a * 2 ** -24 - 6) * 0.02;
    }
    const codec = CPU_CODECS[type];
    if (!codec.encode || !codec.decode) throw new Error(`${type} has no CPU encode/decode`);
    const { tx } = await env();
    const cn = Math.min(n, Math.floor(cpuElements / blockSize) * blockSize);
    // the best of three timed runs after a warm-up: the test machine's CPUs are shared
    const time = async <T>(f: () => Promise<T> | T): Promise<[number, T]> => {
      let r = await f();
      let best = Infinity;
      for (let k = 0; k < 3; k++) {
        const t0 = performance.now();
        r = await f();
        best = Math.min(best, performance.now() - t0);
      }
      return [best, r];
    };
    let gpuMs: number;
    let cpuMs: number;
    let same: boolean;
    if (dir === 'encode') {
      const [g, out] = await time(() => tx.run('F32', type, new Uint8Array(x.buffer), n));
      const cb = new Uint8Array((cn / blockSize) * typeSize);
      const [c] = await time(() => codec.encode!(x.subarray(0, cn), cb));
      same = firstBlockDiffs(out.subarray(0, cb.length), cb, typeSize).blocks === 0;
      [gpuMs, cpuMs] = [g, c];
    } else {
      // decode speed does not depend on the content: tile the twin's encoding of 64 Ki values
      const sample = Math.min(n, 65536);
      const tile = new Uint8Array((sample / blockSize) * typeSize);
      codec.encode(x.subarray(0, sample), tile);
      const blocks = new Uint8Array((n / blockSize) * typeSize);
      for (let o = 0; o < blocks.length; o += tile.length) blocks.set(tile.subarray(0, Math.min(tile.length, blocks.length - o)), o);
      const [g, out] = await time(() => tx.run(type, 'F32', blocks, n));
      const cf = new Float32Array(cn);
      const [c] = await time(() => codec.decode!(blocks.subarray(0, (cn / blockSize) * typeSize), cf));
      same = floatDiffs(out.subarray(0, cn * 4), cf) === 0;
      [gpuMs, cpuMs] = [g, c];
    }
    const mbs = (count: number, ms: number) => Math.round(((count * 4) / 1e6 / (ms / 1000)) * 10) / 10;
    return {
      type,
      dir,
      elements: n,
      gpuMs: Math.round(gpuMs),
      gpuMBs: mbs(n, gpuMs),
      cpuElements: cn,
      cpuMs: Math.round(cpuMs),
      cpuMBs: mbs(cn, cpuMs),
      same,
    };
  },
};
