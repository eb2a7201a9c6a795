import { UnsupportedError } from '../errors';
import type { MetaValue } from '../model';
import { FILE_TYPE_KV, type ArchEntry, type HfConfig } from './arch-table';

/**
 * The architecture keys convert_hf_to_gguf.py writes from config.json, in its order:
 * TextModel.set_gguf_parameters (conversion/base.py at 34af94cd), general.file_type, then the
 * family's own keys (ArchEntry.extraKv). Values that decide something the converter does and
 * Kiln does not do yet are refused rather than written differently.
 */

/** ModelBase.find_hparam: the first key present wins, even when its value is null. */
export function findHparam(hp: HfConfig, keys: readonly string[]): unknown {
  for (const k of keys) if (k in hp) return hp[k];
  return undefined;
}

const present = (v: unknown): v is number | string | boolean => v !== undefined && v !== null;

/** TextModel.__init__'s rope_parameters, with the global values mirrored into it. */
export function ropeParameters(hp: HfConfig): Record<string, unknown> {
  const given = hp['rope_parameters'] !== undefined ? hp['rope_parameters'] : hp['rope_scaling'];
  const rp: Record<string, unknown> = typeof given === 'object' && given !== null && !Array.isArray(given) ? { ...(given as Record<string, unknown>) } : {};
  const theta = findHparam(hp, ['global_rope_theta', 'rope_global_theta', 'rope_theta_global', 'rope_theta', 'rotary_emb_base']);
  const local = findHparam(hp, ['local_rope_theta', 'rope_local_theta', 'rope_theta_local', 'swa_rope_theta', 'rope_local_base_freq']);
  const partial = findHparam(hp, ['partial_rotary_factor', 'rope_pct', 'rope_percent']);
  const origCtx = findHparam(hp, ['original_max_position_embeddings']);
  if (!('full_attention' in rp) && !('sliding_attention' in rp)) {
    if (present(local)) rp['sliding_attention'] = { rope_theta: local };
    if (!('rope_theta' in rp) && present(theta)) rp['rope_theta'] = theta;
    if (!('rope_type' in rp) && present(rp['type'])) rp['rope_type'] = rp['type'];
    if (!('partial_rotary_factor' in rp) && present(partial)) rp['partial_rotary_factor'] = partial;
    if (!('original_max_position_embeddings' in rp) && present(origCtx)) rp['original_max_position_embeddings'] = origCtx;
  }
  return rp;
}

