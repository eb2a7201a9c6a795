/**
 * The Hugging Face architectures Kiln converts to GGUF, as data: one entry per family naming the
 * `architectures` values it answers to, the GGUF architecture it becomes, which GGUF tensors it
 * may hold (gguf-py constants.py MODEL_TENSORS), its own hparams, and the transforms its tensors
 * get on the way (convert_hf_to_gguf.py's per-model classes, conversion/<family>.py at 34af94cd).
 * Adding a family is adding an entry here (and to HF_TENSOR_NAMES when it brings new names).
 */

import { findHparam, ropeParameters } from './hparams';

/** GGUF tensor kinds by their name stem (gguf-py TENSOR_NAMES); `{bid}` is the block number. */
export const GGUF_TENSOR_STEMS = {
  TOKEN_EMBD: 'token_embd',
  OUTPUT_NORM: 'output_norm',
  OUTPUT: 'output',
  ROPE_FREQS: 'rope_freqs',
  ATTN_NORM: 'blk.{bid}.attn_norm',
  ATTN_Q: 'blk.{bid}.attn_q',
  ATTN_K: 'blk.{bid}.attn_k',
  ATTN_V: 'blk.{bid}.attn_v',
  ATTN_Q_NORM: 'blk.{bid}.attn_q_norm',
  ATTN_K_NORM: 'blk.{bid}.attn_k_norm',
  ATTN_OUT: 'blk.{bid}.attn_output',
  ATTN_ROT_EMBD: 'blk.{bid}.attn_rot_embd',
  FFN_GATE_INP: 'blk.{bid}.ffn_gate_inp',
  FFN_NORM: 'blk.{bid}.ffn_norm',
  FFN_GATE: 'blk.{bid}.ffn_gate',
  FFN_DOWN: 'blk.{bid}.ffn_down',
  FFN_UP: 'blk.{bid}.ffn_up',
  ATTN_QKV: 'blk.{bid}.attn_qkv',
  ATTN_POST_NORM: 'blk.{bid}.post_attention_norm',
  FFN_PRE_NORM: 'blk.{bid}.ffn_norm',
  FFN_POST_NORM: 'blk.{bid}.post_ffw_norm',
  ROPE_FACTORS_LONG: 'rope_factors_long',
  ROPE_FACTORS_SHORT: 'rope_factors_short',
  FFN_GATE_EXP: 'blk.{bid}.ffn_gate_exps',
  FFN_DOWN_EXP: 'blk.{bid}.ffn_down_exps',
  FFN_UP_EXP: 'blk.{bid}.ffn_up_exps',
} as const;

export type GgufTensorKind = keyof typeof GGUF_TENSOR_STEMS;

/**
 * Hugging Face module paths (no .weight/.bias suffix) per GGUF tensor kind, the subset of gguf-py
 * tensor_mapping.py TensorNameMap the families below use. Shared by every family: an entry's
 * `tensors` list decides which kinds it accepts, as MODEL_TENSORS does in the reference.
 */
