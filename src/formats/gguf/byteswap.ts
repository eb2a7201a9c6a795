import { typeInfo, type TypeName } from '../../codecs/catalogue';

/**
 * How a big-endian GGUF stores tensor data, and how to get canonical little-endian bytes back.
 *
 * Plain types (F32, F16, BF16, F64, I8..I64) are byte-swapped per element, as gguf-py's
 * GGUFWriter (numpy byteswap) and gguf_convert_endian.py both write them.
 *
 * Quantized blocks: gguf_convert_endian.py swaps only the f16 fields of each block, for the types
 * it lists (Q1_0, Q4_0, Q8_0: d at 0; Q4_K: d, dmin at 0 and 2; Q6_K: d at 208; TQ2_0: d at 64;
 * MXFP4 and NVFP4 have no multi-byte field). That is the layout a big-endian ggml host reads, so
 * Kiln swaps the same fields back. Every other quantized type is refused when its data is read:
 * no tool defines its big-endian layout (GGUFWriter leaves uint8 block data untouched, which
 * disagrees with gguf_convert_endian.py, so the bytes cannot be trusted either way).
 */
export type SwapPlan =
  | { readonly kind: 'none' }
  | { readonly kind: 'element'; readonly size: 2 | 4 | 8 }
  | { readonly kind: 'block'; readonly blockBytes: number; readonly fields: readonly number[] }
  | { readonly kind: 'refuse' };

const BLOCK_F16_FIELDS: Partial<Record<TypeName, readonly number[]>> = {
  Q1_0: [0],
  Q4_0: [0],
  Q8_0: [0],
  Q4_K: [0, 2],
  Q6_K: [208],
  TQ2_0: [64],
  MXFP4: [],
  NVFP4: [],
};

export function swapPlan(type: TypeName): SwapPlan {
  const t = typeInfo(type);
  if (t.family !== 'quant') {
    if (t.typeSize === 1) return { kind: 'none' };
    return { kind: 'element', size: t.typeSize as 2 | 4 | 8 };
  }
  const fields = BLOCK_F16_FIELDS[type];
  if (fields === undefined) return { kind: 'refuse' };
  if (fields.length === 0) return { kind: 'none' };
  return { kind: 'block', blockBytes: t.typeSize, fields };
}

/** The unit a swapped read must be widened to (an element or a block). */
export function swapUnit(plan: SwapPlan): number {
  if (plan.kind === 'element') return plan.size;
  if (plan.kind === 'block') return plan.blockBytes;
  return 1;
}

function bswap32(v: number): number {
  return (v << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** A Uint32Array over `src` when it is 4-byte aligned, else over an aligned copy. */
function words(src: Uint8Array): Uint32Array {
  const n = src.length >>> 2;
  if ((src.byteOffset & 3) === 0) return new Uint32Array(src.buffer, src.byteOffset, n);
  const copy = new Uint8Array(n * 4);
  copy.set(src.subarray(0, n * 4));
  return new Uint32Array(copy.buffer, 0, n);
}

/**
 * Swaps `src` (a whole number of units) into a fresh array: the source may be a shared cache.
 * Element swaps work a 32-bit word at a time (two f16 per word), reading `src` in place.
 */
export function swapToLittle(plan: SwapPlan, src: Uint8Array): Uint8Array {
  const out = new Uint8Array(src.length);
  if (plan.kind === 'element') {
    const s = words(src);
    const o = new Uint32Array(out.buffer, 0, s.length);
    if (plan.size === 2) {
      for (let i = 0; i < s.length; i++) {
        const v = s[i]!;
        o[i] = ((v & 0x00ff00ff) << 8) | ((v >>> 8) & 0x00ff00ff);
      }
      if ((src.length & 3) === 2) {
        out[src.length - 2] = src[src.length - 1]!;
        out[src.length - 1] = src[src.length - 2]!;
      }
    } else if (plan.size === 4) {
      for (let i = 0; i < s.length; i++) o[i] = bswap32(s[i]!);
    } else {
      for (let i = 0; i + 1 < s.length; i += 2) {
        const a = s[i]!;
        o[i] = bswap32(s[i + 1]!);
        o[i + 1] = bswap32(a);
      }
    }
  } else {
    out.set(src);
    if (plan.kind === 'block') {
      const bb = plan.blockBytes;
      for (let b = 0; b + bb <= out.length; b += bb) {
        for (const f of plan.fields) {
          const a = out[b + f]!;
          out[b + f] = out[b + f + 1]!;
          out[b + f + 1] = a;
        }
      }
    }
  }
  return out;
}
