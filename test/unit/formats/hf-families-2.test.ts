import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import { readGguf } from '../../../src/formats/gguf/reader';
import { openModel } from '../../../src/formats/open';
import { FormatError, UnsupportedError } from '../../../src/formats/errors';
import { MemorySource } from '../../../src/io/byte-source';
import { readSafetensors } from '../../../src/formats/safetensors/reader';
import { fixtureJson } from '../../support/fixtures';
import { tinyTokenizerJson } from './hf-bpe-support';
import { DIMS, GEMMA_HEAD_DIM, N_EXPERT, PHI3_LONG, PHI3_SHORT, SPM_VOCAB, randomSafetensors, spmConfigFor, spmModelFiles, spmTensorShapes, writeSpmModel, type SpmFamily } from './hf-tiny-models';

/**
 * Gemma 2, Gemma 3, Phi-3 and Mixtral checkpoints (generated, fixed seed) against
 * convert_hf_to_gguf.py and llama.cpp at 34af94cd. The KVs are also checked against the
 * converter's own output for these folders (test/fixtures/hf-families/*.kv.json: its metadata
 * path run with torch stubbed, see the README there). Tensor expectations are READ from the
 * sources, not produced by running them (no torch or llama.cpp here): names from gguf-py
 * tensor_mapping.py / constants.py MODEL_TENSORS (gemma's post_attention_layernorm is
 * post_attention_norm because GEMMA2/GEMMA3 hold no FFN_NORM), order from index_tensors (names
 * sorted) with generate_extra_tensors first and Mixtral's stacked experts where the layer's last
 * expert arrives (LlamaModel.modify_tensors: w1, w2, w3), types from prepare_tensors; KVs from
 * Gemma2Model/Gemma3Model (conversion/gemma.py), Phi3MiniModel (conversion/phi.py),
 * TextModel.set_gguf_parameters and LlamaModel; required tensors and their ne from
 * src/models/{gemma2,gemma3,phi3,llama}.cpp load_arch_tensors.
 */

const FAMILIES: readonly SpmFamily[] = ['gemma2', 'gemma3', 'phi3', 'mixtral'];
const sources = (files: Map<string, Uint8Array>) => [...files].map(([n, b]) => new MemorySource(n, b));
const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const isGemma = (f: SpmFamily) => f === 'gemma2' || f === 'gemma3';

/** gguf-py TensorNameMap for these checkpoints' names (null: the converter drops it). */
function ggufName(family: SpmFamily, hf: string): string | null {
  const fixed: Record<string, string> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };
  if (hf === 'lm_head.weight' && family === 'gemma2') return null; // Gemma2Model.filter_tensors
  if (fixed[hf] !== undefined) return fixed[hf]!;
  const m = /^model\.layers\.(\d+)\.(.*)\.weight$/.exec(hf)!;
  const part: Record<string, string> = {
    input_layernorm: 'attn_norm', post_attention_layernorm: isGemma(family) ? 'post_attention_norm' : 'ffn_norm', pre_feedforward_layernorm: 'ffn_norm',
    post_feedforward_layernorm: 'post_ffw_norm', 'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v', 'self_attn.o_proj': 'attn_output',
    'self_attn.qkv_proj': 'attn_qkv', 'self_attn.q_norm': 'attn_q_norm', 'self_attn.k_norm': 'attn_k_norm', 'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up',
    'mlp.gate_up_proj': 'ffn_up', 'mlp.down_proj': 'ffn_down', 'block_sparse_moe.gate': 'ffn_gate_inp',
  };
  return `blk.${m[1]}.${part[m[2]!]}.weight`;
}

