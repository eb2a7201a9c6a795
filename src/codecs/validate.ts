import { TYPES, type TypeName } from './catalogue';

/**
 * ggml_validate_row_data (ggml-quants.c): what llama-quantize checks on every tensor it reads
 * (the model loader's check_tensors) and on every tensor it quantizes ("quantized data validation
 * failed"). Plain floats must be finite; block types must have finite f16 scales (or, for MXFP4,
 * an E8M0 exponent other than 0xFF); integers and NVFP4 are not checked; a type ggml's switch
 * does not list (Q8_1) is invalid as a whole. ggml has no float8: those rules exist for
 * safetensors / ONNX / PyTorch inputs quantized to GGUF, and hold them to the same "finite" rule.
 */
type Rule =
  | { readonly kind: 'f32' | 'f64' | 'f16' | 'bf16' | 'f8e4m3' | 'f8e5m2' | 'none' | 'invalid' }
  /** f16 fields at these byte offsets of every block */
  | { readonly kind: 'half'; readonly at: readonly number[] }
  /** a float32 scale at this offset of every block (Q8_K) */
  | { readonly kind: 'float'; readonly at: number }
  /** an E8M0 exponent byte at this offset of every block (MXFP4) */
  | { readonly kind: 'e8m0'; readonly at: number }
  /** IQ1_M's scale, assembled from the top nibbles of its four 16-bit scale words at byte 48 */
  | { readonly kind: 'iq1m' };

const D0: Rule = { kind: 'half', at: [0] };
const DM0: Rule = { kind: 'half', at: [0, 2] };

// Offsets follow the block structs in ggml-common.h (d sits last in Q2_K, Q3_K, Q6_K, TQ1_0, TQ2_0).
const RULES: Readonly<Record<TypeName, Rule>> = {
  F64: { kind: 'f64' },
  F32: { kind: 'f32' },
  F16: { kind: 'f16' },
  BF16: { kind: 'bf16' },
  F8_E4M3: { kind: 'f8e4m3' },
  F8_E5M2: { kind: 'f8e5m2' },
  I64: { kind: 'none' },
  I32: { kind: 'none' },
  I16: { kind: 'none' },
  I8: { kind: 'none' },
  U64: { kind: 'invalid' },
  U32: { kind: 'invalid' },
  U16: { kind: 'invalid' },
  U8: { kind: 'invalid' },
  BOOL: { kind: 'invalid' },
  Q4_0: D0,
  Q4_1: DM0,
  Q5_0: D0,
  Q5_1: DM0,
  Q8_0: D0,
  Q8_1: { kind: 'invalid' },
  Q2_K: { kind: 'half', at: [80, 82] },
  Q3_K: { kind: 'half', at: [108] },
  Q4_K: DM0,
  Q5_K: DM0,
  Q6_K: { kind: 'half', at: [208] },
  Q8_K: { kind: 'float', at: 0 },
  IQ2_XXS: D0,
  IQ2_XS: D0,
  IQ3_XXS: D0,
  IQ1_S: D0,
  IQ4_NL: D0,
  IQ3_S: D0,
  IQ2_S: D0,
  IQ4_XS: D0,
  IQ1_M: { kind: 'iq1m' },
  TQ1_0: { kind: 'half', at: [52] },
  TQ2_0: { kind: 'half', at: [64] },
  MXFP4: { kind: 'e8m0', at: 0 },
  NVFP4: { kind: 'none' },
  Q1_0: D0,
  Q2_0: D0,
};

/** Why ggml would reject the data: what was found and at which element (plain types) or block. */
export interface InvalidData {
  readonly found: 'nan' | 'inf' | 'invalid E8M0 exponent 0xFF' | 'a type ggml does not validate';
  /** Index of the offending element (plain floats) or block, counted from the start of `bytes`. */
  readonly index: number;
  readonly unit: 'element' | 'block';
}

function half(h: number): 'nan' | 'inf' | null {
  if ((h & 0x7c00) !== 0x7c00) return null;
  return (h & 0x03ff) === 0 ? 'inf' : 'nan';
}

function float32(bits: number): 'nan' | 'inf' | null {
  if ((bits & 0x7f800000) !== 0x7f800000) return null;
  return (bits & 0x007fffff) === 0 ? 'inf' : 'nan';
}

/**
 * Checks whole blocks of `type` as ggml_validate_row_data does; null when ggml would accept them,
 * else the first offending element or block (ggml's message may name another: for BF16 it counts
 * NaNs and infinities over the row and reports NaNs first).
 */
