/**
 * llama-quantize's per-tensor type decision, ported from src/llama-quant.cpp at llama.cpp
 * 34af94cd: tensor_get_category, tensor_allows_quantization, llama_tensor_get_type (the outer
 * wrapper: forced types, --tensor-type patterns, --pure), tensor_type_fallback and
 * tensor_requires_imatrix. The outer llama_tensor_get_type and the preset mixtures
 * (llama_tensor_get_type_impl) are in quant-rules-mix.ts. Decisions depend on counters that advance tensor by tensor, so callers must
 * visit tensors in write order (weightOrder) through one QuantState.
 */
import { typeInfo, type TypeName } from '../codecs/catalogue';
import { LLAMA_FTYPE as F } from './presets';
import { QuantizePlanError } from './quant-rules-error';
import { utf8Length, type QuantHparams } from './quant-rules-model';

export type TensorCategory =
  | 'TOKEN_EMBD'
  | 'ATTENTION_Q'
  | 'ATTENTION_V'
  | 'ATTENTION_K'
  | 'ATTENTION_QKV'
  | 'ATTENTION_KV_B'
  | 'ATTENTION_OUTPUT'
  | 'FFN_UP'
  | 'FFN_GATE'
  | 'FFN_DOWN'
  | 'OUTPUT'
  | 'OTHER';

/** A tensor as the rules see it: ggml's ne (innermost first, four entries) and n_dims. */
export interface RuleTensor {
  readonly name: string;
  readonly ne: readonly [number, number, number, number];
  readonly nDims: number;
  readonly type: TypeName;
}

export interface TensorTypePattern {
  /** The pattern as given after llama-quantize lowercased it. */
  readonly pattern: string;
  readonly re: RegExp;
  readonly type: TypeName;
}

/** llama_model_quantize_params, the part the type decision reads. */
export interface RuleParams {
  readonly ftype: number;
  readonly onlyCopy: boolean;
  readonly pure: boolean;
  readonly quantizeOutputTensor: boolean;
  readonly outputTensorType: TypeName | null;
  readonly tokenEmbeddingType: TypeName | null;
  readonly patterns: readonly TensorTypePattern[];
  readonly hasImatrix: boolean;
}

export interface Decision {
  readonly type: TypeName;
  readonly reason: string;
}

/** ggml_type_name: lower case, except that the K of K-quants stays upper case ("q4_K"). */
export function ggmlTypeName(t: TypeName): string {
  const lower = t.toLowerCase();
  return lower.endsWith('_k') ? `${lower.slice(0, -2)}_K` : lower;
}

export function isQuantized(t: TypeName): boolean {
  return typeInfo(t).family === 'quant';
}

const isTokenEmbdName = (n: string): boolean => n === 'token_embd.weight' || n === 'per_layer_token_embd.weight';

/** tensor_get_category: substring tests in this order; the first that matches decides. */
export function tensorCategory(name: string): TensorCategory {
  if (name === 'output.weight') return 'OUTPUT';
  if (isTokenEmbdName(name)) return 'TOKEN_EMBD';
  if (name.includes('attn_qkv.weight')) return 'ATTENTION_QKV';
  if (name.includes('attn_kv_b.weight')) return 'ATTENTION_KV_B';
  if (name.includes('attn_v.weight')) return 'ATTENTION_V';
  if (name.includes('attn_k.weight')) return 'ATTENTION_K';
  if (name.includes('attn_q.weight')) return 'ATTENTION_Q';
  if (name.includes('attn_output.weight')) return 'ATTENTION_OUTPUT';
  if (name.includes('ffn_up')) return 'FFN_UP';
  if (name.includes('ffn_gate')) return 'FFN_GATE';
  if (name.includes('ffn_down')) return 'FFN_DOWN';
  return 'OTHER';
}

/** category_is_attn_v: the value-like projections the mixtures treat as most sensitive. */
export function isAttnVLike(c: TensorCategory): boolean {
  return c === 'ATTENTION_V' || c === 'ATTENTION_QKV' || c === 'ATTENTION_KV_B';
}

/** The counters of quantize_state_impl, set up as init_quantize_state_counters does. */
export class QuantState {
  nAttentionWv = 0;
  nFfnDown: number;
  nFfnGate: number;
  nFfnUp: number;
  iAttentionWv = 0;
  iFfnDown = 0;
  iFfnGate = 0;
  iFfnUp = 0;
  nFallback = 0;
  /** Tied until a tensor named output.weight is seen. */
  hasTiedEmbeddings = true;
  readonly warnings: string[] = [];

  constructor(
    readonly hp: QuantHparams,
    namesInWriteOrder: readonly string[],
  ) {
    for (const n of namesInWriteOrder) {
      const c = tensorCategory(n);
      if (isAttnVLike(c)) this.nAttentionWv++;
      if (c === 'OUTPUT') this.hasTiedEmbeddings = false;
    }
    this.nFfnDown = this.nFfnGate = this.nFfnUp = hp.nLayerAll;
  }
}