/** The architecture KVs, with `fileType` as general.file_type; `file` names config.json in errors. */
export function archKvs(arch: ArchEntry, hp: HfConfig, blockCount: number, fileType: number, file: string): Array<[string, MetaValue]> {
  const a = arch.ggufArch;
  const out: Array<[string, MetaValue]> = [];
  const refuse = (what: string): never => {
    throw new UnsupportedError({ format: 'hf', file }, what);
  };
  // GGUFWriter.add_key_value: a key written again keeps its place and takes the new value
  const set = (key: string, v: MetaValue): void => {
    const at = out.findIndex(([k]) => k === key);
    if (at >= 0) out[at] = [key, v];
    else out.push([key, v]);
  };
  const num = (key: string, v: unknown, type: 'u32' | 'f32'): void => {
    if (!present(v)) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) refuse(`${key} from config.json is ${JSON.stringify(v)}, not a number`);
    if (type === 'u32' && (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff)) refuse(`${key} from config.json is ${String(v)}, not a u32`);
    set(key.replace('{arch}', a), { type, value: v as number });
  };
  const extra = (): void => {
    for (const kv of arch.extraKv) {
      if (kv === FILE_TYPE_KV) {
        set('general.file_type', { type: 'u32', value: fileType });
        continue;
      }
      const v = kv.value(hp);
      if (v === undefined || v === null) {
        if (kv.required) refuse(`${kv.key.replace('{arch}', a)} needs a value config.json does not give (the converter stops there too)`);
        continue;
      }
      if (kv.type === 'u32' || kv.type === 'f32') num(kv.key, v, kv.type);
      else set(kv.key.replace('{arch}', a), kv.type === 'bool' ? { type: 'bool', value: Boolean(v) } : { type: 'string', value: String(v) });
    }
  };
  if (arch.kvBase === 'own') {
    extra();
    return out;
  }
  num('{arch}.block_count', blockCount, 'u32');
  num('{arch}.context_length', findHparam(hp, ['max_position_embeddings', 'n_ctx', 'n_positions', 'max_length', 'max_sequence_length', 'model_max_length']), 'u32');
  num('{arch}.embedding_length', findHparam(hp, ['hidden_size', 'n_embd', 'dim']), 'u32');
  num('{arch}.feed_forward_length', findHparam(hp, ['prefix_dense_intermediate_size', 'dense_intermediate_size', 'intermediate_size', 'n_inner', 'hidden_dim']), 'u32');
  num('{arch}.attention.head_count', findHparam(hp, ['num_attention_heads', 'n_head', 'n_heads']), 'u32');
  num('{arch}.attention.head_count_kv', findHparam(hp, ['num_key_value_heads', 'n_kv_heads']), 'u32');
  if (hp['is_causal'] === false) out.push([`${a}.attention.causal`, { type: 'bool', value: false }]);

  const rope = ropeParameters(hp);
  const full = rope['full_attention'];
  const rp = (typeof full === 'object' && full !== null ? full : rope) as Record<string, unknown>;
  const ropeType = rp['rope_type'];
  if (present(ropeType)) {
    const factor = rp['factor'];
    if (ropeType === 'linear' && present(factor)) {
      out.push([`${a}.rope.scaling.type`, { type: 'string', value: 'linear' }]);
      num('{arch}.rope.scaling.factor', factor, 'f32');
    } else if (ropeType === 'yarn' && present(factor)) {
      out.push([`${a}.rope.scaling.type`, { type: 'string', value: 'yarn' }]);
      num('{arch}.rope.scaling.factor', factor, 'f32');
      if (!present(rp['original_max_position_embeddings'])) refuse('rope_scaling yarn has no original_max_position_embeddings');
      num('{arch}.rope.scaling.original_context_length', rp['original_max_position_embeddings'], 'u32');
      num('{arch}.rope.scaling.yarn_ext_factor', rp['extrapolation_factor'], 'f32');
      num('{arch}.rope.scaling.yarn_attn_factor', rp['attention_factor'] !== undefined ? rp['attention_factor'] : rp['attn_factor'], 'f32');
      num('{arch}.rope.scaling.yarn_beta_fast', rp['beta_fast'], 'f32');
      num('{arch}.rope.scaling.yarn_beta_slow', rp['beta_slow'], 'f32');
    } else if (ropeType === 'su' || ropeType === 'longrope') {
      refuse(`rope_scaling type ${String(ropeType)} (its rope factor tensors) is not supported yet`);
    } else if (String(ropeType).toLowerCase() === 'llama3') {
      // no keys: the family's generated rope_freqs tensor carries it (ArchEntry.extraTensors)
    } else if (ropeType !== 'default' && ropeType !== 'dynamic' && ropeType !== 'linear' && ropeType !== 'yarn') {
      refuse(`rope_scaling type ${JSON.stringify(ropeType)} is unknown`);
    }
  }
  if ('mrope_section' in rope) refuse('mrope_section (multimodal rope) is not supported');
  num('{arch}.rope.freq_base', rp['rope_theta'], 'f32');
  const swa = rope['sliding_attention'];
  if (typeof swa === 'object' && swa !== null) num('{arch}.rope.freq_base_swa', (swa as Record<string, unknown>)['rope_theta'], 'f32');
  num('{arch}.attention.layer_norm_rms_epsilon', findHparam(hp, ['rms_norm_eps', 'norm_eps']), 'f32');
  num('{arch}.attention.layer_norm_epsilon', findHparam(hp, ['layer_norm_eps', 'layer_norm_epsilon', 'norm_epsilon']), 'f32');
  num('{arch}.expert_count', findHparam(hp, ['num_local_experts', 'num_experts', 'n_routed_experts']), 'u32');
  num('{arch}.expert_used_count', findHparam(hp, ['num_experts_per_tok', 'num_experts_per_token', 'top_k_experts']), 'u32');
  num('{arch}.expert_group_count', hp['n_group'], 'u32');
  num('{arch}.expert_group_used_count', hp['topk_group'], 'u32');
  const score = findHparam(hp, ['score_function', 'scoring_func', 'score_func', 'moe_router_activation', 'moe_router_activation_func', 'expert_selection_fn']);
  if (present(score)) refuse(`expert gating function ${JSON.stringify(score)} is not supported yet`);
  const headDim = hp['head_dim'];
  if (present(headDim)) {
    num('{arch}.attention.key_length', headDim, 'u32');
    num('{arch}.attention.value_length', headDim, 'u32');
  }
  out.push(['general.file_type', { type: 'u32', value: fileType }]);
  extra();
  return out;
}
