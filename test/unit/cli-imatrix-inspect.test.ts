import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { fixtureBytes } from '../support/fixtures';

/**
 * What the CLI says about an importance matrix: `inspect` of either format shows what
 * ../shared/models/tiny-llama/imatrix/README.md records for the files llama-imatrix wrote
 * (dataset calib.txt, 243 chunks of 128, 14 entries, every count 31104 tokens / ncall 243), and
 * `convert --imatrix` names the tensors quantized without an entry (token_embd and output, which
 * llama-imatrix does not collect).
 */
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-imatrix-inspect-'));
  writeFileSync(join(dir, 'm.gguf'), fixtureBytes('gguf/tiny-llama-F16.gguf'));
  writeFileSync(join(dir, 'im.gguf'), fixtureBytes('imatrix/tiny-llama.imatrix.gguf'));
  writeFileSync(join(dir, 'im.dat'), fixtureBytes('imatrix/tiny-llama.imatrix.dat'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

describe('inspect an importance matrix', () => {
  it('GGUF imatrix: dataset, chunks, entries with their token counts', async () => {
    const r = await cli('inspect', join(dir, 'im.gguf'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('dataset calib.txt · 243 chunks of 128 tokens · 14 entries · GGUF format');
    expect(r.out.match(/^ {2}blk\.\d\.\S+ +256 columns, tokens 31104$/gm)?.length).toBe(12);
    expect(r.out).toMatch(/^ {2}blk\.0\.ffn_down\.weight +512 columns, tokens 31104$/m);
  });

  it('legacy .dat: the same entries, with their call counts', async () => {
    const r = await cli('inspect', join(dir, 'im.dat'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('dataset calib.txt · 243 chunks · 14 entries · legacy .dat format');
    expect(r.out.match(/calls 243$/gm)?.length).toBe(14);
  });

  it('--json gives the same facts as one document', async () => {
    const r = await cli('inspect', join(dir, 'im.dat'), '--json');
    const doc = JSON.parse(r.out) as { imatrix: { datasets: string[]; chunkCount: number; entries: { name: string; values: number; experts: number }[] } };
    expect(doc.imatrix.datasets).toEqual(['calib.txt']);
    expect(doc.imatrix.chunkCount).toBe(243);
    expect(doc.imatrix.entries).toHaveLength(14);
    expect(doc.imatrix.entries.find((e) => e.name === 'blk.1.ffn_down.weight')).toMatchObject({ values: 512, experts: 1 });
  });

  it('a damaged .dat is a FormatError naming the file', async () => {
    writeFileSync(join(dir, 'bad.dat'), new Uint8Array([5, 0, 0, 0, 1]));
    const r = await cli('inspect', join(dir, 'bad.dat'));
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/bad\.dat/);
  });
});

describe('convert --imatrix reports what the imatrix covers', () => {
  it('14 of 16 quantized tensors get weights; token_embd and output have no entry', async () => {
    const r = await cli('convert', join(dir, 'm.gguf'), '-o', join(dir, 'q.gguf'), '--type', 'Q4_K_M', '--imatrix', join(dir, 'im.gguf'));
    expect(r.code).toBe(0);
    expect(r.err).toContain('imatrix: weights for 14 of 16 quantized tensors');
    expect(r.err).toMatch(/imatrix: quantized without an entry: (output\.weight, token_embd\.weight|token_embd\.weight, output\.weight)\n/);
  });

  it('with --exclude-weights the kept entries are counted', async () => {
    const r = await cli('convert', join(dir, 'm.gguf'), '-o', join(dir, 'q2.gguf'), '--type', 'Q4_K_M', '--imatrix', join(dir, 'im.gguf'), '--exclude-weights', 'ffn_down');
    expect(r.code).toBe(0);
    expect(r.err).toContain('imatrix: 12 of 14 entries kept by --include-weights / --exclude-weights');
    expect(r.err).toContain('imatrix: weights for 12 of 16 quantized tensors');
  });
});
