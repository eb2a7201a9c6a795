import { Template } from '@huggingface/jinja';
import type { MetaValue } from '../formats/model';

/** A short conversation every chat template should be able to render. */
export const SAMPLE_CONVERSATION = [
  { role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'What does a kiln do?' },
  { role: 'assistant', content: 'It fires clay at high temperature.' },
  { role: 'user', content: 'And Tensor Kiln?' },
];

function token(meta: ReadonlyMap<string, MetaValue>, idKey: string): string {
  const id = meta.get(idKey);
  const tokens = meta.get('tokenizer.ggml.tokens');
  if (!id || typeof id.value !== 'number' || !tokens || tokens.type !== 'array') return '';
  const t = tokens.value[id.value];
  return typeof t === 'string' ? t : '';
}

/** The model's chat template rendered for the sample conversation (@huggingface/jinja: no eval). */
export function renderChatTemplate(source: string, meta: ReadonlyMap<string, MetaValue>): { text: string } | { error: string } {
  try {
    const text = new Template(source).render({
      messages: SAMPLE_CONVERSATION,
      add_generation_prompt: true,
      bos_token: token(meta, 'tokenizer.ggml.bos_token_id'),
      eos_token: token(meta, 'tokenizer.ggml.eos_token_id'),
    });
    return { text };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}
