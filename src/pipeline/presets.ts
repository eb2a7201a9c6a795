/**
 * llama-quantize's presets ("file types") at llama.cpp 34af94cd: the QUANT_OPTIONS table of
 * tools/quantize/quantize.cpp (name, llama_ftype id, description, in its order), the LLAMA_FTYPE_*
 * ids of llama.h, and llama_ftype_get_default_type / llama_ftype_name from src/llama-quant.cpp and
 * src/llama-model-loader.cpp. Which presets Kiln can run is computed at call time in
 * presets-probe.ts, because the encoders are still being filled in.
 */
import type { TypeName } from '../codecs/catalogue';

/** LLAMA_FTYPE_* in llama.h (ids 4-6 and 33-35 are retired). */
export const LLAMA_FTYPE = {
  ALL_F32: 0,
  MOSTLY_F16: 1,
  MOSTLY_Q4_0: 2,
  MOSTLY_Q4_1: 3,
  MOSTLY_Q8_0: 7,
  MOSTLY_Q5_0: 8,
  MOSTLY_Q5_1: 9,
  MOSTLY_Q2_K: 10,
  MOSTLY_Q3_K_S: 11,
  MOSTLY_Q3_K_M: 12,
  MOSTLY_Q3_K_L: 13,
  MOSTLY_Q4_K_S: 14,
  MOSTLY_Q4_K_M: 15,
  MOSTLY_Q5_K_S: 16,
  MOSTLY_Q5_K_M: 17,
  MOSTLY_Q6_K: 18,
  MOSTLY_IQ2_XXS: 19,
  MOSTLY_IQ2_XS: 20,
  MOSTLY_Q2_K_S: 21,
  MOSTLY_IQ3_XS: 22,
  MOSTLY_IQ3_XXS: 23,
  MOSTLY_IQ1_S: 24,
  MOSTLY_IQ4_NL: 25,
  MOSTLY_IQ3_S: 26,
  MOSTLY_IQ3_M: 27,
  MOSTLY_IQ2_S: 28,
  MOSTLY_IQ2_M: 29,
  MOSTLY_IQ4_XS: 30,
  MOSTLY_IQ1_M: 31,
  MOSTLY_BF16: 32,
  MOSTLY_TQ1_0: 36,
  MOSTLY_TQ2_0: 37,
  MOSTLY_MXFP4_MOE: 38,
  MOSTLY_NVFP4: 39,
  MOSTLY_Q1_0: 40,
  MOSTLY_Q2_0: 41,
} as const;

/** LLAMA_FTYPE_GUESSED: or-ed into the file type the loader guesses when general.file_type is absent. */
export const LLAMA_FTYPE_GUESSED = 1024;

/** GGML_QNT_VERSION in ggml.h, written as general.quantization_version. */
export const GGML_QNT_VERSION = 2;

export interface Preset {
  /** The name llama-quantize accepts (case-insensitive). */
  readonly name: string;
  /** llama_ftype id, written as general.file_type. */
  readonly ftype: number;
  /** llama-quantize's own description, leading blanks kept. */
  readonly description: string;
}

const F = LLAMA_FTYPE;

