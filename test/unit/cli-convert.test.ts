import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { readGguf } from '../../src/formats/gguf/reader';
import { readGgufHeader } from '../../src/formats/gguf/header';
import { planGgufSplit, writeGgufSplit } from '../../src/formats/gguf/split-writer';
import { MemorySinkFactory } from '../../src/io/byte-sink';
import { MemorySource } from '../../src/io/byte-source';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../support/tiny-llama';

/**
 * tensor-kiln convert's llama-quantize options, on the tiny llama: --keep-split, --split-max-size,
 * --override-kv, --output-tensor-type / --token-embedding-type, and its refusals.
 */
let dir: string;
let input: string;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

async function view(...files: string[]) {
  return readGguf(files.map((f) => new MemorySource(f.split('/').pop()!, new Uint8Array(readFileSync(f)))));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-cli-'));
  input = join(dir, 'tiny-llama-F32.gguf');
  writeFileSync(input, await tinyLlamaF32());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('convert options', () => {
  it('--keep-split: one part per input part, tensors in input order, same data as an unsplit run', async () => {
    // split the input in two with gguf-split's rules
    const src = await view(input);
    const parts = planGgufSplit({ metadata: src.metadata, tensors: src.tensors.map((t) => ({ name: t.name, type: t.type!, shape: t.shape })), maxTensorsPerPart: 11, prefix: 'in' });
    const sinks = new MemorySinkFactory();
    const w = await writeGgufSplit(parts, sinks);
    for (const t of src.tensors) await w.write(await t.read(0, t.nbytes));
    await w.finish();
    for (const p of parts) writeFileSync(join(dir, p.name), sinks.sinks.get(p.name)!.bytes());
    const r = await cli('convert', ...parts.map((p) => join(dir, p.name)), '-o', join(dir, 'ks.gguf'), '--type', 'Q8_0', '--keep-split', '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n').map((l) => l.split('/').pop())).toEqual(['ks-00001-of-00002.gguf', 'ks-00002-of-00002.gguf']);
    const header = (f: string) => readGgufHeader(new MemorySource(f, new Uint8Array(readFileSync(join(dir, f)))));
    const ha = await header('ks-00001-of-00002.gguf');
    const hb = await header('ks-00002-of-00002.gguf');
    expect(ha.tensors.map((t) => t.name)).toEqual(src.tensors.slice(0, 11).map((t) => t.name));
    expect(hb.tensors.map((t) => t.name)).toEqual(src.tensors.slice(11).map((t) => t.name));
    expect([...hb.metadata.keys()]).toEqual(['split.no', 'split.count', 'split.tensors.count']);
    expect([...ha.metadata.keys()].slice(-5)).toEqual(['general.quantization_version', 'general.file_type', 'split.no', 'split.count', 'split.tensors.count']);
    const both = await view(join(dir, 'ks-00001-of-00002.gguf'), join(dir, 'ks-00002-of-00002.gguf'));
    // every tensor's bytes equal the unsplit Q8_0 output, whose sha256 is llama-quantize's
    const whole = join(dir, 'whole.gguf');
    expect((await cli('convert', input, '-o', whole, '--type', 'Q8_0', '--quiet')).code).toBe(0);
    expect(sha256(readFileSync(whole))).toBe(llamaCppSha256().get('tiny-llama-Q8_0.gguf'));
    const ref = await view(whole);
    for (const t of both.tensors) {
      const u = ref.tensors.find((x) => x.name === t.name)!;
      expect(Buffer.from(await t.read(0, t.nbytes)).equals(Buffer.from(await u.read(0, u.nbytes)))).toBe(true);
    }
  });

  it('--split-max-size cuts the output into parts a reader opens as one model', async () => {
    const r = await cli('convert', input, '-o', join(dir, 'sm.gguf'), '--type', 'Q4_0', '--split-max-size', '300000', '--quiet');
    expect(r.code).toBe(0);
    const files = r.out.trim().split('\n');
    expect(files.length).toBeGreaterThan(1);
    const v = await view(...files);
    expect(v.tensors).toHaveLength(21);
    for (const f of files) expect(readFileSync(f).length).toBeLessThan(300000 + 100000);
  });

  it('--override-kv sets keys after llama-quantize\'s own, with its types (int -> u32)', async () => {
    const out = join(dir, 'kv.gguf');
    const r = await cli('convert', input, '-o', out, '--type', 'Q8_0', '--override-kv', 'general.name=str:renamed', '--override-kv', 'kiln.test=int:-7', '--override-kv', 'kiln.flag=bool:true', '--quiet');
    expect(r.code).toBe(0);
    const md = (await view(out)).metadata;
    expect([...md.keys()].slice(-3)).toEqual(['general.name', 'kiln.test', 'kiln.flag']);
    expect(md.get('general.name')).toEqual({ type: 'string', value: 'renamed' });
    expect(md.get('kiln.test')).toEqual({ type: 'u32', value: 7 });
    expect(md.get('kiln.flag')).toEqual({ type: 'bool', value: true });
  });

  it('--output-tensor-type and --token-embedding-type pick those tensors\' types', async () => {
    const out = join(dir, 'ot.gguf');
    const r = await cli('convert', input, '-o', out, '--type', 'Q4_K_M', '--output-tensor-type', 'q8_0', '--token-embedding-type', 'Q5_0', '--quiet');
    expect(r.code).toBe(0);
    const t = (await view(out)).tensors;
    expect(t.find((x) => x.name === 'output.weight')!.type).toBe('Q8_0');
    expect(t.find((x) => x.name === 'token_embd.weight')!.type).toBe('Q5_0');
  });

  it('refuses up front where llama-quantize would fail, and leaves no file', async () => {
    const before = readdirSync(dir).sort();
    const q = join(dir, 'q4.gguf');
    expect((await cli('convert', input, '-o', q, '--type', 'Q4_0', '--quiet')).code).toBe(0);
    const requant = await cli('convert', q, '-o', join(dir, 'rq.gguf'), '--type', 'Q8_0', '--quiet');
    expect(requant.code).toBe(1);
    expect(requant.err).toMatch(/requantizing from type q\w+ is disabled/);
    const badKv = await cli('convert', input, '-o', join(dir, 'x.gguf'), '--type', 'Q8_0', '--override-kv', 'a=float', '--quiet');
    expect(badKv.code).toBe(2);
    expect(badKv.err).toMatch(/invalid type for KV override/);
    const badType = await cli('convert', input, '-o', join(dir, 'x.gguf'), '--type', 'Q9_9', '--quiet');
    expect(badType.code).toBe(1);
    expect(badType.err).toMatch(/unknown target "Q9_9"/);
    expect(readdirSync(dir).sort()).toEqual([...before, 'q4.gguf'].sort());
  });

  it('--allow-requantize decodes and re-encodes a quantized input', async () => {
    const q = join(dir, 'q4.gguf');
    const r = await cli('convert', q, '-o', join(dir, 'rq.gguf'), '--type', 'Q8_0', '--allow-requantize', '--quiet');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect((await view(join(dir, 'rq.gguf'))).tensors.filter((t) => t.type === 'Q8_0').length).toBeGreaterThan(10);
  });
});
