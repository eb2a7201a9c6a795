/**
 * What an importance matrix file holds, whichever of llama.cpp's two formats it came in, and the
 * per-column weights llama-quantize derives from it (tools/quantize/quantize.cpp load_imatrix at
 * llama.cpp 34af94cd).
 */
import { FormatError } from '../errors';

export interface ImatrixEntry {
  /** The weight tensor the entry is for (the GGUF format's `<name>.in_sum2` without the suffix). */
  readonly name: string;
  /**
   * GGUF: in_sum2, the sums of squared activations, n_in per expert, experts one after another.
   * .dat: the stored values (already divided by the token count, then multiplied by ncall).
   */
  readonly sums: Float32Array;
  /** GGUF: tokens seen per expert (counts rounded with lround). .dat: one value, ncall. */
  readonly counts: readonly number[];
}

export interface Imatrix {
  readonly format: 'gguf' | 'dat';
  readonly file: string;
  /** imatrix.datasets (GGUF) or the .dat trailer's one name; the first is what llama-quantize records. */
  readonly datasets: readonly string[];
  /** imatrix.chunk_count, or the .dat trailer's call count; 0 when absent. */
  readonly chunkCount: number;
  /** imatrix.chunk_size (GGUF only; 0 otherwise). */
  readonly chunkSize: number;
  /** By name in byte order, as common_imatrix keeps them (a std::map). */
  readonly entries: readonly ImatrixEntry[];
}

/**
 * load_imatrix's float weights per entry: GGUF sums divided by their expert's count (1 where the
 * count is 0), .dat values divided by ncall (kept as they are where ncall is not positive). The
 * division is float32 by float32, as C does `float / (float)count` and `float / int64`.
 */
export function imatrixWeights(im: Imatrix): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const e of im.entries) {
    const w = new Float32Array(e.sums.length);
    if (im.format === 'gguf') {
      const nc = e.counts.length;
      const ne0 = Math.floor(e.sums.length / nc);
      for (let j = 0; j < nc; j++) {
        const count = Math.fround(e.counts[j]!);
        for (let i = 0; i < ne0; i++) w[j * ne0 + i] = count > 0 ? e.sums[j * ne0 + i]! / count : 1;
      }
    } else {
      const ncall = e.counts[0] ?? 0;
      const div = Math.fround(ncall);
      for (let i = 0; i < e.sums.length; i++) w[i] = ncall > 0 ? e.sums[i]! / div : e.sums[i]!;
    }
    out.set(e.name, w);
  }
  return out;
}

/**
 * prepare_imatrix's filters: --exclude-weights drops every entry whose name contains one of the
 * strings; --include-weights keeps only those containing one. llama-quantize refuses both at once.
 */
export function filterImatrix(weights: ReadonlyMap<string, Float32Array>, include: readonly string[], exclude: readonly string[]): Map<string, Float32Array> {
  let out = new Map(weights);
  if (exclude.length > 0) out = new Map([...out].filter(([n]) => !exclude.some((x) => n.includes(x))));
  if (include.length > 0) out = new Map([...out].filter(([n]) => include.some((x) => n.includes(x))));
  return out;
}

/** llama_model_quantize_impl refuses an imatrix holding NaN or Inf before writing anything. */
export function checkImatrixFinite(file: string, weights: ReadonlyMap<string, Float32Array>): void {
  for (const [name, w] of weights) {
    for (let i = 0; i < w.length; i++) {
      if (!Number.isFinite(w[i]!)) {
        throw new FormatError({ format: 'imatrix', file, tensor: name }, `imatrix contains non-finite value ${w[i]} (column ${i}); llama-quantize refuses it`);
      }
    }
  }
}

/** Byte-wise name order (std::map<std::string> compares bytes). */
export function byteOrder(a: string, b: string): number {
  const ea = new TextEncoder().encode(a);
  const eb = new TextEncoder().encode(b);
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) if (ea[i] !== eb[i]) return ea[i]! - eb[i]!;
  return ea.length - eb.length;
}
