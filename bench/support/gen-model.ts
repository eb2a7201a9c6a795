import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Metadata, MetaValue } from '../../src/formats/model';
import { planGguf } from '../../src/formats/gguf/writer';
import { planSafetensors } from '../../src/formats/safetensors/writer';
import { f32BitsToF16 } from '../../src/codecs/half';

/**
 * Seeded benchmark models, written straight to disk. Tensor data comes from one pool of random
 * normal values (Irwin-Hall, std 0.02) read at varying offsets, so generation is fast and the
 * quantizers see realistic values.
 */
const POOL = 1 << 24; // values

function pool(): Float32Array {
  let s = 0x9e3779b9;
  const next = () => ((s ^= s << 13), (s >>>= 0), (s ^= s >>> 17), (s ^= s << 5), (s >>>= 0));
  const v = new Float32Array(POOL);
  for (let i = 0; i < POOL; i++) {
    let sum = 0;
    for (let k = 0; k < 12; k++) sum += next() >>> 8;
    v[i] = (sum * 2 ** -24 - 6) * 0.02;
  }
  return v;
}

async function writeAll(path: string, header: Uint8Array, tensors: { nbytes: number; padAfter: number }[], fill: (i: number, out: Uint8Array) => void): Promise<void> {
  const ws = createWriteStream(path);
  const write = async (b: Uint8Array) => {
    if (!ws.write(b)) await once(ws, 'drain');
  };
  await write(header);
  const CHUNK = 8 << 20;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    for (let o = 0; o < t.nbytes; o += CHUNK) {
      const b = new Uint8Array(Math.min(CHUNK, t.nbytes - o));
      fill(i * 7919 + o, b);
      await write(b);
    }
    if (t.padAfter) await write(new Uint8Array(t.padAfter));
  }
  ws.end();
  await once(ws, 'finish');
}

export interface LlamaShape {
  layers: number;
  nEmbd: number;
  nFf: number;
  nVocab: number;
  nHead: number;
  nHeadKv: number;
}

/** A llama with `layers` blocks shaped like a 1B-class model (n_embd 2048, n_ff 5632, vocab 32000). */
export function llamaShape(layers: number): LlamaShape {
  return { layers, nEmbd: 2048, nFf: 5632, nVocab: 32000, nHead: 32, nHeadKv: 8 };
}

function llamaTensors(s: LlamaShape): { name: string; shape: number[] }[] {
  const hd = s.nEmbd / s.nHead;
  const t = [{ name: 'token_embd.weight', shape: [s.nVocab, s.nEmbd] }];
  for (let i = 0; i < s.layers; i++) {
    const b = `blk.${i}.`;
    t.push(
      { name: b + 'attn_norm.weight', shape: [s.nEmbd] },
      { name: b + 'attn_q.weight', shape: [s.nEmbd, s.nEmbd] },
      { name: b + 'attn_k.weight', shape: [s.nHeadKv * hd, s.nEmbd] },
      { name: b + 'attn_v.weight', shape: [s.nHeadKv * hd, s.nEmbd] },
      { name: b + 'attn_output.weight', shape: [s.nEmbd, s.nEmbd] },
      { name: b + 'ffn_norm.weight', shape: [s.nEmbd] },
      { name: b + 'ffn_gate.weight', shape: [s.nFf, s.nEmbd] },
      { name: b + 'ffn_up.weight', shape: [s.nFf, s.nEmbd] },
      { name: b + 'ffn_down.weight', shape: [s.nEmbd, s.nFf] },
    );
  }
  t.push({ name: 'output_norm.weight', shape: [s.nEmbd] }, { name: 'output.weight', shape: [s.nVocab, s.nEmbd] });
  return t;
}

/** Writes a llama-like GGUF with 2-D tensors in F16 and norms in F32 (as convert_hf_to_gguf does). */
export async function writeLlamaGgufF16(path: string, s: LlamaShape): Promise<number> {
  const u32 = (value: number): MetaValue => ({ type: 'u32', value });
  const md: Metadata = new Map<string, MetaValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: `kiln-bench-llama-${s.layers}L` }],
    ['llama.context_length', u32(2048)],
    ['llama.embedding_length', u32(s.nEmbd)],
    ['llama.block_count', u32(s.layers)],
    ['llama.feed_forward_length', u32(s.nFf)],
    ['llama.attention.head_count', u32(s.nHead)],
    ['llama.attention.head_count_kv', u32(s.nHeadKv)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: Math.fround(1e-5) }],
    ['general.file_type', u32(1)],
  ]);
  const specs = llamaTensors(s).map((t) => ({ ...t, type: t.shape.length === 1 ? ('F32' as const) : ('F16' as const) }));
  const plan = planGguf({ metadata: md, tensors: specs });
  const values = pool();
  const bits = new Uint32Array(values.buffer);
  const f16 = new Uint16Array(POOL);
  for (let i = 0; i < POOL; i++) f16[i] = f32BitsToF16(bits[i]!);
  const pf16 = new Uint8Array(f16.buffer);
  const pf32 = new Uint8Array(values.buffer);
  await writeAll(path, plan.header, [...plan.tensors], (seed, out) => {
    const src = out.length % 4 === 0 && out.length <= 8192 * 4 ? pf32 : pf16;
    const start = ((seed * 2654435761) >>> 0) % (src.length - out.length) & ~3;
    out.set(src.subarray(start, start + out.length));
  });
  return plan.totalSize;
}

/** Writes an F32 safetensors file of about `bytes` bytes: square-ish 2-D tensors of 4096 columns. */
export async function writeSafetensorsF32(path: string, bytes: number): Promise<number> {
  const rows = 2048;
  const per = rows * 4096 * 4;
  const n = Math.max(1, Math.ceil(bytes / per));
  const specs = Array.from({ length: n }, (_, i) => ({ name: `layers.${i}.weight`, type: 'F32' as const, shape: [rows, 4096] }));
  specs.push({ name: 'norm.weight', type: 'F32', shape: [4096] });
  const plan = planSafetensors({ metadata: new Map([['format', 'pt']]), tensors: specs });
  const p = new Uint8Array(pool().buffer);
  await writeAll(path, plan.header, plan.tensors.map((t) => ({ nbytes: t.nbytes, padAfter: 0 })), (seed, out) => {
    const start = (((seed * 2654435761) >>> 0) % (p.length - out.length)) & ~3;
    out.set(p.subarray(start, start + out.length));
  });
  return plan.totalSize;
}
