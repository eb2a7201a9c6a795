import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { main } from '../../src/cli/main';
import { readGguf } from '../../src/formats/gguf/reader';
import { planGgufSplit, writeGgufSplit } from '../../src/formats/gguf/split-writer';
import { MemorySinkFactory } from '../../src/io/byte-sink';
import { MemorySource } from '../../src/io/byte-source';
import { NodeFileSink } from '../../src/io/node/file-sink';
import { OutputFileError } from '../../src/io/node/fs-errors';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../support/tiny-llama';

/**
 * Where convert writes (issue 8 §2, items 1, 4, 5): never over an input, never into or beside a
 * directory given as the output, exactly the path given, and nothing left behind when refused.
 */
let dir: string;
let input: string;
let inputSha: string;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** Everything in the folder, dot files (temporaries) included. */
const listing = (d = dir) => readdirSync(d).sort();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-out-paths-'));
  input = join(dir, 'in.gguf');
  const bytes = await tinyLlamaF32();
  writeFileSync(input, bytes);
  inputSha = sha256(bytes);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the output is one of the inputs (item 1)', () => {
  it('is refused under every spelling, before the input is read, and the input is untouched', async () => {
    mkdirSync(join(dir, 'sub'), { recursive: true });
    symlinkSync(input, join(dir, 'link.gguf'));
    linkSync(input, join(dir, 'hard.gguf'));
    const before = listing();
    const spellings = [input, join(dir, 'sub', '..', 'in.gguf'), join(dir, 'link.gguf'), join(dir, 'hard.gguf'), relative(process.cwd(), input)];
    for (const o of spellings) {
      const r = await cli('convert', input, '-o', o, '--type', 'Q8_0', '--quiet');
      expect(r.code, o).toBe(1);
      expect(r.err).toBe(`tensor-kiln: cannot write ${o}: it is the input ${input}, which the conversion reads; choose another output name\n`);
      expect(r.out).toBe('');
    }
    expect(sha256(readFileSync(input))).toBe(inputSha);
    expect(listing()).toEqual(before);
    // before reading: an input that is not a model at all is refused for the output, not parsed
    const junk = join(dir, 'junk.gguf');
    writeFileSync(junk, 'not a model');
    const j = await cli('convert', junk, '-o', junk, '--type', 'Q8_0');
    expect(j.err).toMatch(/cannot write .*junk\.gguf: it is the input/);
    rmSync(junk);
    rmSync(join(dir, 'link.gguf'));
    rmSync(join(dir, 'hard.gguf'));
  });

  it('is refused for any part of a split output that is an input part', async () => {
    const src = await readGguf([new MemorySource('in.gguf', readFileSync(input))]);
    const parts = planGgufSplit({ metadata: src.metadata, tensors: src.tensors.map((t) => ({ name: t.name, type: t.type!, shape: t.shape })), maxTensorsPerPart: 11, prefix: 'ks' });
    const sinks = new MemorySinkFactory();
    const w = await writeGgufSplit(parts, sinks);
    for (const t of src.tensors) await w.write(await t.read(0, t.nbytes));
    await w.finish();
    const sub = join(dir, 'split');
    mkdirSync(sub);
    for (const p of parts) writeFileSync(join(sub, p.name), sinks.sinks.get(p.name)!.bytes());
    const shas = parts.map((p) => sha256(readFileSync(join(sub, p.name))));
    const before = listing(sub);
    const r = await cli('convert', ...parts.map((p) => join(sub, p.name)), '-o', join(sub, 'ks.gguf'), '--type', 'Q8_0', '--keep-split', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`cannot write ${join(sub, 'ks-00001-of-00002.gguf')}: it is the input ${join(sub, 'ks-00001-of-00002.gguf')}`);
    expect(listing(sub)).toEqual(before);
    expect(parts.map((p) => sha256(readFileSync(join(sub, p.name))))).toEqual(shas);
  });
});

describe('the output is a directory (item 4)', () => {
  it('an existing directory, or a path ending in a slash, is refused before anything is read or written', async () => {
    const out = join(dir, 'outdir');
    mkdirSync(out);
    const before = listing();
    const r = await cli('convert', input, '-o', out, '--type', 'F16', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toBe(`tensor-kiln: cannot write ${out}: it is a directory; give a file name (for example ${out}/model.gguf)\n`);
    const s = await cli('convert', input, '-o', out + '/', '--type', 'F16', '--quiet');
    expect(s.code).toBe(1);
    expect(s.err).toBe(`tensor-kiln: cannot write ${out}/: the output must be a file name, not a directory (for example ${out}/model.gguf)\n`);
    const missing = await cli('convert', input, '-o', join(dir, 'nope', 'x.gguf'), '--type', 'F16', '--quiet');
    expect(missing.err).toBe(`tensor-kiln: cannot write ${join(dir, 'nope', 'x.gguf')}: the directory ${join(dir, 'nope')} does not exist\n`);
    expect(listing()).toEqual(before);
    expect(listing(out)).toEqual([]);
  });

  it('a sink whose rename fails removes its temporary file and names the final path', async () => {
    const target = join(dir, 'taken');
    mkdirSync(join(target, 'inside'), { recursive: true }); // a non-empty directory: rename() refuses it
    const sink = await NodeFileSink.create(target, { display: 'taken' });
    await sink.write(new Uint8Array(1000));
    const err = await sink.close().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutputFileError);
    expect((err as Error).message).toBe('cannot write taken: it is a directory');
    expect(listing().filter((n) => n.includes('partial'))).toEqual([]);
    await sink.abort(); // still safe
    rmSync(target, { recursive: true });
  });
});

describe('the output path is written exactly as given (item 5)', () => {
  it('-o model.bin writes model.bin, with a warning; -o Z.GGUF writes Z.GGUF', async () => {
    const bin = join(dir, 'model.bin');
    const r = await cli('convert', input, '-o', bin, '--type', 'Q8_0', '--quiet');
    expect(r.code).toBe(0);
    expect(r.err).toBe(`warning: ${bin} does not end in .gguf; writing a GGUF file under that name as given\n`);
    expect(r.out).toBe(`${bin}\n`);
    expect(sha256(readFileSync(bin))).toBe(llamaCppSha256().get('tiny-llama-Q8_0.gguf'));
    const upper = join(dir, 'Z.GGUF');
    const u = await cli('convert', input, '-o', upper, '--type', 'Q8_0', '--quiet');
    expect(u.err).toBe('');
    expect(u.out).toBe(`${upper}\n`);
    expect(listing()).toContain('Z.GGUF');
    expect(listing()).not.toContain('Z.gguf');
    expect(listing()).not.toContain('model.bin.gguf');
    expect(listing().filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('split outputs keep the documented part names, and help says how names are made', async () => {
    const r = await cli('convert', input, '-o', join(dir, 'sp.GGUF'), '--type', 'Q4_0', '--split-max-size', '300000', '--quiet');
    expect(r.code).toBe(0);
    const names = r.out.trim().split('\n').map((l) => l.split('/').pop());
    expect(names[0]).toMatch(/^sp-00001-of-0000\d\.gguf$/);
    const help = (await cli('help', 'convert')).out;
    expect(help).toContain('written exactly as given');
    expect(help).toContain('<prefix>-00001-of-0000N.gguf');
  });
});