export function validateRowData(type: TypeName, bytes: Uint8Array): InvalidData | null {
  const rule = RULES[type];
  const { typeSize } = TYPES[type];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = Math.floor(bytes.length / typeSize);
  switch (rule.kind) {
    case 'none':
      return null;
    case 'invalid':
      return { found: 'a type ggml does not validate', index: 0, unit: 'block' };
    case 'f32':
      return scanF32(bytes, view);
    case 'f64':
      for (let i = 0; i < blocks; i++) {
        const x = view.getFloat64(i * 8, true);
        if (!Number.isFinite(x)) return { found: Number.isNaN(x) ? 'nan' : 'inf', index: i, unit: 'element' };
      }
      return null;
    case 'f8e4m3':
      // E4M3 "fn" (torch.float8_e4m3fn): no infinities, NaN is S.1111.111
      for (let i = 0; i < bytes.length; i++) if ((bytes[i]! & 0x7f) === 0x7f) return { found: 'nan', index: i, unit: 'element' };
      return null;
    case 'f8e5m2':
      for (let i = 0; i < bytes.length; i++) {
        if ((bytes[i]! & 0x7c) === 0x7c) return { found: (bytes[i]! & 0x03) === 0 ? 'inf' : 'nan', index: i, unit: 'element' };
      }
      return null;
    case 'f16': {
      const i = firstAllOnes(bytes, view, 0x7c00);
      return i < 0 ? null : { found: half(view.getUint16(i * 2, true))!, index: i, unit: 'element' };
    }
    case 'bf16': {
      const i = firstAllOnes(bytes, view, 0x7f80);
      return i < 0 ? null : { found: (view.getUint16(i * 2, true) & 0x7f) === 0 ? 'inf' : 'nan', index: i, unit: 'element' };
    }
    case 'half':
      for (let b = 0; b < blocks; b++) {
        for (const at of rule.at) {
          const found = half(view.getUint16(b * typeSize + at, true));
          if (found) return { found, index: b, unit: 'block' };
        }
      }
      return null;
    case 'float':
      for (let b = 0; b < blocks; b++) {
        const found = float32(view.getUint32(b * typeSize + rule.at, true));
        if (found) return { found, index: b, unit: 'block' };
      }
      return null;
    case 'e8m0':
      for (let b = 0; b < blocks; b++) if (bytes[b * typeSize + rule.at] === 0xff) return { found: 'invalid E8M0 exponent 0xFF', index: b, unit: 'block' };
      return null;
    case 'iq1m':
      for (let b = 0; b < blocks; b++) {
        const s = (k: number) => view.getUint16(b * typeSize + 48 + 2 * k, true);
        const found = half((s(0) >> 12) | ((s(1) >> 8) & 0x00f0) | ((s(2) >> 4) & 0x0f00) | (s(3) & 0xf000));
        if (found) return { found, index: b, unit: 'block' };
      }
      return null;
  }
}

/** Plain float32s: a word test over aligned memory (this runs over every byte a run reads). */
function scanF32(bytes: Uint8Array, view: DataView): InvalidData | null {
  const n = bytes.length >>> 2;
  if (bytes.byteOffset % 4 === 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) {
      if ((w[i]! & 0x7f800000) === 0x7f800000) return { found: float32(w[i]!)!, index: i, unit: 'element' };
    }
    return null;
  }
  for (let i = 0; i < n; i++) {
    const found = float32(view.getUint32(i * 4, true));
    if (found) return { found, index: i, unit: 'element' };
  }
  return null;
}

/** Index of the first 16-bit value whose `mask` bits (a float's exponent) are all set, or -1. */
function firstAllOnes(bytes: Uint8Array, view: DataView, mask: number): number {
  const n = bytes.length >>> 1;
  let i = 0;
  if (bytes.byteOffset % 4 === 0) {
    // two values per word: adding the exponent's lowest bit carries into bit 15 of a half only
    // when its exponent bits are all ones (the sum never crosses into the other half)
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, n >>> 1);
    const both = (mask | (mask << 16)) >>> 0;
    const low = mask & -mask;
    const carry = (low | (low << 16)) >>> 0;
    let k = 0;
    for (; k < w.length; k++) if ((((w[k]! & both) + carry) & 0x80008000) !== 0) break;
    i = 2 * k;
  }
  for (; i < n; i++) if ((view.getUint16(i * 2, true) & mask) === mask) return i;
  return -1;
}
