import { UnsupportedError } from '../errors';
import { SPM_CONTROL, SPM_UNKNOWN, SPM_USER_DEFINED } from '../hf/sentencepiece';
import type { Kv } from './gguf-kv';
import { writeSentencePieceModel } from './spm-writer';
import { buildTokenizerJson } from './tokenizer-bpe';
import type { PyValue } from './py-json';

/**
 * The tokenizer files of a Hugging Face folder from a GGUF vocabulary: tokenizer.model rebuilt for
 * a SentencePiece ("llama") vocabulary, tokenizer_config.json (special tokens, add_bos/add_eos,
 * the chat template, added_tokens_decoder for control and user-defined tokens) and
 * special_tokens_map.json, as LlamaTokenizer.save_pretrained lays them out.
 */

export interface TokenizerOutput {
  /** File name -> contents (bytes, or a JSON value written as transformers writes it). */
  readonly files: ReadonlyArray<readonly [string, Uint8Array | { readonly json: PyValue; readonly ensureAscii: boolean }]>;
  readonly summary: string;
}

interface Special {
  readonly bos: string | null;
  readonly eos: string | null;
  readonly unk: string | null;
  readonly pad: string | null;
}

/** The special tokens by the GGUF's ids; the unknown token falls back to the UNKNOWN piece (the converter writes no id for it when SentencePiece has one). */
function specials(kv: Kv, tokens: readonly string[], types: readonly number[]): Special {
  const at = (key: string): string | null => {
    const id = kv.num(`tokenizer.ggml.${key}`);
    return id !== undefined && id >= 0 && id < tokens.length ? tokens[id]! : null;
  };
  const unkPiece = types.indexOf(SPM_UNKNOWN);
  return { bos: at('bos_token_id'), eos: at('eos_token_id'), unk: at('unknown_token_id') ?? (unkPiece >= 0 ? tokens[unkPiece]! : null), pad: at('padding_token_id') };
}

/**
 * added_tokens_decoder: control, unknown and user-defined tokens by id, as transformers' AddedToken
 * dicts. For a SentencePiece vocabulary (`scores` given) only the tokens the converter took from
 * the added tokens, which it scores -1000; the others are pieces of tokenizer.model, and listing
 * them would make the converter score and type them as added tokens on the way back.
 */
function addedTokensDecoder(tokens: readonly string[], types: readonly number[], scores?: readonly number[]): Record<string, PyValue> {
  const out: Record<string, PyValue> = {};
  types.forEach((t, id) => {
    if (t !== SPM_CONTROL && t !== SPM_UNKNOWN && t !== SPM_USER_DEFINED) return;
    if (scores !== undefined && scores[id] !== -1000) return;
    const special = t !== SPM_USER_DEFINED;
    out[String(id)] = { content: tokens[id]!, lstrip: false, normalized: !special, rstrip: false, single_word: false, special };
  });
  return out;
}

