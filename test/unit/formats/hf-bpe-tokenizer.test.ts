import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { UnsupportedError } from '../../../src/formats/errors';
import { bpePreName, CHKTXT, PRE_BY_HASH, preByConfig, pyListStr } from '../../../src/formats/hf/bpe-pre';
import { onigToJs } from '../../../src/formats/hf/onig-regex';
import { GPT2_PATTERN, splitBy, TokenizerJson } from '../../../src/formats/hf/tokenizer-json';
import { bpeMerges, buildBpeVocab } from '../../../src/formats/hf/vocab-bpe';
import { LLAMA3_REGEX, QWEN2_REGEX, tinyTokenizerJson } from './hf-bpe-support';

/**
 * The tokenizer.json encoder against Hugging Face tokenizers' behaviour. The Python/Rust reference
 * cannot run here, so every expected split and id below is derived by hand from the spec: the
 * Oniguruma regex semantics (leftmost alternative, greedy with backtracking, \s = Unicode
 * White_Space, (?i) with Unicode case folds), ByteLevel's byte map, and BPE's lowest-rank-first
 * merges (models/bpe/word.rs). Ids in the tiny vocabularies: a byte's id is its value, merges 256+.
 */

const split = (re: string, s: string) => splitBy(s, onigToJs(re), 'Isolated', false);

describe('Oniguruma split regexes read as tokenizers reads them', () => {
  it('Llama 3: contractions, letters with one leading non-letter, digits in threes, whitespace runs', () => {
    expect(split(LLAMA3_REGEX, "Hello world's 12345  \n\n  x")).toEqual(['Hello', ' world', "'s", ' ', '123', '45', '  \n\n', ' ', ' x']);
    expect(split(LLAMA3_REGEX, '1234567')).toEqual(['123', '456', '7']);
    // (?i:...) matches any case, and Unicode folds: U+017F LONG S folds to s
    // (a contraction after a space is taken by " ?[^\s\p{L}\p{N}]+" first)
    expect(split(LLAMA3_REGEX, "x'REa'ſa 'Ve")).toEqual(['x', "'RE", 'a', "'ſ", 'a', " '", 'Ve']);
  });

  it('combining marks, emoji (astral, ZWJ), CJK', () => {
    expect(split(LLAMA3_REGEX, 'cafe\u0301 🦙x 我想')).toEqual(['cafe', '\u0301', ' 🦙', 'x', ' 我想']);
    expect(split(LLAMA3_REGEX, '😶\u200d🌫️ ok')).toEqual(['😶\u200d🌫️', ' ok']);
  });

  it('Qwen2: single digits', () => {
    expect(split(QWEN2_REGEX, 'a 3.14')).toEqual(['a', ' ', '3', '.', '1', '4']);
  });

  it('\\s is Unicode White_Space: U+0085 splits as space, U+FEFF as a symbol (JS \\s would swap both)', () => {
    expect(split(GPT2_PATTERN, 'a\u0085\u0085b')).toEqual(['a', '\u0085', '\u0085', 'b']);
    expect(split(GPT2_PATTERN, 'a\ufeff\ufeffb')).toEqual(['a', '\ufeff\ufeff', 'b']);
  });

  it('whitespace runs: a run before a word leaves its last space to the word', () => {
    expect(split(GPT2_PATTERN, 'a   b\t\t')).toEqual(['a', '  ', ' b', '\t\t']);
    expect(split(LLAMA3_REGEX, ' \t \n \n  ')).toEqual([' \t \n \n', '  ']);
  });

  it('refuses what JavaScript cannot spell exactly', () => {
    expect(() => onigToJs('a++')).toThrow('possessive');
    expect(() => onigToJs('(?>a)')).toThrow('has no exact JavaScript equivalent');
  });
});

