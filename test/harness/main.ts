import { TYPES } from '../../src/codecs/catalogue';
import { CPU_CODECS } from '../../src/codecs/registry';
import { StatsFold, statsHistogramCpu, statsReduceCpu, type TensorStats } from '../../src/codecs/stats';
import { acquireGpu, type GpuContext } from '../../src/gpu/device';
import { KernelCache } from '../../src/gpu/codec-runner';
import { GpuStats } from '../../src/gpu/stats';
import { ChunkTransformer } from '../../src/gpu/transform';
import { rng, toName } from './common';
import { fetchFixture, goldenManifest } from './fixtures';
import { runFmath } from './fmath';

/**
 * Functions the GPU tests call with page.evaluate. Each runs kernels on the page's real WebGPU
 * device and compares with the CPU twin and ggml's golden vectors *in the page*, returning only
 * small summaries (mismatch counts and the first few differences).
 */

let gpu: Promise<{ ctx: GpuContext; cache: KernelCache; tx: ChunkTransformer; stats: GpuStats }> | null = null;
function env() {
  gpu ??= acquireGpu().then((ctx) => {
    const cache = new KernelCache(ctx);
    return { ctx, cache, tx: new ChunkTransformer(cache), stats: new GpuStats(cache) };
  });
  return gpu;
}

interface Diff {
  mismatches: number;
  total: number;
  first: string[];
}

function diffFloats(got: Uint8Array, want: Uint8Array): Diff {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length >>> 2);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length >>> 2);
  const gf = new Float32Array(g.buffer, g.byteOffset, g.length);
  const wf = new Float32Array(w.buffer, w.byteOffset, w.length);
  const first: string[] = [];
  let mismatches = 0;
  for (let i = 0; i < w.length; i++) {
    if (g[i] === w[i] || (Number.isNaN(gf[i]) && Number.isNaN(wf[i]))) continue;
    mismatches++;
    if (first.length < 5) first.push(`[${i}] got ${gf[i]} (0x${g[i]!.toString(16)}) want ${wf[i]} (0x${w[i]!.toString(16)})`);
  }
  return { mismatches, total: w.length, first };
}

function diffBlocks(got: Uint8Array, want: Uint8Array, typeSize: number): Diff {
  const first: string[] = [];
  let mismatches = 0;
  const n = want.length / typeSize;
  for (let b = 0; b < n; b++) {
    for (let i = b * typeSize; i < (b + 1) * typeSize; i++) {
      if (got[i] !== want[i]) {
        mismatches++;
        if (first.length < 5) first.push(`block ${b} byte ${i - b * typeSize}: got ${got[i]} want ${want[i]}`);
        break;
      }
    }
  }
  return { mismatches, total: n, first };
}

const f32Bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

async function gpuInfo() {
  const { ctx } = await env();
  return { adapter: ctx.adapterLabel, maxBinding: ctx.maxBinding, fallback: ctx.isFallback };
}

/** Decode golden vectors on the GPU; compare with ggml's floats and with the CPU twin. */
async function decodeGolden(typeName: string, source: 'dequant_only' | 'quantized') {
  const type = toName(typeName);
  const m = await goldenManifest();
  const entry = (source === 'dequant_only' ? m.dequant_only.types : m.types).find((t) => toName(t.type) === type && t.status === 'ok');
  if (!entry) throw new Error(`no ${source} golden vectors for ${type}`);
  const blocks = await fetchFixture(`golden/${source === 'dequant_only' ? entry.blocks : entry.quant}`);
  const want = await fetchFixture(`golden/${entry.dequant}`);
  const elements = want.length / 4;
  const { tx } = await env();
  const got = await tx.run(type, 'F32', blocks, elements);
  const cpu = new Float32Array(elements);
  CPU_CODECS[type].decode?.(blocks, cpu);
  return { vsGgml: diffFloats(got, want), vsTwin: CPU_CODECS[type].decode ? diffFloats(got, f32Bytes(cpu)) : null };
}

