import { IQ1S_GRID } from '../codecs/iq-grid-1bit';
import { IQ2S_GRID, IQ2XS_GRID, IQ2XXS_GRID } from '../codecs/iq-grid-2bit';
import { IQ3S_GRID, IQ3XXS_GRID, KSIGNS_IQ2XS } from '../codecs/iq-tables';
import { buildSearchTable, gridLevels } from '../codecs/iq-search-table';
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

/** The encoders' search tables: layout and contents in codecs/iq-search-table.ts. */
const bytesOf = (w: Uint32Array) => new Uint8Array(w.buffer, w.byteOffset, w.byteLength);
const bytes64 = (grid: readonly bigint[]) => {
  const w = new Uint32Array(2 * grid.length);
  words64(grid, w, 0);
  return bytesOf(w);
};

/** iq3xs_init_impl(256): nwant 2, every 3-bit level reachable. */
export const IQ3XXS_SEARCH: GpuTable = {
  name: 'iq3xxs-search',
  build: () => buildSearchTable(gridLevels(bytesOf(IQ3XXS_GRID), [4, 12, 20, 28, 36, 44, 52, 62]), 4, 3, 2, 4096, 7),
};
/** iq3xs_init_impl(512): nwant 3. */
export const IQ3S_SEARCH: GpuTable = {
  name: 'iq3s-search',
  build: () => buildSearchTable(gridLevels(bytesOf(IQ3S_GRID), [1, 3, 5, 7, 9, 11, 13, 15]), 4, 3, 3, 4096, 7),
};
/** iq2xs_init_impl(IQ2_S): nwant 1, kmap_size 43692, levels 0..2 reachable. */
export const IQ2S_SEARCH: GpuTable = {
  name: 'iq2s-search',
  build: () => buildSearchTable(gridLevels(bytes64(IQ2S_GRID), [0x08, 0x19, 0x2b]), 8, 2, 1, 43692, 2),
};
/** iq2xs_init_impl(IQ2_XXS): 256 points, nwant 2, kmap_size 43692. */
export const IQ2XXS_SEARCH: GpuTable = {
  name: 'iq2xxs-search',
  build: () => buildSearchTable(gridLevels(bytes64(IQ2XXS_GRID), [0x08, 0x19, 0x2b]), 8, 2, 2, 43692, 2),
};
/** iq2xs_init_impl(IQ2_XS): 512 points, nwant 2. */
export const IQ2XS_SEARCH: GpuTable = {
  name: 'iq2xs-search',
  build: () => buildSearchTable(gridLevels(bytes64(IQ2XS_GRID), [0x08, 0x19, 0x2b]), 8, 2, 2, 43692, 2),
};
/**
 * iq2xs_init_impl(IQ1_M): nwant 3, grid values -1, 0, +1 as levels 0, 1, 2. iq2xs_init_impl(IQ1_S)
 * builds the identical table (same grid, kmap_size and nwant), so the IQ1_S encoder binds this one.
 */
export const IQ1M_SEARCH: GpuTable = {
  name: 'iq1m-search',
  build: () => buildSearchTable(gridLevels(bytes64(IQ1S_GRID), [0xff, 0x00, 0x01]), 8, 2, 3, 43692, 2),
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

/**
 * IQ kernels: decoders in shaders/iquants-decode.wgsl; encoders in iquants-iq4 / -iq3 / -iq2s /
 * -iq1m.wgsl, with an importance matrix in the -w modules. ggml_quantize_chunk refuses IQ2_XXS,
 * IQ2_XS and IQ1_S without an importance matrix, so they have only weighted encoders
 * (iquants-iq2xxs-w.wgsl, iquants-iq1s-w.wgsl).
 */
export const IQUANTS_KERNELS = {
  IQ2_XXS: {
    decode: dec('decode_iq2_xxs', 32),
    encode: null,
    encodeWeighted: { ...enc('iquants-iq2xxs-w', 'encode_iq2_xxs_w', 2, IQ2XXS_SEARCH), reportsAbort: true, weighted: true },
  },
  IQ2_XS: {
    decode: dec('decode_iq2_xs', 32),
    encode: null,
    encodeWeighted: { ...enc('iquants-iq2xxs-w', 'encode_iq2_xs_w', 2, IQ2XS_SEARCH), reportsAbort: true, weighted: true },
  },
  IQ2_S: {
    decode: dec('decode_iq2_s', 32),
    encode: { ...enc('iquants-iq2s', 'encode_iq2_s', 2, IQ2S_SEARCH), reportsAbort: true },
    encodeWeighted: { ...enc('iquants-iq2s-w', 'encode_iq2_s_w', 2, IQ2S_SEARCH), reportsAbort: true, weighted: true },
  },
  IQ3_XXS: {
    decode: dec('decode_iq3_xxs', 32),
    encode: { ...enc('iquants-iq3', 'encode_iq3_xxs', 2, IQ3XXS_SEARCH), reportsAbort: true },
    encodeWeighted: { ...enc('iquants-iq3-w', 'encode_iq3_xxs_w', 2, IQ3XXS_SEARCH), reportsAbort: true, weighted: true },
  },
  IQ3_S: {
    decode: dec('decode_iq3_s', 32),
    encode: { ...enc('iquants-iq3', 'encode_iq3_s', 2, IQ3S_SEARCH), reportsAbort: true },
    encodeWeighted: { ...enc('iquants-iq3-w', 'encode_iq3_s_w', 2, IQ3S_SEARCH), reportsAbort: true, weighted: true },
  },
  IQ1_S: {
    decode: dec('decode_iq1_s', 32),
    encode: null,
    encodeWeighted: { ...enc('iquants-iq1s-w', 'encode_iq1_s_w', 2, IQ1M_SEARCH), reportsAbort: true, weighted: true },
  },
  IQ1_M: {
    decode: dec('decode_iq1_m', 32),
    encode: { ...enc('iquants-iq1m', 'encode_iq1_m', 1, IQ1M_SEARCH), reportsAbort: true },
    encodeWeighted: { ...enc('iquants-iq1m-w', 'encode_iq1_m_w', 1, IQ1M_SEARCH), reportsAbort: true, weighted: true },
  },
  IQ4_NL: { decode: dec('decode_iq4_nl', 4, false), encode: enc('iquants-iq4', 'encode_iq4_nl', 2), encodeWeighted: { ...enc('iquants-iq4', 'encode_iq4_nl_w', 2), weighted: true } },
  IQ4_XS: { decode: dec('decode_iq4_xs', 32, false), encode: enc('iquants-iq4', 'encode_iq4_xs', 1), encodeWeighted: { ...enc('iquants-iq4', 'encode_iq4_xs_w', 1), weighted: true } },
} as const satisfies Record<string, GpuCodecKernels>;
