import type { ByteSource } from '../../io/byte-source';
import { UnsupportedError } from '../errors';
import type { MetaValue } from '../model';
import type { ArchEntry, HfConfig } from './arch-table';
import { findHparam } from './hparams';
import { readJson, readText } from './json-files';
import { HF_MAX_TOKENIZER_BYTES } from './limits';
import { readSentencePiece } from './sentencepiece';
import { specialVocabKvs } from './special-vocab';
import { TokenizerJson } from './tokenizer-json';
import { buildBpeVocab, bpeVocabKvs } from './vocab-bpe';
import { buildSpmVocab, spmVocabKvs } from './vocab-spm';

/**
 * The vocabulary KVs of a Hugging Face folder, as the family's set_vocab picks them: the kinds in
 * ArchEntry.vocab are tried in order (LlamaModel.set_vocab: SentencePiece, then LlamaHfVocab,
 * then _set_vocab_gpt2; Qwen2Model.set_vocab: SentencePiece, then _set_vocab_gpt2), then
 * SpecialVocab's keys.
 */

export interface VocabResult {
  readonly kvs: Array<[string, MetaValue]>;
  readonly files: string[];
  readonly summary: string;
  readonly warnings: string[];
}

type Json = Record<string, unknown>;

/** LlamaHfVocab's test: a SentencePiece-style BPE (byte fallback, Sequence decoder) that is not Llama 3's. */
function isLlamaHfVocab(tok: Json): boolean {
  const model = (tok['model'] ?? {}) as Json;
  const llama3 = model['type'] === 'BPE' && model['ignore_merges'] === true && model['byte_fallback'] === false;
  return !llama3 && model['type'] === 'BPE' && model['byte_fallback'] === true && (tok['decoder'] as Json | null)?.['type'] === 'Sequence';
}

/**
 * Gemma3Model.modify_tensors' real vocabulary size, the rows token_embd keeps: the SentencePiece
 * vocabulary's length (config vocab_size, else the pieces), else tokenizer.json's vocab plus its
 * added tokens.
 */
export async function realVocabSize(hp: HfConfig, byName: ReadonlyMap<string, ByteSource>): Promise<number | undefined> {
  const spm = byName.get('tokenizer.model');
  if (spm !== undefined) {
    const vs = findHparam(hp, ['vocab_size_per_layer_input', 'vocab_size']);
    return typeof vs === 'number' && vs > 0 ? vs : (await readSentencePiece(spm)).length;
  }
  const tj = await readJson(byName.get('tokenizer.json'), HF_MAX_TOKENIZER_BYTES);
  if (tj === null) return undefined;
  const vocab = (tj['model'] as Json | undefined)?.['vocab'];
  const added = tj['added_tokens'];
  if (typeof vocab !== 'object' || vocab === null) return undefined;
  return Object.keys(vocab).length + (Array.isArray(added) ? added.length : 0);
}

