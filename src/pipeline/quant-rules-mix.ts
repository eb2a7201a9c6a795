/**
 * The type decision for one quantizable tensor: llama_tensor_get_type (forced types, --tensor-type
 * patterns, --pure, fallback) and the preset mixtures of llama_tensor_get_type_impl, from
 * src/llama-quant.cpp at llama.cpp 34af94cd, branch for branch and in the same order, including
 * which branches advance the attn_v and FFN counters.
 */
import { typeInfo, type TypeName } from '../codecs/catalogue';
import { LLAMA_FTYPE as F } from './presets';
import { QuantizePlanError } from './quant-rules-error';
import { scanLayer } from './quant-rules-model';
import {
  fallbackType,
  ggmlTypeName,
  isAttnVLike,
  isQuantized,
  tensorCategory,
  type Decision,
  type QuantState,
  type RuleParams,
  type RuleTensor,
  type TensorCategory,
} from './quant-rules';

const div = (a: number, b: number): number => Math.trunc(a / b);

/** use_more_bits: the first and last eighth of the layers, and every third one between. */
export function useMoreBits(iLayer: number, nLayers: number): boolean {
  return iLayer < div(nLayers, 8) || iLayer >= div(7 * nLayers, 8) || (iLayer - div(nLayers, 8)) % 3 === 2;
}

const LOW_BIT_OUTPUT_Q5K: ReadonlySet<number> = new Set([
  F.MOSTLY_IQ2_XXS, F.MOSTLY_IQ2_XS, F.MOSTLY_IQ3_XXS, F.MOSTLY_IQ1_S, F.MOSTLY_IQ2_S, F.MOSTLY_IQ2_M, F.MOSTLY_IQ1_M,
]);
const LOW_BIT_GROUP: ReadonlySet<number> = new Set([
  F.MOSTLY_IQ2_XXS, F.MOSTLY_IQ2_XS, F.MOSTLY_IQ1_S, F.MOSTLY_IQ2_S, F.MOSTLY_IQ2_M, F.MOSTLY_IQ1_M,
]);
const EIGHT_EXPERT_ATTN_OUT_Q5K: ReadonlySet<number> = new Set([
  F.MOSTLY_Q2_K, F.MOSTLY_IQ3_XS, F.MOSTLY_IQ3_XXS, F.MOSTLY_Q3_K_S, F.MOSTLY_Q3_K_M, F.MOSTLY_IQ4_NL,
  F.MOSTLY_Q4_K_S, F.MOSTLY_Q4_K_M, F.MOSTLY_IQ3_S, F.MOSTLY_IQ3_M, F.MOSTLY_IQ4_XS,
]);