export const HF_TENSOR_NAMES: Readonly<Partial<Record<GgufTensorKind, readonly string[]>>> = {
  TOKEN_EMBD: ['model.embed_tokens'],
  OUTPUT: ['lm_head'],
  OUTPUT_NORM: ['model.norm'],
  ATTN_NORM: ['model.layers.{bid}.input_layernorm'],
  ATTN_Q: ['model.layers.{bid}.self_attn.q_proj'],
  ATTN_K: ['model.layers.{bid}.self_attn.k_proj'],
  ATTN_V: ['model.layers.{bid}.self_attn.v_proj'],
  ATTN_OUT: ['model.layers.{bid}.self_attn.o_proj'],
  ATTN_Q_NORM: ['model.layers.{bid}.self_attn.q_norm'],
  ATTN_K_NORM: ['model.layers.{bid}.self_attn.k_norm'],
  ATTN_ROT_EMBD: ['model.layers.{bid}.self_attn.rotary_emb.inv_freq'],
  FFN_NORM: ['model.layers.{bid}.post_attention_layernorm'],
  FFN_GATE: ['model.layers.{bid}.mlp.gate_proj'],
  FFN_UP: ['model.layers.{bid}.mlp.up_proj', 'model.layers.{bid}.mlp.gate_up_proj'],
  FFN_DOWN: ['model.layers.{bid}.mlp.down_proj'],
  ATTN_QKV: ['model.layers.{bid}.self_attn.qkv_proj'],
  // gemma2/3 hold no FFN_NORM, so post_attention_layernorm is theirs (TensorNameMap: the last mapping of a name wins)
  ATTN_POST_NORM: ['model.layers.{bid}.post_attention_layernorm'],
  FFN_PRE_NORM: ['model.layers.{bid}.pre_feedforward_layernorm'],
  FFN_POST_NORM: ['model.layers.{bid}.post_feedforward_layernorm'],
  FFN_GATE_INP: ['model.layers.{bid}.block_sparse_moe.gate', 'model.layers.{bid}.mlp.gate'],
  // the names LlamaModel.modify_tensors (then Qwen2MoeModel.modify_tensors) gives the stacked experts (ArchEntry.experts)
  FFN_GATE_EXP: ['layers.{bid}.feed_forward.experts.w1', 'model.layers.{bid}.mlp.experts.gate_proj'],
  FFN_DOWN_EXP: ['layers.{bid}.feed_forward.experts.w2', 'model.layers.{bid}.mlp.experts.down_proj'],
  FFN_UP_EXP: ['layers.{bid}.feed_forward.experts.w3', 'model.layers.{bid}.mlp.experts.up_proj'],
};

/** Values of a config.json, as JSON gives them. */
export type HfConfig = Readonly<Record<string, unknown>>;

/** A GGUF key written from config.json, and how (gguf-py GGUFWriter's add_* value types). */
export interface ArchKv {
  /** Key with `{arch}` standing for the GGUF architecture name. */
  readonly key: string;
  readonly type: 'u32' | 'f32' | 'bool' | 'string';
  /** The value, or undefined when the key is not written for this config. */
  readonly value: (hp: HfConfig) => number | boolean | string | undefined;
  /** The converter indexes the config (hparams["x"]): a missing value is a KeyError there, a refusal here. */
  readonly required?: boolean;
}

/** Stands for general.file_type in an 'own' key list (ArchEntry.kvBase). */
export const FILE_TYPE_KV: ArchKv = { key: 'general.file_type', type: 'u32', value: () => undefined };

/**
 * llama's rows permutation of q/k (LlamaModel.permute): the heads of a HF projection hold the
 * rotary pairs (i, i + d/2), GGUF's llama rope wants them adjacent. `heads` names the hparams
 * holding each tensor's head count, first present wins (find_hparam).
 */
export interface RowPermute {
  readonly kind: 'rope-interleave';
  readonly tensors: Readonly<Partial<Record<GgufTensorKind, readonly string[]>>>;
}

/** The model dimensions weight shapes are checked against (from config.json). */
export interface Dims {
  readonly nEmbd: number;
  readonly nHead: number;
  readonly nHeadKv: number;
  readonly headDim: number;
  readonly nFf: number;
  readonly nVocab: number;
  /** num_local_experts, else num_experts (NaN for dense models). */
  readonly nExpert: number;
  /** moe_intermediate_size: one expert's feed-forward width (NaN where the config has none). */
  readonly nFfExp: number;
}

