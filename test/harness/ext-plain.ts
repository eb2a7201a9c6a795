import { TYPES, type TypeName } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import type { HarnessEnv } from './main';
import { bigToF32 } from '../support/big-f32';
import { rng, toName } from './common';

/**
 * Page-side helper for test/gpu/codecs-plain.test.ts: the plain-dtype decoders on the GPU against
 * the CPU twin (src/codecs/plain.ts) and, for the 64-bit integers, against a BigInt reference
 * that rounds to float32 exactly (independent of both).
 */

/** 64-bit patterns that probe rounding: ties and near-ties at every magnitude, the extremes. */
function int64Patterns(count: number, seed: number, signed: boolean): bigint[] {
  const next = rng(seed);
  const out: bigint[] = [0n, 1n, 2n ** 24n + 1n, 2n ** 24n + 3n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n];
  if (signed) out.push(-1n, -(2n ** 63n), -(2n ** 24n) - 1n, -(2n ** 53n) - 1n);
  while (out.length < count) {
    const k = 24 + (next() % 40); // magnitude 2^k
    const tie = ((1n << 24n) | BigInt(next() & 0xffffff)) << BigInt(k - 24); // 25 significant bits
    let v: bigint;
    switch (next() % 4) {
      case 0: v = tie + (1n << BigInt(k - 25)); break; // exactly halfway between two floats
      case 1: v = tie + (1n << BigInt(k - 25)) + BigInt(next() % 3) - 1n; break; // a hair either side
      case 2: v = (BigInt(next()) << 32n) | BigInt(next()); break; // any 64-bit pattern
      default: v = BigInt(next() >>> (next() % 32)); break; // small values
    }
    out.push(v);
  }
  return out.slice(0, count).map((v) => (signed ? BigInt.asIntN(64, v) : BigInt.asUintN(64, v)));
}

/** Doubles near float32's rounding points, range ends and specials, plus random bit patterns. */
function f64Patterns(count: number, seed: number): Float64Array {
  const next = rng(seed);
  const out = new Float64Array(count);
  const u = new Uint32Array(out.buffer);
  const specials = [0, -0, Infinity, -Infinity, NaN, 3.4028234663852886e38, 3.4028235677973366e38, 3.402823567797337e38, 1e39, -1e39,
    2 ** -126, 2 ** -149, 2 ** -150, 1.5 * 2 ** -149, 2 ** -150 * 1.0000001, 5e-324, -5e-324, 1 + 2 ** -24, 1 + 3 * 2 ** -24, 1 + 2 ** -24 + 2 ** -50];
  for (let i = 0; i < count; i++) {
    if (i < specials.length) {
      out[i] = specials[i]!;
      continue;
    }
    const kind = next() % 3;
    const lo = next();
    const hiMant = next() & 0xfffff;
    const sign = (next() & 1) << 31;
    let e: number;
    if (kind === 0) e = 1023 - 160 + (next() % 300); // around f32's whole range, subnormals included
    else if (kind === 1) e = next() % 2048; // anything, Inf and NaN included
    else e = 1023 + (next() % 40) - 20;
    u[2 * i] = kind === 2 && next() % 2 ? ((lo & 0xe0000000) | 0x10000000 | (next() & 1)) >>> 0 : lo; // ties (and just above) at f32's rounding bit
    u[2 * i + 1] = (sign | (e << 20) | hiMant) >>> 0;
  }
  return out;
}

function inputFor(type: TypeName, n: number, seed: number): { bytes: Uint8Array; ref: Float32Array | null } {
  const next = rng(seed);
  const size = TYPES[type].typeSize;
  if (type === 'I64' || type === 'U64') {
    const vals = int64Patterns(n, seed, type === 'I64');
    const bytes = new Uint8Array(n * 8);
    const view = new DataView(bytes.buffer);
    const ref = new Float32Array(n);
    vals.forEach((v, i) => {
      if (type === 'I64') view.setBigInt64(8 * i, v, true);
      else view.setBigUint64(8 * i, v, true);
      ref[i] = bigToF32(v);
    });
    return { bytes, ref };
  }
  if (type === 'F64') return { bytes: new Uint8Array(f64Patterns(n, seed).buffer), ref: null };
  const bytes = new Uint8Array(n * size);
  for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 0xff;
  if (size === 1) for (let i = 0; i < n; i++) bytes[i] = i & 0xff; // every byte pattern, cyclically
  if (size === 4) {
    // extremes and ties of 32-bit integers: 2^24 + 1 (tie), 2^31 - 1, -2^31, 2^32 - 1
    const w = new Uint32Array(bytes.buffer);
    [0, 1, 0x1000001, 0x1000003, 0x7fffffff, 0x80000000, 0xffffffff, 0xfeffff80].forEach((v, i) => (w[i] = v));
  }
  if (size === 2) {
    const h = new Uint16Array(bytes.buffer);
    [0, 1, 0x7fff, 0x8000, 0xffff].forEach((v, i) => (h[i] = v));
  }
  return { bytes, ref: null };
}

export const harnessExt = {
  async plainCompare(env: HarnessEnv, typeName: string, n: number, seed: number) {
    const type = toName(typeName);
    const { bytes, ref } = inputFor(type, n, seed);
    const decode = CPU_CODECS[type].decode;
    if (!decode) throw new Error(`${type} has no CPU decoder`);
    const cpu = new Float32Array(n);
    decode(bytes, cpu);
    const { tx } = await env();
    const gpuBytes = await tx.run(type, 'F32', bytes, n);
    const gpu = new Float32Array(gpuBytes.buffer, gpuBytes.byteOffset, n);
    const gb = new Uint32Array(gpu.buffer, gpu.byteOffset, n);
    const cb = new Uint32Array(cpu.buffer);
    const same = (a: number, b: number, fa: number, fb: number) => a === b || (Number.isNaN(fa) && Number.isNaN(fb));
    let vsTwin = 0;
    let vsRef = 0;
    let nans = 0;
    const first: string[] = [];
    const rb = ref ? new Uint32Array(ref.buffer) : null;
    for (let i = 0; i < n; i++) {
      if (Number.isNaN(cpu[i])) nans++;
      if (!same(gb[i]!, cb[i]!, gpu[i]!, cpu[i]!)) {
        vsTwin++;
        if (first.length < 5) first.push(`[${i}] gpu 0x${gb[i]!.toString(16)} twin 0x${cb[i]!.toString(16)}`);
      }
      if (rb && ref && !same(rb[i]!, cb[i]!, ref[i]!, cpu[i]!)) {
        vsRef++;
        if (first.length < 5) first.push(`[${i}] ref 0x${rb[i]!.toString(16)} twin 0x${cb[i]!.toString(16)}`);
      }
    }
    return { n, vsTwin, vsRef: ref ? vsRef : null, nans, first };
  },
};