/** QUANT_OPTIONS, in llama-quantize's order: the first match wins for names and for numbers. */
export const PRESETS: readonly Preset[] = [
  { name: 'Q1_0', ftype: F.MOSTLY_Q1_0, description: ' 1.125 bpw quantization' },
  { name: 'Q2_0', ftype: F.MOSTLY_Q2_0, description: ' 2.25 bpw quantization (group 64)' },
  { name: 'Q4_0', ftype: F.MOSTLY_Q4_0, description: ' 4.34G, +0.4685 ppl @ Llama-3-8B' },
  { name: 'Q4_1', ftype: F.MOSTLY_Q4_1, description: ' 4.78G, +0.4511 ppl @ Llama-3-8B' },
  { name: 'MXFP4_MOE', ftype: F.MOSTLY_MXFP4_MOE, description: ' MXFP4 MoE' },
  { name: 'Q5_0', ftype: F.MOSTLY_Q5_0, description: ' 5.21G, +0.1316 ppl @ Llama-3-8B' },
  { name: 'Q5_1', ftype: F.MOSTLY_Q5_1, description: ' 5.65G, +0.1062 ppl @ Llama-3-8B' },
  { name: 'IQ2_XXS', ftype: F.MOSTLY_IQ2_XXS, description: ' 2.06 bpw quantization' },
  { name: 'IQ2_XS', ftype: F.MOSTLY_IQ2_XS, description: ' 2.31 bpw quantization' },
  { name: 'IQ2_S', ftype: F.MOSTLY_IQ2_S, description: ' 2.5  bpw quantization' },
  { name: 'IQ2_M', ftype: F.MOSTLY_IQ2_M, description: ' 2.7  bpw quantization' },
  { name: 'IQ1_S', ftype: F.MOSTLY_IQ1_S, description: ' 1.56 bpw quantization' },
  { name: 'IQ1_M', ftype: F.MOSTLY_IQ1_M, description: ' 1.75 bpw quantization' },
  { name: 'TQ1_0', ftype: F.MOSTLY_TQ1_0, description: ' 1.69 bpw ternarization' },
  { name: 'TQ2_0', ftype: F.MOSTLY_TQ2_0, description: ' 2.06 bpw ternarization' },
  { name: 'Q2_K', ftype: F.MOSTLY_Q2_K, description: ' 2.96G, +3.5199 ppl @ Llama-3-8B' },
  { name: 'Q2_K_S', ftype: F.MOSTLY_Q2_K_S, description: ' 2.96G, +3.1836 ppl @ Llama-3-8B' },
  { name: 'IQ3_XXS', ftype: F.MOSTLY_IQ3_XXS, description: ' 3.06 bpw quantization' },
  { name: 'IQ3_S', ftype: F.MOSTLY_IQ3_S, description: ' 3.44 bpw quantization' },
  { name: 'IQ3_M', ftype: F.MOSTLY_IQ3_M, description: ' 3.66 bpw quantization mix' },
  { name: 'Q3_K', ftype: F.MOSTLY_Q3_K_M, description: 'alias for Q3_K_M' },
  { name: 'IQ3_XS', ftype: F.MOSTLY_IQ3_XS, description: ' 3.3 bpw quantization' },
  { name: 'Q3_K_S', ftype: F.MOSTLY_Q3_K_S, description: ' 3.41G, +1.6321 ppl @ Llama-3-8B' },
  { name: 'Q3_K_M', ftype: F.MOSTLY_Q3_K_M, description: ' 3.74G, +0.6569 ppl @ Llama-3-8B' },
  { name: 'Q3_K_L', ftype: F.MOSTLY_Q3_K_L, description: ' 4.03G, +0.5562 ppl @ Llama-3-8B' },
  { name: 'IQ4_NL', ftype: F.MOSTLY_IQ4_NL, description: ' 4.50 bpw non-linear quantization' },
  { name: 'IQ4_XS', ftype: F.MOSTLY_IQ4_XS, description: ' 4.25 bpw non-linear quantization' },
  { name: 'Q4_K', ftype: F.MOSTLY_Q4_K_M, description: 'alias for Q4_K_M' },
  { name: 'Q4_K_S', ftype: F.MOSTLY_Q4_K_S, description: ' 4.37G, +0.2689 ppl @ Llama-3-8B' },
  { name: 'Q4_K_M', ftype: F.MOSTLY_Q4_K_M, description: ' 4.58G, +0.1754 ppl @ Llama-3-8B' },
  { name: 'Q5_K', ftype: F.MOSTLY_Q5_K_M, description: 'alias for Q5_K_M' },
  { name: 'Q5_K_S', ftype: F.MOSTLY_Q5_K_S, description: ' 5.21G, +0.1049 ppl @ Llama-3-8B' },
  { name: 'Q5_K_M', ftype: F.MOSTLY_Q5_K_M, description: ' 5.33G, +0.0569 ppl @ Llama-3-8B' },
  { name: 'Q6_K', ftype: F.MOSTLY_Q6_K, description: ' 6.14G, +0.0217 ppl @ Llama-3-8B' },
  { name: 'Q8_0', ftype: F.MOSTLY_Q8_0, description: ' 7.96G, +0.0026 ppl @ Llama-3-8B' },
  { name: 'F16', ftype: F.MOSTLY_F16, description: '14.00G, +0.0020 ppl @ Mistral-7B' },
  { name: 'BF16', ftype: F.MOSTLY_BF16, description: '14.00G, -0.0050 ppl @ Mistral-7B' },
  { name: 'F32', ftype: F.ALL_F32, description: '26.00G              @ 7B' },
  // after F32, so that the number 0 finds F32
  { name: 'COPY', ftype: F.ALL_F32, description: 'only copy tensors, no quantizing' },
];

/** A preset that is only another name for a later one (Q3_K, Q4_K, Q5_K). */
export function isAlias(p: Preset): boolean {
  return p.description.startsWith('alias for ');
}

/**
 * try_parse_ftype: the name, case-insensitively; otherwise a number as std::stoi reads it
 * (leading white space, a sign, digits, anything after ignored) naming the first preset with that
 * ftype. Null when neither matches, where llama-quantize says "invalid ftype".
 */
export function parsePreset(text: string): Preset | null {
  const upper = text.replace(/[a-z]/g, (c) => c.toUpperCase()); // C toupper: ASCII only
  for (const p of PRESETS) if (p.name === upper) return p;
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(text);
  if (m === null) return null;
  const n = Number(m[1]);
  if (!Number.isSafeInteger(n) || n > 2147483647 || n < -2147483648) return null; // stoi throws out_of_range
  for (const p of PRESETS) if (p.ftype === n) return p;
  return null;
}