export interface ArchEntry {
  /** config.json `architectures[0]` values this entry converts (ModelBase.register). */
  readonly hfArchitectures: readonly string[];
  /** general.architecture (gguf-py MODEL_ARCH_NAMES). */
  readonly ggufArch: string;
  /** GGUF tensor kinds the architecture holds (gguf-py MODEL_TENSORS). */
  readonly tensors: readonly GgufTensorKind[];
  /**
   * Keys after the common text-model ones of TextModel.set_gguf_parameters, in writing order; a
   * key written again keeps its first place with the new value (GGUFWriter.add_key_value).
   */
  readonly extraKv: readonly ArchKv[];
  /** 'own': set_gguf_parameters does not call TextModel's; extraKv is the whole list, FILE_TYPE_KV where file_type goes. */
  readonly kvBase?: 'text-model' | 'own';
  /** HF tensor names the family's filter_tensors drops (Gemma2Model: lm_head.weight). */
  readonly skipTensors?: readonly string[];
  /** Added to every HF tensor whose name ends in norm.weight (Gemma: RMSNorm scales by 1 + w). */
  readonly normShift?: number;
  /** Gemma3Model.modify_tensors: token_embd keeps only the rows of the real vocabulary. */
  readonly truncateEmbd?: boolean;
  /**
   * 'mixtral': LlamaModel.modify_tensors stacks block_sparse_moe.experts.N.w1/w2/w3 per layer;
   * 'qwen2moe': Qwen2MoeModel.modify_tensors stacks mlp.experts.N.{down,gate,up}_proj per layer.
   */
  readonly experts?: 'mixtral' | 'qwen2moe';
  /** Extras of the family's own set_vocab: 'no-space-prefix' (gemma's add_space_prefix false after SPM), 'phi3' (Phi3MiniModel.set_vocab). */
  readonly spmQuirks?: 'no-space-prefix' | 'phi3';
  readonly permute?: RowPermute;
  /** Expected row-major shape of each kind's .weight, so a config that disagrees with the weights is refused. */
  readonly shapes: Readonly<Partial<Record<GgufTensorKind, (d: Dims) => readonly number[]>>>;
  /** Kinds every model of the family has (per block where the stem has {bid}); llama.cpp's loader needs them. */
  readonly required: readonly GgufTensorKind[];
  /** Vocabularies it can take, in the order set_vocab tries them (gpt2: byte-level BPE from tokenizer.json). */
  readonly vocab: readonly ('sentencepiece' | 'gpt2')[];
  /** Tensors generate_extra_tensors adds (llama3-rope-freqs: rope_freqs.weight for rope_type llama3). */
  readonly extraTensors?: readonly ('llama3-rope-freqs' | 'phi3-rope-factors')[];
  /** 'llama': LlamaModel.set_vocab's extras (add_space_prefix, CodeLlama refusal, granite's BOS, LlamaHfVocab refusal). */
  readonly vocabQuirks?: 'llama';
  /** A reason the converter would do something Kiln does not (another class, pooling), or null. */
  readonly refuse?: (hp: HfConfig, files: readonly string[], folder: string) => string | null;
}

const hpInt = (hp: HfConfig, key: string): number | undefined => (typeof hp[key] === 'number' ? (hp[key] as number) : undefined);

/** Row-major .weight shapes of a dense decoder (the llama.cpp loader's create_tensor shapes, reversed). */
const DENSE_SHAPES: ArchEntry['shapes'] = {
  TOKEN_EMBD: (d) => [d.nVocab, d.nEmbd],
  OUTPUT: (d) => [d.nVocab, d.nEmbd],
  OUTPUT_NORM: (d) => [d.nEmbd],
  ATTN_NORM: (d) => [d.nEmbd],
  FFN_NORM: (d) => [d.nEmbd],
  ATTN_Q: (d) => [d.nHead * d.headDim, d.nEmbd],
  ATTN_K: (d) => [d.nHeadKv * d.headDim, d.nEmbd],
  ATTN_V: (d) => [d.nHeadKv * d.headDim, d.nEmbd],
  ATTN_OUT: (d) => [d.nEmbd, d.nHead * d.headDim],
  FFN_GATE: (d) => [d.nFf, d.nEmbd],
  FFN_UP: (d) => [d.nFf, d.nEmbd],
  FFN_DOWN: (d) => [d.nEmbd, d.nFf],
};

/** What every block of a dense decoder has; output.weight may be absent (tied embeddings: the loader duplicates token_embd). */
const DENSE_REQUIRED: readonly GgufTensorKind[] = ['TOKEN_EMBD', 'OUTPUT_NORM', 'ATTN_NORM', 'ATTN_Q', 'ATTN_K', 'ATTN_V', 'ATTN_OUT', 'FFN_NORM', 'FFN_GATE', 'FFN_UP', 'FFN_DOWN'];

