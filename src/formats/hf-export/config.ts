import type { TypeName } from '../../codecs/catalogue';
import type { ExportFamily } from './families';
import type { Kv } from './gguf-kv';
import { pyFloat, shortestF32, type PyValue } from './py-json';

/**
 * config.json from a GGUF's KVs as transformers' GGUF loading derives its config
 * (modeling_gguf_pytorch_utils.load_gguf_checkpoint with integrations/ggml.py's mappings):
 * general.architecture -> model_type (llama named "mistral" -> mistral), the family's key map,
 * the tokenizer's special ids, tie_word_embeddings from the absence of output.weight. f32 values
 * are written as the shortest decimal that is the same float32 (1e-05, not 9.999999747378752e-06),
 * which is what the original config said.
 */

const TORCH_DTYPE: Readonly<Partial<Record<TypeName, string>>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

export interface ConfigFacts {
  readonly hasOutput: boolean;
  readonly hasAttnBias: boolean;
  readonly dtype: TypeName;
  /** Llama 3's rope scaling, recovered from rope_freqs.weight (rope-llama3.ts). */
  readonly llama3Rope?: Readonly<Record<string, number>>;
}

export function buildConfig(family: ExportFamily, kv: Kv, facts: ConfigFacts): Record<string, PyValue> {
  const a = family.ggufArch;
  const cfg: Record<string, PyValue> = {};
  const mistral = family.modelType === 'llama' && kv.str('general.name') === 'mistral';
  cfg['architectures'] = [mistral ? 'MistralForCausalLM' : family.hfArchitecture];
  cfg['model_type'] = mistral ? 'mistral' : family.modelType;
  for (const [k, v] of Object.entries(family.constants)) cfg[k] = typeof v === 'number' && !Number.isInteger(v) ? pyFloat(v) : v;
  for (const [gguf, hf] of Object.entries(family.config)) {
    const key = `${a}.${gguf}`;
    const v = kv.num(key);
    if (v === undefined) continue;
    cfg[hf] = kv.isFloat(key) ? pyFloat(shortestF32(v)) : v;
  }
  // llama.cpp's own default when the converter wrote no vocab_size: the token list's length
  if (cfg['vocab_size'] === undefined) {
    const n = kv.strings('tokenizer.ggml.tokens')?.length;
    if (n !== undefined) cfg['vocab_size'] = n;
  }
  for (const [gguf, hf] of [
    ['bos_token_id', 'bos_token_id'],
    ['eos_token_id', 'eos_token_id'],
    ['unknown_token_id', 'unk_token_id'],
    ['padding_token_id', 'pad_token_id'],
  ] as const) {
    const v = kv.num(`tokenizer.ggml.${gguf}`);
    if (v !== undefined) cfg[hf] = v;
  }
  cfg['tie_word_embeddings'] = !facts.hasOutput;
  if (family.modelType !== 'qwen2') cfg['attention_bias'] = facts.hasAttnBias;
  cfg['rope_scaling'] =
    facts.llama3Rope !== undefined
      ? { rope_type: 'llama3', ...Object.fromEntries(Object.entries(facts.llama3Rope).map(([k, v]) => [k, Number.isInteger(v) && k === 'original_max_position_embeddings' ? v : pyFloat(v)])) }
      : ropeScaling(a, kv);
  cfg['torch_dtype'] = TORCH_DTYPE[facts.dtype] ?? 'float32';
  cfg['use_cache'] = true;
  return cfg;
}

/** The rope scaling keys TextModel.set_gguf_parameters writes, read back into a rope_scaling dict. */
function ropeScaling(a: string, kv: Kv): PyValue {
  const type = kv.str(`${a}.rope.scaling.type`);
  if (type === undefined || type === 'none') return null;
  const out: Record<string, PyValue> = { rope_type: type };
  const f = (k: string, name: string) => {
    const v = kv.num(`${a}.rope.scaling.${k}`);
    if (v !== undefined) out[name] = kv.isFloat(`${a}.rope.scaling.${k}`) ? pyFloat(shortestF32(v)) : v;
  };
  f('factor', 'factor');
  f('original_context_length', 'original_max_position_embeddings');
  f('yarn_ext_factor', 'extrapolation_factor');
  f('yarn_attn_factor', 'attention_factor');
  f('yarn_beta_fast', 'beta_fast');
  f('yarn_beta_slow', 'beta_slow');
  return out;
}

/** generation_config.json from general.sampling.* (Metadata.load's keys read back), or null when there are none. */
export function buildGenerationConfig(kv: Kv): Record<string, PyValue> | null {
  // the reader's samplingKvs (hf/reader.ts) read backwards: generation_config key <- GGUF key
  const spec: ReadonlyArray<readonly [string, string]> = [
    ['top_k', 'top_k'],
    ['top_p', 'top_p'],
    ['min_p', 'min_p'],
    ['xtc_probability', 'xtc_probability'],
    ['xtc_threshold', 'xtc_threshold'],
    ['temp', 'temperature'],
    ['penalty_last_n', 'penalty_last_n'],
    ['penalty_repeat', 'penalty_repeat'],
    ['mirostat', 'mirostat'],
    ['mirostat_tau', 'mirostat_tau'],
    ['mirostat_eta', 'mirostat_eta'],
  ];
  const out: Record<string, PyValue> = {};
  for (const [g, hf] of spec) {
    const key = `general.sampling.${g}`;
    const v = kv.num(key);
    if (v !== undefined) out[hf] = kv.isFloat(key) ? pyFloat(shortestF32(v)) : v;
  }
  const seq = kv.str('general.sampling.sequence');
  if (seq !== undefined) out['sequence'] = seq;
  if (Object.keys(out).length === 0) return null;
  const bos = kv.num('tokenizer.ggml.bos_token_id');
  const eos = kv.num('tokenizer.ggml.eos_token_id');
  if (bos !== undefined) out['bos_token_id'] = bos;
  if (eos !== undefined) out['eos_token_id'] = eos;
  return out;
}
