import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { MemorySource } from '../../../src/io/byte-source';
import type { MetaValue } from '../../../src/formats/model';
import { spmModelFiles, type SpmFamily } from './hf-tiny-models';
import { writeHfFolder } from './hf-support';

/**
 * GGUF -> Hugging Face folder for the SentencePiece families beside llama: Gemma 2 and Gemma 3
 * (every norm stored as w + 1 by the converter: taken off again), Phi-3 (fused qkv_proj and
 * gate_up_proj), Mixtral (llama in GGUF with the experts stacked per layer: split back per
 * expert). The tiny fixed-seed checkpoints through GGUF F32 and back give the original tensors
 * bit for bit, and the folder written back converts to the same GGUF again.
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
const sorted = (m: Map<string, MetaValue>, prefix: string) => [...m].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : 1));

/** What the converter leaves out of the GGUF, so the way back cannot bring it: gemma2's stray lm_head. */
const DROPPED: Partial<Record<SpmFamily, string[]>> = { gemma2: ['lm_head.weight'] };
/** GGUF content the way back cannot rebuild: phi3's longrope factors live only in generated tensors. */
const GENERATED: Partial<Record<SpmFamily, string[]>> = { phi3: ['rope_factors_long.weight', 'rope_factors_short.weight'] };

describe('GGUF -> Hugging Face folder, SentencePiece families', () => {
  for (const family of ['gemma2', 'gemma3', 'phi3', 'mixtral'] as SpmFamily[]) {
    it(`${family}: HF -> GGUF F32 -> HF BF16 is the original tensors; the folder converts to the same GGUF again`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kiln-hfx-'));
      try {
        const orig = spmModelFiles(family);
        const input = writeHfFolder(dir, `tiny-${family}`, orig);
        const g1 = join(dir, 'first.gguf');
        expect((await cli(['convert', input, '-o', g1, '--type', 'F32', '--quiet'])).code).toBe(0);
        const back = join(dir, 'back', `tiny-${family}`); // the same folder name: general.name comes from it
        mkdirSync(join(dir, 'back'));
        const r = await cli(['convert', g1, '-o', back, '--format', 'hf', '--type', 'BF16', '--quiet']);
        expect(r.code, r.err).toBe(0);
        for (const g of GENERATED[family] ?? []) expect(r.err).toContain(`${g}: left out`);
        const got = readFolder(back);
        expect([...got.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.model', 'tokenizer_config.json']);

        const a = await safetensorsOf(orig);
        for (const d of DROPPED[family] ?? []) a.delete(d);
        const b = await safetensorsOf(got);
        expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
        for (const [name, t] of a) expect(b.get(name), name).toBe(t);

        const g2 = join(dir, 'second.gguf');
        const r2 = await cli(['convert', back, '-o', g2, '--type', 'F32', '--quiet']);
        expect(r2.code, r2.err).toBe(0);
        const x = await ggufOf(g1);
        const y = await ggufOf(g2);
        expect(sorted(y.kv, 'tokenizer.')).toEqual(sorted(x.kv, 'tokenizer.'));
        for (const g of GENERATED[family] ?? []) x.tensors.delete(g);
        expect([...y.tensors.keys()]).toEqual([...x.tensors.keys()]);
        for (const [name, t] of x.tensors) expect(y.tensors.get(name), name).toBe(t);
        if (GENERATED[family] === undefined) expect(sorted(y.kv, '')).toEqual(sorted(x.kv, ''));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