describe('tiny tokenizer.json encodes as the reference would', () => {
  const llama = new TokenizerJson(tinyTokenizerJson('llama3'));
  const qwen = new TokenizerJson(tinyTokenizerJson('qwen2'));
  const ids = (s: string) => [...new TextEncoder().encode(s)];

  it('BOS from the template, whole-piece lookups (ignore_merges), bytes otherwise', () => {
    // "333" | " " | "33" | "\n\n" -> 333, Ġ, 33, ĊĊ
    expect(llama.encode('333 33\n\n')).toEqual([266, 263, 32, 257, 262]);
    expect(llama.encode('333 33\n\n', false)).toEqual([263, 32, 257, 262]);
  });

  it('merges apply lowest rank first, not left to right', () => {
    // " there": e+r (rank 2) first, then Ġ+t, Ġt+h; h+e (rank 8) is then gone
    expect(qwen.encode(' there')).toEqual([260, 258, 101]);
    expect(qwen.model.encode('3333')).toEqual([257, 257]); // 3+3 at 0, then at 2; 33+3 (rank 7) no longer applies
    expect(llama.encode('3333', false)).toEqual([263, 51]); // "333" | "3", whole-piece lookups
    expect(qwen.encode(' the')).toEqual([265]);
  });

  it('emoji, combining marks and CJK fall to their UTF-8 bytes', () => {
    expect(llama.encode('🦙', false)).toEqual(ids('🦙'));
    // NFC (Qwen2's normalizer) composes e + U+0301 before splitting
    expect(qwen.encode('e\u0301')).toEqual(ids('\u00e9'));
    expect(llama.encode('e\u0301', false)).toEqual(ids('e\u0301'));
    expect(llama.encode('我', false)).toEqual(ids('我'));
  });

  it('added tokens are split out before the pre-tokenizer, special or not', () => {
    expect(llama.encode('<tool_call>the<|eot_id|>', false)).toEqual([268, 116, 264, 267]); // t, he
    expect(qwen.encode('x<|im_end|> the')).toEqual([120, 267, 265]);
  });

  it('the check string: its text is the converter\'s, and it encodes without error', () => {
    expect(createHash('sha256').update(CHKTXT).digest('hex')).toBe('a36179c1e2b1cfcfbfad1dc779addad2ffc778201e4cf0d538bddeafa2c526da');
    const out = llama.encode(CHKTXT);
    expect(out[0]).toBe(266);
    // every byte of the text is covered once: decoding the ids gives the text back
    expect(llama.decodeByteLevel(out.slice(1).map((i) => llama.tokenOf(i)!))).toBe(CHKTXT);
    expect(pyListStr([1, 22, 333])).toBe('[1, 22, 333]');
  });
});

describe('tokenizer.ggml.pre', () => {
  it('the converter\'s table, last name wins for a hash listed twice', () => {
    expect(PRE_BY_HASH.get('0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5')).toBe('llama-bpe');
    expect(PRE_BY_HASH.get('e636dc30a262dcc0d8c323492e32ae2b70728f4df7dfe9737d9f920a282b8aea')).toBe('qwen2');
    expect(PRE_BY_HASH.get('b6dc8df998e1cfbdc4eac8243701a65afe638679230920b50d6f17d81c098166')).toBe('olmo');
    expect(PRE_BY_HASH.size).toBe(91);
  });

  it('an unknown hash with a pre-tokenizer llama.cpp knows takes that name', async () => {
    expect(await bpePreName(new TokenizerJson(tinyTokenizerJson('llama3')))).toMatchObject({ name: 'llama-bpe', via: 'pre-tokenizer' });
    expect(await bpePreName(new TokenizerJson(tinyTokenizerJson('qwen2')))).toMatchObject({ name: 'qwen2', via: 'pre-tokenizer' });
    const noIgnore = tinyTokenizerJson('llama3');
    (noIgnore['model'] as Record<string, unknown>)['ignore_merges'] = false;
    expect(preByConfig(noIgnore)).toBe('smaug-bpe');
  });

  it('otherwise refuses, naming the hash and the pre-tokenizer', async () => {
    const j = tinyTokenizerJson('qwen2');
    ((j['pre_tokenizer'] as { pretokenizers: Array<Record<string, unknown>> }).pretokenizers[0]!)['pattern'] = { Regex: '\\p{L}+|\\p{N}+' };
    const e = await bpePreName(new TokenizerJson(j)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as Error).message).toMatch(/check-string hash [0-9a-f]{64} is not in convert_hf_to_gguf.py's table, and the pre-tokenizer \(ByteLevel\(add_prefix_space=false, use_regex=false\) after Split "\\\\p\{L\}\+\|\\\\p\{N\}\+"\) matches none of gpt-2, llama-bpe/);
  });
});

describe('get_vocab_base and the merges', () => {
  it('tokens by id, [PAD<i>] holes, CONTROL / USER_DEFINED added tokens', async () => {
    const v = await buildBpeVocab(new TokenizerJson(tinyTokenizerJson('llama3')), 272, null);
    expect(v.tokens.length).toBe(272);
    expect(v.tokens.slice(265, 272)).toEqual(['Ġthe', '<|begin_of_text|>', '<|eot_id|>', '<tool_call>', '[PAD269]', '[PAD270]', '[PAD271]']);
    expect(v.types.slice(264, 272)).toEqual([1, 1, 3, 3, 4, 5, 5, 5]);
    expect(v.tokens[32]).toBe('Ġ');
  });

  it('refuses a vocab_size below the tokenizer\'s ids', async () => {
    await expect(buildBpeVocab(new TokenizerJson(tinyTokenizerJson('llama3')), 100, null)).rejects.toThrow('vocab_size is 100 but tokenizer.json holds id 268');
  });

  it('merges: strings as given, pairs joined with a space (a space inside written as U+0120)', () => {
    expect(bpeMerges(tinyTokenizerJson('llama3')).slice(0, 2)).toEqual(['Ġ Ġ', '3 3']);
    expect(bpeMerges(tinyTokenizerJson('llama3', { pairMerges: true })).slice(0, 2)).toEqual(['Ġ Ġ', '3 3']);
    expect(bpeMerges({ model: { merges: [['a b', 'c']] } })).toEqual(['aĠb c']);
  });
});