// LlamaModel (conversion/llama.py): undo_permute, set_gguf_parameters adds vocab_size and the
// rope dimension count (head_dim, else hidden_size / num_attention_heads).
const LLAMA: ArchEntry = {
  hfArchitectures: ['LlamaForCausalLM', 'LLaMAForCausalLM', 'MistralForCausalLM'],
  ggufArch: 'llama',
  tensors: ['TOKEN_EMBD', 'OUTPUT_NORM', 'OUTPUT', 'ROPE_FREQS', 'ATTN_NORM', 'ATTN_Q', 'ATTN_K', 'ATTN_V', 'ATTN_OUT', 'ATTN_ROT_EMBD', 'FFN_GATE_INP', 'FFN_NORM', 'FFN_GATE', 'FFN_DOWN', 'FFN_UP'],
  extraKv: [
    { key: '{arch}.vocab_size', type: 'u32', value: (hp) => hpInt(hp, 'vocab_size') },
    {
      key: '{arch}.rope.dimension_count',
      type: 'u32',
      value: (hp) => {
        const hd = hp['head_dim'];
        if (typeof hd === 'number') return hd;
        const e = hpInt(hp, 'hidden_size');
        const h = hpInt(hp, 'num_attention_heads');
        return e !== undefined && h !== undefined && h > 0 ? Math.floor(e / h) : undefined;
      },
    },
  ],
  permute: { kind: 'rope-interleave', tensors: { ATTN_Q: ['n_heads', 'num_attention_heads'], ATTN_K: ['n_kv_heads', 'num_key_value_heads'] } },
  shapes: DENSE_SHAPES,
  required: DENSE_REQUIRED,
  vocab: ['sentencepiece', 'gpt2'],
  vocabQuirks: 'llama',
  extraTensors: ['llama3-rope-freqs'],
};

/** TextModel._try_set_pooling_type reads a sentence-transformers pooling config, which Kiln does not. */
const refusePooling = (_hp: HfConfig, files: readonly string[]): string | null =>
  files.includes('modules.json') ? 'modules.json (sentence-transformers pooling, written as pooling_type by the converter) is not supported yet' : null;

// Qwen2Model (conversion/qwen.py): the base keys and nothing else; q/k/v biases map by suffix;
// no permutation (llama.cpp's qwen2 rope is NEOX); tied embeddings simply have no lm_head.
const QWEN2: ArchEntry = {
  hfArchitectures: ['Qwen2ForCausalLM'],
  ggufArch: 'qwen2',
  tensors: ['TOKEN_EMBD', 'OUTPUT_NORM', 'OUTPUT', 'ROPE_FREQS', 'ATTN_NORM', 'ATTN_Q', 'ATTN_K', 'ATTN_V', 'ATTN_OUT', 'FFN_NORM', 'FFN_GATE', 'FFN_DOWN', 'FFN_UP'],
  extraKv: [],
  shapes: DENSE_SHAPES,
  required: DENSE_REQUIRED,
  vocab: ['sentencepiece', 'gpt2'],
  refuse: refusePooling,
};

// Qwen3Model (conversion/qwen.py): Qwen2's, plus per-head q/k RMS norms; rerankers get other tensors.
const QWEN3: ArchEntry = {
  ...QWEN2,
  hfArchitectures: ['Qwen3ForCausalLM'],
  ggufArch: 'qwen3',
  tensors: ['TOKEN_EMBD', 'OUTPUT_NORM', 'OUTPUT', 'ROPE_FREQS', 'ATTN_NORM', 'ATTN_Q', 'ATTN_Q_NORM', 'ATTN_K', 'ATTN_K_NORM', 'ATTN_V', 'ATTN_OUT', 'FFN_NORM', 'FFN_GATE', 'FFN_DOWN', 'FFN_UP'],
  shapes: { ...DENSE_SHAPES, ATTN_Q_NORM: (d) => [d.headDim], ATTN_K_NORM: (d) => [d.headDim] },
  required: [...DENSE_REQUIRED, 'ATTN_Q_NORM', 'ATTN_K_NORM'],
  refuse: (hp, files, folder) => {
    const hints = [folder, String(hp['_name_or_path'] ?? ''), String(hp['model_type'] ?? '')].map((h) => h.toLowerCase());
    if (hints.some((h) => h.includes('qwen3-reranker') || h.includes('qwen3-vl-reranker'))) return 'Qwen3 rerankers (pooling RANK, a cls_out tensor) are not supported yet';
    return refusePooling(hp, files);
  },
};

