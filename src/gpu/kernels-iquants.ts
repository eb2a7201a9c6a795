import { IQ1S_GRID } from '../codecs/iq-grid-1bit';
import { IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID } from '../codecs/iq-grid-2bit';
import { IQ3S_GRID, IQ3XXS_GRID, KSIGNS_IQ2XS } from '../codecs/iq-tables';
import type { GpuCodecKernels, GpuKernel, GpuTable } from './kernel';

/** 64-bit grid points as (low word, high word) pairs. */
function words64(grid: readonly bigint[], out: Uint32Array, at: number): number {
  for (let k = 0; k < grid.length; k++) {
    out[at + 2 * k] = Number(grid[k]! & 0xffffffffn);
    out[at + 2 * k + 1] = Number(grid[k]! >> 32n);
  }
  return at + 2 * grid.length;
}

/**
 * The decoders' table (shaders/iquants-decode.wgsl, binding 3): iq2xxs, iq2xs, iq2s grids, then
 * iq3xxs, iq3s, iq1s grids and ksigns_iq2xs, at the word offsets the shader's T_* constants name.
 */
export const IQ_DECODE_TABLE: GpuTable = {
  name: 'iq-decode-grids',
  build() {
    const t = new Uint32Array(8480);
    let at = words64(IQ2XXS_GRID, t, 0);
    at = words64(IQ2XS_GRID, t, at);
    at = words64(IQ2S_GRID, t, at);
    if (at !== 3584) throw new Error(`iq decode table: iq3xxs at ${at}, shader expects 3584`);
    t.set(IQ3XXS_GRID, at);
    t.set(IQ3S_GRID, at + 256);
    at = words64(IQ1S_GRID, t, at + 768);
    if (at !== 8448) throw new Error(`iq decode table: ksigns at ${at}, shader expects 8448`);
    t.set(new Uint32Array(KSIGNS_IQ2XS.buffer, KSIGNS_IQ2XS.byteOffset, 32), at);
    return t;
  },
};

/** A decoder that gives each of `lanes` lanes 8 outputs of one block. */
const dec = (entry: string, lanes: number, table = true): GpuKernel => ({
  module: 'iquants-decode',
  entry,
  blocksPerInvocation: 1,
  invocationsPerGroup: lanes,
  ...(table ? { table: IQ_DECODE_TABLE } : {}),
});

/** An encoder lane: `blocks` whole blocks, searched sequentially (64 lanes per workgroup). */
const enc = (module: string, entry: string, blocks: number, table?: GpuTable): GpuKernel => ({
  module,
  entry,
  blocksPerInvocation: blocks,
  ...(table ? { table } : {}),
});

export const IQUANTS_KERNELS = {
  IQ2_XXS: { decode: dec('decode_iq2_xxs', 32), encode: null },
  IQ2_XS: { decode: dec('decode_iq2_xs', 32), encode: null },
  IQ2_S: { decode: dec('decode_iq2_s', 32), encode: null },
  IQ3_XXS: { decode: dec('decode_iq3_xxs', 32), encode: null },
  IQ3_S: { decode: dec('decode_iq3_s', 32), encode: null },
  IQ1_S: { decode: dec('decode_iq1_s', 32), encode: null },
  IQ1_M: { decode: dec('decode_iq1_m', 32), encode: null },
  IQ4_NL: { decode: dec('decode_iq4_nl', 4, false), encode: enc('iquants-iq4', 'encode_iq4_nl', 2) },
  IQ4_XS: { decode: dec('decode_iq4_xs', 32, false), encode: enc('iquants-iq4', 'encode_iq4_xs', 1) },
} as const satisfies Record<string, GpuCodecKernels>;
