import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import { MemorySource } from '../../../src/io/byte-source';
import { sha256 } from '../../support/tiny-llama';
import { hfFiles, hfReference, writeHfFolder } from './hf-support';

/**
 * The tiny llama's Hugging Face folders through the command line, against llama.cpp 34af94cd:
 * convert_hf_to_gguf.py's own files for --outtype bf16/f16/q8_0 byte for byte, and presets whose
 * tensors are llama-quantize's byte for byte (their KVs being the converter's, updated as
 * llama-quantize updates them).
 */

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

async function convert(folder: 'hf' | 'hf-f16-sharded', type: string): Promise<Uint8Array> {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-hf-'));
  try {
    const input = writeHfFolder(dir, folder, hfFiles(folder === 'hf' ? 'bf16' : 'f16-sharded'));
    const r = await cli(['convert', input, '-o', join(dir, 'out.gguf'), '--type', type, '--quiet']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    return new Uint8Array(readFileSync(join(dir, 'out.gguf')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ref = hfReference();

describe('HF folder -> GGUF equals convert_hf_to_gguf.py', () => {
  it('the fixture weights are the oracle folders\' own files', async () => {
    const bf16 = hfFiles('bf16');
    const f16 = hfFiles('f16-sharded');
    expect(sha256(bf16.get('model.safetensors')!)).toBe(ref.get('file model.safetensors'));
    expect(sha256(f16.get('model-00001-of-00002.safetensors')!)).toBe(ref.get('file model-00001-of-00002.safetensors'));
    expect(sha256(f16.get('model-00002-of-00002.safetensors')!)).toBe(ref.get('file model-00002-of-00002.safetensors'));
  });

  for (const type of ['BF16', 'F16', 'Q8_0', 'F32']) {
    it(`hf --type ${type}: sha256 equals the converter's --outtype ${type.toLowerCase()}`, async () => {
      expect(sha256(await convert('hf', type))).toBe(ref.get(`hf ${type}`));
    }, 60_000);
  }

  it('hf-f16-sharded (two shards and the index) --type F16: sha256 equals the converter\'s', async () => {
    expect(sha256(await convert('hf-f16-sharded', 'F16'))).toBe(ref.get('hf-f16-sharded F16'));
  }, 60_000);

  for (const preset of ['Q4_K_M', 'Q6_K', 'IQ4_XS']) {
    it(`hf --type ${preset}: tensors equal llama-quantize's, KVs are the converter's with its updates`, async () => {
      const out = await convert('hf', preset);
      const view = await readGguf([new MemorySource('out.gguf', out)]);
      const dataOffset = Number(view.details.get('data offset'));
      expect(sha256(out.subarray(dataOffset))).toBe(ref.get(`data ${preset}`));
      const keys = [...view.metadata.keys()];
      expect(keys.slice(0, 4)).toEqual(['general.architecture', 'general.type', 'general.name', 'general.size_label']);
      expect(keys.slice(-2)).toEqual(['general.quantization_version', 'general.file_type']);
      expect(view.metadata.get('general.name')).toEqual({ type: 'string', value: 'Hf' });
    }, 120_000);
  }

  it('refuses before writing: a shard the index names is missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-hf-'));
    try {
      const files = hfFiles('f16-sharded');
      files.delete('model-00002-of-00002.safetensors');
      const input = writeHfFolder(dir, 'hf-f16-sharded', files);
      const r = await cli(['convert', input, '-o', join(dir, 'out.gguf'), '--type', 'Q4_K_M', '--quiet']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('sharded set is incomplete');
      expect(r.err).toContain('model-00002-of-00002.safetensors');
      expect(readdirSync(dir)).toEqual(['hf-f16-sharded']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