// LlamaModel with MixtralForCausalLM's sparse MoE: per layer a router (block_sparse_moe.gate ->
// ffn_gate_inp, kept F32) and experts.N.w1/w2/w3 stacked into ffn_{gate,down,up}_exps; the
// expert counts come from TextModel.set_gguf_parameters (num_local_experts, num_experts_per_tok).
const MOE_REQUIRED: readonly GgufTensorKind[] = ['TOKEN_EMBD', 'OUTPUT_NORM', 'ATTN_NORM', 'ATTN_Q', 'ATTN_K', 'ATTN_V', 'ATTN_OUT', 'FFN_NORM', 'FFN_GATE_INP', 'FFN_GATE_EXP', 'FFN_DOWN_EXP', 'FFN_UP_EXP'];
const MIXTRAL: ArchEntry = {
  ...LLAMA,
  hfArchitectures: ['MixtralForCausalLM'],
  tensors: [...LLAMA.tensors, 'FFN_GATE_EXP', 'FFN_DOWN_EXP', 'FFN_UP_EXP'],
  shapes: {
    ...DENSE_SHAPES,
    FFN_GATE_INP: (d) => [d.nExpert, d.nEmbd],
    FFN_GATE_EXP: (d) => [d.nExpert, d.nFf, d.nEmbd],
    FFN_UP_EXP: (d) => [d.nExpert, d.nFf, d.nEmbd],
    FFN_DOWN_EXP: (d) => [d.nExpert, d.nEmbd, d.nFf],
  },
  required: MOE_REQUIRED,
  experts: 'mixtral',
};

const num = (hp: HfConfig, key: string): number | undefined => (typeof hp[key] === 'number' ? (hp[key] as number) : undefined);

// Qwen3MoeModel (conversion/qwen.py, a Qwen2MoeModel): TextModel's keys (expert_count from
// num_experts, expert_used_count from num_experts_per_tok), then Qwen2MoeModel's
// expert_feed_forward_length (moe_intermediate_size) and expert_shared_feed_forward_length
// (shared_expert_intermediate_size, which Qwen3 MoE configs do not have). norm_topk_prob is not
// written (llama.cpp's qwen3moe graph always normalizes the top-k weights). q/k norms as qwen3;
// the router mlp.gate -> ffn_gate_inp (kept F32); experts.N.{gate,up,down}_proj stacked per
// layer in the order down, gate, up. set_vocab is TextModel's: byte-level BPE only.
const QWEN3MOE: ArchEntry = {
  hfArchitectures: ['Qwen3MoeForCausalLM'],
  ggufArch: 'qwen3moe',
  tensors: ['TOKEN_EMBD', 'OUTPUT_NORM', 'OUTPUT', 'ATTN_NORM', 'ATTN_Q', 'ATTN_Q_NORM', 'ATTN_K', 'ATTN_K_NORM', 'ATTN_V', 'ATTN_OUT', 'FFN_NORM', 'FFN_GATE_INP', 'FFN_GATE_EXP', 'FFN_DOWN_EXP', 'FFN_UP_EXP'],
  extraKv: [
    { key: '{arch}.expert_feed_forward_length', type: 'u32', value: (hp) => num(hp, 'moe_intermediate_size') },
    { key: '{arch}.expert_shared_feed_forward_length', type: 'u32', value: (hp) => num(hp, 'shared_expert_intermediate_size') },
  ],
  shapes: {
    ...DENSE_SHAPES,
    ATTN_Q_NORM: (d) => [d.headDim],
    ATTN_K_NORM: (d) => [d.headDim],
    FFN_GATE_INP: (d) => [d.nExpert, d.nEmbd],
    FFN_GATE_EXP: (d) => [d.nExpert, d.nFfExp, d.nEmbd],
    FFN_UP_EXP: (d) => [d.nExpert, d.nFfExp, d.nEmbd],
    FFN_DOWN_EXP: (d) => [d.nExpert, d.nEmbd, d.nFfExp],
  },
  required: [...MOE_REQUIRED, 'ATTN_Q_NORM', 'ATTN_K_NORM'],
  vocab: ['gpt2'],
  experts: 'qwen2moe',
  refuse: (hp) => {
    if (num(hp, 'moe_intermediate_size') === undefined) return 'config.json has no moe_intermediate_size (the experts\' feed-forward width)';
    const dense = hp['mlp_only_layers'];
    if (Array.isArray(dense) && dense.length > 0) return `mlp_only_layers ${JSON.stringify(dense)}: dense layers in a Qwen3 MoE, which llama.cpp's qwen3moe loader does not take (experts in every layer)`;
    const step = hp['decoder_sparse_step'];
    if (step !== undefined && step !== null && step !== 1) return `decoder_sparse_step ${JSON.stringify(step)}: dense layers in a Qwen3 MoE, which llama.cpp's qwen3moe loader does not take (experts in every layer)`;
    return null;
  },
};

