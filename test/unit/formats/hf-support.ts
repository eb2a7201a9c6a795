import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MemorySource } from '../../../src/io/byte-source';
import { FIXTURES, fixtureBytes } from '../../support/fixtures';
import { rebuildShards } from './safetensors-builder';

/** The tiny llama's Hugging Face folders, from test/fixtures/tiny-llama-hf (see its README). */
export const HF_SMALL_FILES = ['config.json', 'generation_config.json', 'special_tokens_map.json', 'tokenizer.model', 'tokenizer_config.json'] as const;

export function hfFiles(kind: 'bf16' | 'f16-sharded'): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const f of HF_SMALL_FILES) m.set(f, fixtureBytes(`tiny-llama-hf/${f}`));
  if (kind === 'bf16') m.set('model.safetensors', fixtureBytes('safetensors/tiny-llama-bf16.safetensors'));
  else {
    const cfg = new TextDecoder().decode(m.get('config.json')).replace('"torch_dtype": "bfloat16"', '"torch_dtype": "float16"');
    m.set('config.json', new TextEncoder().encode(cfg));
    rebuildShards().forEach((b, i) => m.set(`model-0000${i + 1}-of-00002.safetensors`, b));
    m.set('model.safetensors.index.json', fixtureBytes('safetensors/sharded/model.safetensors.index.json'));
  }
  return m;
}

export function hfSources(files: Map<string, Uint8Array>): MemorySource[] {
  return [...files].map(([n, b]) => new MemorySource(n, b));
}

/** Writes a folder named `name` under `dir` (the converter names the model after its folder). */
export function writeHfFolder(dir: string, name: string, files: Map<string, Uint8Array>): string {
  const p = join(dir, name);
  mkdirSync(p, { recursive: true });
  for (const [n, b] of files) writeFileSync(join(p, n), b);
  return p;
}

/** reference.sha256: "<sha>  <what> <which>" lines keyed "<what> <which>". */
export function hfReference(): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of readFileSync(join(FIXTURES, 'tiny-llama-hf', 'reference.sha256'), 'utf8').split('\n')) {
    const hit = /^([0-9a-f]{64}) {2}(\S+) (\S+)$/.exec(line);
    if (hit) m.set(`${hit[2]} ${hit[3]}`, hit[1]!);
  }
  return m;
}