/** Encode ggml's golden input rows on the GPU; compare blocks with ggml's and the CPU twin's. */
async function encodeGolden(typeName: string) {
  const type = toName(typeName);
  const m = await goldenManifest();
  const entry = m.types.find((t) => toName(t.type) === type && t.status === 'ok');
  if (!entry?.quant) throw new Error(`no golden encode vectors for ${type}`);
  const want = await fetchFixture(`golden/${entry.quant}`);
  const input = (await fetchFixture('golden/input.f32')).subarray(0, entry.nrows * 4096 * 4);
  const { tx } = await env();
  const got = await tx.run('F32', type, input, entry.nrows * 4096);
  const cpu = new Uint8Array(want.length);
  const enc = CPU_CODECS[type].encode;
  enc?.(new Float32Array(input.buffer, input.byteOffset, input.length / 4), cpu);
  return { vsGgml: diffBlocks(got, want, TYPES[type].typeSize), vsTwin: enc ? diffBlocks(got, cpu, TYPES[type].typeSize) : null };
}

/** Casts between raw bit arrays (fpconv vectors and exhaustive f16/bf16 patterns). */
async function castBits(from: string, to: string, fixture: string, wantFixture: string) {
  const src = await fetchFixture(fixture);
  const want = await fetchFixture(wantFixture);
  const f = toName(from);
  const t = toName(to);
  const elements = src.length / TYPES[f].typeSize;
  const { tx } = await env();
  const got = await tx.run(f, t, src, elements);
  return t === 'F32' ? diffFloats(got, want) : diffBlocks(got, want, TYPES[t].typeSize);
}

/**
 * Seeded values with NaN, Inf, zeros, subnormals and outliers, run through the GPU statistics
 * kernels and the CPU twin. Returns both results' raw fold outputs for comparison.
 */
async function statsCompare(n: number, seed: number, chunk: number) {
  const next = rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    const k = r & 1023;
    if (k === 0) x[i] = NaN;
    else if (k === 1) x[i] = Infinity;
    else if (k === 2) x[i] = -Infinity;
    else if (k === 3) x[i] = 0;
    else if (k === 4) x[i] = 1e-40;
    else if (k === 5) x[i] = (next() / 2 ** 32) * 1000;
    else x[i] = ((next() / 2 ** 32) * 2 - 1) * 0.05;
  }
  const { tx, stats } = await env();
  const gpuFold = new StatsFold();
  const cpuFold = new StatsFold();
  // pass 1 over all chunks, then pass 2, as the pipeline's stats job does
  for (let o = 0; o < n; o += chunk) {
    const part = x.subarray(o, Math.min(n, o + chunk));
    const buf = await tx.decodeToGpu('F32', f32Bytes(part), part.length);
    await stats.reduce(buf, part.length, gpuFold);
    cpuFold.addReduce(statsReduceCpu(part), part.length);
  }
  for (let o = 0; o < n; o += chunk) {
    const part = x.subarray(o, Math.min(n, o + chunk));
    const buf = await tx.decodeToGpu('F32', f32Bytes(part), part.length);
    await stats.histogram(buf, part.length, gpuFold);
    cpuFold.addHistogramSlots(statsHistogramCpu(part, cpuFold.histParams()));
  }
  const plain = (r: TensorStats) => ({ ...r, histogram: Array.from(r.histogram) });
  return { gpu: plain(gpuFold.result()), cpu: plain(cpuFold.result()) };
}

/** A tensor converted in chunks of `chunkElements` equals the same tensor converted whole. */
async function chunkedEqualsWhole(from: string, to: string, elements: number, chunkElements: number, seed: number) {
  const f = toName(from);
  const t = toName(to);
  const next = rng(seed);
  const x = new Float32Array(elements);
  for (let i = 0; i < elements; i++) x[i] = ((next() / 2 ** 32) * 2 - 1) * 0.1;
  const { tx } = await env();
  const src = f === 'F32' ? f32Bytes(x) : await tx.run('F32', f, f32Bytes(x), elements);
  const whole = await tx.run(f, t, src, elements);
  const inPer = TYPES[f].typeSize / TYPES[f].blockSize;
  const parts: Uint8Array[] = [];
  for (let o = 0; o < elements; o += chunkElements) {
    const e = Math.min(chunkElements, elements - o);
    parts.push(await tx.run(f, t, src.subarray(o * inPer, (o + e) * inPer), e));
  }
  const joined = new Uint8Array(whole.length);
  let off = 0;
  for (const p of parts) (joined.set(p, off), (off += p.length));
  let diff = 0;
  for (let i = 0; i < whole.length; i++) if (whole[i] !== joined[i]) diff++;
  return { bytes: whole.length, diff, joinedBytes: off };
}