const blocks = (hp: HfConfig): number | undefined => {
  const v = findHparam(hp, ['n_layers', 'num_hidden_layers', 'n_layer', 'num_layers']);
  return typeof v === 'number' ? v : undefined;
};
const u32 = (key: string, value: ArchKv['value'], required = false): ArchKv => ({ key, type: 'u32', value, required });
const f32 = (key: string, value: ArchKv['value'], required = false): ArchKv => ({ key, type: 'f32', value, required });

/** Gemma's own set_vocab and tensor rules (conversion/gemma.py): tied embeddings, norms stored as 1 + w. */
const GEMMA_SHAPES: ArchEntry['shapes'] = {
  ...DENSE_SHAPES,
  ATTN_POST_NORM: (d) => [d.nEmbd],
  FFN_PRE_NORM: (d) => [d.nEmbd],
  FFN_POST_NORM: (d) => [d.nEmbd],
  ATTN_Q_NORM: (d) => [d.headDim],
  ATTN_K_NORM: (d) => [d.headDim],
};
const GEMMA_REQUIRED: readonly GgufTensorKind[] = ['TOKEN_EMBD', 'OUTPUT_NORM', 'ATTN_NORM', 'ATTN_Q', 'ATTN_K', 'ATTN_V', 'ATTN_OUT', 'ATTN_POST_NORM', 'FFN_PRE_NORM', 'FFN_GATE', 'FFN_UP', 'FFN_DOWN', 'FFN_POST_NORM'];

// Gemma2Model: its own set_gguf_parameters (TextModel's is not called: no rope keys), every value
// indexed (a missing one stops the converter), lm_head.weight dropped, norm.weight + 1.
const GEMMA2: ArchEntry = {
  hfArchitectures: ['Gemma2ForCausalLM'],
  ggufArch: 'gemma2',
  tensors: ['TOKEN_EMBD', 'OUTPUT_NORM', 'ATTN_Q', 'ATTN_K', 'ATTN_V', 'ATTN_OUT', 'FFN_GATE', 'FFN_DOWN', 'FFN_UP', 'ATTN_NORM', 'ATTN_POST_NORM', 'FFN_PRE_NORM', 'FFN_POST_NORM'],
  kvBase: 'own',
  extraKv: [
    u32('{arch}.context_length', (hp) => num(hp, 'max_position_embeddings'), true),
    u32('{arch}.embedding_length', (hp) => num(hp, 'hidden_size'), true),
    u32('{arch}.block_count', blocks, true),
    u32('{arch}.feed_forward_length', (hp) => num(hp, 'intermediate_size'), true),
    u32('{arch}.attention.head_count', (hp) => num(hp, 'num_attention_heads'), true),
    u32('{arch}.attention.head_count_kv', (hp) => ('num_key_value_heads' in hp ? num(hp, 'num_key_value_heads') : num(hp, 'num_attention_heads')), true),
    f32('{arch}.attention.layer_norm_rms_epsilon', (hp) => num(hp, 'rms_norm_eps'), true),
    u32('{arch}.attention.key_length', (hp) => num(hp, 'head_dim'), true),
    u32('{arch}.attention.value_length', (hp) => num(hp, 'head_dim'), true),
    FILE_TYPE_KV,
    f32('{arch}.attn_logit_softcapping', (hp) => num(hp, 'attn_logit_softcapping'), true),
    f32('{arch}.final_logit_softcapping', (hp) => num(hp, 'final_logit_softcapping'), true),
    u32('{arch}.attention.sliding_window', (hp) => num(hp, 'sliding_window'), true),
  ],
  skipTensors: ['lm_head.weight'],
  normShift: 1,
  shapes: GEMMA_SHAPES,
  required: GEMMA_REQUIRED,
  vocab: ['sentencepiece'],
  spmQuirks: 'no-space-prefix',
};

