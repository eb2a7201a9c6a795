import { describe, expect, it } from 'vitest';
import { idToTitle, modelIdComponents, pyFixed, roundedCount } from '../../../src/formats/hf/naming';
import { specialVocabKvs } from '../../../src/formats/hf/special-vocab';

/**
 * gguf-py's naming heuristics (metadata.py) and SpecialVocab (vocab.py) at llama.cpp 34af94cd; the
 * expected values are worked out from that source by hand, Python's semantics noted where JS differs.
 */
describe('model names as gguf-py derives them', () => {
  it('splits a Hub-style id into basename, size label, finetune and version', () => {
    expect(modelIdComponents('mistralai/Mistral-7B-Instruct-v0.3', 7_241_732_096)).toEqual({
      name: 'Mistral-7B-Instruct-v0.3',
      organization: 'mistralai',
      basename: 'Mistral',
      finetune: 'Instruct',
      version: 'v0.3',
      sizeLabel: '7B',
    });
    // a lone word is too ambiguous for a basename
    expect(modelIdComponents('hf', 1_443_072).basename).toBeNull();
    // quant-type parts are recognised and left out of every component
    expect(modelIdComponents('hf-f16-sharded', 1_443_072)).toMatchObject({ basename: 'hf', finetune: 'sharded', version: null, sizeLabel: null });
    // bloom's "7b1" notation
    expect(modelIdComponents('bloom-7b1', 7_069_016_064).sizeLabel).toBe('7.1B');
  });

  it('titles words as Python str.title does, keeping versions and numbers', () => {
    expect(idToTitle('hf-f16-sharded')).toBe('Hf F16 Sharded');
    expect(idToTitle('tiny-llama-v2-3b')).toBe('Tiny Llama v2 3b');
  });

  it('formats counts as Python does: round() and %.Nf to even on exact ties', () => {
    expect(roundedCount(1_443_072)).toBe('1.4M');
    expect(roundedCount(999)).toBe('1.0K');
    expect(roundedCount(2_500_000)).toBe('2.5M');
    expect(roundedCount(8_030_261_248)).toBe('8.0B');
    expect(pyFixed(0.125, 2)).toBe('0.12');
    expect(pyFixed(0.375, 2)).toBe('0.38');
    expect(pyFixed(2.5, 0)).toBe('2');
  });
});

describe('special tokens as SpecialVocab finds them', () => {
  it('takes ids from tokenizer.json added tokens, add_bos/add_eos from TemplateProcessing, then config.json', () => {
    const tokenizerJson = {
      added_tokens: [
        { id: 128000, content: '<|begin_of_text|>' },
        { id: 128009, content: '<|eot_id|>' },
      ],
      post_processor: {
        type: 'Sequence',
        processors: [{ type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|begin_of_text|>' } }, { Sequence: { id: 'A' } }] }],
      },
    };
    const kvs = specialVocabKvs({
      tokenizerJson,
      tokenizerConfig: { bos_token: '<|begin_of_text|>', eos_token: '<|eot_id|>', chat_template: 'T' },
      config: { bos_token_id: 128000, eos_token_id: [128001, 128009], pad_token_id: 5 },
      chatTemplateJinja: null,
      chatTemplateJson: null,
      nVocab: 128256,
    });
    expect(kvs).toEqual([
      ['tokenizer.ggml.bos_token_id', { type: 'u32', value: 128000 }],
      ['tokenizer.ggml.eos_token_id', { type: 'u32', value: 128009 }],
      ['tokenizer.ggml.padding_token_id', { type: 'u32', value: 5 }],
      ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
      ['tokenizer.chat_template', { type: 'string', value: 'T' }],
    ]);
  });
});
