import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { planSafetensors, writeSafetensors } from '../../../src/formats/safetensors/writer';
import { MemorySink } from '../../../src/io/byte-sink';
import { MemorySource } from '../../../src/io/byte-source';
import { planConversion } from '../../../src/pipeline/planner';
import { UnconvertibleTensorsError } from '../../../src/pipeline/plan';
import { parseQuantizeOptions } from '../../../src/pipeline/quantize-options';
import { tinyLlamaF32 } from '../../support/tiny-llama';

/**
 * Tensors a conversion cannot carry (a ggml type Kiln does not know, an integer dtype the output
 * format has no type for) stop the conversion before anything is written, naming each; leaving
 * them out is the explicit --skip-unconvertible, and the plan then lists what it left out.
 */
let dir: string;
let unknownGguf: string;
let intSafetensors: string;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

/** The tiny llama with output_norm.weight's ggml type id set to 99, which no ggml has. */
function withUnknownType(gguf: Uint8Array, tensor: string): Uint8Array {
  const b = gguf.slice();
  const name = new TextEncoder().encode(tensor);
  const needle = new Uint8Array(8 + name.length);
  new DataView(needle.buffer).setBigUint64(0, BigInt(name.length), true);
  needle.set(name, 8);
  const at = Buffer.from(b).indexOf(Buffer.from(needle));
  if (at < 0) throw new Error(`tensor ${tensor} not found in the header`);
  const dv = new DataView(b.buffer);
  const dimsAt = at + needle.length;
  const nDims = dv.getUint32(dimsAt, true);
  dv.setUint32(dimsAt + 4 + 8 * nDims, 99, true);
  return b;
}

async function intModel(): Promise<Uint8Array> {
  const plan = planSafetensors({
    tensors: [
      { name: 'w.weight', type: 'F32', shape: [2, 32] },
      { name: 'mask', type: 'BOOL', shape: [4] },
      { name: 'ids', type: 'U8', shape: [8] },
      { name: 'pos', type: 'I32', shape: [3] },
    ],
  });
  const sink = new MemorySink('ints.safetensors');
  const w = await writeSafetensors(plan, sink);
  for (const t of plan.tensors) await w.write(new Uint8Array(t.nbytes).fill(1));
  await w.finish();
  return sink.bytes();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-unconv-'));
  unknownGguf = join(dir, 'unknown.gguf');
  writeFileSync(unknownGguf, withUnknownType(await tinyLlamaF32(), 'output_norm.weight'));
  intSafetensors = join(dir, 'ints.safetensors');
  writeFileSync(intSafetensors, await intModel());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function newFiles(before: Set<string>): string[] {
  return readdirSync(dir).filter((f) => !before.has(f));
}

describe('unconvertible tensors', () => {
  it('a GGUF tensor of an unknown type -> safetensors: refused before anything is written, naming it and the option', async () => {
    const before = new Set(readdirSync(dir));
    const r = await cli('convert', unknownGguf, '-o', join(dir, 'u.safetensors'), '--type', 'F32', '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/output_norm\.weight/);
    expect(r.err).toMatch(/type 99 \(unknown/);
    expect(r.err).toMatch(/--skip-unconvertible/);
    expect(r.out).toBe('');
    expect(newFiles(before)).toEqual([]);
  });

  it('--skip-unconvertible leaves it out and says so', async () => {
    const out = join(dir, 'u-skip.safetensors');
    const r = await cli('convert', unknownGguf, '-o', out, '--type', 'F32', '--quiet', '--skip-unconvertible');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: output_norm\.weight: left out \(--skip-unconvertible\)/m);
    const view = await readSafetensors([new MemorySource('u-skip.safetensors', new Uint8Array(readFileSync(out)))]);
    expect(view.tensors).toHaveLength(20);
    expect(view.tensors.some((t) => t.name === 'output_norm.weight')).toBe(false);
  });

  it('U8 and BOOL safetensors tensors -> GGUF: refused, naming every one and why', async () => {
    const before = new Set(readdirSync(dir));
    const r = await cli('convert', intSafetensors, '-o', join(dir, 'ints.gguf'), '--type', 'F16', '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/mask/);
    expect(r.err).toMatch(/ids/);
    expect(r.err).toMatch(/GGUF has no BOOL type/);
    expect(r.err).toMatch(/GGUF has no U8 type/);
    expect(r.err).not.toMatch(/\bpos\b/); // I32 is a GGUF type
    expect(newFiles(before)).toEqual([]);
  });

  it('U8 and BOOL with --skip-unconvertible: the rest converts, the warnings list both', async () => {
    const out = join(dir, 'ints-skip.gguf');
    const r = await cli('convert', intSafetensors, '-o', out, '--type', 'F16', '--quiet', '--skip-unconvertible');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^warning: mask: left out \(--skip-unconvertible\), GGUF has no BOOL type/m);
    expect(r.err).toMatch(/^warning: ids: left out \(--skip-unconvertible\), GGUF has no U8 type/m);
    const view = await readGguf([new MemorySource('ints-skip.gguf', new Uint8Array(readFileSync(out)))]);
    expect(view.tensors.map((t) => t.name).sort()).toEqual(['pos', 'w.weight']);
  });

  it('a preset on a GGUF with an unknown type: the same typed refusal, and the same option', async () => {
    const model = await readGguf([new MemorySource('unknown.gguf', new Uint8Array(readFileSync(unknownGguf)))]);
    let err: unknown;
    try {
      planConversion(model, { format: 'gguf', target: 'Q8_0', baseName: 'out' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnconvertibleTensorsError);
    expect((err as UnconvertibleTensorsError).tensors.map((t) => t.name)).toEqual(['output_norm.weight']);
    const plan = planConversion(model, { format: 'gguf', target: 'Q8_0', baseName: 'out', skipUnconvertible: true });
    expect(plan.tensors).toHaveLength(20);
    expect(plan.warnings.some((w) => w.startsWith('output_norm.weight: left out (--skip-unconvertible)'))).toBe(true);
  });

  it('the page passes the choice as text options, as it does --pure', () => {
    expect(parseQuantizeOptions({ skipUnconvertible: true }).skipUnconvertible).toBe(true);
    expect(parseQuantizeOptions({}).skipUnconvertible).toBe(false);
  });
});