function expectedTensors(family: SpmFamily): string[] {
  const out: string[] = [];
  if (family === 'phi3') out.push('rope_factors_long.weight:[8]:F32', 'rope_factors_short.weight:[8]:F32');
  const seen = new Map<number, number>();
  for (const [hf, shape] of [...spmTensorShapes(family)].sort(([a], [b]) => byCodePoint(a, b))) {
    const x = /^model\.layers\.(\d+)\.block_sparse_moe\.experts\./.exec(hf);
    if (x !== null) {
      const bid = Number(x[1]);
      const n = (seen.get(bid) ?? 0) + 1;
      seen.set(bid, n);
      if (n === 3 * N_EXPERT) {
        const { hidden: e, ff } = DIMS;
        out.push(`blk.${bid}.ffn_gate_exps.weight:[${N_EXPERT},${ff},${e}]:BF16`, `blk.${bid}.ffn_down_exps.weight:[${N_EXPERT},${e},${ff}]:BF16`, `blk.${bid}.ffn_up_exps.weight:[${N_EXPERT},${ff},${e}]:BF16`);
      }
      continue;
    }
    const g = ggufName(family, hf);
    if (g === null) continue;
    const f32 = shape.length === 1 || g.endsWith('_norm.weight') || g.includes('ffn_gate_inp');
    out.push(`${g}:${JSON.stringify(shape)}:${f32 ? 'F32' : 'BF16'}`);
  }
  return out;
}

const vocabKeys = ['general.quantization_version', 'tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type'];
// SpecialVocab: bos, eos, (unk absent from these configs' ids), pad from config.json, then add_bos / add_eos from tokenizer_config.json
const special = (pad: boolean) => ['tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id', ...(pad ? ['tokenizer.ggml.padding_token_id'] : []), 'tokenizer.ggml.add_bos_token', 'tokenizer.ggml.add_eos_token'];
const EXPECTED_KEYS: Record<SpmFamily, string[]> = {
  // Gemma2Model.set_gguf_parameters alone (no TextModel keys: no rope), set_vocab + add_space_prefix last
  gemma2: [
    'general.architecture', 'general.type', 'general.name', 'general.size_label',
    ...['context_length', 'embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count', 'attention.head_count_kv', 'attention.layer_norm_rms_epsilon', 'attention.key_length', 'attention.value_length'].map((k) => `gemma2.${k}`),
    'general.file_type', 'gemma2.attn_logit_softcapping', 'gemma2.final_logit_softcapping', 'gemma2.attention.sliding_window',
    ...vocabKeys, ...special(true), 'tokenizer.ggml.add_space_prefix',
  ],
  // TextModel's keys (rewritten ones keep their place), then sliding_window; no final soft-cap (null)
  gemma3: [
    'general.architecture', 'general.type', 'general.name', 'general.size_label',
    ...['block_count', 'context_length', 'embedding_length', 'feed_forward_length', 'attention.head_count', 'attention.head_count_kv', 'rope.scaling.type', 'rope.scaling.factor', 'rope.freq_base', 'rope.freq_base_swa', 'attention.layer_norm_rms_epsilon', 'attention.key_length', 'attention.value_length'].map((k) => `gemma3.${k}`),
    'general.file_type', 'gemma3.attention.sliding_window',
    ...vocabKeys, ...special(true), 'tokenizer.ggml.add_space_prefix',
  ],
  // attn_factor comes from generate_extra_tensors, which runs (prepare_tensors) before prepare_metadata
  phi3: [
    'general.architecture', 'phi3.rope.scaling.attn_factor', 'general.type', 'general.name', 'general.size_label',
    ...['context_length', 'rope.scaling.original_context_length', 'embedding_length', 'feed_forward_length', 'block_count', 'attention.head_count', 'attention.head_count_kv', 'attention.layer_norm_rms_epsilon', 'rope.dimension_count', 'rope.freq_base'].map((k) => `phi3.${k}`),
    'general.file_type', 'phi3.attention.sliding_window',
    ...vocabKeys, ...special(true),
  ],
  mixtral: [
    'general.architecture', 'general.type', 'general.name', 'general.size_label',
    ...['block_count', 'context_length', 'embedding_length', 'feed_forward_length', 'attention.head_count', 'attention.head_count_kv', 'rope.freq_base', 'attention.layer_norm_rms_epsilon', 'expert_count', 'expert_used_count'].map((k) => `llama.${k}`),
    'general.file_type', 'llama.vocab_size', 'llama.rope.dimension_count',
    ...vocabKeys, ...special(false),
  ],
};

