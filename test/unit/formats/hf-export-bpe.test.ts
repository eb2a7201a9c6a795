import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { MemorySource } from '../../../src/io/byte-source';
import type { MetaValue } from '../../../src/formats/model';
import { configFor, tinyModelFiles, writeTinyModel, type Family } from './hf-tiny-models';
import { writeHfFolder } from './hf-support';

/**
 * GGUF -> Hugging Face folder for byte-level BPE families (qwen2, qwen3, Llama 3): the tiny
 * fixed-seed checkpoints through GGUF F32 and back give the original tensors bit for bit, and the
 * folder written back converts to the same GGUF again (every KV, tokenizer included: the rebuilt
 * tokenizer.json hashes and pre-tokenizes as the original did; every tensor's bytes; Llama 3's
 * rope_scaling recovered from its generated rope_freqs.weight).
 */

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

async function safetensorsOf(files: Map<string, Uint8Array>): Promise<Map<string, string>> {
  const st = [...files].filter(([n]) => /^model.*\.safetensors(\.index\.json)?$/.test(n)).map(([n, b]) => new MemorySource(n, b));
  const view = await readSafetensors(st);
  const out = new Map<string, string>();
  for (const t of view.tensors) out.set(t.name, `${t.typeLabel} ${t.shape.join('x')} ${Buffer.from(await t.read(0, t.nbytes)).toString('base64')}`);
  return out;
}

async function ggufOf(path: string): Promise<{ kv: Map<string, MetaValue>; tensors: Map<string, string> }> {
  const view = await readGguf([new MemorySource('m.gguf', new Uint8Array(readFileSync(path)))]);
  const tensors = new Map<string, string>();
  for (const t of view.tensors) tensors.set(t.name, `${t.typeLabel} ${t.shape.join('x')} ${Buffer.from(await t.read(0, t.nbytes)).toString('base64')}`);
  return { kv: view.metadata, tensors };
}

const readFolder = (dir: string) => new Map(readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));

describe('GGUF -> Hugging Face folder, byte-level BPE families', () => {
  for (const family of ['qwen2', 'qwen3', 'llama3'] as Family[]) {
    it(`${family}: HF -> GGUF F32 -> HF BF16 is the original tensors; the folder converts to the same GGUF again`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kiln-hfx-'));
      try {
        const input = writeTinyModel(dir, family);
        const g1 = join(dir, 'first.gguf');
        expect((await cli(['convert', input, '-o', g1, '--type', 'F32', '--quiet'])).code).toBe(0);
        const back = join(dir, 'back', `tiny-${family}`); // the same folder name: general.name comes from it
        const r = await cli(['convert', g1, '-o', join(dir, 'back') + '/', '--format', 'hf', '--type', 'BF16', '--quiet']);
        expect(r.code, r.err).toBe(0);
        // written into back/, then moved under the family's folder name for the second conversion
        const got = readFolder(join(dir, 'back'));
        writeHfFolder(join(dir, 'back'), `tiny-${family}`, got);
        if (family === 'llama3') expect(r.err).toContain('rope_freqs.weight: left out');
        else expect(r.err).toBe('');
        expect([...got.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json']);

        const a = await safetensorsOf(tinyModelFiles(family));
        const b = await safetensorsOf(got);
        expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
        for (const [name, t] of a) expect(b.get(name), name).toBe(t);

        const g2 = join(dir, 'second.gguf');
        const r2 = await cli(['convert', back, '-o', g2, '--type', 'F32', '--quiet']);
        expect(r2.code, r2.err).toBe(0);
        const x = await ggufOf(g1);
        const y = await ggufOf(g2);
        // the same KVs; the special token ids may come in another order (a GGUF does not record which
        // file each came from, so they all come back from tokenizer_config.json)
        const sorted = (m: Map<string, MetaValue>, prefix: string) => [...m].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));
        expect(sorted(y.kv, 'tokenizer.')).toEqual(sorted(x.kv, 'tokenizer.'));
        // llama3's rope_scaling comes back from its generated rope_freqs.weight, so it converts to the same file too
        expect(sorted(y.kv, '')).toEqual(sorted(x.kv, ''));
        expect([...y.tensors]).toEqual([...x.tensors]);
        if (family === 'llama3') expect(JSON.parse(new TextDecoder().decode(got.get('config.json')))['rope_scaling']).toEqual(configFor('llama3')['rope_scaling']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
