import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { permutedSourceRow } from '../../../src/formats/hf/tensors';
import { readSentencePiece } from '../../../src/formats/hf/sentencepiece';
import { exportTensors, unpermutedSourceRow } from '../../../src/formats/hf-export/tensors';
import { archFor } from '../../../src/formats/hf/arch-table';
import { pyFloatRepr, shortestF32 } from '../../../src/formats/hf-export/py-json';
import { recoverLlama3Rope } from '../../../src/formats/hf-export/rope-llama3';
import { llama3RopeFactors } from '../../../src/formats/hf/extra-tensors';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { MemorySource } from '../../../src/io/byte-source';
import type { ModelView, TensorInfo } from '../../../src/formats/model';
import { hfFiles, writeHfFolder } from './hf-support';

/**
 * GGUF -> Hugging Face folder (convert --format hf): the tiny llama's folder through GGUF F32 and
 * back gives the original tensors bit for bit (bf16 -> F32 -> bf16 is exact), its config's
 * architecture fields and a tokenizer.model with the same pieces, scores and types.
 */

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, out, err };
}

async function tensorsOf(files: Map<string, Uint8Array>): Promise<Map<string, { type: string; shape: string; bytes: Uint8Array }>> {
  const st = [...files].filter(([n]) => /^model.*\.safetensors(\.index\.json)?$/.test(n)).map(([n, b]) => new MemorySource(n, b));
  const view: ModelView = await readSafetensors(st);
  const out = new Map<string, { type: string; shape: string; bytes: Uint8Array }>();
  for (const t of view.tensors) out.set(t.name, { type: t.typeLabel, shape: t.shape.join('x'), bytes: new Uint8Array(await t.read(0, t.nbytes)) });
  return out;
}

function readFolder(dir: string): Map<string, Uint8Array> {
  return new Map(readdirSync(dir).map((n) => [n, new Uint8Array(readFileSync(join(dir, n)))]));
}

const ARCH_FIELDS = ['architectures', 'model_type', 'vocab_size', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'head_dim', 'max_position_embeddings', 'rms_norm_eps', 'rope_theta', 'tie_word_embeddings', 'bos_token_id', 'eos_token_id', 'hidden_act', 'attention_bias', 'mlp_bias', 'rope_scaling'];

