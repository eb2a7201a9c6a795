import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSafetensors } from './safetensors-builder';
import { tinyTokenizerJson } from './hf-bpe-support';

/**
 * Tiny Hugging Face checkpoints shaped like their families, generated with a fixed seed:
 * config.json, tokenizer.json (byte-level BPE), tokenizer_config.json and one BF16
 * model.safetensors. Llama 3: GQA, llama3 rope scaling, untied. Qwen2: GQA, q/k/v biases, tied
 * embeddings (no lm_head). Qwen3: GQA, head_dim != hidden/heads, q/k norms, untied.
 * `writeTinyModel` puts one on disk (a folder to try the CLI or the page on).
 */

export type Family = 'llama3' | 'qwen2' | 'qwen3';

export const DIMS = { vocab: 272, hidden: 64, ff: 96, layers: 2, heads: 4, kvHeads: 2 } as const;

/** mulberry32, so the weights are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function configFor(family: Family): Record<string, unknown> {
  const common = {
    vocab_size: DIMS.vocab,
    hidden_size: DIMS.hidden,
    intermediate_size: DIMS.ff,
    num_hidden_layers: DIMS.layers,
    num_attention_heads: DIMS.heads,
    num_key_value_heads: DIMS.kvHeads,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-6,
    torch_dtype: 'bfloat16',
    hidden_act: 'silu',
  };
  if (family === 'llama3') {
    return {
      architectures: ['LlamaForCausalLM'], model_type: 'llama', ...common, rms_norm_eps: 1e-5, rope_theta: 500000.0,
      rope_scaling: { factor: 32.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
      tie_word_embeddings: false, bos_token_id: 266, eos_token_id: 267,
    };
  }
  if (family === 'qwen2') {
    return { architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', ...common, rope_theta: 1000000.0, rope_scaling: null, sliding_window: 2048, use_sliding_window: false, max_window_layers: 2, tie_word_embeddings: true, bos_token_id: 266, eos_token_id: 267 };
  }
  return { architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', ...common, head_dim: 32, rope_theta: 1000000.0, rope_scaling: null, attention_bias: false, tie_word_embeddings: false, bos_token_id: 266, eos_token_id: 267 };
}

/** HF tensor name -> shape, for the family. */
export function hfTensorShapes(family: Family): Map<string, number[]> {
  const { vocab, hidden, ff, layers, heads, kvHeads } = DIMS;
  const hd = family === 'qwen3' ? 32 : hidden / heads;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [vocab, hidden]], ['model.norm.weight', [hidden]]]);
  if (family !== 'qwen2') m.set('lm_head.weight', [vocab, hidden]);
  for (let b = 0; b < layers; b++) {
    const p = `model.layers.${b}`;
    m.set(`${p}.input_layernorm.weight`, [hidden]);
    m.set(`${p}.post_attention_layernorm.weight`, [hidden]);
    m.set(`${p}.self_attn.q_proj.weight`, [heads * hd, hidden]);
    m.set(`${p}.self_attn.k_proj.weight`, [kvHeads * hd, hidden]);
    m.set(`${p}.self_attn.v_proj.weight`, [kvHeads * hd, hidden]);
    m.set(`${p}.self_attn.o_proj.weight`, [hidden, heads * hd]);
    m.set(`${p}.mlp.gate_proj.weight`, [ff, hidden]);
    m.set(`${p}.mlp.up_proj.weight`, [ff, hidden]);
    m.set(`${p}.mlp.down_proj.weight`, [hidden, ff]);
    if (family === 'qwen2') {
      m.set(`${p}.self_attn.q_proj.bias`, [heads * hd]);
      m.set(`${p}.self_attn.k_proj.bias`, [kvHeads * hd]);
      m.set(`${p}.self_attn.v_proj.bias`, [kvHeads * hd]);
    }
    if (family === 'qwen3') {
      m.set(`${p}.self_attn.q_norm.weight`, [hd]);
      m.set(`${p}.self_attn.k_norm.weight`, [hd]);
    }
  }
  return m;
}

export function tinyModelFiles(family: Family, seed = 1234): Map<string, Uint8Array> {
  const rand = rng(seed);
  const shapes = hfTensorShapes(family);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const bytes = new Uint8Array(n * 2);
    const dv = new DataView(bytes.buffer);
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    for (let i = 0; i < n; i++) {
      f32[0] = name.includes('norm') ? 1 + (rand() - 0.5) * 0.1 : (rand() - 0.5) * 0.2;
      dv.setUint16(2 * i, u32[0]! >>> 16, true); // truncation to bf16 is fine for made-up weights
    }
    header[name] = { dtype: 'BF16', shape, data_offsets: [off, off + bytes.length] };
    chunks.push(bytes);
    off += bytes.length;
  }
  const data = new Uint8Array(off);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2));
  const tokCfg =
    family === 'llama3'
      ? { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>', clean_up_tokenization_spaces: true, model_max_length: 131072, tokenizer_class: 'PreTrainedTokenizerFast', chat_template: "{{ bos_token }}{% for m in messages %}{{ m['content'] }}<|eot_id|>{% endfor %}" }
      : { bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>', add_prefix_space: false, clean_up_tokenization_spaces: false, errors: 'replace', model_max_length: 131072, split_special_tokens: false, tokenizer_class: 'Qwen2Tokenizer', chat_template: "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}" };
  return new Map<string, Uint8Array>([
    ['config.json', enc(configFor(family))],
    ['tokenizer.json', enc(tinyTokenizerJson(family === 'llama3' ? 'llama3' : 'qwen2', { pairMerges: family === 'qwen3' }))],
    ['tokenizer_config.json', enc(tokCfg)],
    ['model.safetensors', buildSafetensors(header, data)],
  ]);
}

export function writeTinyModel(dir: string, family: Family, seed = 1234): string {
  const p = join(dir, `tiny-${family}`);
  mkdirSync(p, { recursive: true });
  for (const [n, b] of tinyModelFiles(family, seed)) writeFileSync(join(p, n), b);
  return p;
}
