/**
 * The Hugging Face architectures Kiln converts to GGUF, as data: one entry per family naming the
 * `architectures` values it answers to, the GGUF architecture it becomes, which GGUF tensors it
 * may hold (gguf-py constants.py MODEL_TENSORS), its own hparams, and the transforms its tensors
 * get on the way (convert_hf_to_gguf.py's per-model classes, conversion/<family>.py at 34af94cd).
 * Adding a family is adding an entry here (and to HF_TENSOR_NAMES when it brings new names).
 */

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
  FFN_UP: ['model.layers.{bid}.mlp.up_proj'],
  FFN_DOWN: ['model.layers.{bid}.mlp.down_proj'],
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
}

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
}

export interface ArchEntry {
  /** config.json `architectures[0]` values this entry converts (ModelBase.register). */
  readonly hfArchitectures: readonly string[];
  /** general.architecture (gguf-py MODEL_ARCH_NAMES). */
  readonly ggufArch: string;
  /** GGUF tensor kinds the architecture holds (gguf-py MODEL_TENSORS). */
  readonly tensors: readonly GgufTensorKind[];
  /** Keys after the common text-model ones of TextModel.set_gguf_parameters, in writing order. */
  readonly extraKv: readonly ArchKv[];
  readonly permute?: RowPermute;
  /** Expected row-major shape of each kind's .weight, so a config that disagrees with the weights is refused. */
  readonly shapes: Readonly<Partial<Record<GgufTensorKind, (d: Dims) => readonly number[]>>>;
  /** Kinds every model of the family has (per block where the stem has {bid}); llama.cpp's loader needs them. */
  readonly required: readonly GgufTensorKind[];
  /** Vocabularies it can take, in the order set_vocab tries them (gpt2: byte-level BPE from tokenizer.json). */
  readonly vocab: readonly ('sentencepiece' | 'gpt2')[];
  /** Tensors generate_extra_tensors adds (llama3-rope-freqs: rope_freqs.weight for rope_type llama3). */
  readonly extraTensors?: readonly 'llama3-rope-freqs'[];
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

export const ARCHITECTURES: readonly ArchEntry[] = [LLAMA, QWEN2, QWEN3];

export function archFor(hfArchitecture: string): ArchEntry | null {
  return ARCHITECTURES.find((a) => a.hfArchitectures.includes(hfArchitecture)) ?? null;
}

export function supportedArchitectures(): string[] {
  return ARCHITECTURES.flatMap((a) => a.hfArchitectures);
}
