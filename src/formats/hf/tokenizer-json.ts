import { FormatError, UnsupportedError } from '../errors';
import { BpeModel } from './bpe-model';
import { onigToJs, OnigRegexError } from './onig-regex';

/**
 * A tokenizer.json encoder for byte-level BPE vocabularies, following Hugging Face tokenizers'
 * TokenizerImpl::encode: added tokens split out first (leftmost-longest, lstrip/rstrip/
 * single_word; the non-normalized ones on the raw text, the normalized ones after the
 * normalizer), the normalizer, the pre-tokenizer (Split with Oniguruma regexes, ByteLevel,
 * Digits, Sequence), the BPE model, and the post-processor's special tokens. Components it does
 * not implement are refused by name when the tokenizer is built, never skipped.
 */

type Json = Record<string, unknown>;
const where = { format: 'hf' as const, file: 'tokenizer.json' };
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const refuse = (what: string): never => {
  throw new UnsupportedError(where, what);
};

/** GPT-2's byte -> printable character map (bytes_to_unicode). */
export const BYTE_CHARS: readonly string[] = (() => {
  const direct = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(direct(b) ? b : 256 + n++);
  return out;
})();
const CHAR_BYTES = new Map(BYTE_CHARS.map((c, b) => [c, b]));
const utf8 = new TextEncoder();
export const toByteLevel = (s: string): string => Array.from(utf8.encode(s), (b) => BYTE_CHARS[b]).join('');

