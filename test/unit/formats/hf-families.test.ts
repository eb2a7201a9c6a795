import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import { openModel } from '../../../src/formats/open';
import { UnsupportedError } from '../../../src/formats/errors';
import { llama3RopeFactors } from '../../../src/formats/hf/extra-tensors';
import { MemorySource } from '../../../src/io/byte-source';
import { DIMS, hfTensorShapes, tinyModelFiles, writeTinyModel, type Family } from './hf-tiny-models';

/**
 * Llama 3, Qwen2 and Qwen3 checkpoints (generated, fixed seed) against convert_hf_to_gguf.py and
 * llama.cpp at 34af94cd. The expectations are READ from their sources, not produced by running
 * them (no Python or llama.cpp here): tensor names from gguf-py tensor_mapping.py / constants.py
 * MODEL_TENSORS, order from ModelBase.index_tensors (parts and names sorted) with
 * generate_extra_tensors first, F32 for 1-D tensors (prepare_tensors), KVs from
 * TextModel.set_gguf_parameters + LlamaModel/Qwen2Model/Qwen3Model + _set_vocab_gpt2 +
 * SpecialVocab; the required tensors and their ne from src/models/{llama,qwen2,qwen3}.cpp
 * load_arch_tensors.
 */

const sources = (files: Map<string, Uint8Array>) => [...files].map(([n, b]) => new MemorySource(n, b));

/** gguf-py TensorNameMap for the names these checkpoints use. */
function ggufName(hf: string): string {
  const fixed: Record<string, string> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };
  if (fixed[hf] !== undefined) return fixed[hf]!;
  const m = /^model\.layers\.(\d+)\.(.*)\.(weight|bias)$/.exec(hf)!;
  const part: Record<string, string> = {
    input_layernorm: 'attn_norm', post_attention_layernorm: 'ffn_norm', 'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v',
    'self_attn.o_proj': 'attn_output', 'self_attn.q_norm': 'attn_q_norm', 'self_attn.k_norm': 'attn_k_norm', 'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up', 'mlp.down_proj': 'ffn_down',
  };
  return `blk.${m[1]}.${part[m[2]!]}.${m[3]}`;
}

/** The loader's required tensors (flags 0) and their ne, per block where {i} appears. */
function loaderRequired(family: Family): Array<[string, number[]]> {
  const { vocab, hidden: e, ff, heads, kvHeads } = DIMS;
  const hd = family === 'qwen3' ? 32 : e / heads;
  const q = heads * hd;
  const kv = kvHeads * hd;
  const perBlock: Array<[string, number[]]> = [
    ['attn_norm.weight', [e]], ['attn_q.weight', [e, q]], ['attn_k.weight', [e, kv]], ['attn_v.weight', [e, kv]],
    ['attn_output.weight', family === 'qwen2' ? [e, e] : [q, e]], ['ffn_norm.weight', [e]],
    ['ffn_gate.weight', [e, ff]], ['ffn_down.weight', [ff, e]], ['ffn_up.weight', [e, ff]],
  ];
  if (family === 'qwen3') perBlock.push(['attn_k_norm.weight', [hd]], ['attn_q_norm.weight', [hd]]);
  const out: Array<[string, number[]]> = [['token_embd.weight', [e, vocab]], ['output_norm.weight', [e]]];
  for (let b = 0; b < DIMS.layers; b++) for (const [n, ne] of perBlock) out.push([`blk.${b}.${n}`, ne]);
  return out;
}

