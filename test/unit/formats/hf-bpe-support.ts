import { BYTE_CHARS } from '../../../src/formats/hf/tokenizer-json';

/**
 * A tiny byte-level BPE tokenizer.json, Llama 3 shaped (Split with Llama 3's regex, ByteLevel
 * without its own regex, ignore_merges, BOS by TemplateProcessing) or Qwen2 shaped (Qwen2's regex,
 * NFC, no BOS). Ids 0..255 are the byte characters in byte order, so a byte's id is its value.
 */

export const LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
export const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Merges in rank order; each result gets the next id from 256. */
export const MERGES: ReadonlyArray<readonly [string, string]> = [
  ['Ġ', 'Ġ'], // 256 ĠĠ
  ['3', '3'], // 257 33
  ['e', 'r'], // 258 er
  ['Ġ', 't'], // 259 Ġt
  ['Ġt', 'h'], // 260 Ġth
  ['ĠĠ', 'ĠĠ'], // 261 ĠĠĠĠ
  ['Ċ', 'Ċ'], // 262 ĊĊ
  ['33', '3'], // 263 333
  ['h', 'e'], // 264 he
  ['Ġth', 'e'], // 265 Ġthe
];

export function tinyTokenizerJson(kind: 'llama3' | 'qwen2', opts: { pairMerges?: boolean; vocabSize?: number } = {}): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  BYTE_CHARS.forEach((c, b) => (vocab[c] = b));
  MERGES.forEach(([a, b], i) => (vocab[a + b] = 256 + i));
  const next = 256 + MERGES.length;
  const bos = kind === 'llama3' ? '<|begin_of_text|>' : '<|endoftext|>';
  const added = [
    { id: next, content: bos, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: next + 1, content: kind === 'llama3' ? '<|eot_id|>' : '<|im_end|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true },
    { id: next + 2, content: '<tool_call>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: false },
  ];
  const merges = MERGES.map(([a, b]) => (opts.pairMerges === true ? [a, b] : `${a} ${b}`));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: kind === 'qwen2' ? { type: 'NFC' } : null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: kind === 'llama3' ? LLAMA3_REGEX : QWEN2_REGEX }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: kind === 'qwen2', use_regex: false },
      ],
    },
    post_processor:
      kind === 'llama3'
        ? {
            type: 'Sequence',
            processors: [
              { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
              {
                type: 'TemplateProcessing',
                single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
                pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
                special_tokens: { [bos]: { id: bos, ids: [next], tokens: [bos] } },
              },
            ],
          }
        : { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: kind === 'llama3',
      vocab,
      merges,
    },
  };
}