describe('GGUF -> Hugging Face folder', () => {
  it('the q/k row map undoes the converter\'s permutation', () => {
    for (const d of [2, 4, 64, 128]) for (let r = 0; r < 3 * d; r++) expect(unpermutedSourceRow(permutedSourceRow(r, d), d)).toBe(r);
  });

  it('a family\'s norm offset is taken off norm weights only (gemma stores w + 1)', async () => {
    const f32 = (name: string, values: number[]): TensorInfo => {
      const bytes = new Uint8Array(new Float32Array(values).buffer);
      return { name, type: 'F32', typeLabel: 'F32', shape: [values.length], nbytes: bytes.length, file: 'm.gguf', fileOffset: 0, read: async (o, n) => bytes.slice(o, o + n) };
    };
    const { tensors } = exportTensors({ arch: archFor('LlamaForCausalLM')!, blockCount: 1, heads: {}, normOffset: 1 }, [
      f32('blk.0.attn_norm.weight', [1, 1.5, 0.25]),
      f32('output_norm.weight', [2, 1]),
      f32('blk.0.attn_q.weight', [1, 2]),
    ]);
    const values = async (t: TensorInfo) => [...new Float32Array((await t.read(0, t.nbytes)).slice().buffer)];
    expect(tensors.map((t) => t.name)).toEqual(['model.layers.0.input_layernorm.weight', 'model.norm.weight', 'model.layers.0.self_attn.q_proj.weight']);
    expect(await values(tensors[0]!)).toEqual([0, 0.5, -0.75]);
    expect(await values(tensors[1]!)).toEqual([1, 0]);
    expect(await values(tensors[2]!)).toEqual([1, 2]);
  });

  it('Llama 3.1 / 3.2 rope scaling comes back from the factors the converter generated; other factors give null', () => {
    for (const rope of [
      { factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
      { factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    ]) {
      const f = llama3RopeFactors({ head_dim: 128, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', ...rope } })!;
      expect(recoverLlama3Rope(f, 500000, 128)).toEqual(rope);
    }
    const odd = new Float32Array(64).map((_, i) => 1 + i / 10);
    expect(recoverLlama3Rope(odd, 500000, 128)).toBeNull();
  });

  it('floats print as Python repr prints them, f32 values as the decimal they came from', () => {
    expect(pyFloatRepr(10000)).toBe('10000.0');
    expect(pyFloatRepr(1e-5)).toBe('1e-05');
    expect(pyFloatRepr(0.02)).toBe('0.02');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(123.5)).toBe('123.5');
    expect(shortestF32(Math.fround(1e-5))).toBe(1e-5);
    expect(shortestF32(Math.fround(0.1))).toBe(0.1);
  });

  it('tiny llama HF -> GGUF F32 -> HF BF16 gives back the tensors bit for bit, the config and the tokenizer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-hfx-'));
    try {
      const orig = hfFiles('bf16');
      const input = writeHfFolder(dir, 'hf', orig);
      const gguf = join(dir, 'tiny-f32.gguf');
      let r = await cli(['convert', input, '-o', gguf, '--type', 'F32', '--quiet']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const back = join(dir, 'back');
      r = await cli(['convert', gguf, '-o', back + '/', '--format', 'hf', '--type', 'BF16', '--quiet']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const got = readFolder(back);
      expect([...got.keys()].sort()).toEqual(['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.model', 'tokenizer_config.json']);
      // no temporary files left beside them
      expect(readdirSync(back).filter((n) => n.startsWith('.'))).toEqual([]);

      const a = await tensorsOf(orig);
      const b = await tensorsOf(got);
      expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
      for (const [name, t] of a) {
        const u = b.get(name)!;
        expect(`${name} ${u.type} ${u.shape}`).toBe(`${name} ${t.type} ${t.shape}`);
        expect(Buffer.compare(Buffer.from(u.bytes), Buffer.from(t.bytes)), name).toBe(0);
      }

      const ca = JSON.parse(new TextDecoder().decode(orig.get('config.json'))) as Record<string, unknown>;
      const cb = JSON.parse(new TextDecoder().decode(got.get('config.json'))) as Record<string, unknown>;
      for (const k of ARCH_FIELDS) expect(cb[k], k).toEqual(ca[k]);
      expect(cb['torch_dtype']).toBe('bfloat16');
      expect(new TextDecoder().decode(got.get('config.json'))).toContain('"rms_norm_eps": 1e-05');

      const pa = await readSentencePiece(new MemorySource('tokenizer.model', orig.get('tokenizer.model')!));
      const pb = await readSentencePiece(new MemorySource('tokenizer.model', got.get('tokenizer.model')!));
      expect(pb).toEqual(pa);

      const tc = JSON.parse(new TextDecoder().decode(got.get('tokenizer_config.json'))) as Record<string, unknown>;
      const ta = JSON.parse(new TextDecoder().decode(orig.get('tokenizer_config.json'))) as Record<string, unknown>;
      for (const k of ['add_bos_token', 'add_eos_token', 'bos_token', 'eos_token', 'unk_token', 'model_max_length', 'tokenizer_class']) expect(tc[k], k).toEqual(ta[k]);
      expect(JSON.parse(new TextDecoder().decode(got.get('special_tokens_map.json')))).toEqual(JSON.parse(new TextDecoder().decode(orig.get('special_tokens_map.json'))));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('F32 output, sharded as the Hub shards (index with total_size and weight_map), the chat template and sampling keys carried', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-hfx-'));
    try {
      const orig = hfFiles('bf16');
      orig.set('tokenizer_config.json', new TextEncoder().encode(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(orig.get('tokenizer_config.json'))), chat_template: '{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}' })));
      orig.set('generation_config.json', new TextEncoder().encode(JSON.stringify({ bos_token_id: 1, eos_token_id: 2, temperature: 0.6, top_p: 0.9, top_k: 40 })));
      const input = writeHfFolder(dir, 'hf', orig);
      const gguf = join(dir, 'tiny-bf16.gguf');
      expect((await cli(['convert', input, '-o', gguf, '--type', 'BF16', '--quiet'])).code).toBe(0);
      const back = join(dir, 'back-f32');
      const r = await cli(['convert', gguf, '-o', back, '--format', 'hf', '--type', 'F32', '--split-max-size', '1M', '--quiet']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const got = readFolder(back);
      const shards = [...got.keys()].filter((n) => n.endsWith('.safetensors')).sort();
      expect(shards.length).toBeGreaterThan(1);
      shards.forEach((n, i) => expect(n).toBe(`model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`));
      const index = JSON.parse(new TextDecoder().decode(got.get('model.safetensors.index.json'))) as { metadata: { total_size: number }; weight_map: Record<string, string> };
      const a = await tensorsOf(hfFiles('bf16'));
      const b = await tensorsOf(got);
      expect(Object.keys(index.weight_map).sort()).toEqual([...a.keys()].sort());
      expect(index.metadata.total_size).toBe([...b.values()].reduce((s, t) => s + t.bytes.length, 0));
      for (const [name, t] of a) {
        const u = b.get(name)!;
        expect(u.type).toBe('F32');
        // bf16 widened: the high half of every f32 is the bf16, the low half zero
        const w = new Uint16Array(u.bytes.buffer, u.bytes.byteOffset, u.bytes.length / 2);
        const h = new Uint16Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length / 2);
        let bad = 0;
        for (let i = 0; i < h.length; i++) if (w[2 * i + 1] !== h[i] || w[2 * i] !== 0) bad++;
        expect(bad, name).toBe(0);
      }
      const tc = JSON.parse(new TextDecoder().decode(got.get('tokenizer_config.json'))) as Record<string, unknown>;
      expect(tc['chat_template']).toBe('{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}');
      const gen = JSON.parse(new TextDecoder().decode(got.get('generation_config.json'))) as Record<string, unknown>;
      expect(gen).toMatchObject({ temperature: 0.6, top_p: 0.9, top_k: 40, bos_token_id: 1, eos_token_id: 2 });
      expect(JSON.parse(new TextDecoder().decode(got.get('config.json')))['torch_dtype']).toBe('float32');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('a Q4_K_M GGUF comes back dequantized, q/k rows in Hugging Face order (every tensor close to the original)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-hfx-'));
    try {
      const orig = hfFiles('bf16');
      const input = writeHfFolder(dir, 'hf', orig);
      const gguf = join(dir, 'q4.gguf');
      expect((await cli(['convert', input, '-o', gguf, '--type', 'Q4_K_M', '--quiet'])).code).toBe(0);
      const back = join(dir, 'back');
      const r = await cli(['convert', gguf, '-o', back, '--format', 'hf', '--type', 'F16', '--quiet']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const a = await tensorsOf(orig);
      const b = await tensorsOf(readFolder(back));
      const bf16 = (h: number) => new Float32Array(new Uint32Array([h << 16]).buffer)[0]!;
      const f16 = (h: number) => {
        const e = (h >> 10) & 31;
        const m = h & 1023;
        const v = e === 0 ? m * 2 ** -24 : (1 + m / 1024) * 2 ** (e - 15);
        return h & 0x8000 ? -v : v;
      };
      for (const [name, t] of a) {
        const u = b.get(name)!;
        expect(u.type).toBe('F16');
        const x = new Uint16Array(t.bytes.buffer, t.bytes.byteOffset, t.bytes.length / 2);
        const y = new Uint16Array(u.bytes.buffer, u.bytes.byteOffset, u.bytes.length / 2);
        let err = 0;
        let mag = 0;
        for (let i = 0; i < x.length; i++) {
          err += (bf16(x[i]!) - f16(y[i]!)) ** 2;
          mag += bf16(x[i]!) ** 2;
        }
        // 4-6 bit quantization leaves a few percent; a row permutation left in place would leave ~140%
        expect(Math.sqrt(err / mag), name).toBeLessThan(0.15);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses before writing anything: a quantized type, a non-GGUF input, an output that is a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-hfx-'));
    try {
      const input = writeHfFolder(dir, 'hf', hfFiles('bf16'));
      const gguf = join(dir, 'm.gguf');
      expect((await cli(['convert', input, '-o', gguf, '--type', 'F16', '--quiet'])).code).toBe(0);
      let r = await cli(['convert', gguf, '-o', join(dir, 'q'), '--format', 'hf', '--type', 'Q4_K_M', '--quiet']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('F32, F16 or BF16');
      r = await cli(['convert', input, '-o', join(dir, 'q'), '--format', 'hf', '--type', 'F16', '--quiet']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('converts a GGUF back');
      // weights of another save in the folder would be read with the new ones: refused, nothing deleted
      const old = join(dir, 'old');
      mkdirSync(old);
      writeFileSync(join(old, 'model-00003-of-00003.safetensors'), 'x');
      r = await cli(['convert', gguf, '-o', old, '--format', 'hf', '--type', 'F16', '--quiet']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('model-00003-of-00003.safetensors');
      expect(readdirSync(old)).toEqual(['model-00003-of-00003.safetensors']);
      rmSync(old, { recursive: true });
      writeFileSync(join(dir, 'afile'), 'x');
      r = await cli(['convert', gguf, '-o', join(dir, 'afile'), '--format', 'hf', '--type', 'F16', '--quiet']);
      expect(r.code).toBe(1);
      expect(r.err).toContain('is a file');
      expect(readdirSync(dir).sort()).toEqual(['afile', 'hf', 'm.gguf']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