/** Substrings that keep a tensor in its input type (tensor_allows_quantization). */
const KEEP_SUBSTRINGS: ReadonlyArray<readonly [string, string]> = [
  ['_norm.weight', 'norm tensor'],
  ['ffn_gate_inp.weight', 'expert router'],
  ['ffn_gate_tid2eid.weight', 'token-to-expert routing table'],
  ['altup', 'altup tensor (tiny)'],
  ['laurel', 'laurel tensor (tiny)'],
  ['per_layer_model_proj', 'per-layer model projection'],
  ['ssm_conv1d', 'small conv1d weight'],
  ['shortconv.conv.weight', 'small conv weight'],
  ['indexer.k_proj.weight', 'indexer projection (tiny)'],
  ['indexer.q_proj.weight', 'indexer projection (tiny)'],
  ...[
    'first', 'w0', 'w1', 'w2', 'v0', 'v1', 'v2', 'a0', 'a1', 'a2', 'g1', 'g2', 'decay_w1', 'decay_w2', 'lerp_fused',
  ].map((s) => [`time_mix_${s}.weight`, 'small RWKV weight'] as const),
  ['attn_rel_b.weight', 'relative position bias'],
  ['.position_embd', 'multimodal position embedding'],
  ['sam.pos_embd', 'multimodal position embedding'],
  ['sam.neck.', 'multimodal SAM neck'],
  ['sam.net_', 'multimodal SAM net'],
  ['.rel_pos', 'multimodal relative position'],
  ['.patch_embd', 'multimodal patch embedding'],
  ['.patch_merger', 'multimodal patch merger'],
  ['a.rvq.codebook', 'audio codebook'],
  ['mm.a.code_embd', 'audio codebook'],
];

/**
 * tensor_allows_quantization. Returns null when the tensor may change type, else why it keeps
 * its input type.
 */
export function keepReason(p: RuleParams, t: RuleTensor): string | null {
  if (p.onlyCopy) return 'COPY keeps every tensor';
  if (t.nDims < 2) return `${t.nDims}-D tensor`;
  const n = t.name;
  // The reference tests name.rfind("weight") == name.size() - 6 on size_t, so a name of exactly
  // five bytes passes too (both sides are npos).
  const endsWithWeight = n.endsWith('weight') || utf8Length(n) === 5;
  if (!endsWithWeight) return 'name does not end in "weight"';
  for (const [s, why] of KEEP_SUBSTRINGS) if (n.includes(s)) return why;
  if (!p.quantizeOutputTensor && n === 'output.weight') return 'output tensor left as is (--leave-output-tensor)';
  if (n === 'position_embd.weight') return 'positional embedding';
  if (n === 'token_types.weight') return 'token type embedding';
  return null;
}

/**
 * tensor_type_fallback: a type whose block does not divide the row length falls back to a
 * compatible one, and to F16 when even that does not fit.
 */
export function fallbackType(qs: QuantState, t: RuleTensor, target: TypeName): TypeName {
  const ncols = t.ne[0];
  const blk = typeInfo(target).blockSize;
  if (ncols % blk === 0) return target;
  qs.nFallback++;
  let ret: TypeName;
  switch (target) {
    case 'IQ1_S':
    case 'IQ1_M':
    case 'IQ2_XXS':
    case 'IQ2_XS':
    case 'IQ2_S':
    case 'IQ3_XXS':
    case 'IQ3_S':
    case 'IQ4_XS':
      ret = 'IQ4_NL';
      break;
    case 'Q2_0':
    case 'Q2_K':
    case 'Q3_K':
    case 'TQ1_0':
    case 'TQ2_0':
      ret = 'Q4_0';
      break;
    case 'Q4_K':
      ret = 'Q5_0';
      break;
    case 'Q5_K':
      ret = 'Q5_1';
      break;
    case 'Q6_K':
      ret = 'Q8_0';
      break;
    default:
      throw new QuantizePlanError(
        'no-fallback',
        `no tensor type fallback is defined for type ${ggmlTypeName(target)} (tensor ${t.name}: ncols ${ncols} not divisible by ${blk})`,
        t.name,
      );
  }
  const mustF16 = ncols % typeInfo(ret).blockSize !== 0;
  if (mustF16) ret = 'F16';
  qs.warnings.push(
    `${t.name}: ncols ${ncols} not divisible by ${blk} (required for type ${ggmlTypeName(target)})` +
      `${mustF16 ? ' (must use F16 due to unusual shape)' : ''} -> falling back to ${ggmlTypeName(ret)}`,
  );
  return ret;
}

/**
 * tensor_requires_imatrix: the very low-bit types, and Q2_K inside a Q2_K_S file, refuse to
 * run without an importance matrix; the token embedding and the output tensor are exempt.
 */
export function requiresImatrix(name: string, dst: TypeName, ftype: number): boolean {
  if (isTokenEmbdName(name) || name === 'output.weight') return false;
  switch (dst) {
    case 'IQ3_XXS':
    case 'IQ2_XXS':
    case 'IQ2_XS':
    case 'IQ2_S':
    case 'IQ1_M':
    case 'IQ1_S':
      return true;
    case 'Q2_K':
      return ftype === F.MOSTLY_Q2_K_S;
    default:
      return false;
  }
}