export async function vocabKvs(arch: ArchEntry, hp: HfConfig, raw: HfConfig, byName: ReadonlyMap<string, ByteSource>, tokCfg: Json | null): Promise<VocabResult> {
  const kvs: Array<[string, MetaValue]> = [];
  const files: string[] = [];
  const warnings: string[] = [];
  const llama = arch.vocabQuirks === 'llama';
  if (llama) {
    const prefix = tokCfg?.['add_prefix_space'];
    if (prefix !== undefined && prefix !== null) kvs.push(['tokenizer.ggml.add_space_prefix', { type: 'bool', value: Boolean(prefix) }]);
    if (hp['vocab_size'] === 32016) throw new UnsupportedError({ format: 'hf', file: 'config.json' }, 'CodeLlama infill tokens (vocab_size 32016) are not supported yet');
  }
  const spm = byName.get('tokenizer.model');
  const tjFile = byName.get('tokenizer.json');
  const tokJson = await readJson(tjFile, HF_MAX_TOKENIZER_BYTES);
  if (tokJson !== null) files.push('tokenizer.json');
  let summary: string;
  let nVocab: number | null;
  let useSpm = arch.vocab.includes('sentencepiece') && spm !== undefined;
  if (arch.spmQuirks === 'phi3' && tokCfg !== null) {
    // Phi3MiniModel.set_vocab: tokenizer_config.json's tokenizer_class decides (Phi-4 is GPT2Tokenizer)
    const cls = tokCfg['tokenizer_class'];
    if (cls === undefined) throw new UnsupportedError({ format: 'hf', file: 'tokenizer_config.json' }, 'has no tokenizer_class, which the converter reads for phi3');
    if (cls === 'GPT2Tokenizer') useSpm = false;
  }
  if (arch.spmQuirks === 'phi3' && useSpm === false && spm === undefined && tokCfg?.['tokenizer_class'] !== 'GPT2Tokenizer') {
    throw new UnsupportedError({ format: 'hf', file: 'config.json' }, 'a phi3 model needs tokenizer.model (or tokenizer_class GPT2Tokenizer with tokenizer.json)');
  }
  if (useSpm && spm !== undefined) {
    files.push('tokenizer.model');
    const vocabSize = findHparam(hp, ['vocab_size_per_layer_input', 'vocab_size']);
    const pieces = await readSentencePiece(spm);
    const added = await readJson(byName.get('added_tokens.json'));
    if (added !== null) files.push('added_tokens.json');
    const decoder = tokCfg?.['added_tokens_decoder'];
    const phi3 = arch.spmQuirks === 'phi3' ? { tokenizerJsonAdded: Array.isArray(tokJson?.['added_tokens']) ? (tokJson['added_tokens'] as unknown[]) : [] } : undefined;
    const size = arch.spmQuirks === 'phi3' ? hp['vocab_size'] : vocabSize; // Phi3MiniModel reads vocab_size alone
    let v: ReturnType<typeof buildSpmVocab>;
    try {
      v = buildSpmVocab(pieces, typeof size === 'number' && size > 0 ? size : null, added, typeof decoder === 'object' && decoder !== null ? (decoder as Json) : null, phi3);
    } catch (e) {
      if (e instanceof RangeError) throw new UnsupportedError({ format: 'hf', file: 'tokenizer_config.json' }, e.message);
      throw e;
    }
    kvs.push(...spmVocabKvs(v));
    warnings.push(...v.warnings);
    summary = `SentencePiece, ${v.tokens.length} tokens (${pieces.length} pieces)`;
    nVocab = v.tokens.length;
  } else if (tokJson !== null && arch.vocab.includes('gpt2')) {
    if (llama && isLlamaHfVocab(tokJson)) {
      throw new UnsupportedError({ format: 'hf', file: 'tokenizer.json' }, 'a SentencePiece-style BPE tokenizer.json (byte fallback) without tokenizer.model is converted by LlamaHfVocab, which Kiln does not implement yet');
    }
    const tok = new TokenizerJson(tokJson);
    const vs = hp['vocab_size'];
    const v = await buildBpeVocab(tok, typeof vs === 'number' ? vs : null, tokCfg);
    kvs.push(...bpeVocabKvs(v));
    warnings.push(...v.warnings);
    summary = `byte-level BPE, ${v.tokens.length} tokens, ${v.merges.length} merges, pre-tokenizer ${v.pre.name} (${v.pre.via === 'hash' ? "the converter's check-string hash" : 'matched by its pre-tokenizer; the check-string hash is not in the converter\'s table'})`;
    nVocab = null; // _set_vocab_gpt2's SpecialVocab is not given n_vocab
  } else {
    const has = tokJson !== null ? 'tokenizer.json' : 'no tokenizer.model or tokenizer.json';
    throw new UnsupportedError({ format: 'hf', file: tokJson !== null ? 'tokenizer.json' : 'config.json' }, `this folder has ${has}; a ${arch.ggufArch} model needs ${arch.vocab.join(' or ')}`);
  }
  const jinja = await readText(byName.get('chat_template.jinja'));
  if (jinja !== null) files.push('chat_template.jinja');
  const ctJson = jinja === null ? await readJson(byName.get('chat_template.json')) : null;
  if (ctJson !== null) files.push('chat_template.json');
  kvs.push(
    ...specialVocabKvs({
      tokenizerJson: tokJson,
      tokenizerConfig: tokCfg,
      config: raw,
      chatTemplateJinja: jinja,
      chatTemplateJson: ctJson?.['chat_template'] ?? null,
      nVocab,
    }),
  );
  // Gemma2Model / Gemma3Model.set_vocab: after the SentencePiece vocabulary and its special tokens
  if (arch.spmQuirks === 'no-space-prefix' && files.includes('tokenizer.model')) kvs.push(['tokenizer.ggml.add_space_prefix', { type: 'bool', value: false }]);
  // granite small models: no BOS (LlamaModel.set_vocab)
  if (llama && hp['vocab_size'] === 49152) {
    const at = kvs.findIndex(([k]) => k === 'tokenizer.ggml.add_bos_token');
    if (at >= 0) kvs[at] = ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }];
    else kvs.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }]);
  }
  return { kvs, files, summary, warnings };
}
