import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tinyTokenizerJson } from './hf-bpe-support';
import { DIMS, randomSafetensors } from './hf-tiny-models';

/**
 * A tiny Qwen3 MoE checkpoint (Qwen3MoeForCausalLM), generated with a fixed seed: config.json
 * as Qwen3-30B-A3B spells it (every key the converter reads written out), the byte-level BPE
 * tokenizer.json of the Qwen families, tokenizer_config.json and one BF16 model.safetensors.
 * GQA, head_dim != hidden / heads, q/k norms, untied, QWEN3MOE_EXPERTS experts per layer of which
 * 2 are used, a router (mlp.gate) per layer, moe_intermediate_size != intermediate_size.
 */

export const QWEN3MOE_EXPERTS = 4;
export const QWEN3MOE_FF_EXP = 32;
export const QWEN3MOE_HEAD_DIM = 32;

export function qwen3moeConfig(): Record<string, unknown> {
  return {
    architectures: ['Qwen3MoeForCausalLM'], model_type: 'qwen3_moe', vocab_size: DIMS.vocab, hidden_size: DIMS.hidden, intermediate_size: DIMS.ff,
    num_hidden_layers: DIMS.layers, num_attention_heads: DIMS.heads, num_key_value_heads: DIMS.kvHeads, head_dim: QWEN3MOE_HEAD_DIM, max_position_embeddings: 40960,
    rms_norm_eps: 1e-6, rope_theta: 1000000.0, rope_scaling: null, attention_bias: false, attention_dropout: 0.0, hidden_act: 'silu', initializer_range: 0.02,
    decoder_sparse_step: 1, mlp_only_layers: [], moe_intermediate_size: QWEN3MOE_FF_EXP, num_experts: QWEN3MOE_EXPERTS, num_experts_per_tok: 2, norm_topk_prob: true,
    output_router_logits: false, router_aux_loss_coef: 0.001, use_sliding_window: false, sliding_window: null, max_window_layers: DIMS.layers,
    tie_word_embeddings: false, use_cache: true, torch_dtype: 'bfloat16', bos_token_id: 266, eos_token_id: 267,
  };
}

/** HF tensor name -> shape. */
export function qwen3moeTensorShapes(): Map<string, number[]> {
  const { vocab, hidden: e, layers, heads, kvHeads } = DIMS;
  const hd = QWEN3MOE_HEAD_DIM;
  const ff = QWEN3MOE_FF_EXP;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [vocab, e]], ['model.norm.weight', [e]], ['lm_head.weight', [vocab, e]]]);
  for (let b = 0; b < layers; b++) {
    const p = `model.layers.${b}`;
    m.set(`${p}.input_layernorm.weight`, [e]);
    m.set(`${p}.post_attention_layernorm.weight`, [e]);
    m.set(`${p}.self_attn.q_proj.weight`, [heads * hd, e]);
    m.set(`${p}.self_attn.k_proj.weight`, [kvHeads * hd, e]);
    m.set(`${p}.self_attn.v_proj.weight`, [kvHeads * hd, e]);
    m.set(`${p}.self_attn.o_proj.weight`, [e, heads * hd]);
    m.set(`${p}.self_attn.q_norm.weight`, [hd]);
    m.set(`${p}.self_attn.k_norm.weight`, [hd]);
    m.set(`${p}.mlp.gate.weight`, [QWEN3MOE_EXPERTS, e]);
    for (let x = 0; x < QWEN3MOE_EXPERTS; x++) {
      m.set(`${p}.mlp.experts.${x}.gate_proj.weight`, [ff, e]);
      m.set(`${p}.mlp.experts.${x}.up_proj.weight`, [ff, e]);
      m.set(`${p}.mlp.experts.${x}.down_proj.weight`, [e, ff]);
    }
  }
  return m;
}

export function qwen3moeFiles(seed = 2468): Map<string, Uint8Array> {
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2));
  const tokCfg = {
    bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>', add_prefix_space: false, clean_up_tokenization_spaces: false, errors: 'replace', model_max_length: 131072,
    split_special_tokens: false, tokenizer_class: 'Qwen2Tokenizer', chat_template: "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}",
  };
  return new Map<string, Uint8Array>([
    ['config.json', enc(qwen3moeConfig())],
    ['tokenizer.json', enc(tinyTokenizerJson('qwen2'))],
    ['tokenizer_config.json', enc(tokCfg)],
    ['model.safetensors', randomSafetensors(qwen3moeTensorShapes(), seed)],
  ]);
}

export function writeQwen3MoeModel(dir: string, seed = 2468): string {
  const p = join(dir, 'tiny-qwen3moe');
  mkdirSync(p, { recursive: true });
  for (const [n, b] of qwen3moeFiles(seed)) writeFileSync(join(p, n), b);
  return p;
}
