import { describe, expect, it } from 'vitest';
import { FormatError, UnsupportedError } from '../../../src/formats/errors';
import { openModel } from '../../../src/formats/open';
import { hfFiles, hfSources } from './hf-support';

/** The HF folder as one view: the converter's names, order, KVs; refusals name the file and the problem. */

const edit = (files: Map<string, Uint8Array>, name: string, f: (json: Record<string, unknown>) => void) => {
  const j = JSON.parse(new TextDecoder().decode(files.get(name))) as Record<string, unknown>;
  f(j);
  files.set(name, new TextEncoder().encode(JSON.stringify(j)));
};

describe('Hugging Face folder reader', () => {
  it('presents the converter\'s tensor order, F32 norms and KVs in its order', async () => {
    const m = await openModel(hfSources(hfFiles('bf16')), { folder: 'hf' });
    expect(m.format).toBe('hf');
    expect(m.tensors.slice(0, 4).map((t) => `${t.name}:${t.type}`)).toEqual(['output.weight:BF16', 'token_embd.weight:BF16', 'blk.0.attn_norm.weight:F32', 'blk.0.ffn_down.weight:BF16']);
    expect(m.tensors.at(-1)!.name).toBe('output_norm.weight');
    expect(m.tensors.find((t) => t.name === 'blk.0.attn_k.weight')!.shape).toEqual([128, 256]);
    expect([...m.metadata.keys()]).toEqual([
      'general.architecture', 'general.type', 'general.name', 'general.size_label',
      'llama.block_count', 'llama.context_length', 'llama.embedding_length', 'llama.feed_forward_length',
      'llama.attention.head_count', 'llama.attention.head_count_kv', 'llama.rope.freq_base', 'llama.attention.layer_norm_rms_epsilon',
      'llama.attention.key_length', 'llama.attention.value_length', 'general.file_type', 'llama.vocab_size', 'llama.rope.dimension_count',
      'general.quantization_version', 'tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.tokens', 'tokenizer.ggml.scores',
      'tokenizer.ggml.token_type', 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.add_bos_token', 'tokenizer.ggml.add_eos_token',
    ]);
    expect(m.metadata.get('general.size_label')).toEqual({ type: 'string', value: '1.4M' });
    expect(m.metadata.get('general.file_type')).toEqual({ type: 'u32', value: 32 });
    expect(m.details.get('tokenizer')).toBe('SentencePiece, 512 tokens (512 pieces)');
    expect(m.details.get('not read')).toBe('special_tokens_map.json');
  });

  it('names the model from its folder as gguf-py does', async () => {
    const m = await openModel(hfSources(hfFiles('f16-sharded')), { folder: 'hf-f16-sharded' });
    expect(m.metadata.get('general.name')).toEqual({ type: 'string', value: 'Hf F16 Sharded' });
    expect(m.metadata.get('general.finetune')).toEqual({ type: 'string', value: 'sharded' });
    expect(m.metadata.get('general.basename')).toEqual({ type: 'string', value: 'hf' });
    expect(m.metadata.get('general.file_type')).toEqual({ type: 'u32', value: 1 });
  });

  it('a config.json without architectures leaves the folder a plain safetensors model', async () => {
    const files = hfFiles('bf16');
    files.set('config.json', new TextEncoder().encode('{}'));
    expect((await openModel(hfSources(files))).format).toBe('safetensors');
  });

  it('refuses an unknown architecture, naming it and what is supported', async () => {
    const files = hfFiles('bf16');
    edit(files, 'config.json', (j) => void (j['architectures'] = ['GPTBigCodeForCausalLM']));
    const e = await openModel(hfSources(files)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as Error).message).toBe('hf: architecture GPTBigCodeForCausalLM is not supported for GGUF conversion yet; Kiln converts LlamaForCausalLM, LLaMAForCausalLM, MistralForCausalLM, MixtralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Qwen3MoeForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM, Gemma3ForConditionalGeneration, Phi3ForCausalLM (config.json)');
  });

  it('refuses a config that disagrees with the weights, naming tensor and shapes', async () => {
    const files = hfFiles('bf16');
    edit(files, 'config.json', (j) => void (j['num_key_value_heads'] = 4));
    const e = await openModel(hfSources(files)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toBe(
      'hf: shape [128, 256] disagrees with config.json, which makes blk.0.attn_k.weight [256, 256] (model.safetensors, tensor "model.layers.0.self_attn.k_proj.weight")',
    );
  });

  it('refuses weights that lack a layer config.json announces', async () => {
    const files = hfFiles('bf16');
    edit(files, 'config.json', (j) => void (j['num_hidden_layers'] = 3));
    await expect(openModel(hfSources(files))).rejects.toThrow('hf: the weights lack blk.2.attn_norm, blk.2.attn_q, blk.2.attn_k, blk.2.attn_v, blk.2.attn_output and 4 more, which a llama model of 3 layers needs (config.json)');
  });

  it('refuses a folder without tokenizer.model (BPE vocabularies come later)', async () => {
    const files = hfFiles('bf16');
    files.delete('tokenizer.model');
    await expect(openModel(hfSources(files))).rejects.toThrow(UnsupportedError);
  });

  it('reads the chat template, add_prefix_space and generation defaults where the converter writes them', async () => {
    const files = hfFiles('bf16');
    edit(files, 'tokenizer_config.json', (j) => {
      j['chat_template'] = '{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}';
      j['add_prefix_space'] = false;
    });
    edit(files, 'generation_config.json', (j) => {
      j['temperature'] = 0.6;
      j['top_p'] = 0.9;
    });
    const m = await openModel(hfSources(files), { folder: 'Llama-2-7b-chat-hf' });
    const keys = [...m.metadata.keys()];
    expect(keys.slice(2, 9)).toEqual(['general.sampling.top_p', 'general.sampling.temp', 'general.name', 'general.finetune', 'general.basename', 'general.size_label', 'llama.block_count']);
    expect(m.metadata.get('general.name')).toEqual({ type: 'string', value: 'Llama 2 7b Chat Hf' });
    // "7b" is far from 1.4M parameters: a context-length-like part, so finetune
    expect(m.metadata.get('general.finetune')).toEqual({ type: 'string', value: '7b-chat-hf' });
    expect(keys.indexOf('tokenizer.ggml.add_space_prefix')).toBe(keys.indexOf('tokenizer.ggml.model') - 1);
    expect(keys.at(-1)).toBe('tokenizer.chat_template');
    expect(m.details.get('chat template')).toBe('present');
  });
});
