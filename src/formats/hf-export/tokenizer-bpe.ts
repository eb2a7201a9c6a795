import { UnsupportedError } from '../errors';
import { KNOWN } from '../hf/bpe-pre';
import { TOKEN_TYPE } from '../hf/vocab-bpe';
import type { PyValue } from './py-json';

/**
 * tokenizer.json for a GGUF byte-level BPE ("gpt2") vocabulary, as the tokenizers library saves
 * one: normal and byte tokens in model.vocab (their text is already byte-level), control and
 * user-defined tokens as added_tokens, the merges as "a b" strings, and the normalizer,
 * pre-tokenizer and processors llama.cpp's tokenizer.ggml.pre stands for (the Split regexes the
 * reader matches tokenizer.json against, bpe-pre.ts KNOWN). The "[PAD<i>]" slots the converter
 * adds up to config.json's vocab_size are not tokens of the tokenizer and are left out.
 */

const PAD_RE = /^\[PAD\d+\]$/;

export interface BpeInput {
  readonly tokens: readonly string[];
  readonly types: readonly number[];
  readonly merges: readonly string[];
  readonly pre: string;
  readonly bos: string | null;
  readonly addBos: boolean;
}

export function buildTokenizerJson(v: BpeInput): { json: Record<string, PyValue>; added: Array<{ id: number; content: string; special: boolean }> } {
  const known = KNOWN.find((k) => k.name === v.pre);
  if (known === undefined) throw new UnsupportedError({ format: 'gguf', file: 'tokenizer' }, `tokenizer.ggml.pre "${v.pre}" is not written back yet (Kiln writes ${KNOWN.map((k) => k.name).join(', ')})`);
  const vocab: Record<string, PyValue> = {};
  const added: Array<{ id: number; content: string; special: boolean }> = [];
  v.tokens.forEach((t, id) => {
    const type = v.types[id] ?? TOKEN_TYPE.NORMAL;
    if (type === TOKEN_TYPE.NORMAL || type === TOKEN_TYPE.BYTE) vocab[t] = id;
    else if (type === TOKEN_TYPE.CONTROL || type === TOKEN_TYPE.USER_DEFINED || type === TOKEN_TYPE.UNKNOWN) added.push({ id, content: t, special: type !== TOKEN_TYPE.USER_DEFINED });
    else if (!PAD_RE.test(t)) vocab[t] = id; // an UNUSED token of the tokenizer itself
  });
  const byteLevel = (prefix: boolean, regex: boolean): PyValue => ({ type: 'ByteLevel', add_prefix_space: prefix, trim_offsets: false, use_regex: regex });
  const pre: PyValue = known.gpt2Regex
    ? byteLevel(false, true)
    : { type: 'Sequence', pretokenizers: [...known.splits.map((r) => ({ type: 'Split', pattern: { Regex: r }, behavior: 'Isolated', invert: false })), byteLevel(false, false)] };
  const bosEntry = v.bos !== null ? added.find((a) => a.content === v.bos) : undefined;
  const post: PyValue =
    v.addBos && bosEntry !== undefined
      ? {
          type: 'Sequence',
          processors: [
            byteLevel(true, true),
            {
              type: 'TemplateProcessing',
              single: [{ SpecialToken: { id: bosEntry.content, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
              pair: [{ SpecialToken: { id: bosEntry.content, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bosEntry.content, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
              special_tokens: { [bosEntry.content]: { id: bosEntry.content, ids: [bosEntry.id], tokens: [bosEntry.content] } },
            },
          ],
        }
      : byteLevel(false, false);
  const json: Record<string, PyValue> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map((a) => ({ id: a.id, content: a.content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: a.special })),
    // qwen2's tokenizers normalize to NFC; llama.cpp applies none for the other names
    normalizer: v.pre === 'qwen2' || v.pre === 'qwen35' ? { type: 'NFC' } : null,
    pre_tokenizer: pre,
    post_processor: post,
    decoder: byteLevel(true, true),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: known.ignoreMerges === true,
      vocab,
      merges: [...v.merges],
    },
  };
  return { json, added };
}