const baseKeys = (a: string) => [`${a}.block_count`, `${a}.context_length`, `${a}.embedding_length`, `${a}.feed_forward_length`, `${a}.attention.head_count`, `${a}.attention.head_count_kv`, `${a}.rope.freq_base`, `${a}.attention.layer_norm_rms_epsilon`];
const vocabKeys = ['general.quantization_version', 'tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.tokens', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges'];
const EXPECTED_KEYS: Record<Family, string[]> = {
  // LlamaConfig (transformers 4.57.6, through AutoConfig) derives head_dim = hidden / heads, so the key/value lengths are written
  llama3: [...baseKeys('llama'), 'llama.attention.key_length', 'llama.attention.value_length', 'general.file_type', 'llama.vocab_size', 'llama.rope.dimension_count', ...vocabKeys, 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.add_bos_token', 'tokenizer.ggml.add_sep_token', 'tokenizer.chat_template'],
  qwen2: [...baseKeys('qwen2'), 'general.file_type', ...vocabKeys, 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.padding_token_id', 'tokenizer.ggml.bos_token_id', 'tokenizer.chat_template'],
  qwen3: [...baseKeys('qwen3'), 'qwen3.attention.key_length', 'qwen3.attention.value_length', 'general.file_type', ...vocabKeys, 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.padding_token_id', 'tokenizer.ggml.bos_token_id', 'tokenizer.chat_template'],
};

describe.each(['llama3', 'qwen2', 'qwen3'] as const)('%s checkpoint -> GGUF as the converter writes it', (family) => {
  it('tensor names, order, shapes and types', async () => {
    const m = await openModel(sources(tinyModelFiles(family)), { folder: `tiny-${family}` });
    const hf = [...hfTensorShapes(family)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const expected = hf.map(([n, shape]) => `${ggufName(n)}:${JSON.stringify(shape)}:${shape.length === 1 ? 'F32' : 'BF16'}`);
    if (family === 'llama3') expected.unshift(`rope_freqs.weight:[${DIMS.hidden / DIMS.heads / 2}]:F32`);
    expect(m.tensors.map((t) => `${t.name}:${JSON.stringify(t.shape)}:${t.type}`)).toEqual(expected);
  });

  it('KVs in the converter\'s order, BPE vocabulary with its pre-tokenizer named', async () => {
    const m = await openModel(sources(tinyModelFiles(family)), { folder: `tiny-${family}` });
    const keys = [...m.metadata.keys()];
    expect(keys.slice(keys.indexOf(`${family === 'llama3' ? 'llama' : family}.block_count`))).toEqual(EXPECTED_KEYS[family]);
    expect(m.metadata.get('general.architecture')).toEqual({ type: 'string', value: family === 'llama3' ? 'llama' : family });
    expect(m.metadata.get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'gpt2' });
    expect(m.metadata.get('tokenizer.ggml.pre')).toEqual({ type: 'string', value: family === 'llama3' ? 'llama-bpe' : 'qwen2' });
    expect((m.metadata.get('tokenizer.ggml.tokens') as unknown as { value: string[] }).value.length).toBe(DIMS.vocab);
    expect((m.metadata.get('tokenizer.ggml.merges') as unknown as { value: string[] }).value[0]).toBe('Ġ Ġ');
    expect(m.metadata.get('tokenizer.ggml.eos_token_id')).toEqual({ type: 'u32', value: 267 });
    expect(m.metadata.get('general.file_type')).toEqual({ type: 'u32', value: 32 });
    if (family === 'llama3') {
      expect(m.metadata.get('tokenizer.ggml.add_bos_token')).toEqual({ type: 'bool', value: true });
      // the pair template <bos> A <bos> B: its middle token is neither sep nor eos, so add_sep is false
      expect(m.metadata.get('tokenizer.ggml.add_sep_token')).toEqual({ type: 'bool', value: false });
    }
  });

  it('the CLI writes a GGUF holding every tensor llama.cpp\'s loader requires, with its shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-fam-'));
    try {
      const input = writeTinyModel(dir, family);
      let err = '';
      const code = await main(['convert', input, '-o', join(dir, 'out.gguf'), '--type', 'Q8_0', '--quiet'], { out: () => {}, err: (s) => void (err += s) });
      expect(err).toBe('');
      expect(code).toBe(0);
      const g = await readGguf([new MemorySource('out.gguf', new Uint8Array(readFileSync(join(dir, 'out.gguf'))))]);
      const byName = new Map(g.tensors.map((t) => [t.name, t]));
      for (const [name, ne] of loaderRequired(family)) expect([name, byName.get(name)?.shape]).toEqual([name, [...ne].reverse()]);
      if (family === 'qwen2') expect(byName.has('output.weight')).toBe(false); // tied: the loader duplicates token_embd
      if (family === 'llama3') expect(byName.get('rope_freqs.weight')?.shape).toEqual([8]); // {n_rot/2}, optional
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('llama3 rope_freqs (LlamaModel.generate_extra_tensors)', () => {
  it('1 for short wavelengths, factor for long ones, the smooth blend between', () => {
    const hp = { hidden_size: 64, num_attention_heads: 4, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } };
    const f = llama3RopeFactors(hp)!;
    expect([...f.slice(0, 4)]).toEqual([1, 1, 1, 1]);
    expect([...f.slice(5)]).toEqual([32, 32, 32]);
    // the blend in double precision: within 2 float32 ulps of the float32 evaluation
    const wavelen = 2 * Math.PI * Math.pow(500000, 8 / 16);
    const smooth = (8192 / wavelen - 1) / 3;
    const want = 1 / ((1 - smooth) / 32 + smooth);
    expect(Math.abs(f[4]! - want)).toBeLessThan(2 * 2 ** -23 * want);
    expect(llama3RopeFactors({ hidden_size: 64, num_attention_heads: 4 })).toBeNull();
  });
});

describe('refusals', () => {
  it('a Qwen3 reranker is refused before anything is read', async () => {
    const e = await openModel(sources(tinyModelFiles('qwen3')), { folder: 'Qwen3-Reranker-0.6B' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as Error).message).toContain('Qwen3 rerankers');
  });
});
