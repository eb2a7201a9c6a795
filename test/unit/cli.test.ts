import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { main } from '../../src/cli/main';
import { FIXTURES, fixtureBytes } from '../support/fixtures';
import { rebuildShards } from './formats/safetensors-builder';

const run = promisify(execFile);

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
  writeFileSync(join(dir, 'tiny-llama-F16.gguf'), fixtureBytes('gguf/tiny-llama-F16.gguf'));
  const hf = join(dir, 'hf');
  rmSync(hf, { recursive: true, force: true });
  mkdirSync(hf);
  rebuildShards().forEach((b, i) => writeFileSync(join(hf, `model-0000${i + 1}-of-00002.safetensors`), b));
  copyFileSync(join(FIXTURES, 'safetensors/sharded/model.safetensors.index.json'), join(hf, 'model.safetensors.index.json'));
  writeFileSync(join(hf, 'config.json'), '{}');
  writeFileSync(join(dir, 'junk.gguf'), 'not a gguf file at all');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tensor-kiln inspect (in-process)', () => {
  it('prints format, details, abbreviated metadata and every tensor', async () => {
    const r = await cli('inspect', join(dir, 'tiny-llama-F16.gguf'));
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines.slice(0, 3)).toEqual(['format: gguf', 'files: tiny-llama-F16.gguf', 'version: 3']);
    expect(r.out).toContain('metadata (23 keys):');
    expect(r.out).toMatch(/ {2}tokenizer\.ggml\.tokens +string\[512\] +\["<unk>", "<s>", "<\/s>", "<0x00>", "<0x01>", "<0x02>", "<0x03>", "<0x04>", \.\.\. 504 more\]/);
    expect(r.out).toMatch(/llama\.attention\.layer_norm_rms_epsilon +f32 +0\.00001\n/);
    expect(r.out).toContain("tensors (21, 2888704 bytes = 2.75 MiB); shape is row-major, outermost first (GGUF's ne is this reversed):");
    expect(r.out).toMatch(/ {2}blk\.0\.attn_k\.weight +F16 +\[128, 256\] +65536\n/);
  });

  it('--json gives one document with full arrays and exact 64-bit values', async () => {
    const r = await cli('inspect', join(FIXTURES, 'gguf/endian-be.gguf'), '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.format).toBe('gguf');
    expect(doc.details['byte order']).toBe('big-endian');
    expect(doc.metadata['k.u64']).toEqual({ type: 'u64', value: '9223372036854775813' });
    expect(doc.metadata['k.f32']).toEqual({ type: 'f32', value: 0.15625 });
    expect(doc.metadata['k.arr_arr']).toEqual({
      type: 'array',
      itemType: 'array',
      value: [
        { type: 'array', itemType: 'u32', value: [7, 8] },
        { type: 'array', itemType: 'string', value: ['x'] },
      ],
    });
    expect(doc.tensors[0]).toEqual({ name: 't.f32', type: 'F32', typeLabel: 'F32', shape: [3, 5], nbytes: 60, file: 'endian-be.gguf', fileOffset: 1056 });
    const full = await cli('inspect', join(dir, 'tiny-llama-F16.gguf'), '--json');
    expect(JSON.parse(full.out).metadata['tokenizer.ggml.tokens'].value.length).toBe(512);
  });

  it('a directory stands for its files (HF folder: shards, index, config)', async () => {
    const r = await cli('inspect', join(dir, 'hf'));
    expect(r.code).toBe(0);
    expect(r.out).toContain('format: safetensors');
    expect(r.out).toContain('skipped files: config.json');
    expect(r.out).toContain('shards: 2');
  });

  it('a bad file: exit 1 and one line on stderr, no stack', async () => {
    const r = await cli('inspect', join(dir, 'junk.gguf'));
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe('tensor-kiln: gguf: bad magic 6e 6f 74 20, expected 47 47 55 46 ("GGUF") (junk.gguf, offset 0)\n');
    const missing = await cli('inspect', join(dir, 'nope.gguf'));
    expect(missing.code).toBe(1);
    expect(missing.err).toBe(`tensor-kiln: ${join(dir, 'nope.gguf')}: no such file or directory\n`);
  });

  it('usage errors exit 2; help exits 0', async () => {
    const u = await cli('inspect', '--bogus', 'x');
    expect(u.code).toBe(2);
    expect(u.err.split('\n')[0]).toBe("tensor-kiln: inspect: unknown option '--bogus'");
    expect((await cli('inspect')).code).toBe(2);
    expect((await cli('frobnicate')).err).toBe("tensor-kiln: unknown command 'frobnicate' (see tensor-kiln --help)\n");
    const h = await cli('--help');
    expect(h.code).toBe(0);
    expect(h.out).toContain('inspect  show the format, metadata and tensors of a model');
    expect((await cli('help', 'inspect')).out).toContain('usage: tensor-kiln inspect <file|dir|url|owner/repo>... [--json]');
    expect((await cli()).code).toBe(2);
  });
});

describe('tensor-kiln as a process (bin/tensor-kiln.mjs after npm run build:cli)', () => {
  it('inspect --json prints a parseable document and exits 0', async () => {
    await run('npm', ['run', 'build:cli'], { cwd: join(FIXTURES, '..', '..') });
    const { stdout, stderr } = await run(process.execPath, ['bin/tensor-kiln.mjs', 'inspect', join(FIXTURES, 'gguf/endian-le.gguf'), '--json'], {
      cwd: join(FIXTURES, '..', '..'),
    });
    expect(stderr).toBe('');
    const doc = JSON.parse(stdout);
    expect(doc.format).toBe('gguf');
    expect(doc.tensors.map((t: { name: string }) => t.name)).toContain('t.q4_k');
    const bad = await run(process.execPath, ['bin/tensor-kiln.mjs', 'inspect', join(FIXTURES, 'gguf/make_endian_fixtures.py')], { cwd: join(FIXTURES, '..', '..') }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stderr: string }).stderr.trim().split('\n').length).toBe(1);
  }, 120_000);
});