/** The loader's required tensors (flags 0) with their ne, per block. */
function loaderRequired(family: SpmFamily): Array<[string, number[]]> {
  const { hidden: e, ff, heads, kvHeads } = DIMS;
  const hd = isGemma(family) ? GEMMA_HEAD_DIM : e / heads;
  const q = heads * hd;
  const kv = kvHeads * hd;
  let perBlock: Array<[string, number[]]>;
  if (family === 'phi3') {
    // create_tensor_qkv with n_embd as the q width; ffn_up holds gate and up
    perBlock = [['attn_norm.weight', [e]], ['attn_qkv.weight', [e, e + 2 * kv]], ['attn_output.weight', [e, e]], ['ffn_norm.weight', [e]], ['ffn_down.weight', [ff, e]], ['ffn_up.weight', [e, 2 * ff]]];
  } else if (family === 'mixtral') {
    perBlock = [
      ['attn_norm.weight', [e]], ['attn_q.weight', [e, q]], ['attn_k.weight', [e, kv]], ['attn_v.weight', [e, kv]], ['attn_output.weight', [q, e]], ['ffn_norm.weight', [e]],
      ['ffn_gate_inp.weight', [e, N_EXPERT]], ['ffn_gate_exps.weight', [e, ff, N_EXPERT]], ['ffn_down_exps.weight', [ff, e, N_EXPERT]], ['ffn_up_exps.weight', [e, ff, N_EXPERT]],
    ];
  } else {
    perBlock = [
      ['attn_norm.weight', [e]], ['attn_q.weight', [e, q]], ['attn_k.weight', [e, kv]], ['attn_v.weight', [e, kv]], ['attn_output.weight', [q, e]], ['post_attention_norm.weight', [e]],
      ['ffn_norm.weight', [e]], ['ffn_gate.weight', [e, ff]], ['ffn_up.weight', [e, ff]], ['ffn_down.weight', [ff, e]], ['post_ffw_norm.weight', [e]],
    ];
    if (family === 'gemma3') perBlock.push(['attn_k_norm.weight', [hd]], ['attn_q_norm.weight', [hd]]);
  }
  const out: Array<[string, number[]]> = [['token_embd.weight', [e, SPM_VOCAB]], ['output_norm.weight', [e]]];
  for (let b = 0; b < DIMS.layers; b++) for (const [n, ne] of perBlock) out.push([`blk.${b}.${n}`, ne]);
  if (family === 'phi3') out.push(['rope_factors_long.weight', [8]], ['rope_factors_short.weight', [8]]);
  return out;
}

const kv = (m: { metadata: ReadonlyMap<string, unknown> }, k: string) => (m.metadata.get(k) as { value?: unknown } | undefined)?.value;

