import type { Metadata, MetaValue } from '../formats/model';
import { planGguf, writeGguf } from '../formats/gguf/writer';
import { MemorySink } from '../io/byte-sink';

/**
 * The sample a newcomer opens with one click: a tiny llama-shaped GGUF (F32, 2 blocks, n_embd 256,
 * 1.4 M parameters, 5.8 MB) with seeded random weights, made in the page so nothing is fetched.
 * Its tensor names and hyper-parameters are llama.cpp's, so the presets (Q4_K_M...) pick their
 * per-tensor types exactly as llama-quantize would on a real llama.
 */
export const SAMPLE_NAME = 'kiln-sample-llama-F32.gguf';

const N_EMBD = 256;
const N_FF = 512;
const N_LAYER = 2;
const N_HEAD = 4;
const N_HEAD_KV = 2;
const N_VOCAB = 512;
const HEAD_DIM = N_EMBD / N_HEAD;

interface Spec {
  name: string;
  shape: number[];
  std: number;
  mean?: number;
}

function specs(): Spec[] {
  const out: Spec[] = [{ name: 'token_embd.weight', shape: [N_VOCAB, N_EMBD], std: 0.5 }];
  for (let i = 0; i < N_LAYER; i++) {
    const b = `blk.${i}.`;
    out.push(
      { name: b + 'attn_norm.weight', shape: [N_EMBD], std: 0.1, mean: 1 },
      { name: b + 'attn_q.weight', shape: [N_EMBD, N_EMBD], std: 0.02 },
      { name: b + 'attn_k.weight', shape: [N_HEAD_KV * HEAD_DIM, N_EMBD], std: 0.02 },
      { name: b + 'attn_v.weight', shape: [N_HEAD_KV * HEAD_DIM, N_EMBD], std: 0.02 },
      { name: b + 'attn_output.weight', shape: [N_EMBD, N_EMBD], std: 0.02 },
      { name: b + 'ffn_norm.weight', shape: [N_EMBD], std: 0.1, mean: 1 },
      { name: b + 'ffn_gate.weight', shape: [N_FF, N_EMBD], std: 0.02 },
      { name: b + 'ffn_up.weight', shape: [N_FF, N_EMBD], std: 0.02 },
      { name: b + 'ffn_down.weight', shape: [N_EMBD, N_FF], std: 0.02 },
    );
  }
  out.push({ name: 'output_norm.weight', shape: [N_EMBD], std: 0.1, mean: 1 }, { name: 'output.weight', shape: [N_VOCAB, N_EMBD], std: 0.1 });
  return out;
}

function metadata(): Metadata {
  const u32 = (value: number): MetaValue => ({ type: 'u32', value });
  const f32 = (value: number): MetaValue => ({ type: 'f32', value: Math.fround(value) });
  return new Map<string, MetaValue>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'Kiln sample (seeded random weights)' }],
    ['llama.context_length', u32(256)],
    ['llama.embedding_length', u32(N_EMBD)],
    ['llama.block_count', u32(N_LAYER)],
    ['llama.feed_forward_length', u32(N_FF)],
    ['llama.attention.head_count', u32(N_HEAD)],
    ['llama.attention.head_count_kv', u32(N_HEAD_KV)],
    ['llama.rope.freq_base', f32(10000)],
    ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
    ['llama.vocab_size', u32(N_VOCAB)],
    ['llama.rope.dimension_count', u32(HEAD_DIM)],
    ['general.file_type', u32(0)],
  ]);
}

/** Irwin-Hall normal deviates from xorshift32: exact and identical on every machine. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0 || 1;
  const next = () => ((s ^= s << 13), (s >>>= 0), (s ^= s >>> 17), (s ^= s << 5), (s >>>= 0));
  return () => {
    let sum = 0;
    for (let i = 0; i < 12; i++) sum += next() >>> 8;
    return sum * 2 ** -24 - 6;
  };
}

export async function makeSampleModel(): Promise<File> {
  const list = specs();
  const plan = planGguf({ metadata: metadata(), tensors: list.map((t) => ({ name: t.name, type: 'F32', shape: t.shape })) });
  const sink = new MemorySink(SAMPLE_NAME);
  const w = await writeGguf(plan, sink);
  for (let k = 0; k < list.length; k++) {
    const t = list[k]!;
    const z = gaussian(0x5eed0000 + k);
    const n = t.shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (t.mean ?? 0) + t.std * z();
    await w.write(new Uint8Array(v.buffer));
  }
  await w.finish();
  return new File([sink.bytes() as Uint8Array<ArrayBuffer>], SAMPLE_NAME, { type: 'application/octet-stream' });
}
