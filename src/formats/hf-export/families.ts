import { archFor, type ArchEntry, type GgufTensorKind } from '../hf/arch-table';

/**
 * The families Kiln writes back as Hugging Face folders, as data: which entry of the HF -> GGUF
 * architecture table they invert, the class and model_type config.json names, the GGUF keys
 * transformers' GGUF loading maps onto config keys (integrations/ggml.py GGUF_CONFIG_MAPPING), and
 * what else a config of the family states. Adding one is adding an entry once its HF -> GGUF entry
 * exists in src/formats/hf/arch-table.ts.
 */

export interface ExportFamily {
  readonly ggufArch: string;
  /** config.json "architectures"[0]; the table entry that converts it is the one inverted. */
  readonly hfArchitecture: string;
  readonly modelType: string;
  /** GGUF key (without "<arch>.") -> config.json key; f32 keys come out as floats. */
  readonly config: Readonly<Record<string, string>>;
  /** Constant config.json entries of the family (what its config class would save). */
  readonly constants: Readonly<Record<string, string | boolean | number>>;
  /** Hugging Face spellings of kinds whose first spelling in the table is another family's. */
  readonly names?: Readonly<Partial<Record<GgufTensorKind, string>>>;
  /** tokenizer_config.json's tokenizer_class for a byte-level BPE / a SentencePiece vocabulary. */
  readonly bpeTokenizerClass: string;
  readonly spmTokenizerClass: string;
  /** Taken instead of the family's plain entry when the GGUF has <arch>.expert_count (Mixtral under llama). */
  readonly experts?: boolean;
}

/** The mapping transformers gives llama, mistral, qwen2 and qwen3 (rope.dimension_count: head_dim for llama only). */
const BASE_MAPPING: Readonly<Record<string, string>> = {
  context_length: 'max_position_embeddings',
  block_count: 'num_hidden_layers',
  feed_forward_length: 'intermediate_size',
  embedding_length: 'hidden_size',
  'rope.freq_base': 'rope_theta',
  'attention.head_count': 'num_attention_heads',
  'attention.head_count_kv': 'num_key_value_heads',
  'attention.layer_norm_rms_epsilon': 'rms_norm_eps',
  vocab_size: 'vocab_size',
};

export const EXPORT_FAMILIES: readonly ExportFamily[] = [
  {
    ggufArch: 'llama',
    hfArchitecture: 'LlamaForCausalLM',
    modelType: 'llama',
    config: { ...BASE_MAPPING, 'rope.dimension_count': 'head_dim' },
    constants: { hidden_act: 'silu', mlp_bias: false, pretraining_tp: 1, initializer_range: 0.02 },
    bpeTokenizerClass: 'PreTrainedTokenizerFast',
    spmTokenizerClass: 'LlamaTokenizer',
  },
  {
    // MixtralForCausalLM is llama in GGUF, with the experts stacked per layer; split back per expert
    ggufArch: 'llama',
    hfArchitecture: 'MixtralForCausalLM',
    modelType: 'mixtral',
    config: { ...BASE_MAPPING, expert_count: 'num_local_experts', expert_used_count: 'num_experts_per_tok' },
    constants: { hidden_act: 'silu', initializer_range: 0.02 },
    names: {
      FFN_GATE_EXP: 'model.layers.{bid}.block_sparse_moe.experts.{xid}.w1',
      FFN_DOWN_EXP: 'model.layers.{bid}.block_sparse_moe.experts.{xid}.w2',
      FFN_UP_EXP: 'model.layers.{bid}.block_sparse_moe.experts.{xid}.w3',
    },
    bpeTokenizerClass: 'PreTrainedTokenizerFast',
    spmTokenizerClass: 'LlamaTokenizer',
    experts: true,
  },
  {
    ggufArch: 'qwen2',
    hfArchitecture: 'Qwen2ForCausalLM',
    modelType: 'qwen2',
    config: BASE_MAPPING,
    constants: { hidden_act: 'silu', use_sliding_window: false, initializer_range: 0.02 },
    bpeTokenizerClass: 'Qwen2Tokenizer',
    spmTokenizerClass: 'LlamaTokenizer',
  },
  {
    ggufArch: 'qwen3',
    hfArchitecture: 'Qwen3ForCausalLM',
    modelType: 'qwen3',
    config: { ...BASE_MAPPING, 'attention.key_length': 'head_dim' },
    constants: { hidden_act: 'silu', use_sliding_window: false, initializer_range: 0.02 },
    bpeTokenizerClass: 'Qwen2Tokenizer',
    spmTokenizerClass: 'LlamaTokenizer',
  },
  {
    ggufArch: 'gemma2',
    hfArchitecture: 'Gemma2ForCausalLM',
    modelType: 'gemma2',
    config: { ...BASE_MAPPING, 'attention.key_length': 'head_dim', 'attention.sliding_window': 'sliding_window', attn_logit_softcapping: 'attn_logit_softcapping', final_logit_softcapping: 'final_logit_softcapping' },
    constants: { hidden_activation: 'gelu_pytorch_tanh', hidden_act: 'gelu_pytorch_tanh', initializer_range: 0.02 },
    bpeTokenizerClass: 'PreTrainedTokenizerFast',
    spmTokenizerClass: 'GemmaTokenizer',
  },
  {
    ggufArch: 'gemma3',
    hfArchitecture: 'Gemma3ForCausalLM',
    modelType: 'gemma3_text',
    config: { ...BASE_MAPPING, 'attention.key_length': 'head_dim', 'attention.sliding_window': 'sliding_window', 'rope.freq_base_swa': 'rope_local_base_freq', final_logit_softcapping: 'final_logit_softcapping' },
    constants: { hidden_activation: 'gelu_pytorch_tanh', initializer_range: 0.02 },
    bpeTokenizerClass: 'PreTrainedTokenizerFast',
    spmTokenizerClass: 'GemmaTokenizer',
  },
  {
    ggufArch: 'phi3',
    hfArchitecture: 'Phi3ForCausalLM',
    modelType: 'phi3',
    config: { ...BASE_MAPPING, 'rope.scaling.original_context_length': 'original_max_position_embeddings', 'attention.sliding_window': 'sliding_window' },
    constants: { hidden_act: 'silu', initializer_range: 0.02 },
    names: { FFN_UP: 'model.layers.{bid}.mlp.gate_up_proj' },
    bpeTokenizerClass: 'PreTrainedTokenizerFast',
    spmTokenizerClass: 'LlamaTokenizer',
  },
];

export function exportFamilyFor(ggufArch: string, hasExperts = false): { family: ExportFamily; arch: ArchEntry } | null {
  const family = EXPORT_FAMILIES.find((f) => f.ggufArch === ggufArch && (f.experts === true) === hasExperts) ?? EXPORT_FAMILIES.find((f) => f.ggufArch === ggufArch);
  if (family === undefined) return null;
  const arch = archFor(family.hfArchitecture);
  return arch === null ? null : { family, arch };
}

export function exportArchitectures(): string[] {
  return [...new Set(EXPORT_FAMILIES.filter((f) => archFor(f.hfArchitecture) !== null).map((f) => f.ggufArch))];
}