/** `bpeTokenizerClass`: tokenizer_config.json's tokenizer_class for a byte-level BPE vocabulary of this family. */
export function tokenizerFiles(kv: Kv, bpeTokenizerClass: string, spmTokenizerClass = 'LlamaTokenizer'): TokenizerOutput {
  const model = kv.str('tokenizer.ggml.model');
  const tokens = kv.strings('tokenizer.ggml.tokens');
  if (model === undefined || tokens === undefined) throw new UnsupportedError({ format: 'gguf', file: 'tokenizer' }, 'the GGUF has no vocabulary (tokenizer.ggml.model / tokens), so no Hugging Face tokenizer can be written');
  if (model === 'gpt2') return bpeFiles(kv, tokens, bpeTokenizerClass);
  if (model !== 'llama') throw new UnsupportedError({ format: 'gguf', file: 'tokenizer' }, `tokenizer.ggml.model "${model}" is not written back yet (SentencePiece "llama" and byte-level BPE "gpt2" vocabularies are)`);
  const scores = kv.numbers('tokenizer.ggml.scores') ?? tokens.map(() => 0);
  const types = kv.numbers('tokenizer.ggml.token_type') ?? tokens.map(() => 1);
  if (scores.length !== tokens.length || types.length !== tokens.length) {
    throw new UnsupportedError({ format: 'gguf', file: 'tokenizer' }, `the vocabulary has ${tokens.length} tokens but ${scores.length} scores and ${types.length} token types`);
  }
  const id = (key: string, dflt: number): number => kv.num(`tokenizer.ggml.${key}`) ?? dflt;
  const unkDefault = types.indexOf(SPM_UNKNOWN);
  const addPrefix = kv.bool('tokenizer.ggml.add_space_prefix') ?? true;
  const spm = writeSentencePieceModel({
    pieces: tokens.map((piece, i) => ({ piece, score: scores[i]!, type: types[i]! })),
    unkId: id('unknown_token_id', unkDefault >= 0 ? unkDefault : 0),
    bosId: id('bos_token_id', -1),
    eosId: id('eos_token_id', -1),
    padId: id('padding_token_id', -1),
    addDummyPrefix: addPrefix,
  });
  const sp = specials(kv, tokens, types);
  const ctx = kv.num(`${kv.str('general.architecture') ?? ''}.context_length`);
  const chat = kv.str('tokenizer.chat_template');
  const config: Record<string, PyValue | undefined> = {
    add_bos_token: kv.bool('tokenizer.ggml.add_bos_token') ?? true,
    add_eos_token: kv.bool('tokenizer.ggml.add_eos_token') ?? false,
    added_tokens_decoder: addedTokensDecoder(tokens, types, scores),
    bos_token: sp.bos,
    eos_token: sp.eos,
    unk_token: sp.unk,
    pad_token: sp.pad,
    chat_template: chat,
    clean_up_tokenization_spaces: false,
    legacy: addPrefix,
    model_max_length: ctx,
    sp_model_kwargs: {},
    tokenizer_class: spmTokenizerClass,
  };
  const map: Record<string, PyValue | undefined> = {};
  for (const k of ['bos', 'eos', 'unk', 'pad'] as const) if (sp[k] !== null) map[`${k}_token`] = sp[k];
  return {
    files: [
      ['tokenizer.model', spm],
      ['tokenizer_config.json', { json: config as PyValue, ensureAscii: false }],
      ['special_tokens_map.json', { json: map as PyValue, ensureAscii: true }],
    ],
    summary: `SentencePiece, ${tokens.length} pieces${chat !== undefined ? ', chat template' : ''}`,
  };
}

/** tokenizer.json + tokenizer_config.json + special_tokens_map.json for a byte-level BPE vocabulary. */
function bpeFiles(kv: Kv, tokens: readonly string[], tokenizerClass: string): TokenizerOutput {
  const types = kv.numbers('tokenizer.ggml.token_type') ?? tokens.map(() => 1);
  const merges = kv.strings('tokenizer.ggml.merges') ?? [];
  const pre = kv.str('tokenizer.ggml.pre') ?? 'default';
  const sp = specials(kv, tokens, types);
  const addBos = kv.bool('tokenizer.ggml.add_bos_token') ?? false;
  const { json } = buildTokenizerJson({ tokens, types, merges, pre: pre === 'default' ? 'gpt-2' : pre, bos: sp.bos, addBos });
  const ctx = kv.num(`${kv.str('general.architecture') ?? ''}.context_length`);
  const chat = kv.str('tokenizer.chat_template');
  const config: Record<string, PyValue | undefined> = {
    add_bos_token: kv.bool('tokenizer.ggml.add_bos_token'),
    add_eos_token: kv.bool('tokenizer.ggml.add_eos_token'),
    // the reader turns add_prefix_space into tokenizer.ggml.add_space_prefix; only a GGUF that has it says it
    add_prefix_space: kv.bool('tokenizer.ggml.add_space_prefix'),
    added_tokens_decoder: addedTokensDecoder(tokens, types),
    bos_token: sp.bos,
    eos_token: sp.eos,
    pad_token: sp.pad,
    unk_token: sp.unk,
    chat_template: chat,
    clean_up_tokenization_spaces: false,
    errors: 'replace',
    model_max_length: ctx,
    split_special_tokens: false,
    tokenizer_class: tokenizerClass,
  };
  const map: Record<string, PyValue | undefined> = {};
  for (const k of ['bos', 'eos', 'unk', 'pad'] as const) if (sp[k] !== null) map[`${k}_token`] = sp[k];
  return {
    files: [
      // the tokenizers library keeps its own field order and the vocabulary in id order
      ['tokenizer.json', new TextEncoder().encode(JSON.stringify(json, null, 2))],
      ['tokenizer_config.json', { json: config as PyValue, ensureAscii: false }],
      ['special_tokens_map.json', { json: map as PyValue, ensureAscii: true }],
    ],
    summary: `byte-level BPE (${pre}), ${tokens.length} tokens, ${merges.length} merges${chat !== undefined ? ', chat template' : ''}`,
  };
}