/** llama_ftype_get_default_type: the type every quantizable tensor starts from; null for unknown ids. */
export function defaultTypeOf(ftype: number): TypeName | null {
  switch (ftype) {
    case F.MOSTLY_Q4_0: return 'Q4_0';
    case F.MOSTLY_Q4_1: return 'Q4_1';
    case F.MOSTLY_Q5_0: return 'Q5_0';
    case F.MOSTLY_Q5_1: return 'Q5_1';
    case F.MOSTLY_Q8_0: return 'Q8_0';
    case F.MOSTLY_F16: return 'F16';
    case F.MOSTLY_BF16: return 'BF16';
    case F.ALL_F32: return 'F32';
    case F.MOSTLY_Q1_0: return 'Q1_0';
    case F.MOSTLY_Q2_0: return 'Q2_0';
    case F.MOSTLY_MXFP4_MOE: return 'MXFP4';
    case F.MOSTLY_Q2_K_S:
    case F.MOSTLY_Q2_K: return 'Q2_K';
    case F.MOSTLY_IQ3_XS: return 'IQ3_S';
    case F.MOSTLY_Q3_K_S:
    case F.MOSTLY_Q3_K_M:
    case F.MOSTLY_Q3_K_L: return 'Q3_K';
    case F.MOSTLY_Q4_K_S:
    case F.MOSTLY_Q4_K_M: return 'Q4_K';
    case F.MOSTLY_Q5_K_S:
    case F.MOSTLY_Q5_K_M: return 'Q5_K';
    case F.MOSTLY_Q6_K: return 'Q6_K';
    case F.MOSTLY_TQ1_0: return 'TQ1_0';
    case F.MOSTLY_TQ2_0: return 'TQ2_0';
    case F.MOSTLY_IQ2_XXS: return 'IQ2_XXS';
    case F.MOSTLY_IQ2_XS: return 'IQ2_XS';
    case F.MOSTLY_IQ2_S: return 'IQ2_XS';
    case F.MOSTLY_IQ2_M: return 'IQ2_S';
    case F.MOSTLY_IQ3_XXS: return 'IQ3_XXS';
    case F.MOSTLY_IQ1_S: return 'IQ1_S';
    case F.MOSTLY_IQ1_M: return 'IQ1_M';
    case F.MOSTLY_IQ4_NL: return 'IQ4_NL';
    case F.MOSTLY_IQ4_XS: return 'IQ4_XS';
    case F.MOSTLY_IQ3_S:
    case F.MOSTLY_IQ3_M: return 'IQ3_S';
    default: return null;
  }
}

const FTYPE_NAMES: ReadonlyMap<number, string> = new Map([
  [F.ALL_F32, 'all F32'],
  [F.MOSTLY_F16, 'F16'],
  [F.MOSTLY_BF16, 'BF16'],
  [F.MOSTLY_Q1_0, 'Q1_0'],
  [F.MOSTLY_Q2_0, 'Q2_0'],
  [F.MOSTLY_Q4_0, 'Q4_0'],
  [F.MOSTLY_Q4_1, 'Q4_1'],
  [F.MOSTLY_Q5_0, 'Q5_0'],
  [F.MOSTLY_Q5_1, 'Q5_1'],
  [F.MOSTLY_Q8_0, 'Q8_0'],
  [F.MOSTLY_MXFP4_MOE, 'MXFP4 MoE'],
  [F.MOSTLY_NVFP4, 'NVFP4'],
  [F.MOSTLY_Q2_K, 'Q2_K - Medium'],
  [F.MOSTLY_Q2_K_S, 'Q2_K - Small'],
  [F.MOSTLY_Q3_K_S, 'Q3_K - Small'],
  [F.MOSTLY_Q3_K_M, 'Q3_K - Medium'],
  [F.MOSTLY_Q3_K_L, 'Q3_K - Large'],
  [F.MOSTLY_Q4_K_S, 'Q4_K - Small'],
  [F.MOSTLY_Q4_K_M, 'Q4_K - Medium'],
  [F.MOSTLY_Q5_K_S, 'Q5_K - Small'],
  [F.MOSTLY_Q5_K_M, 'Q5_K - Medium'],
  [F.MOSTLY_Q6_K, 'Q6_K'],
  [F.MOSTLY_TQ1_0, 'TQ1_0 - 1.69 bpw ternary'],
  [F.MOSTLY_TQ2_0, 'TQ2_0 - 2.06 bpw ternary'],
  [F.MOSTLY_IQ2_XXS, 'IQ2_XXS - 2.0625 bpw'],
  [F.MOSTLY_IQ2_XS, 'IQ2_XS - 2.3125 bpw'],
  [F.MOSTLY_IQ2_S, 'IQ2_S - 2.5 bpw'],
  [F.MOSTLY_IQ2_M, 'IQ2_M - 2.7 bpw'],
  [F.MOSTLY_IQ3_XS, 'IQ3_XS - 3.3 bpw'],
  [F.MOSTLY_IQ3_XXS, 'IQ3_XXS - 3.0625 bpw'],
  [F.MOSTLY_IQ1_S, 'IQ1_S - 1.5625 bpw'],
  [F.MOSTLY_IQ1_M, 'IQ1_M - 1.75 bpw'],
  [F.MOSTLY_IQ4_NL, 'IQ4_NL - 4.5 bpw'],
  [F.MOSTLY_IQ4_XS, 'IQ4_XS - 4.25 bpw'],
  [F.MOSTLY_IQ3_S, 'IQ3_S - 3.4375 bpw'],
  [F.MOSTLY_IQ3_M, 'IQ3_S mix - 3.66 bpw'],
]);

