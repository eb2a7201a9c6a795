import { FormatError, UnsupportedError } from '../errors';
import type { MetaValue } from '../model';
import { mergePair } from './bpe-model';
import { bpePreName, type PreName } from './bpe-pre';
import type { TokenizerJson } from './tokenizer-json';
import { looksSpecial } from './vocab-spm';

/**
 * tokenizer.ggml.* for a byte-level BPE vocabulary as TextModel._set_vocab_gpt2 writes it
 * (get_vocab_base, get_vocab_base_pre, gguf-py SpecialVocab with load_merges, at llama.cpp
 * 34af94cd): the config's vocab_size slots by id, holes "[PAD<i>]" UNUSED; added tokens CONTROL
 * when special or special-looking, else USER_DEFINED; the merges as "a b" strings.
 */

/** gguf-py TokenType. */
export const TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

const where = { format: 'hf' as const, file: 'tokenizer.json' };

export interface BpeVocab {
  readonly tokens: string[];
  readonly types: number[];
  readonly merges: string[];
  readonly pre: PreName;
  readonly warnings: string[];
}

/** transformers' clean_up_tokenization, applied by decode when the tokenizer config asks for it. */
function cleanUp(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

export async function buildBpeVocab(tok: TokenizerJson, vocabSize: number | null, tokCfg: Readonly<Record<string, unknown>> | null): Promise<BpeVocab> {
  // tokenizer.vocab: the model's tokens and the added ones, by text
  const byText = new Map(tok.model.vocab);
  for (const t of tok.added) byText.set(t.content, t.id);
  const reverse = new Map<number, string>();
  for (const [text, id] of byText) reverse.set(id, text);
  const n = vocabSize ?? byText.size;
  const maxId = Math.max(-1, ...byText.values());
  if (maxId >= n) throw new FormatError({ format: 'hf', file: 'config.json' }, `vocab_size is ${n} but tokenizer.json holds id ${maxId}`);
  const pre = await bpePreName(tok);
  const addedByText = new Map(tok.added.map((t) => [t.content, t]));
  const addedById = new Map(tok.added.map((t) => [t.id, t]));
  const cleanup = tokCfg?.['clean_up_tokenization_spaces'] === true;
  const tokens: string[] = [];
  const types: number[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < n; i++) {
    let token = reverse.get(i);
    if (token === undefined) {
      tokens.push(`[PAD${i}]`);
      types.push(TOKEN_TYPE.UNUSED);
      continue;
    }
    if (!addedByText.has(token)) {
      tokens.push(token);
      types.push(TOKEN_TYPE.NORMAL);
      continue;
    }
    const added = addedById.get(i);
    if (added === undefined) throw new UnsupportedError(where, `token ${i} (${JSON.stringify(token)}) shares its text with an added token of another id`);
    if (!added.normalized) {
      // llama.cpp takes added tokens as pre-normalized: the converter round-trips them through the tokenizer
      const ids = tok.encode(token, false);
      const parts = ids.map((id) => tok.tokenOf(id) ?? '');
      let back: string;
      if (tok.byteLevelDecoder) back = tok.decodeByteLevel(parts);
      else if (ids.length === 1 && ids[0] === i && /^[\x21-\x7e]*$/.test(token)) back = token;
      else throw new UnsupportedError(where, `added token ${i} (${JSON.stringify(token)}) would go through a decoder other than ByteLevel, which Kiln does not implement`);
      if (cleanup) back = cleanUp(back);
      if (back !== token) warnings.push(`added token ${JSON.stringify(token)} is written as ${JSON.stringify(back)}, encoded and decoded as the converter does`);
      token = back;
    }
    if (added.special || looksSpecial(token)) types.push(TOKEN_TYPE.CONTROL);
    else {
      token = token.replaceAll('\u2581', ' ');
      types.push(TOKEN_TYPE.USER_DEFINED);
    }
    tokens.push(token);
  }
  return { tokens, types, merges: bpeMerges(tok.json), pre, warnings };
}

/**
 * SpecialVocab._try_load_from_tokenizer_json's merges: the "a b" form as given; the pair form
 * (transformers >= 4.45) joined with a space, a space inside a part written as U+0120.
 */
export function bpeMerges(json: Readonly<Record<string, unknown>>): string[] {
  const model = json['model'] as Record<string, unknown> | undefined;
  const merges = model?.['merges'];
  if (!Array.isArray(merges) || merges.length === 0) return [];
  if (typeof merges[0] === 'string') return merges as string[];
  if (mergePair(merges[0]) === null) throw new FormatError(where, 'model.merges is in an unknown format (neither "a b" strings nor ["a", "b"] pairs)');
  return merges.map((m, i) => {
    const p = mergePair(m);
    if (p === null) throw new FormatError(where, `merge ${i} (${JSON.stringify(m)}) is not a ["a", "b"] pair`);
    return p.map((s) => s.replaceAll(' ', '\u0120')).join(' ');
  });
}

export function bpeVocabKvs(v: BpeVocab): Array<[string, MetaValue]> {
  const out: Array<[string, MetaValue]> = [
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: v.pre.name }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: v.tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: v.types }],
  ];
  if (v.merges.length > 0) out.push(['tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: v.merges }]);
  return out;
}
