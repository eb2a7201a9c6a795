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
  if (arch.vocab.includes('sentencepiece') && spm !== undefined) {
    files.push('tokenizer.model');
    const vocabSize = findHparam(hp, ['vocab_size_per_layer_input', 'vocab_size']);
    const pieces = await readSentencePiece(spm);
    const added = await readJson(byName.get('added_tokens.json'));
    if (added !== null) files.push('added_tokens.json');
    const decoder = tokCfg?.['added_tokens_decoder'];
    const v = buildSpmVocab(pieces, typeof vocabSize === 'number' && vocabSize > 0 ? vocabSize : null, added, typeof decoder === 'object' && decoder !== null ? (decoder as Json) : null);
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
  // granite small models: no BOS (LlamaModel.set_vocab)
  if (llama && hp['vocab_size'] === 49152) {
    const at = kvs.findIndex(([k]) => k === 'tokenizer.ggml.add_bos_token');
    if (at >= 0) kvs[at] = ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }];
    else kvs.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }]);
  }
  return { kvs, files, summary, warnings };
}