export function mixtureType(qs: QuantState, p: RuleParams, t: RuleTensor, incoming: TypeName, cat: TensorCategory): Decision {
  const hp = qs.hp;
  const ftype = p.ftype;
  const falcon = hp.arch === 'falcon';
  const gqa4 = hp.nGqa >= 4;
  const is2sm = ftype === F.MOSTLY_IQ2_S || ftype === F.MOSTLY_IQ2_M;
  let type = incoming;
  let why = '';
  const set = (ty: TypeName, w: string): void => {
    type = ty;
    why = w;
  };

  // Expert models interleave expert tensors, so the layer comes from the name rather than the counter.
  const layerInfo = (counter: number, nLayer: number): number => {
    if (Math.max(1, hp.nExpert) <= 1) return counter;
    const layer = scanLayer(t.name);
    if (layer === undefined) throw new QuantizePlanError('bad-layer', `Failed to determine layer for tensor ${t.name}`, t.name);
    if (layer < 0 || layer >= nLayer) {
      throw new QuantizePlanError('bad-layer', `Bad layer ${layer} for tensor ${t.name}. Must be in [0, ${nLayer})`, t.name);
    }
    return layer;
  };

  if (cat === 'OUTPUT' || (qs.hasTiedEmbeddings && cat === 'TOKEN_EMBD')) {
    const what = cat === 'OUTPUT' ? 'output tensor' : 'token embedding tied to the output (no output.weight)';
    if (p.outputTensorType !== null) {
      set(p.outputTensorType, `${what}: --output-tensor-type`);
    } else if (ftype === F.MOSTLY_MXFP4_MOE) {
      set('Q8_0', `${what}: MXFP4_MOE keeps it Q8_0`);
    } else if (falcon || t.ne[0] % typeInfo(type).blockSize !== 0) {
      set('Q8_0', `${what}: ${falcon ? 'falcon' : `ncols ${t.ne[0]} not a multiple of ${typeInfo(type).blockSize}`} -> Q8_0`);
    } else if (LOW_BIT_OUTPUT_Q5K.has(ftype)) {
      set('Q5_K', `${what}: low-bit IQ preset -> Q5_K`);
    } else if (type !== 'Q8_0') {
      set('Q6_K', `${what} -> Q6_K`);
    }
  } else if (ftype === F.MOSTLY_MXFP4_MOE) {
    // MLA projections are 3-D too, so bailingmoe3 names its expert roles explicitly
    const bailingExpert = hp.arch === 'bailingmoe3' && (cat === 'FFN_UP' || cat === 'FFN_GATE' || cat === 'FFN_DOWN');
    if (t.ne[2] > 1 && (hp.arch !== 'bailingmoe3' || bailingExpert)) set('MXFP4', 'MXFP4_MOE: expert tensor -> MXFP4');
    else set('Q8_0', 'MXFP4_MOE: non-expert tensor -> Q8_0');
  } else if (cat === 'TOKEN_EMBD') {
    if (p.tokenEmbeddingType !== null) {
      set(p.tokenEmbeddingType, 'token embedding type forced (--token-embedding-type)');
    } else if (ftype === F.MOSTLY_IQ2_XXS || ftype === F.MOSTLY_IQ2_XS || ftype === F.MOSTLY_IQ1_S || ftype === F.MOSTLY_IQ1_M) {
      set('Q2_K', 'token embedding in a 1-2 bit preset -> Q2_K');
    } else if (is2sm || ftype === F.MOSTLY_IQ3_XXS) {
      set('IQ3_S', 'token embedding -> IQ3_S');
    } else if (ftype === F.MOSTLY_TQ1_0 || ftype === F.MOSTLY_TQ2_0 || ftype === F.MOSTLY_Q2_0) {
      set('Q4_K', 'token embedding in a ternary/Q2_0 preset -> Q4_K');
    }
  } else if (LOW_BIT_GROUP.has(ftype)) {
    if (isAttnVLike(cat)) {
      if (gqa4 || hp.nExpert >= 4) set('Q4_K', `attn_v-like: n_gqa ${hp.nGqa}, n_expert ${hp.nExpert} -> Q4_K`);
      else set(is2sm ? 'IQ3_S' : 'Q2_K', 'attn_v-like in a low-bit preset');
      qs.iAttentionWv++;
    } else if (hp.nExpert === 8 && cat === 'ATTENTION_K') {
      set('Q4_K', 'attn_k with 8 experts -> Q4_K');
    } else if (cat === 'FFN_DOWN') {
      if (qs.iFfnDown < div(qs.nFfnDown, 8)) set(is2sm ? 'IQ3_S' : 'Q2_K', `ffn_down #${qs.iFfnDown} in the first eighth`);
      qs.iFfnDown++;
    } else if (cat === 'ATTENTION_OUTPUT') {
      if (hp.nExpert === 8) set('Q5_K', 'attn_output with 8 experts -> Q5_K');
      else if (ftype === F.MOSTLY_IQ1_S || ftype === F.MOSTLY_IQ1_M) set('IQ2_XXS', 'attn_output in an IQ1 preset -> IQ2_XXS');
      else if (is2sm) set('IQ3_S', 'attn_output -> IQ3_S');
    }
  } else if (isAttnVLike(cat)) {
    const i = qs.iAttentionWv;
    if (ftype === F.MOSTLY_Q2_K) set(gqa4 ? 'Q4_K' : 'Q3_K', `attn_v-like in Q2_K (n_gqa ${hp.nGqa})`);
    else if (ftype === F.MOSTLY_Q2_K_S && gqa4) set('Q4_K', `attn_v-like in Q2_K_S (n_gqa ${hp.nGqa})`);
    else if (ftype === F.MOSTLY_IQ3_XXS) set(gqa4 ? 'Q4_K' : !p.hasImatrix ? 'IQ3_S' : 'IQ3_XXS', `attn_v-like in IQ3_XXS (n_gqa ${hp.nGqa})`);
    else if ((ftype === F.MOSTLY_IQ3_XS || ftype === F.MOSTLY_IQ3_S) && gqa4) set('Q4_K', `attn_v-like (n_gqa ${hp.nGqa}) -> Q4_K`);
    else if (ftype === F.MOSTLY_IQ3_M) set('Q4_K', 'attn_v-like in IQ3_M -> Q4_K');
    else if (ftype === F.MOSTLY_Q3_K_M) set(i < 2 ? 'Q5_K' : 'Q4_K', `attn_v-like #${i} in Q3_K_M`);
    else if (ftype === F.MOSTLY_Q3_K_L) set('Q5_K', 'attn_v-like in Q3_K_L -> Q5_K');
    else if ((ftype === F.MOSTLY_IQ4_NL || ftype === F.MOSTLY_IQ4_XS) && gqa4) set('Q5_K', `attn_v-like (n_gqa ${hp.nGqa}) -> Q5_K`);
    else if ((ftype === F.MOSTLY_Q4_K_M || ftype === F.MOSTLY_Q5_K_M) && useMoreBits(i, qs.nAttentionWv)) {
      set('Q6_K', `attn_v-like #${i} of ${qs.nAttentionWv}: use_more_bits -> Q6_K`);
    } else if (ftype === F.MOSTLY_Q4_K_S && i < 4) set('Q5_K', `attn_v-like #${i} (< 4) in Q4_K_S -> Q5_K`);
    if (hp.is70B && (type === 'Q3_K' || type === 'Q4_K')) set('Q5_K', '70B model: attn_v -> Q5_K');
    if (hp.nExpert === 8) set('Q8_0', 'attn_v-like with 8 experts -> Q8_0');
    qs.iAttentionWv++;
  } else if (cat === 'ATTENTION_K') {
    if (hp.nExpert === 8) set('Q8_0', 'attn_k with 8 experts -> Q8_0');
    else if (ftype === F.MOSTLY_IQ3_XS) set('IQ3_XXS', 'attn_k in IQ3_XS -> IQ3_XXS');
    else if (ftype === F.MOSTLY_IQ3_XXS) set('IQ2_S', 'attn_k in IQ3_XXS -> IQ2_S');
  } else if (cat === 'ATTENTION_Q') {
    if (ftype === F.MOSTLY_IQ3_XS) set('IQ3_XXS', 'attn_q in IQ3_XS -> IQ3_XXS');
    else if (ftype === F.MOSTLY_IQ3_XXS) set('IQ2_S', 'attn_q in IQ3_XXS -> IQ2_S');
  } else if (cat === 'FFN_DOWN') {
    const n = qs.nFfnDown;
    const i = layerInfo(qs.iFfnDown, n);
    const at = `ffn_down layer ${i} of ${n}`;
    if (ftype === F.MOSTLY_Q2_K) set('Q3_K', `${at}: Q2_K -> Q3_K`);
    else if (ftype === F.MOSTLY_Q2_K_S) {
      if (i < div(n, 8)) set('Q4_K', `${at}: first eighth -> Q4_K`);
    } else if (ftype === F.MOSTLY_IQ3_XXS && !p.hasImatrix) set(i < div(n, 8) ? 'Q4_K' : 'Q3_K', `${at}: IQ3_XXS without imatrix`);
    else if (ftype === F.MOSTLY_Q3_K_M) {
      set(i < div(n, 16) ? 'Q5_K' : !falcon || useMoreBits(i, n) ? 'Q4_K' : 'Q3_K', `${at}: Q3_K_M`);
    } else if (ftype === F.MOSTLY_IQ3_M && (i < div(n, 8) || (hp.nExpert === 8 && useMoreBits(i, n)))) set('Q4_K', `${at}: IQ3_M -> Q4_K`);
    else if (ftype === F.MOSTLY_Q3_K_L) set(falcon ? 'Q4_K' : 'Q5_K', `${at}: Q3_K_L`);
    else if (ftype === F.MOSTLY_Q4_K_M) {
      if (falcon) set(i < div(n, 16) ? 'Q6_K' : useMoreBits(i, n) ? 'Q5_K' : 'Q4_K', `${at}: Q4_K_M (falcon)`);
      else if (useMoreBits(i, n)) set('Q6_K', `${at}: use_more_bits -> Q6_K`);
    } else if (i < div(n, 8) && (ftype === F.MOSTLY_IQ4_NL || ftype === F.MOSTLY_IQ4_XS) && !p.hasImatrix) {
      set('Q5_K', `${at}: first eighth without imatrix -> Q5_K`);
    } else if (ftype === F.MOSTLY_Q5_K_M && useMoreBits(i, n)) set('Q6_K', `${at}: use_more_bits -> Q6_K`);
    else if (ftype === F.MOSTLY_Q4_K_S && !falcon && i < div(n, 8)) set('Q5_K', `${at}: first eighth -> Q5_K`);
    else if ((ftype === F.MOSTLY_Q4_0 || ftype === F.MOSTLY_Q5_0) && p.hasImatrix && i < div(n, 8)) {
      set(ftype === F.MOSTLY_Q4_0 ? 'Q4_1' : 'Q5_1', `${at}: first eighth with imatrix`);
    }
    qs.iFfnDown++;
  } else if (cat === 'ATTENTION_OUTPUT') {
    if (!falcon) {
      if (hp.nExpert === 8) {
        if (EIGHT_EXPERT_ATTN_OUT_Q5K.has(ftype)) set('Q5_K', 'attn_output with 8 experts -> Q5_K');
      } else if (ftype === F.MOSTLY_Q2_K) set('Q3_K', 'attn_output in Q2_K -> Q3_K');
      else if (ftype === F.MOSTLY_IQ3_XXS) set('IQ3_S', 'attn_output in IQ3_XXS -> IQ3_S');
      else if (ftype === F.MOSTLY_Q3_K_M) set('Q4_K', 'attn_output in Q3_K_M -> Q4_K');
      else if (ftype === F.MOSTLY_Q3_K_L) set('Q5_K', 'attn_output in Q3_K_L -> Q5_K');
      else if (ftype === F.MOSTLY_IQ3_M) set('Q4_K', 'attn_output in IQ3_M -> Q4_K');
    } else if (ftype === F.MOSTLY_Q3_K_L) set('Q4_K', 'attn_output in Q3_K_L (falcon) -> Q4_K');
  }
  // The reference's separate ATTENTION_QKV branch comes after the attn_v-like one, which already
  // takes every QKV tensor, so it can never run and is not ported.
  else if (cat === 'FFN_GATE' || cat === 'FFN_UP') {
    const gate = cat === 'FFN_GATE';
    const n = gate ? qs.nFfnGate : qs.nFfnUp;
    const i = layerInfo(gate ? qs.iFfnGate : qs.iFfnUp, n);
    if (ftype === F.MOSTLY_IQ3_XS && i >= div(n, 8) && i < div(7 * n, 8)) {
      set('IQ3_XXS', `${gate ? 'ffn_gate' : 'ffn_up'} layer ${i} of ${n} in IQ3_XS -> IQ3_XXS`);
    }
    if (gate) qs.iFfnGate++;
    else qs.iFfnUp++;
  }
  return { type, reason: why };
}

