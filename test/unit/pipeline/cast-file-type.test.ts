import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import type { ModelView } from '../../../src/formats/model';
import { planSafetensors, writeSafetensors } from '../../../src/formats/safetensors/writer';
import { MemorySink } from '../../../src/io/byte-sink';
import { MemorySource } from '../../../src/io/byte-source';
import { LLAMA_FTYPE } from '../../../src/pipeline/presets';
import { tinyLlamaF32 } from '../../support/tiny-llama';

/**
 * A GGUF made by a plain type cast (any input to a type that is not a llama-quantize preset name,
 * or a non-GGUF input to any type) says what it is as llama.cpp's writers do: general.file_type
 * (llama_ftype, u32) and general.quantization_version = 2, written last in llama-quantize's order,
 * replacing whatever file type the input carried (GGUF metadata now survives safetensors).
 */
let dir: string;

async function cli(...args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await main(args, { out: () => undefined, err: (s) => void (err += s) });
  return { code, err };
}

async function gguf(path: string): Promise<ModelView> {
  return readGguf([new MemorySource(path.split('/').pop()!, new Uint8Array(readFileSync(path)))]);
}

const u32 = (value: number) => ({ type: 'u32', value });
const lastKeys = (m: ModelView, n: number): string[] => [...m.metadata.keys()].slice(-n);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-ftype-'));
  writeFileSync(join(dir, 'tiny.gguf'), await tinyLlamaF32()); // general.file_type = ALL_F32
  const r = await cli('convert', join(dir, 'tiny.gguf'), '-o', join(dir, 'tiny.safetensors'), '--type', 'F32', '--quiet');
  if (r.code !== 0) throw new Error(r.err);
  // a safetensors file without GGUF metadata
  const plan = planSafetensors({ tensors: [{ name: 'w.weight', type: 'F32', shape: [4, 64] }, { name: 'w.bias', type: 'F32', shape: [4] }] });
  const sink = new MemorySink('plain.safetensors');
  const w = await writeSafetensors(plan, sink);
  for (const t of plan.tensors) await w.write(new Uint8Array(new Float32Array(t.nbytes / 4).fill(0.25).buffer));
  await w.finish();
  writeFileSync(join(dir, 'plain.safetensors'), sink.bytes());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('general.file_type on the cast path', () => {
  it('GGUF -> safetensors -> GGUF Q8_0: MOSTLY_Q8_0, not the F32 file type the safetensors kept', async () => {
    const out = join(dir, 'q8.gguf');
    const r = await cli('convert', join(dir, 'tiny.safetensors'), '-o', out, '--type', 'Q8_0', '--quiet');
    expect(r.code, r.err).toBe(0);
    const m = await gguf(out);
    expect(m.metadata.get('general.file_type')).toEqual(u32(LLAMA_FTYPE.MOSTLY_Q8_0));
    expect(m.metadata.get('general.quantization_version')).toEqual(u32(2));
    expect(lastKeys(m, 2)).toEqual(['general.quantization_version', 'general.file_type']);
    expect([...m.metadata.keys()].filter((k) => k === 'general.file_type')).toHaveLength(1);
  });

  it('safetensors without GGUF metadata -> GGUF F16 / BF16 / Q4_0: the file type of each, quantization version too', async () => {
    for (const [type, ftype] of [['F16', LLAMA_FTYPE.MOSTLY_F16], ['BF16', LLAMA_FTYPE.MOSTLY_BF16], ['Q4_0', LLAMA_FTYPE.MOSTLY_Q4_0], ['F32', LLAMA_FTYPE.ALL_F32]] as const) {
      const out = join(dir, `plain-${type}.gguf`);
      const r = await cli('convert', join(dir, 'plain.safetensors'), '-o', out, '--type', type, '--quiet');
      expect(r.code, r.err).toBe(0);
      const m = await gguf(out);
      expect(m.metadata.get('general.file_type'), type).toEqual(u32(ftype));
      expect(m.metadata.get('general.quantization_version'), type).toEqual(u32(2));
    }
  });

  it('GGUF -> GGUF MXFP4 (a type, not a preset name): MOSTLY_MXFP4_MOE replaces ALL_F32', async () => {
    const out = join(dir, 'mxfp4.gguf');
    const r = await cli('convert', join(dir, 'tiny.gguf'), '-o', out, '--type', 'MXFP4', '--quiet');
    expect(r.code, r.err).toBe(0);
    const m = await gguf(out);
    expect(m.metadata.get('general.file_type')).toEqual(u32(LLAMA_FTYPE.MOSTLY_MXFP4_MOE));
    expect(lastKeys(m, 2)).toEqual(['general.quantization_version', 'general.file_type']);
  });

  it('--override-kv still has the last word, as on the presets path', async () => {
    const out = join(dir, 'over.gguf');
    const r = await cli('convert', join(dir, 'tiny.safetensors'), '-o', out, '--type', 'Q8_0', '--override-kv', 'general.file_type=int:99', '--quiet');
    expect(r.code, r.err).toBe(0);
    const m = await gguf(out);
    expect(m.metadata.get('general.file_type')).toEqual(u32(99));
  });

  it('a preset from GGUF is untouched: Q8_0 writes what llama-quantize writes', async () => {
    const out = join(dir, 'preset.gguf');
    const r = await cli('convert', join(dir, 'tiny.gguf'), '-o', out, '--type', 'Q8_0', '--quiet');
    expect(r.code, r.err).toBe(0);
    const m = await gguf(out);
    expect(m.metadata.get('general.file_type')).toEqual(u32(LLAMA_FTYPE.MOSTLY_Q8_0));
    expect(lastKeys(m, 2)).toEqual(['general.quantization_version', 'general.file_type']);
  });
});