/** ByteLevel's own split regex (pre_tokenizers/byte_level.rs), read as Oniguruma reads it. */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
const WHITE = /^[\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
const isWhite = (c: string): boolean => WHITE.test(c);
const isWordChar = (c: string): boolean => /^[\p{Alphabetic}\p{N}]$/u.test(c);

type Behavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
type Piece = [start: number, end: number, isMatch: boolean];

function regexOf(pattern: unknown): RegExp {
  const p = obj(pattern);
  try {
    if (typeof p?.['Regex'] === 'string') return onigToJs(p['Regex'] as string);
    if (typeof p?.['String'] === 'string') return new RegExp((p['String'] as string).replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'), 'gu');
  } catch (e) {
    if (e instanceof OnigRegexError) refuse(e.message);
    throw e;
  }
  return refuse(`a Split pattern ${JSON.stringify(pattern)} is neither {"Regex": ...} nor {"String": ...}`);
}

/** Split one string by a regex with one of tokenizers' SplitDelimiterBehavior values. */
export function splitBy(s: string, re: RegExp, behavior: Behavior, invert: boolean): string[] {
  const pieces: Piece[] = [];
  let prev = 0;
  re.lastIndex = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    if (m[0].length === 0) {
      re.lastIndex += (s.codePointAt(re.lastIndex) ?? 0) > 0xffff ? 2 : 1;
      continue;
    }
    if (m.index > prev) pieces.push([prev, m.index, invert]);
    pieces.push([m.index, m.index + m[0].length, !invert]);
    prev = m.index + m[0].length;
  }
  if (prev < s.length) pieces.push([prev, s.length, invert]);
  let out: Piece[];
  if (behavior === 'Removed') out = pieces.filter((p) => !p[2]);
  else if (behavior === 'Isolated') out = pieces;
  else if (behavior === 'MergedWithPrevious' || behavior === 'Contiguous') {
    out = [];
    let prevMatch = false;
    for (const p of pieces) {
      const merge = behavior === 'Contiguous' ? p[2] === prevMatch : p[2] && !prevMatch;
      if (merge && out.length > 0) out[out.length - 1]![1] = p[1];
      else out.push([p[0], p[1], false]);
      prevMatch = p[2];
    }
  } else {
    out = [];
    let prevMatch = false;
    for (const p of [...pieces].reverse()) {
      if (p[2] && !prevMatch && out.length > 0) out[out.length - 1]![0] = p[0];
      else out.push([p[0], p[1], false]);
      prevMatch = p[2];
    }
    out.reverse();
  }
  return out.filter((p) => p[1] > p[0]).map((p) => s.slice(p[0], p[1]));
}

type PreTok = (pieces: string[]) => string[];

function preTokenizer(cfg: unknown): PreTok {
  const c = obj(cfg);
  if (c === null) return (p) => p;
  switch (c['type']) {
    case 'Sequence': {
      const steps = (Array.isArray(c['pretokenizers']) ? c['pretokenizers'] : []).map(preTokenizer);
      return (p) => steps.reduce((acc, f) => f(acc), p);
    }
    case 'Split': {
      const re = regexOf(c['pattern']);
      const behavior = c['behavior'] as Behavior;
      if (!['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'].includes(behavior)) refuse(`Split behavior ${JSON.stringify(c['behavior'])} is unknown`);
      const invert = c['invert'] === true;
      return (p) => p.flatMap((s) => splitBy(s, re, behavior, invert));
    }
    case 'ByteLevel': {
      const prefix = c['add_prefix_space'] === true;
      const re = c['use_regex'] !== false ? onigToJs(GPT2_PATTERN) : null;
      return (p) =>
        p.flatMap((s0) => {
          const s = prefix && !s0.startsWith(' ') ? ' ' + s0 : s0;
          return (re === null ? [s] : splitBy(s, re, 'Isolated', false)).map(toByteLevel);
        });
    }
    case 'Digits': {
      const re = /\p{N}/gu;
      const behavior: Behavior = c['individual_digits'] === true ? 'Isolated' : 'Contiguous';
      return (p) => p.flatMap((s) => splitBy(s, re, behavior, false));
    }
    default:
      return refuse(`the pre-tokenizer ${JSON.stringify(c['type'])} is not supported (Sequence, Split, ByteLevel and Digits are)`);
  }
}

function normalizer(cfg: unknown): (s: string) => string {
  const c = obj(cfg);
  if (c === null) return (s) => s;
  switch (c['type']) {
    case 'Sequence': {
      const steps = (Array.isArray(c['normalizers']) ? c['normalizers'] : []).map(normalizer);
      return (s) => steps.reduce((acc, f) => f(acc), s);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = c['type'];
      return (s) => s.normalize(form);
    }
    case 'Lowercase':
      // per character, as Rust's char::to_lowercase (no final-sigma context)
      return (s) => Array.from(s, (ch) => ch.toLowerCase()).join('');
    case 'StripAccents':
      return (s) => s.replace(/\p{M}/gu, '');
    case 'Prepend': {
      const pre = String(c['prepend'] ?? '');
      return (s) => (s.length > 0 ? pre + s : s);
    }
    case 'Replace': {
      const re = regexOf(c['pattern']);
      const content = String(c['content'] ?? '');
      return (s) => s.replace(re, () => content);
    }
    case 'Strip': {
      const left = c['strip_left'] === true;
      const right = c['strip_right'] === true;
      return (s) => {
        const cs = [...s];
        let a = 0;
        let b = cs.length;
        while (left && a < b && isWhite(cs[a]!)) a++;
        while (right && b > a && isWhite(cs[b - 1]!)) b--;
        return cs.slice(a, b).join('');
      };
    }
    default:
      return refuse(`the normalizer ${JSON.stringify(c['type'])} is not supported`);
  }
}

export interface AddedToken {
  readonly id: number;
  readonly content: string;
  readonly special: boolean;
  readonly normalized: boolean;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
  readonly singleWord: boolean;
}

function addedTokens(list: unknown): AddedToken[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new FormatError(where, 'added_tokens is not a list');
  return list.map((t, i) => {
    const o = obj(t);
    if (o === null || typeof o['content'] !== 'string' || typeof o['id'] !== 'number' || !Number.isInteger(o['id']) || (o['id'] as number) < 0) {
      throw new FormatError(where, `added_tokens[${i}] lacks a string content or an integer id`);
    }
    return {
      id: o['id'] as number,
      content: o['content'] as string,
      special: o['special'] === true,
      // tokenizers' AddedToken defaults: normalized = !special
      normalized: typeof o['normalized'] === 'boolean' ? (o['normalized'] as boolean) : o['special'] !== true,
      lstrip: o['lstrip'] === true,
      rstrip: o['rstrip'] === true,
      singleWord: o['single_word'] === true,
    };
  });
}

type Segment = { text: string; token: AddedToken | null };

/** AddedVocabulary::find_matches: leftmost-longest, then single_word / lstrip / rstrip. */
function splitAdded(s: string, tokens: ReadonlyMap<string, AddedToken>, maxLen: number): Segment[] {
  if (tokens.size === 0 || s.length === 0) return [{ text: s, token: null }];
  const out: Segment[] = [];
  let from = 0; // end of the last piece taken
  let i = 0;
  while (i < s.length) {
    let hit: AddedToken | null = null;
    for (let len = Math.min(maxLen, s.length - i); len > 0; len--) {
      const t = tokens.get(s.slice(i, i + len));
      if (t !== undefined) {
        hit = t;
        break;
      }
    }
    if (hit === null) {
      i++;
      continue;
    }
    let start = i;
    let stop = i + hit.content.length;
    i = stop;
    if (hit.singleWord) {
      const before = [...s.slice(0, start)].at(-1);
      const after = [...s.slice(stop, stop + 2)][0];
      if ((before !== undefined && isWordChar(before)) || (after !== undefined && isWordChar(after))) continue;
    }
    if (hit.lstrip) {
      let a = start;
      while (a > from && isWhite(s[a - 1]!)) a--;
      start = a;
    }
    if (hit.rstrip) while (stop < s.length && isWhite(s[stop]!)) stop++;
    if (start > from) out.push({ text: s.slice(from, start), token: null });
    out.push({ text: s.slice(start, stop), token: hit });
    from = stop;
    i = Math.max(i, stop);
  }
  if (from < s.length) out.push({ text: s.slice(from), token: null });
  return out;
}

export class TokenizerJson {
  readonly model: BpeModel;
  readonly added: readonly AddedToken[];
  private readonly raw: Map<string, AddedToken>;
  private readonly norm: Map<string, AddedToken>;
  private readonly rawMax: number;
  private readonly normMax: number;
  private readonly normalize: (s: string) => string;
  private readonly preTokenize: PreTok;
  private readonly post: { before: number[]; after: number[] };
  readonly byteLevelDecoder: boolean;

  constructor(readonly json: Json) {
    const model = obj(json['model']);
    if (model === null) throw new FormatError(where, 'has no "model"');
    const type = model['type'] ?? (Array.isArray(model['merges']) ? 'BPE' : undefined);
    if (type !== 'BPE') refuse(`the tokenizer model ${JSON.stringify(type)} is not a BPE model`);
    this.model = new BpeModel(model);
    this.normalize = normalizer(json['normalizer']);
    this.preTokenize = preTokenizer(json['pre_tokenizer']);
    this.added = addedTokens(json['added_tokens']);
    this.raw = new Map();
    this.norm = new Map();
    for (const t of this.added) {
      if (t.normalized) this.norm.set(this.normalize(t.content), t);
      else this.raw.set(t.content, t);
    }
    this.rawMax = Math.max(0, ...[...this.raw.keys()].map((k) => k.length));
    this.normMax = Math.max(0, ...[...this.norm.keys()].map((k) => k.length));
    this.post = postProcessor(json['post_processor'], (content) => this.idOf(content));
    const dec = obj(json['decoder']);
    this.byteLevelDecoder = dec?.['type'] === 'ByteLevel';
  }

  /** The id of a token by its text: added tokens first, then the model's vocabulary. */
  idOf(content: string): number | undefined {
    return this.added.find((t) => t.content === content)?.id ?? this.model.vocab.get(content);
  }

  /** Tokenizer.encode(text, add_special_tokens). */
  encode(text: string, addSpecialTokens = true): number[] {
    const ids: number[] = [];
    for (const seg of splitAdded(text, this.raw, this.rawMax)) {
      if (seg.token !== null) {
        ids.push(seg.token.id);
        continue;
      }
      for (const sub of splitAdded(this.normalize(seg.text), this.norm, this.normMax)) {
        if (sub.token !== null) ids.push(sub.token.id);
        else if (sub.text.length > 0) for (const p of this.preTokenize([sub.text])) ids.push(...this.model.encode(p));
      }
    }
    return addSpecialTokens ? [...this.post.before, ...ids, ...this.post.after] : ids;
  }

  /** The text of an id: an added token's content, else the model's token. */
  tokenOf(id: number): string | undefined {
    return this.added.find((t) => t.id === id)?.content ?? this.reverse().get(id);
  }

  private rev: Map<number, string> | null = null;
  private reverse(): Map<number, string> {
    if (this.rev === null) this.rev = new Map([...this.model.vocab].map(([t, i]) => [i, t]));
    return this.rev;
  }

  /**
   * Tokenizer.decode with the ByteLevel decoder (decode_chain): each token's characters as bytes,
   * or the token's own UTF-8 when one of its characters is not a byte character; the bytes read
   * as UTF-8 with invalid sequences replaced by U+FFFD (from_utf8_lossy).
   */
  decodeByteLevel(tokens: readonly string[]): string {
    const bytes: number[] = [];
    for (const t of tokens) {
      const chars = [...t];
      if (chars.every((c) => CHAR_BYTES.has(c))) for (const c of chars) bytes.push(CHAR_BYTES.get(c)!);
      else bytes.push(...utf8.encode(t));
    }
    return new TextDecoder('utf-8').decode(Uint8Array.from(bytes));
  }
}

/** The ids the post-processor puts around a single sequence when special tokens are added. */
function postProcessor(cfg: unknown, idOf: (content: string) => number | undefined): { before: number[]; after: number[] } {
  const c = obj(cfg);
  const none = { before: [] as number[], after: [] as number[] };
  if (c === null) return none;
  const pairId = (v: unknown, what: string): number => {
    if (Array.isArray(v) && typeof v[1] === 'number') return v[1];
    throw new FormatError(where, `post_processor ${what} is not ["token", id]`);
  };
  switch (c['type']) {
    case 'ByteLevel':
      return none;
    case 'Sequence': {
      let acc = none;
      for (const p of Array.isArray(c['processors']) ? c['processors'] : []) {
        const r = postProcessor(p, idOf);
        acc = { before: [...r.before, ...acc.before], after: [...acc.after, ...r.after] };
      }
      return acc;
    }
    case 'RobertaProcessing':
    case 'BertProcessing':
      return { before: [pairId(c['cls'], 'cls')], after: [pairId(c['sep'], 'sep')] };
    case 'TemplateProcessing': {
      const single = Array.isArray(c['single']) ? c['single'] : [];
      const specials = obj(c['special_tokens']) ?? {};
      const out = { before: [] as number[], after: [] as number[] };
      let seenA = false;
      for (const item of single) {
        const o = obj(item) ?? {};
        if (obj(o['Sequence']) !== null) {
          seenA = true;
          continue;
        }
        const name = obj(o['SpecialToken'])?.['id'];
        if (typeof name !== 'string') throw new FormatError(where, `post_processor template item ${JSON.stringify(item)} is unknown`);
        const ids = obj(specials[name])?.['ids'];
        const list = Array.isArray(ids) ? (ids as number[]) : [idOf(name) ?? refuse(`the template's special token ${JSON.stringify(name)} has no id`)];
        (seenA ? out.after : out.before).push(...list);
      }
      return out;
    }
    default:
      return refuse(`the post-processor ${JSON.stringify(c['type'])} is not supported`);
  }
}
