import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSafetensors } from './safetensors-builder';
import { tinyTokenizerJson } from './hf-bpe-support';
import { fixtureBytes } from '../../support/fixtures';

/**
 * Tiny Hugging Face checkpoints shaped like their families, generated with a fixed seed:
 * config.json, tokenizer.json (byte-level BPE), tokenizer_config.json and one BF16
 * model.safetensors. Llama 3: GQA, llama3 rope scaling, untied. Qwen2: GQA, q/k/v biases, tied
 * embeddings (no lm_head). Qwen3: GQA, head_dim != hidden/heads, q/k norms, untied.
 * SentencePiece families (the tiny llama's 512-piece tokenizer.model from test/fixtures): Gemma 2
 * (GQA, head_dim != hidden/heads, four norms per block, soft-capping, sliding window, tied, plus an
 * lm_head.weight as autoawq leaves one, which the converter drops), Gemma 3 (q/k norms, linear rope
 * scaling, local rope base, sliding window pattern, tied), Phi-3 (fused qkv_proj and gate_up_proj,
 * GQA, longrope factors, an added special token), Mixtral (GQA, 4 experts of which 2 are used, a
 * router per layer).
 * `writeTinyModel` puts one on disk (a folder to try the CLI or the page on).
 */

export type Family = 'llama3' | 'qwen2' | 'qwen3';
export type SpmFamily = 'gemma2' | 'gemma3' | 'phi3' | 'mixtral';

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

/** Vocabulary of the SentencePiece families: the fixture tokenizer.model's pieces. */
export const SPM_VOCAB = 512;
export const N_EXPERT = 4;
/** head_dim of the gemma checkpoints (not hidden / heads, as in Gemma 2 27B and Gemma 3). */
export const GEMMA_HEAD_DIM = 32;
export const PHI3_LONG = [1, 1.25, 1.5, 2, 3, 4, 6, 8];
export const PHI3_SHORT = [1, 1, 1, 1.125, 1.25, 1.5, 1.75, 2];

export function spmConfigFor(family: SpmFamily): Record<string, unknown> {
  const common = {
    vocab_size: SPM_VOCAB, hidden_size: DIMS.hidden, intermediate_size: DIMS.ff, num_hidden_layers: DIMS.layers, num_attention_heads: DIMS.heads,
    num_key_value_heads: DIMS.kvHeads, rms_norm_eps: 1e-6, torch_dtype: 'bfloat16', bos_token_id: 1, eos_token_id: 2,
  };
  if (family === 'gemma2') {
    return {
      architectures: ['Gemma2ForCausalLM'], model_type: 'gemma2', ...common, head_dim: GEMMA_HEAD_DIM, max_position_embeddings: 8192, rope_theta: 10000.0,
      attn_logit_softcapping: 50.0, final_logit_softcapping: 30.0, sliding_window: 4096, query_pre_attn_scalar: 256, hidden_activation: 'gelu_pytorch_tanh',
      attention_bias: false, cache_implementation: 'hybrid', pad_token_id: 0, tie_word_embeddings: true,
    };
  }
  if (family === 'gemma3') {
    return {
      architectures: ['Gemma3ForCausalLM'], model_type: 'gemma3_text', ...common, head_dim: GEMMA_HEAD_DIM, max_position_embeddings: 32768, rope_theta: 1000000.0,
      rope_local_base_freq: 10000.0, rope_scaling: { factor: 8.0, rope_type: 'linear' }, sliding_window: 512, sliding_window_pattern: 6,
      attn_logit_softcapping: null, final_logit_softcapping: null, query_pre_attn_scalar: 256, hidden_activation: 'gelu_pytorch_tanh', pad_token_id: 0,
    };
  }
  if (family === 'phi3') {
    return {
      architectures: ['Phi3ForCausalLM'], model_type: 'phi3', ...common, rms_norm_eps: 1e-5, max_position_embeddings: 131072, original_max_position_embeddings: 4096,
      rope_theta: 10000.0, rope_scaling: { type: 'longrope', long_factor: PHI3_LONG, short_factor: PHI3_SHORT }, sliding_window: 262144, tie_word_embeddings: false,
      hidden_act: 'silu', pad_token_id: 0,
    };
  }
  return {
    architectures: ['MixtralForCausalLM'], model_type: 'mixtral', ...common, rms_norm_eps: 1e-5, max_position_embeddings: 32768, rope_theta: 1000000.0,
    num_local_experts: N_EXPERT, num_experts_per_tok: 2, router_aux_loss_coef: 0.02, sliding_window: null, tie_word_embeddings: false, hidden_act: 'silu',
  };
}

