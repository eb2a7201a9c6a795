import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { planSafetensors } from '../../src/formats/safetensors/writer';
import { writeSentencePieceModel } from '../../src/formats/hf-export/spm-writer';
import { SPM_BYTE, SPM_CONTROL, SPM_NORMAL, SPM_UNKNOWN } from '../../src/formats/hf/sentencepiece';
import type { LlamaShape } from './gen-model';

/**
 * A seeded Hugging Face llama checkpoint folder written straight to disk: config.json for the
 * shape, a SentencePiece tokenizer.model with exactly nVocab pieces (<unk>, <s>, </s>, the 256 byte
 * pieces, then distinct normal pieces with falling scores), tokenizer_config.json, and one BF16
 * model.safetensors with the tensors in the Hub's name order. Values are normal(0, 0.02) from a
 * fixed-seed pool (norms near 1), so the quantizers see realistic weights.
 */

const POOL = 1 << 24;

function pool(): Uint16Array {
  let s = 0x9e3779b9;
  const next = () => ((s ^= s << 13), (s >>>= 0), (s ^= s >>> 17), (s ^= s << 5), (s >>>= 0));
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(POOL);
  for (let i = 0; i < POOL; i++) {
    let sum = 0;
    for (let k = 0; k < 12; k++) sum += next() >>> 8;
    f[0] = (sum * 2 ** -24 - 6) * 0.02;
    out[i] = u[0]! >>> 16; // truncation is fine for generated data
  }
  return out;
}

function spmModel(nVocab: number): Uint8Array {
  const pieces: { piece: string; score: number; type: number }[] = [
    { piece: '<unk>', score: 0, type: SPM_UNKNOWN },
    { piece: '<s>', score: 0, type: SPM_CONTROL },
    { piece: '</s>', score: 0, type: SPM_CONTROL },
  ];
  for (let b = 0; b < 256; b++) pieces.push({ piece: `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, score: 0, type: SPM_BYTE });
  for (let i = pieces.length; i < nVocab; i++) pieces.push({ piece: `\u2581p${i.toString(36)}`, score: -(i - 259), type: SPM_NORMAL });
  return writeSentencePieceModel({ pieces, unkId: 0, bosId: 1, eosId: 2, padId: -1, addDummyPrefix: true });
}

function hfTensors(s: LlamaShape): { name: string; shape: number[] }[] {
  const hd = s.nEmbd / s.nHead;
  const t = [
    { name: 'lm_head.weight', shape: [s.nVocab, s.nEmbd] },
    { name: 'model.embed_tokens.weight', shape: [s.nVocab, s.nEmbd] },
    { name: 'model.norm.weight', shape: [s.nEmbd] },
  ];
  for (let i = 0; i < s.layers; i++) {
    const b = `model.layers.${i}.`;
    t.push(
      { name: b + 'input_layernorm.weight', shape: [s.nEmbd] },
      { name: b + 'mlp.down_proj.weight', shape: [s.nEmbd, s.nFf] },
      { name: b + 'mlp.gate_proj.weight', shape: [s.nFf, s.nEmbd] },
      { name: b + 'mlp.up_proj.weight', shape: [s.nFf, s.nEmbd] },
      { name: b + 'post_attention_layernorm.weight', shape: [s.nEmbd] },
      { name: b + 'self_attn.k_proj.weight', shape: [s.nHeadKv * hd, s.nEmbd] },
      { name: b + 'self_attn.o_proj.weight', shape: [s.nEmbd, s.nEmbd] },
      { name: b + 'self_attn.q_proj.weight', shape: [s.nEmbd, s.nEmbd] },
      { name: b + 'self_attn.v_proj.weight', shape: [s.nHeadKv * hd, s.nEmbd] },
    );
  }
  return t.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Writes the folder `dir` (created); returns the bytes of model.safetensors. */
export async function writeHfLlamaBf16(dir: string, s: LlamaShape): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const config = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: s.nVocab,
    hidden_size: s.nEmbd,
    intermediate_size: s.nFf,
    num_hidden_layers: s.layers,
    num_attention_heads: s.nHead,
    num_key_value_heads: s.nHeadKv,
    hidden_act: 'silu',
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    rope_scaling: null,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'bfloat16',
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  writeFileSync(join(dir, 'tokenizer.model'), spmModel(s.nVocab));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: true, add_eos_token: false, bos_token: '<s>', eos_token: '</s>', unk_token: '<unk>', legacy: true, tokenizer_class: 'LlamaTokenizer' }, null, 2) + '\n');
  const specs = hfTensors(s).map((t) => ({ ...t, type: 'BF16' as const }));
  const plan = planSafetensors({ metadata: new Map([['format', 'pt']]), tensors: specs });
  const values = pool();
  const bytes = new Uint8Array(values.buffer);
  const ones = new Uint16Array(8192).fill(0x3f80); // bf16 1.0
  const ws = createWriteStream(join(dir, 'model.safetensors'));
  const write = async (b: Uint8Array) => {
    if (!ws.write(b)) await once(ws, 'drain');
  };
  await write(plan.header);
  const CHUNK = 8 << 20;
  for (const [i, t] of plan.tensors.entries()) {
    if (t.shape.length === 1) {
      await write(new Uint8Array(ones.buffer, 0, t.nbytes));
      continue;
    }
    for (let o = 0; o < t.nbytes; o += CHUNK) {
      const n = Math.min(CHUNK, t.nbytes - o);
      const start = (((i * 7919 + o) * 2654435761) >>> 0) % (bytes.length - n) & ~1;
      await write(bytes.slice(start, start + n));
    }
  }
  ws.end();
  await once(ws, 'finish');
  return plan.totalSize;
}