describe.each(FAMILIES)('%s checkpoint -> GGUF as the converter writes it', (family) => {
  it('tensor names, order, shapes and types', async () => {
    const m = await openModel(sources(spmModelFiles(family)), { folder: `tiny-${family}` });
    expect(m.tensors.map((t) => `${t.name}:${JSON.stringify(t.shape)}:${t.type}`)).toEqual(expectedTensors(family));
  });

  it("KVs in the converter's order and values", async () => {
    const m = await openModel(sources(spmModelFiles(family)), { folder: `tiny-${family}` });
    expect([...m.metadata.keys()]).toEqual(EXPECTED_KEYS[family]);
    const a = family === 'mixtral' ? 'llama' : family;
    expect(kv(m, 'general.architecture')).toBe(a);
    expect(kv(m, 'general.file_type')).toBe(32);
    expect(kv(m, 'tokenizer.ggml.model')).toBe('llama');
    expect((kv(m, 'tokenizer.ggml.tokens') as string[]).length).toBe(SPM_VOCAB);
    if (isGemma(family)) {
      expect(kv(m, 'tokenizer.ggml.add_space_prefix')).toBe(false);
      expect(kv(m, `${a}.attention.key_length`)).toBe(GEMMA_HEAD_DIM);
    }
    if (family === 'gemma2') {
      expect([kv(m, 'gemma2.attn_logit_softcapping'), kv(m, 'gemma2.final_logit_softcapping'), kv(m, 'gemma2.attention.sliding_window')]).toEqual([50, 30, 4096]);
      expect(m.metadata.get('gemma2.attention.sliding_window')).toEqual({ type: 'u32', value: 4096 });
    }
    if (family === 'gemma3') {
      expect([kv(m, 'gemma3.rope.freq_base'), kv(m, 'gemma3.rope.freq_base_swa'), kv(m, 'gemma3.attention.sliding_window'), kv(m, 'gemma3.rope.scaling.factor')]).toEqual([1e6, 10000, 512, 8]);
    }
    if (family === 'phi3') {
      expect(m.metadata.get('phi3.rope.scaling.attn_factor')).toEqual({ type: 'f32', value: Math.sqrt(1 + Math.log(32) / Math.log(4096)) });
      expect([kv(m, 'phi3.rope.dimension_count'), kv(m, 'phi3.rope.scaling.original_context_length'), kv(m, 'phi3.attention.sliding_window')]).toEqual([16, 4096, 262144]);
      // Phi3MiniModel.set_vocab: an added special token is CONTROL with score -1000, its text as given
      expect((kv(m, 'tokenizer.ggml.tokens') as string[])[511]).toBe('<|end|>');
      expect((kv(m, 'tokenizer.ggml.token_type') as number[])[511]).toBe(3);
    }
    if (family === 'mixtral') {
      expect([kv(m, 'llama.expert_count'), kv(m, 'llama.expert_used_count')]).toEqual([N_EXPERT, 2]);
      // get_total_parameter_count + size_label: <experts>x<shared + one expert's share>; shared 90944
      // (embeddings, output, norms, attention, routers), one expert's share 2 x 3 x 96 x 64 = 36864;
      // gguf-py's size_label(total, 90944, 36864, 4) gives '4x128K'
      expect(kv(m, 'general.size_label')).toBe('4x128K');
    }
  });

  it("every KV, vocabulary included, equals the converter's own dump (types and values)", async () => {
    const ref = fixtureJson<Record<string, [string, unknown]>>(`hf-families/${family}.kv.json`);
    const m = await openModel(sources(spmModelFiles(family)), { folder: `tiny-${family}` });
    const ours = [...m.metadata].filter(([k]) => !['general.name', 'general.size_label', 'general.quantization_version'].includes(k));
    expect(ours.map(([k]) => k)).toEqual(Object.keys(ref));
    const GGUF_TYPE: Record<string, string> = { u32: 'UINT32', i32: 'INT32', f32: 'FLOAT32', bool: 'BOOL', string: 'STRING', array: 'ARRAY' };
    const f32 = (x: unknown): unknown => (typeof x === 'number' ? Math.fround(x) : Array.isArray(x) ? x.map(f32) : x);
    for (const [k, v] of ours) {
      const mv = v as { type: string; value: unknown; itemType?: string };
      expect([k, GGUF_TYPE[mv.type], f32(mv.value)]).toEqual([k, ref[k]![0], f32(ref[k]![1])]);
    }
  });

  it("the CLI writes a GGUF holding every tensor llama.cpp's loader requires, with its shape", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-fam2-'));
    try {
      const input = writeSpmModel(dir, family);
      let err = '';
      const code = await main(['convert', input, '-o', join(dir, 'out.gguf'), '--type', 'Q8_0', '--quiet'], { out: () => {}, err: (s) => void (err += s) });
      expect(err).toBe('');
      expect(code).toBe(0);
      const g = await readGguf([new MemorySource('out.gguf', new Uint8Array(readFileSync(join(dir, 'out.gguf'))))]);
      const byName = new Map(g.tensors.map((t) => [t.name, t]));
      for (const [name, ne] of loaderRequired(family)) expect([name, byName.get(name)?.shape]).toEqual([name, [...ne].reverse()]);
      if (isGemma(family)) expect(byName.has('output.weight')).toBe(false); // tied: the loader duplicates token_embd
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** The checkpoint's tensor by HF name, as float32 values. */
async function hfValues(files: Map<string, Uint8Array>, name: string): Promise<number[]> {
  const st = await readSafetensors([new MemorySource('model.safetensors', files.get('model.safetensors')!)]);
  const t = st.tensors.find((x) => x.name === name)!;
  const b = await t.read(0, t.nbytes);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: number[] = [];
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < b.length / (t.type === 'F32' ? 4 : 2); i++) {
    if (t.type === 'F32') out.push(dv.getFloat32(4 * i, true));
    else if (t.type === 'BF16') {
      u[0] = dv.getUint16(2 * i, true) << 16;
      out.push(f[0]!);
    } else out.push(halfToNumber(dv.getUint16(2 * i, true)));
  }
  return out;
}

function halfToNumber(h: number): number {
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  const s = h & 0x8000 ? -1 : 1;
  return e === 0 ? s * m * 2 ** -24 : s * (1 + m / 1024) * 2 ** (e - 15);
}

async function ggufValues(t: { read: (o: number, l: number) => Promise<Uint8Array>; nbytes: number }, offset = 0, length = t.nbytes): Promise<number[]> {
  const b = await t.read(offset, length);
  return [...new Float32Array(b.slice().buffer)];
}

describe('gemma norm offset (Gemma2Model / Gemma3Model.modify_tensors: norm.weight + 1)', () => {
  it('BF16: widened to float32, then + 1 in float32', async () => {
    const files = spmModelFiles('gemma3');
    const m = await openModel(sources(files), { folder: 'tiny-gemma3' });
    for (const [hf, gg] of [['model.layers.1.self_attn.q_norm.weight', 'blk.1.attn_q_norm.weight'], ['model.norm.weight', 'output_norm.weight'], ['model.layers.0.pre_feedforward_layernorm.weight', 'blk.0.ffn_norm.weight']] as const) {
      const want = (await hfValues(files, hf)).map((x) => Math.fround(x + 1));
      expect(await ggufValues(m.tensors.find((t) => t.name === gg)!)).toEqual(want);
    }
    // any byte range reads the same bytes as the whole
    const t = m.tensors.find((x) => x.name === 'blk.0.post_attention_norm.weight')!;
    const whole = await t.read(0, t.nbytes);
    expect([...(await t.read(6, 37))]).toEqual([...whole.subarray(6, 43)]);
  });

  it('F16: the sum rounded to half (torch adds in the tensor dtype), stored as F32', async () => {
    const files = spmModelFiles('gemma2', 99, 'F16');
    const m = await openModel(sources(files), { folder: 'tiny-gemma2' });
    const src = await hfValues(files, 'model.layers.0.input_layernorm.weight');
    const got = await ggufValues(m.tensors.find((t) => t.name === 'blk.0.attn_norm.weight')!);
    // x + 1 (exact in float32 for these half x) lies in [0.95, 1.05]: half's spacing there is
    // 2^-11 below 1 and 2^-10 from 1 on; the sum rounds to the nearest, ties to even
    const roundHalfEven = (v: number) => (Math.abs(v - Math.trunc(v)) === 0.5 ? (Math.trunc(v) % 2 === 0 ? Math.trunc(v) : Math.trunc(v) + Math.sign(v)) : Math.round(v));
    for (let i = 0; i < src.length; i++) {
      const exact = src[i]! + 1;
      const step = exact < 1 ? 2 ** -11 : 2 ** -10;
      expect(got[i]).toBe(roundHalfEven(exact / step) * step);
    }
    expect(got.some((v, i) => v !== Math.fround(src[i]! + 1))).toBe(true); // not the float32 sum
    expect(m.tensors.find((t) => t.name === 'blk.0.attn_norm.weight')!.type).toBe('F32');
  });
});

describe('mixtral experts (LlamaModel.modify_tensors: torch.stack per layer)', () => {
  it('a stacked tensor reads any range from the experts it spans', async () => {
    const files = spmModelFiles('mixtral');
    const m = await openModel(sources(files), { folder: 'tiny-mixtral' });
    const st = await readSafetensors([new MemorySource('model.safetensors', files.get('model.safetensors')!)]);
    for (const [w, gg] of [['w1', 'blk.1.ffn_gate_exps.weight'], ['w2', 'blk.1.ffn_down_exps.weight'], ['w3', 'blk.1.ffn_up_exps.weight']] as const) {
      const parts = await Promise.all(Array.from({ length: N_EXPERT }, (_, x) => st.tensors.find((t) => t.name === `model.layers.1.block_sparse_moe.experts.${x}.${w}.weight`)!).map((t) => t.read(0, t.nbytes)));
      const want = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
      parts.reduce((at, p) => (want.set(p, at), at + p.length), 0);
      const t = m.tensors.find((x) => x.name === gg)!;
      expect(t.nbytes).toBe(want.length);
      expect(Buffer.from(await t.read(0, t.nbytes)).equals(Buffer.from(want))).toBe(true);
      // a chunk straddling experts 0..2
      const a = parts[0]!.length - 100;
      const b = parts[0]!.length * 2 + 50;
      expect(Buffer.from(await t.read(a, b - a)).equals(Buffer.from(want.subarray(a, b)))).toBe(true);
    }
  });

  it('a layer with an expert missing is refused, naming the layer', async () => {
    const files = spmModelFiles('mixtral');
    const shapes = spmTensorShapes('mixtral');
    shapes.delete('model.layers.1.block_sparse_moe.experts.2.w3.weight');
    files.set('model.safetensors', randomSafetensors(shapes, 7));
    const e = await openModel(sources(files), { folder: 'tiny-mixtral' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toContain('layer 1 has 11 expert tensors, not the 12');
  });
});

describe('phi3 rope factors and refusals', () => {
  it('rope_factors_long/short hold the config lists in float32', async () => {
    const m = await openModel(sources(spmModelFiles('phi3')), { folder: 'tiny-phi3' });
    expect(await ggufValues(m.tensors[0]!)).toEqual(PHI3_LONG);
    expect(await ggufValues(m.tensors[1]!)).toEqual(PHI3_SHORT);
  });

  it('no rope scaling: no factor tensors and no attn_factor', async () => {
    const files = spmModelFiles('phi3');
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...spmConfigFor('phi3'), rope_scaling: null, max_position_embeddings: 4096 })));
    const m = await openModel(sources(files), { folder: 'tiny-phi3' });
    expect(m.tensors.some((t) => t.name.startsWith('rope_factors'))).toBe(false);
    expect(m.metadata.has('phi3.rope.scaling.attn_factor')).toBe(false);
  });

  it('factor lists of the wrong length, or an unknown scaling type, are refused', async () => {
    for (const rs of [{ type: 'longrope', long_factor: [1, 2], short_factor: [1, 2] }, { type: 'dynamic', long_factor: PHI3_LONG, short_factor: PHI3_SHORT }]) {
      const files = spmModelFiles('phi3');
      files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...spmConfigFor('phi3'), rope_scaling: rs })));
      const e = await openModel(sources(files), { folder: 'tiny-phi3' }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UnsupportedError);
    }
  });

  it("gemma2: a soft-cap config.json leaves out is Gemma2Config's default; a null one is refused (the converter cannot write it)", async () => {
    const files = spmModelFiles('gemma2');
    const { attn_logit_softcapping: _drop, final_logit_softcapping: _drop2, head_dim: _drop3, ...cfg } = spmConfigFor('gemma2');
    files.set('config.json', new TextEncoder().encode(JSON.stringify(cfg)));
    const e0 = await openModel(sources(files), { folder: 'tiny-gemma2' }).catch((x: unknown) => x);
    expect((e0 as Error).message).toContain('disagrees with config.json'); // head_dim is Gemma2Config's 256, not these weights' 32
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...cfg, head_dim: GEMMA_HEAD_DIM })));
    const m = await openModel(sources(files), { folder: 'tiny-gemma2' });
    expect([kv(m, 'gemma2.attn_logit_softcapping'), kv(m, 'gemma2.final_logit_softcapping')]).toEqual([50, 30]);
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...spmConfigFor('gemma2'), attn_logit_softcapping: null })));
    const e = await openModel(sources(files), { folder: 'tiny-gemma2' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(UnsupportedError);
    expect((e as Error).message).toContain('gemma2.attn_logit_softcapping');
  });

  it('phi3: a yarn rope_scaling is longrope to Phi3Config, so the longrope attention factor', async () => {
    const files = spmModelFiles('phi3');
    files.set('config.json', new TextEncoder().encode(JSON.stringify({ ...spmConfigFor('phi3'), rope_scaling: { type: 'yarn', long_factor: PHI3_LONG, short_factor: PHI3_SHORT } })));
    const m = await openModel(sources(files), { folder: 'tiny-phi3' });
    expect(kv(m, 'phi3.rope.scaling.attn_factor')).toBe(Math.sqrt(1 + Math.log(32) / Math.log(4096)));
  });
});

