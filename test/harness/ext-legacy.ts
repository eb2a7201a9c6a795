import { TYPES, isTypeName, type TypeName } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import type { HarnessEnv } from './main';

/**
 * Page-side helpers for the legacy and K-quant kernel tests (test/gpu/codecs-legacy*.test.ts,
 * codecs-kquants*.test.ts): a seeded stress input far more varied than the 24 golden rows,
 * encoded and decoded on the GPU and by the CPU twin; and a throughput probe that times both in
 * the same page. Names carry an `lk` prefix: harnessExt is one namespace for every helper.
 */
const toName = (s: string): TypeName => {
  const n = s.toUpperCase();
  if (!isTypeName(n)) throw new Error(`unknown type ${s}`);
  return n;
};

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => ((s ^= s << 13), (s >>>= 0), (s ^= s >>> 17), (s ^= s << 5), (s >>>= 0));
}

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

export const harnessExt = {
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
   * ChunkTransformer.run does it; best of three after a warm-up) and through the CPU twin, on the same
   * 0.02 * N(0,1)-ish input; `cpuElements` may be fewer when the twin is slow. Also reports whether
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
      const blocks = await tx.run('F32', type, new Uint8Array(x.buffer), n);
      const [g, out] = await time(() => tx.run(type, 'F32', blocks, n));
      const cf = new Float32Array(cn);
      const [c] = await time(() => codec.decode!(blocks.subarray(0, (cn / blockSize) * typeSize), cf));
      same = floatDiffs(out.subarray(0, cn * 4), cf) === 0;
      [gpuMs, cpuMs] = [g, c];
    }
    const mbs = (count: number, ms: number) => Math.round(((count * 4) / 1e6 / (ms / 1000)) * 10) / 10;
    return { type, dir, elements: n, gpuMs: Math.round(gpuMs), gpuMBs: mbs(n, gpuMs), cpuElements: cn, cpuMs: Math.round(cpuMs), cpuMBs: mbs(cn, cpuMs), same };
  },
};
