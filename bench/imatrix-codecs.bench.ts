import { it } from 'vitest';
import { TYPES, type TypeName } from '../src/codecs/catalogue';
import { CPU_CODECS } from '../src/codecs/registry';
import { wasmWeightedEncoder } from '../src/codecs/wasm-codecs';
import { fixtureBytes } from '../test/support/fixtures';
import { report, fmt } from './support/report';

/**
 * Encoders with an importance matrix on one thread in Node: the wasm encode_<type>_w next to the
 * TypeScript weighted twin, MB/s of f32 input (best of 3), on the golden imatrix rows (4096
 * columns) repeated to KILN_BENCH_ELEMENTS (default 1 Mi); every row checks the bytes are equal.
 */
const N = Number(process.env.KILN_BENCH_ELEMENTS ?? 1 << 20);
const TYPES_W: TypeName[] = ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'IQ4_NL', 'IQ4_XS', 'IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ1_S', 'IQ1_M'];

function best(fn: () => void): number {
  let t = Infinity;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

it('weighted encoders: wasm vs TypeScript', () => {
  const golden = new Float32Array(fixtureBytes('golden/imatrix/input.f32').buffer);
  const weights = new Float32Array(fixtureBytes('golden/imatrix/imatrix.f32').buffer);
  const n = Math.max(golden.length, Math.floor(N / golden.length) * golden.length);
  const x = new Float32Array(n);
  for (let o = 0; o < n; o += golden.length) x.set(golden.subarray(0, Math.min(golden.length, n - o)), o);
  const rows: Record<string, string | number>[] = [];
  for (const t of TYPES_W) {
    const out = (n / TYPES[t].blockSize) * TYPES[t].typeSize;
    const a = new Uint8Array(out);
    const b = new Uint8Array(out);
    const wasm = wasmWeightedEncoder(t)!;
    const tsMs = best(() => CPU_CODECS[t].encode!(x, a, weights));
    const wasmMs = best(() => wasm(x, b, weights));
    const same = a.every((v, i) => v === b[i]);
    const mbs = (ms: number) => (n * 4) / 1e6 / (ms / 1000);
    rows.push({ type: t, 'TS MB/s': fmt(mbs(tsMs)), 'wasm MB/s': fmt(mbs(wasmMs)), 'wasm/TS': fmt(tsMs / wasmMs, 2) + (same ? '' : ' (outputs differ!)') });
  }
  report('imatrix-codecs', `Encoders with importance weights, one thread in Node, MB/s of f32 (${n} elements, best of 3)`, rows);
});