describe('gemma3 with tokenizer.json only (_set_vocab_gpt2)', () => {
  it('token_embd keeps the rows of vocab + added tokens (Gemma3Model.modify_tensors), no add_space_prefix', async () => {
    const files = spmModelFiles('gemma3');
    files.delete('tokenizer.model');
    const tj = tinyTokenizerJson('qwen2');
    const real = Object.keys((tj['model'] as { vocab: object }).vocab).length + (tj['added_tokens'] as unknown[]).length;
    files.set('tokenizer.json', new TextEncoder().encode(JSON.stringify(tj)));
    const m = await openModel(sources(files), { folder: 'tiny-gemma3' });
    expect(real).toBeLessThan(SPM_VOCAB);
    expect(m.tensors.find((t) => t.name === 'token_embd.weight')?.shape).toEqual([real, DIMS.hidden]);
    expect(kv(m, 'tokenizer.ggml.model')).toBe('gpt2');
    expect(m.metadata.has('tokenizer.ggml.add_space_prefix')).toBe(false);
    const t = m.tensors.find((x) => x.name === 'token_embd.weight')!;
    const st = await readSafetensors([new MemorySource('model.safetensors', files.get('model.safetensors')!)]);
    const src = st.tensors.find((x) => x.name === 'model.embed_tokens.weight')!;
    expect(Buffer.from(await t.read(0, t.nbytes)).equals(Buffer.from(await src.read(0, t.nbytes)))).toBe(true);
  });
});

