import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import { MemorySource } from '../../../src/io/byte-source';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../../support/tiny-llama';

/**
 * llama-quantize checks the data of every tensor it reads and of every tensor it quantizes
 * (ggml_validate_row_data) and fails on NaN or Inf; Kiln, standing in for it, does the same. The
 * expected outcomes were measured with llama-quantize (34af94cd, built here) on these very
 * mutations of the tiny llama: each FAIL failed there, each ok wrote a file, and the ok files
 * Kiln writes matched its sha256 (the clean model's figures are checked against llama.cpp's below).
 */
let dir: string;
let clean: Uint8Array;
let offsets: Map<string, number>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-check-'));
  clean = await tinyLlamaF32();
  const view = await readGguf([new MemorySource('tiny.gguf', clean)]);
  offsets = new Map(view.tensors.map((t) => [t.name, t.fileOffset]));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mutated(name: string, tensor: string, element: number, value: number): string {
  const b = clean.slice();
  new DataView(b.buffer).setFloat32(offsets.get(tensor)! + 4 * element, value, true);
  const path = join(dir, `${name}.gguf`);
  writeFileSync(path, b);
  return path;
}

async function convert(input: string, preset: string): Promise<{ code: number; err: string; out: string }> {
  const out = join(dir, `out-${preset}-${Math.random().toString(36).slice(2)}.gguf`);
  let err = '';
  const code = await main(['convert', input, '-o', out, '--type', preset, '--quiet'], { out: () => undefined, err: (s) => void (err += s) });
  return { code, err, out };
}

const CASES: [string, string, number, number, string, RegExp | null][] = [
  // name, tensor, element, value, preset, expected error (null: converts)
  ['nan-attn_q', 'blk.0.attn_q.weight', 1000, NaN, 'Q4_K_M', /tensor "blk\.0\.attn_q\.weight" has invalid data: nan at element 1000 of its F32 data/],
  ['nan-attn_q', 'blk.0.attn_q.weight', 1000, NaN, 'COPY', /"blk\.0\.attn_q\.weight" has invalid data: nan at element 1000/],
  ['inf-norm', 'blk.1.ffn_norm.weight', 3, Infinity, 'Q8_0', /tensor "blk\.1\.ffn_norm\.weight" has invalid data: inf at element 3/],
  ['inf-norm', 'blk.1.ffn_norm.weight', 3, -Infinity, 'F16', /"blk\.1\.ffn_norm\.weight" has invalid data: inf at element 3/],
  // 3e38 is finite, but Q8_0's scale (amax / 127) and Q4_K's overflow f16
  ['huge-attn_q', 'blk.0.attn_q.weight', 1000, 3e38, 'Q8_0', /"blk\.0\.attn_q\.weight" converted to Q8_0 is invalid: inf at block 31 /],
  ['huge-attn_q', 'blk.0.attn_q.weight', 1000, 3e38, 'Q4_K_M', /"blk\.0\.attn_q\.weight" converted to Q4_K is invalid: inf at block 3 /],
  ['huge-attn_q', 'blk.0.attn_q.weight', 1000, 3e38, 'COPY', null],
  // 1e6 fits every scale but not F16 itself
  ['big-attn_q', 'blk.0.attn_q.weight', 1000, 1e6, 'F16', /"blk\.0\.attn_q\.weight" converted to F16 is invalid: inf at element 1000 /],
  ['big-attn_q', 'blk.0.attn_q.weight', 1000, 1e6, 'Q8_0', null],
  ['big-attn_q', 'blk.0.attn_q.weight', 1000, 1e6, 'Q4_K_M', null],
];

describe('data checks as llama-quantize makes them', () => {
  for (const [name, tensor, element, value, preset, error] of CASES) {
    it(`${name} (${tensor}[${element}] = ${value}) -> ${preset}: ${error ? 'refused' : 'converts'}`, async () => {
      const before = new Set(readdirSync(dir));
      const r = await convert(mutated(name, tensor, element, value), preset);
      if (error === null) {
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        return;
      }
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(error);
      expect(r.err.split('\n').filter(Boolean)).toHaveLength(1);
      // nothing left behind, not even a .partial
      expect(readdirSync(dir).filter((f) => !before.has(f) && !f.endsWith(`${name}.gguf`))).toEqual([]);
    });
  }

  it('the clean model passes every check and still equals llama-quantize byte for byte', async () => {
    const input = join(dir, 'clean.gguf');
    writeFileSync(input, clean);
    for (const preset of ['Q4_K_M', 'Q8_0', 'Q6_K']) {
      const r = await convert(input, preset);
      expect(r.code).toBe(0);
      expect(sha256(readFileSync(r.out))).toBe(llamaCppSha256().get(`tiny-llama-${preset}.gguf`));
    }
  });

  it('a plain cast (not a preset) keeps non-finite values: the check is llama-quantize\'s, not a cast\'s', async () => {
    const input = mutated('nan-cast', 'blk.0.attn_q.weight', 5, NaN);
    let err = '';
    const out = join(dir, 'nan-cast.safetensors');
    const code = await main(['convert', input, '-o', out, '--type', 'F32', '--format', 'safetensors', '--quiet'], { out: () => undefined, err: (s) => void (err += s) });
    expect(err).toBe('');
    expect(code).toBe(0);
  });
});
