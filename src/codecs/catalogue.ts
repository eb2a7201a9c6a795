/**
 * The type catalogue: every tensor element type Kiln knows, keyed by the name the specs use.
 *
 * Sizes (elements per block, bytes per block) live here and nowhere else. ggml ids and block
 * layouts follow ggml.h / ggml-common.h at llama.cpp 34af94cd; safetensors names follow the
 * safetensors spec's Dtype enum. Codecs (CPU twins) and GPU kernels are attached in their own
 * exhaustive tables (codecs/registry.ts, gpu/kernels.ts), each keyed by `TypeName`, so a type
 * that lacks an entry there fails type-checking.
 */

export type TypeFamily =
  | 'float' // IEEE-like floats, one element per "block"
  | 'int' // signed or unsigned integers, bool
  | 'quant'; // block-quantized ggml types

export interface TypeInfo {
  /** Elements per block; 1 for plain dtypes. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly typeSize: number;
  /** ggml_type id, or null when GGUF cannot store the type. */
  readonly ggmlId: number | null;
  /** safetensors dtype string, or null when safetensors cannot store the type. */
  readonly safetensors: string | null;
  readonly family: TypeFamily;
  /** ggml refuses to quantize this type without an importance matrix (ggml_quantize_requires_imatrix). */
  readonly needsImatrix: boolean;
}

const plain = (typeSize: number, ggmlId: number | null, safetensors: string | null, family: TypeFamily): TypeInfo => ({
  blockSize: 1,
  typeSize,
  ggmlId,
  safetensors,
  family,
  needsImatrix: false,
});

const quant = (ggmlId: number, blockSize: number, typeSize: number, needsImatrix = false): TypeInfo => ({
  blockSize,
  typeSize,
  ggmlId,
  safetensors: null,
  family: 'quant',
  needsImatrix,
});

export const TYPES = {
  F64: plain(8, 28, 'F64', 'float'),
  F32: plain(4, 0, 'F32', 'float'),
  F16: plain(2, 1, 'F16', 'float'),
  BF16: plain(2, 30, 'BF16', 'float'),
  F8_E4M3: plain(1, null, 'F8_E4M3', 'float'),
  F8_E5M2: plain(1, null, 'F8_E5M2', 'float'),
  I64: plain(8, 27, 'I64', 'int'),
  I32: plain(4, 26, 'I32', 'int'),
  I16: plain(2, 25, 'I16', 'int'),
  I8: plain(1, 24, 'I8', 'int'),
  U64: plain(8, null, 'U64', 'int'),
  U32: plain(4, null, 'U32', 'int'),
  U16: plain(2, null, 'U16', 'int'),
  U8: plain(1, null, 'U8', 'int'),
  BOOL: plain(1, null, 'BOOL', 'int'),
  Q4_0: quant(2, 32, 18),
  Q4_1: quant(3, 32, 20),
  Q5_0: quant(6, 32, 22),
  Q5_1: quant(7, 32, 24),
  Q8_0: quant(8, 32, 34),
  Q8_1: quant(9, 32, 36),
  Q2_K: quant(10, 256, 84),
  Q3_K: quant(11, 256, 110),
  Q4_K: quant(12, 256, 144),
  Q5_K: quant(13, 256, 176),
  Q6_K: quant(14, 256, 210),
  Q8_K: quant(15, 256, 292),
  IQ2_XXS: quant(16, 256, 66, true),
  IQ2_XS: quant(17, 256, 74, true),
  IQ3_XXS: quant(18, 256, 98),
  IQ1_S: quant(19, 256, 50, true),
  IQ4_NL: quant(20, 32, 18),
  IQ3_S: quant(21, 256, 110),
  IQ2_S: quant(22, 256, 82),
  IQ4_XS: quant(23, 256, 136),
  IQ1_M: quant(29, 256, 56),
  TQ1_0: quant(34, 256, 54),
  TQ2_0: quant(35, 256, 66),
  MXFP4: quant(39, 32, 17),
  NVFP4: quant(40, 64, 36),
  Q1_0: quant(41, 128, 18),
  Q2_0: quant(42, 64, 18),
} as const satisfies Record<string, TypeInfo>;

export type TypeName = keyof typeof TYPES;

export const TYPE_NAMES = Object.keys(TYPES) as TypeName[];

const byGgmlId = new Map<number, TypeName>();
const bySafetensors = new Map<string, TypeName>();
for (const name of TYPE_NAMES) {
  const t: TypeInfo = TYPES[name];
  if (t.ggmlId !== null) byGgmlId.set(t.ggmlId, name);
  if (t.safetensors !== null) bySafetensors.set(t.safetensors, name);
}

/** ggml ids that once existed and were removed (Q4_2, Q4_3, the repacked Q4_0_x_y / IQ4_NL_x_y). */
const RETIRED_GGML_IDS: ReadonlyMap<number, string> = new Map([
  [4, 'Q4_2'],
  [5, 'Q4_3'],
  [31, 'Q4_0_4_4'],
  [32, 'Q4_0_4_8'],
  [33, 'Q4_0_8_8'],
  [36, 'IQ4_NL_4_4'],
  [37, 'IQ4_NL_4_8'],
  [38, 'IQ4_NL_8_8'],
]);

export function isTypeName(s: string): s is TypeName {
  return Object.prototype.hasOwnProperty.call(TYPES, s);
}

export function typeInfo(name: TypeName): TypeInfo {
  return TYPES[name];
}

export function typeFromGgmlId(id: number): TypeName | undefined {
  return byGgmlId.get(id);
}

export function retiredGgmlTypeName(id: number): string | undefined {
  return RETIRED_GGML_IDS.get(id);
}

export function typeFromSafetensors(dtype: string): TypeName | undefined {
  return bySafetensors.get(dtype);
}

/**
 * Bytes needed for `elements` elements of `type`, or null when `elements` is not a whole number
 * of blocks. Exact for any count below 2^53 (checked by the caller's limits).
 */
export function byteSizeOf(type: TypeName, elements: number): number | null {
  const t: TypeInfo = TYPES[type];
  if (elements % t.blockSize !== 0) return null;
  return (elements / t.blockSize) * t.typeSize;
}