describe('gemma3: the text part of Gemma3ForConditionalGeneration (Gemma3Model registers both)', () => {
  /** The tiny Gemma 3 as a multimodal checkpoint: text_config, language_model.* names, a vision tower and projector. */
  function multimodal(): Map<string, Uint8Array> {
    const files = spmModelFiles('gemma3');
    const { architectures: _a, model_type: _m, max_position_embeddings: _c, ...text } = spmConfigFor('gemma3');
    const cfg = { architectures: ['Gemma3ForConditionalGeneration'], model_type: 'gemma3', text_config: { ...text, model_type: 'gemma3_text' }, vision_config: { model_type: 'siglip_vision_model', hidden_size: 32 }, mm_tokens_per_image: 256, image_token_index: 262144 };
    files.set('config.json', new TextEncoder().encode(JSON.stringify(cfg)));
    const shapes = new Map([...spmTensorShapes('gemma3')].map(([n, sh]) => [n.replace(/^model\./, 'language_model.model.'), sh] as [string, number[]]));
    shapes.set('vision_tower.vision_model.embeddings.patch_embedding.weight', [32, 3, 4, 4]);
    shapes.set('multi_modal_projector.mm_input_projection_weight', [32, DIMS.hidden]);
    shapes.set('multi_modal_projector.mm_soft_emb_norm.weight', [32]);
    files.set('model.safetensors', randomSafetensors(shapes, 4321, 'BF16', 0));
    return files;
  }

  it('the same GGUF tensors, bytes and text KVs as Gemma3ForCausalLM; the vision tower and projector left out', async () => {
    const mm = await openModel(sources(multimodal()), { folder: 'tiny-gemma3' });
    const text = await openModel(sources(spmModelFiles('gemma3')), { folder: 'tiny-gemma3' });
    expect(mm.tensors.map((t) => `${t.name}:${JSON.stringify(t.shape)}:${t.type}`)).toEqual(text.tensors.map((t) => `${t.name}:${JSON.stringify(t.shape)}:${t.type}`));
    for (const [i, t] of mm.tensors.entries()) expect(Buffer.from(await t.read(0, t.nbytes)).equals(Buffer.from(await text.tensors[i]!.read(0, t.nbytes)))).toBe(true);
    expect(mm.details.get('warnings')).toContain('vision_tower.vision_model.embeddings.patch_embedding.weight: not part of the text model');
    expect(mm.details.get('warnings')).toContain('multi_modal_projector.mm_soft_emb_norm.weight');
    // the text_config leaves max_position_embeddings out: Gemma3TextConfig's 131072
    expect(kv(mm, 'gemma3.context_length')).toBe(131072);
    expect([...mm.metadata.keys()]).toEqual([...text.metadata.keys()]);
  });
});

