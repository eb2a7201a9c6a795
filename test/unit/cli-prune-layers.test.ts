import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { readGguf } from '../../src/formats/gguf/reader';
import { readImatrix } from '../../src/formats/imatrix/reader';
import { imatrixWeights } from '../../src/formats/imatrix/imatrix';
import { MemorySource } from '../../src/io/byte-source';
import { CPU_CODECS } from '../../src/codecs/registry';
import { byteSizeOf } from '../../src/codecs/catalogue';
import type { ModelView } from '../../src/formats/model';
import { parsePruneLayers, remapLayers } from '../../src/pipeline/prune-layers';
import { fixtureBytes } from '../support/fixtures';

/**
 * convert --prune-layers as llama-quantize 34af94cd does it. No llama-quantize output with
 * --prune-layers exists for the tiny llama, so the expectations are derived from the source
 * (src/llama-quant.cpp remap_layer, remap_imatrix, llama_model_quantize_impl; tools/quantize
 * parse_layer_prune): pruned blocks' tensors go, the rest are renumbered, `llama.block_count` is set
 * last (after the quantize.imatrix.* overrides), a renumbered tensor keeps its original block's
 * imatrix entry, and the type rules still count ffn_down against the input's n_layer but attn_v
 * against the attn_v tensors that remain. Tensor bytes are checked against the CPU codec run on the
 * source tensor with its own imatrix entry.
 */
let dir: string;
let cwd: string;
let imatrix: Map<string, Float32Array>;

async function cli(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { out: () => undefined, err: (s) => void (err += s) });
  return { code, err };
}

async function open(path: string): Promise<ModelView> {
  return readGguf([new MemorySource(path, new Uint8Array(readFileSync(path)))]);
}

async function tensorBytes(m: ModelView, name: string): Promise<Uint8Array> {
  const t = m.tensors.find((x) => x.name === name)!;
  return t.read(0, t.nbytes);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-prune-'));
  writeFileSync(join(dir, 'tiny-llama-F16.gguf'), fixtureBytes('gguf/tiny-llama-F16.gguf'));
  const im = fixtureBytes('imatrix/tiny-llama.imatrix.gguf');
  writeFileSync(join(dir, 'tiny-llama.imatrix.gguf'), im);
  imatrix = imatrixWeights(await readImatrix(new MemorySource('tiny-llama.imatrix.gguf', im)));
  cwd = process.cwd();
  process.chdir(dir);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

const BLOCK = ['attn_k', 'attn_norm', 'attn_output', 'attn_q', 'attn_v', 'ffn_down', 'ffn_gate', 'ffn_norm', 'ffn_up'];

describe('parse_layer_prune', () => {
  it('sorts, deduplicates, reads ids as std::stoi', () => {
    expect(parsePruneLayers('3,1,1, 2x')).toEqual([1, 2, 3]);
  });
  it.each(['', '1,', 'a', '-1', '1,,2', '99999999999'])('refuses %j', (t) => {
    expect(() => parsePruneLayers(t)).toThrow(/invalid layer id/);
  });
});

describe('remap_layer', () => {
  it('keeps blocks below the first pruned id, renumbers the rest in weights_map order', () => {
    const names = ['token_embd.weight', 'blk.0.a', 'blk.1.a', 'blk.2.a', 'blk.2.b', 'blk.3.a', 'blk.4.a'];
    const r = remapLayers(names, [1, 3]);
    expect(r.names).toEqual(['token_embd.weight', 'blk.0.a', null, 'blk.1.a', 'blk.1.b', null, 'blk.2.a']);
    expect(r.blockCount).toBe(3);
    // a pruned id past the last block leaves every block; block_count is still written
    expect(remapLayers(['blk.0.a', 'blk.1.a'], [7])).toEqual({ names: ['blk.0.a', 'blk.1.a'], blockCount: 2 });
  });
});

describe('convert --prune-layers on the tiny llama (expectations from the source)', () => {
  for (const [prune, kept] of [
    ['0', 1],
    ['1', 0],
  ] as const) {
    it(`--prune-layers ${prune} with the imatrix to Q4_K_M: block ${kept} becomes blk.0 with its own imatrix entry`, async () => {
      const out = `pruned-${prune}.gguf`;
      const r = await cli('convert', 'tiny-llama-F16.gguf', '-o', out, '--type', 'Q4_K_M', '--quiet', '--imatrix', 'tiny-llama.imatrix.gguf', '--prune-layers', prune);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const m = await open(out);
      const src = await open('tiny-llama-F16.gguf');
      const names = m.tensors.map((t) => t.name);
      expect(names).toEqual(['output.weight', 'output_norm.weight', 'token_embd.weight', ...BLOCK.map((b) => `blk.0.${b}.weight`)]);
      const keys = [...m.metadata.keys()];
      expect(keys.at(-1)).toBe('llama.block_count');
      expect(keys.slice(-5, -1)).toEqual(['quantize.imatrix.file', 'quantize.imatrix.dataset', 'quantize.imatrix.entries_count', 'quantize.imatrix.chunks_count']);
      expect(m.metadata.get('llama.block_count')).toEqual({ type: 'u32', value: 1 });
      // attn_v: use_more_bits(0, 1 remaining attn_v) -> Q6_K; ffn_down: use_more_bits(0, n_layer 2) -> Q4_K
      const want: Record<string, string> = { 'output.weight': 'Q6_K', 'token_embd.weight': 'Q4_K', 'output_norm.weight': 'F32' };
      for (const b of BLOCK) want[`blk.0.${b}.weight`] = b.endsWith('_norm') ? 'F32' : b === 'attn_v' ? 'Q6_K' : 'Q4_K';
      expect(Object.fromEntries(m.tensors.map((t) => [t.name, t.type]))).toEqual(want);
      for (const t of m.tensors) {
        const from = t.name.replace(/^blk\.0\./, `blk.${kept}.`);
        const s = src.tensors.find((x) => x.name === from)!;
        const f32 = new Float32Array(s.shape.reduce((a, b) => a * b, 1));
        CPU_CODECS[s.type!].decode!(await s.read(0, s.nbytes), f32);
        let expected: Uint8Array;
        if (t.type === 'F32') {
          expected = new Uint8Array(f32.buffer);
        } else {
          expected = new Uint8Array(byteSizeOf(t.type!, f32.length)!);
          const w = imatrix.get(from);
          if (from.startsWith('blk.')) expect(w).toBeDefined();
          CPU_CODECS[t.type!].encode!(f32, expected, w);
        }
        expect(await tensorBytes(m, t.name), t.name).toEqual(expected);
      }
    }, 60_000);
  }

  it('an invalid list is a usage error, nothing written', async () => {
    const r = await cli('convert', 'tiny-llama-F16.gguf', '-o', 'bad.gguf', '--type', 'Q4_K_M', '--prune-layers', '1,');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--prune-layers: invalid layer id ''/);
    expect(existsSync('bad.gguf')).toBe(false);
  });
});
