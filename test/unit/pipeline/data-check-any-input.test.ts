import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { validateRowData } from '../../../src/codecs/validate';
import { readGguf } from '../../../src/formats/gguf/reader';
import { planSafetensors, writeSafetensors } from '../../../src/formats/safetensors/writer';
import type { TypeName } from '../../../src/codecs/catalogue';
import { MemorySink } from '../../../src/io/byte-sink';
import { MemorySource } from '../../../src/io/byte-source';

/**
 * A quantized GGUF is refused when the data holds NaN or Inf, whatever the input format, as
 * llama-quantize refuses it for a GGUF input; float casts keep such values and the plan says so.
 */
let dir: string;

async function cli(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { out: () => undefined, err: (s) => void (err += s) });
  return { code, err };
}

/** A 2 x 256 tensor `w` of `type` holding `bytes`, plus a clean 1-D F32 norm. */
async function safetensorsFile(name: string, type: TypeName, bytes: Uint8Array): Promise<string> {
  const plan = planSafetensors({ tensors: [{ name: 'w', type, shape: [2, 256] }, { name: 'norm', type: 'F32', shape: [64] }] });
  const sink = new MemorySink(name);
  const w = await writeSafetensors(plan, sink);
  for (const t of plan.tensors) await w.write(t.name === 'w' ? bytes : new Uint8Array(new Float32Array(64).fill(1).buffer));
  await w.finish();
  const path = join(dir, name);
  writeFileSync(path, sink.bytes());
  return path;
}

function f32With(value: number, at: number): Uint8Array {
  const v = new Float32Array(512).map((_, i) => Math.sin(i) * 0.5);
  v[at] = value;
  return new Uint8Array(v.buffer);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-check-any-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('data checks for every input format', () => {
  for (const type of ['Q8_0', 'Q4_K', 'MXFP4']) {
    it(`safetensors with NaN -> GGUF ${type}: refused, nothing written`, async () => {
      const input = await safetensorsFile(`nan-${type}.safetensors`, 'F32', f32With(NaN, 70));
      const before = new Set(readdirSync(dir));
      const r = await cli('convert', input, '-o', join(dir, `out-${type}.gguf`), '--type', type, '--quiet');
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/tensor "w" has invalid data: nan at element 70 of its F32 data/);
      expect(readdirSync(dir).filter((f) => !before.has(f))).toEqual([]);
    });
  }

  it('safetensors with Inf in a tensor kept F32 (1-D) -> GGUF Q8_0: refused too', async () => {
    const plan = planSafetensors({ tensors: [{ name: 'w', type: 'F32', shape: [2, 256] }, { name: 'norm', type: 'F32', shape: [64] }] });
    const sink = new MemorySink('inf-norm.safetensors');
    const w = await writeSafetensors(plan, sink);
    await w.write(f32With(0, 0));
    await w.write(new Uint8Array(new Float32Array(64).fill(Infinity).buffer));
    await w.finish();
    writeFileSync(join(dir, 'inf-norm.safetensors'), sink.bytes());
    const r = await cli('convert', join(dir, 'inf-norm.safetensors'), '-o', join(dir, 'inf-norm.gguf'), '--type', 'Q8_0', '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/tensor "norm" has invalid data: inf at element 0/);
  });

  it('F8 input: finite values quantize, an F8 NaN is refused', async () => {
    const clean = await safetensorsFile('f8.safetensors', 'F8_E4M3', new Uint8Array(512).fill(0x38)); // 1.0
    const ok = await cli('convert', clean, '-o', join(dir, 'f8.gguf'), '--type', 'Q8_0', '--quiet');
    expect(ok.err.replace(/^warning: .*\n/gm, '')).toBe('');
    expect(ok.code).toBe(0);
    const nan = new Uint8Array(512).fill(0x38);
    nan[9] = 0x7f; // E4M3's NaN
    const bad = await cli('convert', await safetensorsFile('f8-nan.safetensors', 'F8_E4M3', nan), '-o', join(dir, 'f8-nan.gguf'), '--type', 'Q8_0', '--quiet');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/tensor "w" has invalid data: nan at element 9 of its F8_E4M3 data/);
  });

  it('F8 values: E4M3 has NaN and no Inf; E5M2 has both', () => {
    expect(validateRowData('F8_E4M3', new Uint8Array([0x38, 0x7e, 0xfe, 0x00]))).toBeNull();
    expect(validateRowData('F8_E4M3', new Uint8Array([0x38, 0xff]))).toEqual({ found: 'nan', index: 1, unit: 'element' });
    expect(validateRowData('F8_E5M2', new Uint8Array([0x3c, 0x7b]))).toBeNull();
    expect(validateRowData('F8_E5M2', new Uint8Array([0x3c, 0xfc]))).toEqual({ found: 'inf', index: 1, unit: 'element' });
    expect(validateRowData('F8_E5M2', new Uint8Array([0x7d]))).toEqual({ found: 'nan', index: 0, unit: 'element' });
  });

  it('a GGUF through a quantized type that is no preset (MXFP4) is checked as a preset is', async () => {
    const input = await safetensorsFile('nan-src.safetensors', 'F32', f32With(NaN, 3));
    // make a GGUF holding the NaN with a plain cast, which keeps it
    const cast = await cli('convert', input, '-o', join(dir, 'nan.gguf'), '--type', 'F32', '--quiet');
    expect(cast.code).toBe(0);
    const r = await cli('convert', join(dir, 'nan.gguf'), '-o', join(dir, 'nan-mxfp4.gguf'), '--type', 'MXFP4', '--quiet');
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/tensor "w" has invalid data: nan at element 3/);
  });

  for (const [format, type] of [
    ['gguf', 'F16'],
    ['safetensors', 'BF16'],
  ] as const) {
    it(`float casts (${format} ${type}) keep NaN and say so in a warning`, async () => {
      const input = await safetensorsFile(`nan-cast-${format}.safetensors`, 'F32', f32With(NaN, 5));
      const out = join(dir, `cast.${format}`);
      const r = await cli('convert', input, '-o', out, '--type', type, '--quiet');
      expect(r.code).toBe(0);
      expect(r.err).toMatch(/^warning: float casts keep NaN and Inf as they are; quantized types refuse them/m);
      if (format === 'gguf') {
        const view = await readGguf([new MemorySource('cast.gguf', new Uint8Array(readFileSync(out)))]);
        const w = view.tensors.find((t) => t.name === 'w')!;
        const b = await w.read(0, w.nbytes);
        const bits = new DataView(b.buffer, b.byteOffset).getUint16(10, true);
        expect(bits & 0x7c00).toBe(0x7c00);
        expect(bits & 0x3ff).not.toBe(0);
      }
    });
  }
});