/** llama_ftype_name: how llama.cpp names a file type, with "(guessed) " when the loader guessed it. */
export function ftypeName(ftype: number): string {
  const name = FTYPE_NAMES.get(ftype & ~LLAMA_FTYPE_GUESSED) ?? 'unknown, may not work';
  return (ftype & LLAMA_FTYPE_GUESSED) !== 0 ? `(guessed) ${name}` : name;
}

/**
 * The file type llama_model_loader reports for an input (used by COPY): general.file_type when
 * present, else the most common tensor type (the first to reach the top count, in write order)
 * mapped to a file type and marked LLAMA_FTYPE_GUESSED.
 */
export function guessFileType(typesInWriteOrder: readonly TypeName[]): number {
  const counts = new Map<TypeName, number>();
  let best: TypeName = 'F32';
  let bestCount = 0;
  for (const t of typesInWriteOrder) {
    const c = (counts.get(t) ?? 0) + 1;
    counts.set(t, c);
    if (bestCount < c) {
      bestCount = c;
      best = t;
    }
  }
  return GUESS_FROM_TYPE[best] ?? (F.ALL_F32 | LLAMA_FTYPE_GUESSED);
}

/**
 * The llama_ftype of a file whose weights are all `type` (1-D tensors aside): the loader's guess
 * without LLAMA_FTYPE_GUESSED, so that llama.cpp names the file as it would name it anyway, and
 * MXFP4 -> MOSTLY_MXFP4_MOE, the only file type whose default type is MXFP4. Null for types no
 * llama_ftype stands for (F64, integers, Q8_1, Q8_K).
 */
export function fileTypeOfType(type: TypeName): number | null {
  if (type === 'MXFP4') return F.MOSTLY_MXFP4_MOE;
  const guessed = GUESS_FROM_TYPE[type];
  return guessed === undefined ? null : guessed & ~LLAMA_FTYPE_GUESSED;
}

const GUESS_FROM_TYPE: Partial<Record<TypeName, number>> = Object.fromEntries(
  (
    [
      ['F32', F.ALL_F32], ['F16', F.MOSTLY_F16], ['BF16', F.MOSTLY_BF16], ['Q4_0', F.MOSTLY_Q4_0],
      ['Q4_1', F.MOSTLY_Q4_1], ['Q5_0', F.MOSTLY_Q5_0], ['Q5_1', F.MOSTLY_Q5_1], ['Q8_0', F.MOSTLY_Q8_0],
      ['Q2_K', F.MOSTLY_Q2_K], ['Q3_K', F.MOSTLY_Q3_K_M], ['Q4_K', F.MOSTLY_Q4_K_M], ['Q5_K', F.MOSTLY_Q5_K_M],
      ['Q6_K', F.MOSTLY_Q6_K], ['TQ1_0', F.MOSTLY_TQ1_0], ['TQ2_0', F.MOSTLY_TQ2_0], ['IQ2_XXS', F.MOSTLY_IQ2_XXS],
      ['IQ2_XS', F.MOSTLY_IQ2_XS], ['IQ2_S', F.MOSTLY_IQ2_S], ['IQ3_XXS', F.MOSTLY_IQ3_XXS], ['IQ1_S', F.MOSTLY_IQ1_S],
      ['IQ1_M', F.MOSTLY_IQ1_M], ['IQ4_NL', F.MOSTLY_IQ4_NL], ['IQ4_XS', F.MOSTLY_IQ4_XS], ['IQ3_S', F.MOSTLY_IQ3_S],
      ['NVFP4', F.MOSTLY_NVFP4], ['Q1_0', F.MOSTLY_Q1_0], ['Q2_0', F.MOSTLY_Q2_0],
    ] as const
  ).map(([t, f]) => [t, f | LLAMA_FTYPE_GUESSED]),
);