const ropeTheta = (hp: HfConfig): unknown => {
  const rp = ropeParameters(hp);
  const full = rp['full_attention'];
  return ((typeof full === 'object' && full !== null ? full : rp) as Record<string, unknown>)['rope_theta'];
};
const orDefault = (hp: HfConfig, key: string, d: number): number | undefined => (key in hp ? num(hp, key) : d);

// Gemma3Model: TextModel's keys, then its own (written again in place, with defaults for what
// transformers' config may leave out), q/k norms, norm_shift 1 on every norm.weight, token_embd
// cut to the real vocabulary; Gemma3ForConditionalGeneration's text part (vision tower left out).
const GEMMA3: ArchEntry = {
  hfArchitectures: ['Gemma3ForCausalLM', 'Gemma3ForConditionalGeneration'],
  ggufArch: 'gemma3',
  tensors: ['TOKEN_EMBD', 'OUTPUT', 'OUTPUT_NORM', 'ATTN_Q', 'ATTN_Q_NORM', 'ATTN_K', 'ATTN_K_NORM', 'ATTN_V', 'ATTN_OUT', 'FFN_GATE', 'FFN_DOWN', 'FFN_UP', 'ATTN_NORM', 'ATTN_POST_NORM', 'FFN_PRE_NORM', 'FFN_POST_NORM'],
  extraKv: [
    u32('{arch}.context_length', (hp) => orDefault(hp, 'max_position_embeddings', 131072)),
    u32('{arch}.attention.head_count', (hp) => orDefault(hp, 'num_attention_heads', 8)),
    f32('{arch}.attention.layer_norm_rms_epsilon', (hp) => orDefault(hp, 'rms_norm_eps', 1e-6)),
    u32('{arch}.attention.key_length', (hp) => orDefault(hp, 'head_dim', 256)),
    u32('{arch}.attention.value_length', (hp) => orDefault(hp, 'head_dim', 256)),
    f32('{arch}.rope.freq_base', (hp) => {
      const t = ropeTheta(hp);
      return t === undefined ? 1_000_000.0 : (t as number);
    }),
    f32('{arch}.final_logit_softcapping', (hp) => (num(hp, 'final_logit_softcapping') ? num(hp, 'final_logit_softcapping') : undefined)),
    u32('{arch}.attention.sliding_window', (hp) => (hp['sliding_window_pattern'] !== 1 ? (hp['sliding_window'] as number) : undefined), true),
    u32('{arch}.attention.head_count_kv', (hp) => orDefault(hp, 'num_key_value_heads', 4)),
  ],
  normShift: 1,
  truncateEmbd: true,
  shapes: GEMMA_SHAPES,
  required: [...GEMMA_REQUIRED, 'ATTN_Q_NORM', 'ATTN_K_NORM'],
  vocab: ['sentencepiece', 'gpt2'],
  spmQuirks: 'no-space-prefix',
  refuse: (hp) => {
    if (hp['attn_logit_softcapping'] !== undefined && hp['attn_logit_softcapping'] !== null) return 'attn_logit_softcapping is set, which Gemma 3 does not have (the converter asserts it is absent)';
    return null;
  },
};

