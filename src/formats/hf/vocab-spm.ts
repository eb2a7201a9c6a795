import type { MetaValue } from '../model';
import { ggufTokenType, SPM_CONTROL, SPM_UNUSED, SPM_USER_DEFINED, type SpmPiece } from './sentencepiece';

/**
 * tokenizer.ggml.tokens / scores / token_type for a SentencePiece vocabulary, as
 * TextModel._create_vocab_sentencepiece builds them (conversion/base.py at 34af94cd): the
 * config's vocab_size slots, filled from tokenizer.model, then added_tokens.json, then
 * tokenizer_config.json's added_tokens_decoder; slots nothing fills are "[PAD<i>]" UNUSED.
 */

const f32 = (x: number): number => Math.fround(x);

/** TextModel.does_token_look_special. */
export function looksSpecial(t: string): boolean {
  return (
    t === '<pad>' ||
    t === '<mask>' ||
    t === '<2mass>' ||
    t === '[@BOS@]' ||
    (t.startsWith('<|') && t.endsWith('|>')) ||
    (t.startsWith('<｜') && t.endsWith('｜>')) ||
    (t.startsWith('<unused') && t.endsWith('>'))
  );
}

export interface SpmVocab {
  readonly tokens: string[];
  readonly scores: number[];
  readonly types: number[];
  readonly warnings: string[];
}

export function buildSpmVocab(
  pieces: readonly SpmPiece[],
  vocabSize: number | null,
  addedTokens: Readonly<Record<string, unknown>> | null,
  addedTokensDecoder: Readonly<Record<string, unknown>> | null,
  phi3?: { readonly tokenizerJsonAdded: readonly unknown[] },
): SpmVocab {
  const n = vocabSize ?? pieces.length;
  const tokens = Array.from({ length: n }, (_, i) => `[PAD${i}]`);
  const scores = new Array<number>(n).fill(-10000);
  const types = new Array<number>(n).fill(SPM_UNUSED);
  const warnings: string[] = [];
  for (let id = 0; id < pieces.length; id++) {
    if (id >= n) {
      warnings.push(`tokenizer.model pieces from ${id} on are ignored: config.json's vocab_size is ${n}`);
      break;
    }
    const p = pieces[id]!;
    tokens[id] = p.piece;
    scores[id] = f32(p.score);
    types[id] = ggufTokenType(p.type);
  }
  for (const [text, id] of Object.entries(addedTokens ?? {})) {
    if (typeof id !== 'number' || id >= n || id < 0) continue;
    tokens[id] = text;
    scores[id] = -1000;
    types[id] = SPM_USER_DEFINED;
  }
  if (phi3 !== undefined) {
    // Phi3MiniModel.set_vocab: added_tokens_decoder, then tokenizer.json's added_tokens, each
    // USER_DEFINED (CONTROL when special), text as given; an id past the vocabulary is an IndexError there
    const entries: Array<[number, Record<string, unknown>]> = [
      ...Object.entries(addedTokensDecoder ?? {}).map(([k, v]) => [Number.parseInt(k, 10), (v ?? {}) as Record<string, unknown>] as [number, Record<string, unknown>]),
      ...phi3.tokenizerJsonAdded.map((v) => {
        const d = (v ?? {}) as Record<string, unknown>;
        return [Number(d['id']), d] as [number, Record<string, unknown>];
      }),
    ];
    for (const [id, d] of entries) {
      const content = d['content'];
      if (!Number.isInteger(id) || id < 0 || id >= n || typeof content !== 'string') throw new RangeError(`added token ${JSON.stringify(content)} has id ${id}, outside the ${n} tokens of the vocabulary`);
      tokens[id] = content;
      scores[id] = -1000;
      types[id] = d['special'] === true ? SPM_CONTROL : SPM_USER_DEFINED;
    }
    return { tokens, scores, types, warnings };
  }
  for (const [key, data] of Object.entries(addedTokensDecoder ?? {})) {
    const id = Number.parseInt(key, 10);
    const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    let content = d['content'];
    if (!Number.isInteger(id) || id < 0 || id >= n || typeof content !== 'string') continue;
    if (d['special'] === true || looksSpecial(content)) types[id] = SPM_CONTROL;
    else {
      content = content.replaceAll('\u2581', ' '); // pre-normalised user-defined spaces
      types[id] = SPM_USER_DEFINED;
    }
    scores[id] = -1000;
    tokens[id] = content as string;
  }
  return { tokens, scores, types, warnings };
}

export function spmVocabKvs(v: SpmVocab): Array<[string, MetaValue]> {
  return [
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'default' }],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: v.tokens }],
    ['tokenizer.ggml.scores', { type: 'array', itemType: 'f32', value: v.scores }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'i32', value: v.types }],
  ];
}
