import type { HfConfig } from './arch-table';

/**
 * convert_hf_to_gguf.py reads config.json through transformers (ModelBase.load_hparams:
 * AutoConfig.from_pretrained(...).to_dict()), so a key config.json leaves out takes its config
 * class's default, and save_pretrained leaves out exactly the keys equal to those defaults. These
 * are the defaults of transformers 4.57.6 (the version requirements-convert_hf_to_gguf.txt pins at
 * llama.cpp 34af94cd) for the keys the converter reads, per model_type, with the values each
 * config class derives (LlamaConfig's head_dim, the key/value heads that default to the heads,
 * Phi3Config's rope type rename). A model_type not listed is read as config.json gives it, as the
 * converter does when AutoConfig cannot load it.
 */

type Defaults = Readonly<Record<string, unknown>>;

const DEFAULTS: Readonly<Record<string, Defaults>> = {
  llama: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, max_position_embeddings: 2048, rms_norm_eps: 1e-6, tie_word_embeddings: false, rope_theta: 10000.0, rope_scaling: null, head_dim: null },
  mistral: { vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, head_dim: null, max_position_embeddings: 4096 * 32, rms_norm_eps: 1e-6, tie_word_embeddings: false, rope_theta: 10000.0, sliding_window: 4096 },
  mixtral: {
    vocab_size: 32000, hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 8, head_dim: null, max_position_embeddings: 4096 * 32,
    rms_norm_eps: 1e-5, tie_word_embeddings: false, rope_theta: 1e6, sliding_window: null, num_experts_per_tok: 2, num_local_experts: 8,
  },
  qwen2: { vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, max_position_embeddings: 32768, rms_norm_eps: 1e-6, tie_word_embeddings: false, rope_theta: 10000.0, rope_scaling: null },
  qwen3: { vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, head_dim: 128, max_position_embeddings: 32768, rms_norm_eps: 1e-6, tie_word_embeddings: false, rope_theta: 10000.0, rope_scaling: null },
  // Qwen3MoeConfig sets no head_dim (the model falls back to hidden / heads); sliding_window is None unless use_sliding_window
  qwen3_moe: {
    vocab_size: 151936, hidden_size: 2048, intermediate_size: 6144, num_hidden_layers: 24, num_attention_heads: 32, num_key_value_heads: 4, max_position_embeddings: 32768, rms_norm_eps: 1e-6,
    tie_word_embeddings: false, rope_theta: 10000.0, rope_scaling: null, decoder_sparse_step: 1, moe_intermediate_size: 768, num_experts_per_tok: 8, num_experts: 128, norm_topk_prob: false, mlp_only_layers: [],
  },
  gemma2: {
    vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, max_position_embeddings: 8192, rms_norm_eps: 1e-6,
    tie_word_embeddings: true, rope_theta: 10000.0, query_pre_attn_scalar: 256, sliding_window: 4096, final_logit_softcapping: 30.0, attn_logit_softcapping: 50.0,
  },
  gemma3_text: {
    vocab_size: 262208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, max_position_embeddings: 131072, rms_norm_eps: 1e-6,
    tie_word_embeddings: true, rope_theta: 1e6, query_pre_attn_scalar: 256, sliding_window: 4096, final_logit_softcapping: null, attn_logit_softcapping: null, rope_scaling: null, rope_local_base_freq: 10000.0,
  },
  phi3: {
    vocab_size: 32064, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: null, max_position_embeddings: 4096, original_max_position_embeddings: 4096,
    rms_norm_eps: 1e-5, tie_word_embeddings: false, rope_theta: 10000.0, rope_scaling: null, partial_rotary_factor: 1.0, sliding_window: null,
  },
};

/** One config (a text_config too) as its transformers class would hold it. */
function completed(cfg: HfConfig, modelType: string): HfConfig {
  const d = DEFAULTS[modelType];
  if (d === undefined) return cfg;
  const out: Record<string, unknown> = { ...d, ...cfg };
  if ((out['num_key_value_heads'] === null || out['num_key_value_heads'] === undefined) && modelType !== 'gemma2' && modelType !== 'gemma3_text') out['num_key_value_heads'] = out['num_attention_heads'];
  if (modelType === 'llama' && (out['head_dim'] === null || out['head_dim'] === undefined)) {
    const e = out['hidden_size'];
    const h = out['num_attention_heads'];
    if (typeof e === 'number' && typeof h === 'number' && h > 0) out['head_dim'] = Math.floor(e / h);
  }
  const rs = out['rope_scaling'];
  if (modelType === 'phi3' && typeof rs === 'object' && rs !== null && ['su', 'yarn'].includes((rs as Record<string, unknown>)['type'] as string)) {
    out['rope_scaling'] = { ...(rs as Record<string, unknown>), type: 'longrope' }; // Phi3Config._rope_scaling_adjustment
  }
  return out;
}

/** config.json as the converter's hparams start: its class defaults under it, a Gemma 3 text_config completed as Gemma3TextConfig. */
export function withConfigDefaults(raw: HfConfig): HfConfig {
  const mt = typeof raw['model_type'] === 'string' ? (raw['model_type'] as string) : '';
  if (mt === 'gemma3') {
    const tc = raw['text_config'];
    return { ...raw, text_config: completed(typeof tc === 'object' && tc !== null ? (tc as HfConfig) : {}, 'gemma3_text') };
  }
  return completed(raw, mt);
}