// Phi3MiniModel (conversion/phi.py): its own keys (no TextModel call), fused qkv_proj -> attn_qkv
// and gate_up_proj -> ffn_up kept fused (no modify_tensors), rope factors for long-context
// checkpoints generated from rope_scaling (long_factor / short_factor), its own SentencePiece vocab.
const PHI3: ArchEntry = {
  hfArchitectures: ['Phi3ForCausalLM'],
  ggufArch: 'phi3',
  tensors: ['TOKEN_EMBD', 'OUTPUT_NORM', 'OUTPUT', 'ROPE_FACTORS_LONG', 'ROPE_FACTORS_SHORT', 'ATTN_NORM', 'ATTN_QKV', 'ATTN_Q', 'ATTN_K', 'ATTN_V', 'ATTN_OUT', 'FFN_NORM', 'FFN_DOWN', 'FFN_UP'],
  kvBase: 'own',
  extraKv: [
    u32('{arch}.context_length', (hp) => findHparam(hp, ['n_positions', 'max_position_embeddings']) as number | undefined, true),
    u32('{arch}.rope.scaling.original_context_length', (hp) => ropeParameters(hp)['original_max_position_embeddings'] as number | undefined, true),
    u32('{arch}.embedding_length', (hp) => findHparam(hp, ['hidden_size', 'n_embd']) as number | undefined, true),
    u32('{arch}.feed_forward_length', (hp) => findHparam(hp, ['intermediate_size']) as number | undefined, true),
    u32('{arch}.block_count', blocks, true),
    u32('{arch}.attention.head_count', (hp) => findHparam(hp, ['num_attention_heads', 'n_head']) as number | undefined, true),
    u32('{arch}.attention.head_count_kv', (hp) => findHparam(hp, ['num_key_value_heads', 'n_head_kv']) as number | undefined, true),
    f32('{arch}.attention.layer_norm_rms_epsilon', (hp) => findHparam(hp, ['rms_norm_eps']) as number | undefined, true),
    u32('{arch}.rope.dimension_count', (hp) => phi3RopeDims(hp), true),
    f32('{arch}.rope.freq_base', (hp) => ropeTheta(hp) as number | undefined, true),
    FILE_TYPE_KV,
    u32('{arch}.attention.sliding_window', (hp) => num(hp, 'sliding_window') ?? 0),
  ],
  shapes: {
    ...DENSE_SHAPES,
    ATTN_QKV: (d) => [(d.nHead + 2 * d.nHeadKv) * d.headDim, d.nEmbd],
    FFN_UP: (d) => [2 * d.nFf, d.nEmbd],
  },
  required: ['TOKEN_EMBD', 'OUTPUT_NORM', 'ATTN_NORM', 'ATTN_QKV', 'ATTN_OUT', 'FFN_NORM', 'FFN_DOWN', 'FFN_UP'],
  vocab: ['sentencepiece', 'gpt2'],
  spmQuirks: 'phi3',
  extraTensors: ['phi3-rope-factors'],
};

/** Phi3MiniModel's rope dimension: int(partial_rotary_factor * n_embd) // n_head. */
export function phi3RopeDims(hp: HfConfig): number | undefined {
  const e = findHparam(hp, ['hidden_size', 'n_embd']);
  const h = findHparam(hp, ['num_attention_heads', 'n_head']);
  const pct = ropeParameters(hp)['partial_rotary_factor'];
  if (typeof e !== 'number' || typeof h !== 'number' || h <= 0) return undefined;
  return Math.floor(Math.trunc((typeof pct === 'number' ? pct : 1.0) * e) / h);
}

export const ARCHITECTURES: readonly ArchEntry[] = [LLAMA, MIXTRAL, QWEN2, QWEN3, QWEN3MOE, GEMMA2, GEMMA3, PHI3];

export function archFor(hfArchitecture: string): ArchEntry | null {
  return ARCHITECTURES.find((a) => a.hfArchitectures.includes(hfArchitecture)) ?? null;
}

export function supportedArchitectures(): string[] {
  return ARCHITECTURES.flatMap((a) => a.hfArchitectures);
}