/**
 * div_rn, sqrt_rn and nearest_int on the GPU against JavaScript's correctly rounded results, on
 * random bit patterns of every exponent (subnormals, Inf, NaN included) plus ratios near ties.
 */
async function fmathCompare(n: number, seed: number) {
  const next = rng(seed);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  const au = new Uint32Array(a.buffer);
  const bu = new Uint32Array(b.buffer);
  for (let i = 0; i < n; i++) {
    au[i] = next();
    bu[i] = next();
    if (i % 4 === 1) b[i] = Math.fround((next() % 2001) - 1000) / 2 ** (next() % 8); // nearest_int range, ties
    if (i % 4 === 2) a[i] = Math.fround(Math.fround(b[i]! * ((next() % 255) + 1)) / 1); // exact-ish quotients
    if (i % 8 === 3) au[i] = next() & 0x807fffff; // subnormals
  }
  const { ctx } = await env();
  const got = await runFmath(ctx, a, b);
  const bad = { div: 0, sqrt: 0, nint: 0, first: [] as string[] };
  const F = new Float32Array(1);
  const U = new Uint32Array(F.buffer);
  const same = (g: number, want: number) => {
    F[0] = want;
    const w = U[0]!;
    F[0] = 0;
    U[0] = g;
    return g === w || (Number.isNaN(F[0]) && Number.isNaN(want));
  };
  for (let i = 0; i < n; i++) {
    if (!same(got[3 * i]!, a[i]! / b[i]!)) {
      bad.div++;
      if (bad.first.length < 6) bad.first.push(`div ${a[i]} / ${b[i]}: got 0x${got[3 * i]!.toString(16)}`);
    }
    if (!same(got[3 * i + 1]!, Math.sqrt(a[i]!))) {
      bad.sqrt++;
      if (bad.first.length < 6) bad.first.push(`sqrt ${a[i]}: got 0x${got[3 * i + 1]!.toString(16)}`);
    }
    const bv = b[i]!;
    if (Math.abs(bv) <= 4194303) {
      const want = Math.fround(bv + 12582912) - 12582912;
      if ((got[3 * i + 2]! | 0) !== want) {
        bad.nint++;
        if (bad.first.length < 6) bad.first.push(`nearest_int ${bv}: got ${got[3 * i + 2]! | 0} want ${want}`);
      }
    }
  }
  return bad;
}

const harness = { fmathCompare, gpuInfo, decodeGolden, encodeGolden, castBits, statsCompare, chunkedEqualsWhole };

/**
 * More harness functions come from test/harness/ext-*.ts: each module exports `harnessExt`, an
 * object of async functions taking an `env` accessor first; they appear as window.harnessExt.*.
 */
export type HarnessEnv = typeof env;
type ExtFn = (env: HarnessEnv, ...args: never[]) => Promise<unknown>;
const extModules = import.meta.glob('./ext-*.ts', { eager: true }) as Record<string, { harnessExt: Record<string, ExtFn> }>;
const harnessExt: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
for (const mod of Object.values(extModules)) {
  for (const [name, fn] of Object.entries(mod.harnessExt)) {
    harnessExt[name] = (...args: unknown[]) => fn(env, ...(args as never[]));
  }
}

declare global {
  interface Window {
    harness: typeof harness;
    harnessExt: Record<string, (...args: unknown[]) => Promise<unknown>>;
    harnessReady: boolean;
  }
}
window.harness = harness;
window.harnessExt = harnessExt;
window.harnessReady = true;