/**
 * llama_tensor_get_type for a tensor that tensor_allows_quantization accepted, in write order.
 * `defaultType` is llama_ftype_get_default_type(ftype).
 */
export function decideType(qs: QuantState, p: RuleParams, t: RuleTensor, defaultType: TypeName): Decision {
  const category = tensorCategory(t.name);
  if (p.tokenEmbeddingType !== null && category === 'TOKEN_EMBD') {
    return { type: p.tokenEmbeddingType, reason: 'token embedding type forced (--token-embedding-type)' };
  }
  if (p.outputTensorType !== null && category === 'OUTPUT') {
    return { type: p.outputTensorType, reason: 'output tensor type forced (--output-tensor-type)' };
  }
  // F16 / BF16 / F32 presets: every quantizable tensor simply takes the preset's type.
  if (!isQuantized(defaultType)) return { type: defaultType, reason: 'preset type' };

  let type = defaultType;
  let reason = 'preset default';
  let manual = false;
  for (const pat of p.patterns) {
    if (pat.re.test(t.name)) {
      if (pat.type !== type) qs.warnings.push(`${t.name}: applying manual override: ${ggmlTypeName(type)} -> ${ggmlTypeName(pat.type)}`);
      type = pat.type;
      reason = `--tensor-type ${pat.pattern}=${ggmlTypeName(pat.type)}`;
      manual = true;
      break;
    }
  }
  if (!manual && !p.pure) {
    const mixed = mixtureType(qs, p, t, type, category);
    type = mixed.type;
    if (mixed.reason !== '') reason = mixed.reason;
  } else if (!manual) {
    reason = 'preset default (--pure)';
  }
  const fallen = fallbackType(qs, t, type);
  if (fallen !== type) reason += `; ncols ${t.ne[0]} not divisible by ${typeInfo(type).blockSize}, fallback`;
  return { type: fallen, reason };
}