/** HF tensor name -> shape for a SentencePiece family. */
export function spmTensorShapes(family: SpmFamily): Map<string, number[]> {
  const { hidden: e, ff, layers, heads, kvHeads } = DIMS;
  const hd = family.startsWith('gemma') ? GEMMA_HEAD_DIM : e / heads;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [SPM_VOCAB, e]], ['model.norm.weight', [e]]]);
  if (family !== 'gemma3') m.set('lm_head.weight', [SPM_VOCAB, e]);
  for (let b = 0; b < layers; b++) {
    const p = `model.layers.${b}`;
    m.set(`${p}.input_layernorm.weight`, [e]);
    m.set(`${p}.post_attention_layernorm.weight`, [e]);
    m.set(`${p}.self_attn.o_proj.weight`, [e, heads * hd]);
    if (family === 'phi3') {
      m.set(`${p}.self_attn.qkv_proj.weight`, [(heads + 2 * kvHeads) * hd, e]);
      m.set(`${p}.mlp.gate_up_proj.weight`, [2 * ff, e]);
      m.set(`${p}.mlp.down_proj.weight`, [e, ff]);
      continue;
    }
    m.set(`${p}.self_attn.q_proj.weight`, [heads * hd, e]);
    m.set(`${p}.self_attn.k_proj.weight`, [kvHeads * hd, e]);
    m.set(`${p}.self_attn.v_proj.weight`, [kvHeads * hd, e]);
    if (family === 'mixtral') {
      m.set(`${p}.block_sparse_moe.gate.weight`, [N_EXPERT, e]);
      for (let x = 0; x < N_EXPERT; x++) {
        m.set(`${p}.block_sparse_moe.experts.${x}.w1.weight`, [ff, e]);
        m.set(`${p}.block_sparse_moe.experts.${x}.w2.weight`, [e, ff]);
        m.set(`${p}.block_sparse_moe.experts.${x}.w3.weight`, [ff, e]);
      }
      continue;
    }
    m.set(`${p}.mlp.gate_proj.weight`, [ff, e]);
    m.set(`${p}.mlp.up_proj.weight`, [ff, e]);
    m.set(`${p}.mlp.down_proj.weight`, [e, ff]);
    m.set(`${p}.pre_feedforward_layernorm.weight`, [e]);
    m.set(`${p}.post_feedforward_layernorm.weight`, [e]);
    if (family === 'gemma3') {
      m.set(`${p}.self_attn.q_norm.weight`, [hd]);
      m.set(`${p}.self_attn.k_norm.weight`, [hd]);
    }
  }
  return m;
}

/** One safetensors file holding `shapes` with fixed-seed weights (norms near 1, or near 0 for gemma's 1 + w norms). */
export function randomSafetensors(shapes: Map<string, number[]>, seed: number, dtype: 'BF16' | 'F16' | 'F32' = 'BF16', normCentre = 1): Uint8Array {
  const rand = rng(seed);
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  const width = dtype === 'F32' ? 4 : 2;
  const chunks: Uint8Array[] = [];
  let off = 0;
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    const bytes = new Uint8Array(n * width);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < n; i++) {
      f32[0] = name.includes('norm') ? normCentre + (rand() - 0.5) * 0.1 : (rand() - 0.5) * 0.2;
      if (dtype === 'F32') dv.setFloat32(4 * i, f32[0]!, true);
      else if (dtype === 'BF16') dv.setUint16(2 * i, u32[0]! >>> 16, true);
      else dv.setUint16(2 * i, f32ToF16Bits(f32[0]!), true);
    }
    header[name] = { dtype, shape, data_offsets: [off, off + bytes.length] };
    chunks.push(bytes);
    off += bytes.length;
  }
  const data = new Uint8Array(off);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return buildSafetensors(header, data);
}

/** Round to nearest even f16 bits (normal range only; the made-up weights stay in it). */
function f32ToF16Bits(x: number): number {
  const f = new Float32Array([x]);
  const w = new Uint32Array(f.buffer)[0]!;
  const sign = (w >>> 16) & 0x8000;
  const abs = w & 0x7fffffff;
  if (abs < 0x38800000) return sign;
  return sign | ((abs - 0x38000000 + 0x0fff + ((abs >>> 13) & 1)) >>> 13);
}

export function spmModelFiles(family: SpmFamily, seed = 4321, dtype: 'BF16' | 'F16' | 'F32' = 'BF16'): Map<string, Uint8Array> {
  const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o, null, 2));
  const tokCfg: Record<string, unknown> = { add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', model_max_length: 8192, tokenizer_class: family.startsWith('gemma') ? 'GemmaTokenizer' : 'LlamaTokenizer' };
  if (family === 'phi3') tokCfg['added_tokens_decoder'] = { '511': { content: '<|end|>', lstrip: false, normalized: false, rstrip: true, single_word: false, special: true } };
  const cfg = { ...spmConfigFor(family), torch_dtype: dtype === 'BF16' ? 'bfloat16' : dtype === 'F16' ? 'float16' : 'float32' };
  return new Map<string, Uint8Array>([
    ['config.json', enc(cfg)],
    ['tokenizer.model', fixtureBytes('tiny-llama-hf/tokenizer.model')],
    ['tokenizer_config.json', enc(tokCfg)],
    ['special_tokens_map.json', fixtureBytes('tiny-llama-hf/special_tokens_map.json')],
    ['model.safetensors', randomSafetensors(spmTensorShapes(family), seed, dtype, family.startsWith('gemma') ? 0 : 1)],
  ]);
}

export function writeSpmModel(dir: string, family: SpmFamily, seed = 4321): string {
  const p = join(dir, `tiny-${family}`);
  mkdirSync(p, { recursive: true });
  for (const [n, b] of spmModelFiles(family, seed)) writeFileSync(join(p, n), b);
  return p;
}
