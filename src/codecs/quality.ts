import type { TypeName } from './catalogue';
import { CPU_CODECS } from './registry';
import { wasmDecodeF16 } from './wasm-codecs';

/**
 * How far a converted tensor is from its input: sums gathered chunk by chunk during the run (from
 * the input's f32 values and the encoded output decoded again), then RMSE, max abs error, cosine
 * similarity and SNR. Pairs where either value is NaN or Inf are counted and left out of the sums
 * (the run's data check refuses such tensors anyway where llama-quantize would).
 */
export interface QualitySums {
  /** Finite pairs summed. */
  n: number;
  /** Pairs left out because a value was NaN or Inf. */
  nonFinite: number;
  /** Σ (out - in)² */
  sse: number;
  /** Σ in² */
  sumIn2: number;
  /** Σ out² */
  sumOut2: number;
  /** Σ in·out */
  dot: number;
  /** max |out - in| */
  maxAbs: number;
}

export interface TensorQuality {
  readonly name: string;
  readonly from: TypeName;
  readonly to: TypeName;
  readonly elements: number;
  readonly rmse: number;
  readonly maxAbsError: number;
  /** 1 when both are all zero; 0 when only one is. */
  readonly cosine: number;
  /** 10·log10(Σin² / Σ(out-in)²); Infinity for an exact conversion. */
  readonly snrDb: number;
  readonly nonFinite: number;
}

export function emptySums(): QualitySums {
  return { n: 0, nonFinite: 0, sse: 0, sumIn2: 0, sumOut2: 0, dot: 0, maxAbs: 0 };
}

export function addSums(a: QualitySums, b: QualitySums): QualitySums {
  a.n += b.n;
  a.nonFinite += b.nonFinite;
  a.sse += b.sse;
  a.sumIn2 += b.sumIn2;
  a.sumOut2 += b.sumOut2;
  a.dot += b.dot;
  a.maxAbs = Math.max(a.maxAbs, b.maxAbs);
  return a;
}

/**
 * The CPU twin of shaders/quality.wgsl: every product and sum in float64, element by element, so
 * it is the reference the GPU's f32 partial sums are held to (see the shader for the bound).
 */
export function qualitySumsCpu(input: Float32Array, output: Float32Array): QualitySums {
  if (input.length !== output.length) throw new RangeError(`quality: ${input.length} input values but ${output.length} output values`);
  // fast path: with every value finite no float64 sum can overflow (f32 squares are below 2^256),
  // so a non-finite total means a NaN or Inf is present and the careful loop below runs instead
  let sse = 0;
  let sumIn2 = 0;
  let sumOut2 = 0;
  let dot = 0;
  let maxAbs = 0;
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const x = input[i]!;
    const y = output[i]!;
    const e = y - x;
    sse += e * e;
    sumIn2 += x * x;
    sumOut2 += y * y;
    dot += x * y;
    const a = e < 0 ? -e : e;
    if (a > maxAbs) maxAbs = a;
  }
  if (Number.isFinite(sse + sumIn2 + sumOut2 + dot)) return { n, nonFinite: 0, sse, sumIn2, sumOut2, dot, maxAbs };
  const s = emptySums();
  for (let i = 0; i < n; i++) {
    const x = input[i]!;
    const y = output[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      s.nonFinite++;
      continue;
    }
    const e = y - x;
    s.n++;
    s.sse += e * e;
    s.sumIn2 += x * x;
    s.sumOut2 += y * y;
    s.dot += x * y;
    const a = Math.abs(e);
    if (a > s.maxAbs) s.maxAbs = a;
  }
  return s;
}

/** A CPU decoder to f32 for any type with one (F32 copied as is). */
export function decoderFor(type: TypeName): (src: Uint8Array, dst: Float32Array) => void {
  if (type === 'F32') return (src, dst) => dst.set(new Float32Array(src.buffer.slice(src.byteOffset, src.byteOffset + dst.length * 4)));
  const d = (type === 'F16' ? wasmDecodeF16() : null) ?? CPU_CODECS[type].decode;
  if (!d) throw new Error(`no CPU decoder for ${type}`);
  return d;
}

/** Sums for one converted chunk: both sides decoded with the CPU codecs. */
let scratchA = new Float32Array(0);
let scratchB = new Float32Array(0);

export function chunkQualityCpu(from: TypeName, to: TypeName, input: Uint8Array, output: Uint8Array, elements: number): QualitySums {
  // scratch reused between chunks (one thread calls this at a time): two f32 copies of a chunk
  if (scratchA.length < elements) {
    scratchA = new Float32Array(elements);
    scratchB = new Float32Array(elements);
  }
  const a = scratchA.subarray(0, elements);
  const b = scratchB.subarray(0, elements);
  decoderFor(from)(input, a);
  decoderFor(to)(output, b);
  return qualitySumsCpu(a, b);
}

export function finishQuality(name: string, from: TypeName, to: TypeName, s: QualitySums): TensorQuality {
  const rmse = s.n > 0 ? Math.sqrt(s.sse / s.n) : 0;
  const norms = Math.sqrt(s.sumIn2) * Math.sqrt(s.sumOut2);
  const cosine = s.sumIn2 === 0 && s.sumOut2 === 0 ? 1 : norms === 0 ? 0 : Math.max(-1, Math.min(1, s.dot / norms));
  const snrDb = s.sse === 0 ? Infinity : s.sumIn2 === 0 ? -Infinity : 10 * Math.log10(s.sumIn2 / s.sse);
  return { name, from, to, elements: s.n + s.nonFinite, rmse, maxAbsError: s.maxAbs, cosine, snrDb, nonFinite: s.nonFinite };
}
