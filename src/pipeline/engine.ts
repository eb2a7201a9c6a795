import { TYPES, type TypeName } from '../codecs/catalogue';
import { CPU_CODECS } from '../codecs/registry';
import type { CpuCodec } from '../codecs/codec';
import { wasmDecodeF16, wasmEncoder, wasmEncoderFromF16, wasmWeightedEncoder, WASM_WEIGHTED_MAX_ROW } from '../codecs/wasm-codecs';

/**
 * Converts chunks of whole blocks between two types. The GPU engine runs WGSL kernels; the CPU
 * engine runs the TypeScript twins (Node CLI, browsers without WebGPU, and after a device loss),
 * with the WebAssembly encoders in their place wherever wasm can run (same bytes, faster).
 */
export interface TransformEngine {
  readonly label: string;
  /** Chunks it converts at once (threads, GPU slots); the executor keeps that many in flight. */
  readonly parallelism?: number;
  /** Largest chunk, in elements, this engine takes for the pair (a multiple of both block sizes). */
  maxChunkElements(from: TypeName, to: TypeName): number;
  /** Whether the pair can be converted (decoder for `from` and encoder for `to` exist). */
  supports(from: TypeName, to: TypeName): boolean;
  /** Whether transform takes importance weights (the CPU codecs do for every type). */
  readonly acceptsWeights?: boolean;
  /** With acceptsWeights, the targets it takes them for when not all (the GPU: those with a weighted kernel). */
  acceptsWeightsFor?(to: TypeName): boolean;
  /**
   * Whether the pair can be converted with importance weights, where that differs from `supports`
   * (the GPU has a weighted kernel for IQ2_XXS and IQ2_XS, which have no unweighted one). Absent:
   * supports(from, to) and the weights accepted for `to`.
   */
  supportsWeighted?(from: TypeName, to: TypeName): boolean;
  /**
   * Converts `elements` elements. `out`, when given and large enough, receives the result and the
   * returned array is a view of it (so a caller can recycle output buffers). `weights`, the
   * importance matrix's per-column weights for these rows (one per element of a row), makes the
   * encoder quantize as ggml does with quant_weights; the chunk is then whole rows.
   */
  transform(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<Uint8Array>;
  dispose(): void;
}

/** Bytes `elements` elements of `to` take. */
export function outputBytes(to: TypeName, elements: number): number {
  return (elements / TYPES[to].blockSize) * TYPES[to].typeSize;
}

export function lcm(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return (a / x) * b;
}

/** Elements per chunk that keep every chunk whole blocks of both types. */
export function chunkGranule(from: TypeName, to: TypeName): number {
  return lcm(TYPES[from].blockSize, TYPES[to].blockSize);
}

const CPU_CHUNK_BYTES = 8 * 1024 * 1024;

export class CpuEngine implements TransformEngine {
  readonly label = 'CPU (TypeScript codecs)';
  readonly acceptsWeights = true;
  private scratch = new Float32Array(0);

  supports(from: TypeName, to: TypeName): boolean {
    return (from === 'F32' || CPU_CODECS[from].decode !== null) && (to === 'F32' || CPU_CODECS[to].encode !== null);
  }

  maxChunkElements(from: TypeName, to: TypeName): number {
    const g = chunkGranule(from, to);
    return Math.max(g, Math.floor(CPU_CHUNK_BYTES / 4 / g) * g);
  }

  async transform(from: TypeName, to: TypeName, bytes: Uint8Array, elements: number, out?: Uint8Array, weights?: Float32Array): Promise<Uint8Array> {
    const decode = (from === 'F16' ? wasmDecodeF16() : null) ?? CPU_CODECS[from].decode;
    // with importance weights: the wasm weighted encoder where it has the type and the row fits
    const weighted = weights !== undefined && weights.length <= WASM_WEIGHTED_MAX_ROW ? wasmWeightedEncoder(to) : null;
    const encode: CpuCodec['encode'] =
      weighted !== null ? (src, dst, w) => weighted(src, dst, w!) : weights !== undefined ? CPU_CODECS[to].encode : (wasmEncoder(to) ?? CPU_CODECS[to].encode);
    if (!decode) throw new Error(`no CPU decoder for ${from}`);
    if (!encode) throw new Error(`no CPU encoder for ${to}`);
    const n = outputBytes(to, elements);
    const dst = out !== undefined && out.length >= n ? out.subarray(0, n) : new Uint8Array(n);
    const fromHalf = from === 'F16' && weights === undefined ? wasmEncoderFromF16(to) : null;
    if (fromHalf !== null) {
      fromHalf(bytes.subarray(0, elements * 2), dst);
      return dst;
    }
    if (to === 'F32' && dst.byteOffset % 4 === 0) {
      decode(bytes, new Float32Array(dst.buffer, dst.byteOffset, elements));
      return dst;
    }
    if (this.scratch.length < elements) this.scratch = new Float32Array(elements);
    const f32 = this.scratch.subarray(0, elements);
    decode(bytes, f32);
    if (to === 'F32') dst.set(new Uint8Array(f32.buffer, f32.byteOffset, n));
    else encode(f32, dst, weights);
    return dst;
  }

  dispose(): void {}
}
