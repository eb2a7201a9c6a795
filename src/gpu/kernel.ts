import type { TypeName } from '../codecs/catalogue';

/**
 * A compute entry point that converts blocks of one type: decode (blocks -> f32) or encode
 * (f32 -> blocks). Every codec kernel has the same interface:
 *   @binding(0) src: array<u32>   (input bytes packed in words, or f32 bits)
 *   @binding(1) dst: array<u32>   (output bytes packed in words, or f32 bits)
 *   @binding(2) params: uniform { n: u32, zero: u32, _p2: u32, _p3: u32 }
 *               n = blocks in this chunk; zero = 0 at run time (fmath.wgsl's anti-FMA barrier)
 * and an `override WG: u32` workgroup size. One invocation handles `blocksPerInvocation` blocks,
 * chosen so that an encoder's output is whole u32 words (Q8_0's 34-byte blocks go in pairs).
 */
export interface GpuKernel {
  readonly module: string;
  readonly entry: string;
  readonly blocksPerInvocation: number;
  /** Invocations per workgroup; heavy per-block searches use fewer. Default 256 (64 for encoders). */
  readonly workgroupSize?: number;
  /**
   * Invocations that share one group of `blocksPerInvocation` blocks (a decoder that gives each
   * lane a slice of a block, so neighbouring lanes write neighbouring words). Default 1.
   */
  readonly invocationsPerGroup?: number;
  /** A read-only table bound at @binding(3) (grids, neighbour lists), uploaded once per device. */
  readonly table?: GpuTable;
  /**
   * An encoder with an importance matrix: the per-column weights at @binding(4) (f32, one per
   * element of a row), params._p2 the row length; the chunk is whole rows.
   */
  readonly weighted?: boolean;
  /**
   * The encoder reports ggml's abort conditions at @binding(5) (two atomic u32: the reason code,
   * 0 for none, and the lowest aborting block) instead of writing bytes ggml would not.
   */
  readonly reportsAbort?: boolean;
}

/** Constant data a kernel reads from a storage buffer; `build` runs once per device. */
export interface GpuTable {
  readonly name: string;
  build(): Uint32Array<ArrayBuffer>;
}

/** `identity` is F32 itself: no dispatch needed. null: no GPU kernel for that direction. */
export type GpuStep = GpuKernel | 'identity' | null;

export interface GpuCodecKernels {
  readonly decode: GpuStep;
  readonly encode: GpuStep;
  /** The encoder ggml_quantize_chunk runs when given quant_weights, where there is a GPU one. */
  readonly encodeWeighted?: GpuKernel;
}

export type GpuKernelTable = Partial<Record<TypeName, GpuCodecKernels>>;
