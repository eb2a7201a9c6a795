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
import { DIMS, randomSafetensors } from './hf-tiny-models';
import { QWEN3MOE_EXPERTS as NX, QWEN3MOE_FF_EXP as FFX, QWEN3MOE_HEAD_DIM as HD, qwen3moeConfig, qwen3moeFiles, qwen3moeTensorShapes, writeQwen3MoeModel } from './hf-tiny-qwen3moe';

/**
 * Qwen3 MoE (Qwen3MoeForCausalLM -> qwen3moe) against convert_hf_to_gguf.py and llama.cpp at
 * 34af94cd. Tensor order: what Qwen2MoeModel.modify_tensors yields for this checkpoint's names in
 * index_tensors' (sorted) order, taken from running it with torch mocked (stacks go out when the
 * layer's last expert arrives: down, gate, up); names as gguf-py get_tensor_name_map(QWEN3MOE)
 * gives them; types from prepare_tensors (1-D, norms and ffn_gate_inp F32). The architecture KVs
 * equal the converter's own set_gguf_parameters output (test/fixtures/hf-families/qwen3moe.kv.json,
 * test/support/converter-kvs.py with set_vocab skipped: _set_vocab_gpt2 needs transformers'
 * tokenizer, which is not installed here). Required tensors and their ne from
 * src/models/qwen3moe.cpp load_arch_tensors.
 */

const sources = (files: Map<string, Uint8Array>) => [...files].map(([n, b]) => new MemorySource(n, b));
const kv = (m: { metadata: ReadonlyMap<string, unknown> }, k: string) => (m.metadata.get(k) as { value?: unknown } | undefined)?.value;
const open = (files = qwen3moeFiles()) => openModel(sources(files), { folder: 'tiny-qwen3moe' });

// Qwen2MoeModel.modify_tensors over the sorted names, run with torch mocked
const CONVERTER_ORDER = [
  'output.weight', 'token_embd.weight',
  ...[0, 1].flatMap((b) => ['attn_norm', 'ffn_down_exps', 'ffn_gate_exps', 'ffn_up_exps', 'ffn_gate_inp', 'ffn_norm', 'attn_k_norm', 'attn_k', 'attn_output', 'attn_q_norm', 'attn_q', 'attn_v'].map((n) => `blk.${b}.${n}.weight`)),
  'output_norm.weight',
];

function expectedShape(name: string): number[] {
  const { vocab, hidden: e, heads, kvHeads } = DIMS;
  const stem = name.replace(/^blk\.\d+\./, '').replace(/\.weight$/, '');
  const shapes: Record<string, number[]> = {
    output: [vocab, e], token_embd: [vocab, e], output_norm: [e], attn_norm: [e], ffn_norm: [e], attn_q: [heads * HD, e], attn_k: [kvHeads * HD, e], attn_v: [kvHeads * HD, e],
    attn_output: [e, heads * HD], attn_q_norm: [HD], attn_k_norm: [HD], ffn_gate_inp: [NX, e], ffn_gate_exps: [NX, FFX, e], ffn_up_exps: [NX, FFX, e], ffn_down_exps: [NX, e, FFX],
  };
  return shapes[stem]!;
}

describe('qwen3moe checkpoint -> GGUF as the converter writes it', () => {
  it('tensor names, order, shapes and types', async () => {
    const m = await open();
    const want = CONVERTER_ORDER.map((n) => {
      const s = expectedShape(n);
      const f32 = s.length === 1 || n.endsWith('_norm.weight') || n.includes('ffn_gate_inp');
      return `${n}:${JSON.stringify(s)}:${f32 ? 'F32' : 'BF16'}`;
    });
    expect(m.tensors.map((t) => `${t.name}:${JSON.stringify(t.shape)}:${t.type}`)).toEqual(want);
  });

  it("KVs in the converter's order: TextModel's, then Qwen2MoeModel's expert_feed_forward_length; BPE vocabulary", async () => {
    const m = await open();
    const a = 'qwen3moe';
    expect([...m.metadata.keys()]).toEqual([
      'general.architecture', 'general.type', 'general.name', 'general.size_label',
      ...['block_count', 'context_length', 'embedding_length', 'feed_forward_length', 'attention.head_count', 'attention.head_count_kv', 'rope.freq_base', 'attention.layer_norm_rms_epsilon', 'expert_count', 'expert_used_count', 'attention.key_length', 'attention.value_length'].map((k) => `${a}.${k}`),
      'general.file_type', `${a}.expert_feed_forward_length`,
      'general.quantization_version', 'tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.tokens', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges',
      'tokenizer.ggml.eos_token_id', 'tokenizer.ggml.padding_token_id', 'tokenizer.ggml.bos_token_id', 'tokenizer.chat_template',
    ]);
    expect([kv(m, `${a}.expert_count`), kv(m, `${a}.expert_used_count`), kv(m, `${a}.expert_feed_forward_length`), kv(m, `${a}.attention.key_length`)]).toEqual([NX, 2, FFX, HD]);
    expect(m.metadata.has(`${a}.expert_shared_feed_forward_length`)).toBe(false); // no shared_expert_intermediate_size
    expect([kv(m, 'tokenizer.ggml.model'), kv(m, 'tokenizer.ggml.pre')]).toEqual(['gpt2', 'qwen2']);
    expect((kv(m, 'tokenizer.ggml.tokens') as string[]).length).toBe(DIMS.vocab);
    // get_total_parameter_count: shared 84928, one expert's share 2 layers x 3 x 32 x 64 = 12288; gguf-py size_label(134080, 84928, 12288, 4)
    expect(kv(m, 'general.size_label')).toBe('4x97K');
  });

  it("the architecture KVs equal the converter's own set_gguf_parameters output (types and values)", async () => {
    const ref = fixtureJson<Record<string, [string, unknown]>>('hf-families/qwen3moe.kv.json');
    const m = await open();
    const ours = [...m.metadata].filter(([k]) => !['general.name', 'general.size_label'].includes(k) && !k.startsWith('tokenizer.') && k !== 'general.quantization_version');
    expect(ours.map(([k]) => k)).toEqual(Object.keys(ref));
    const GGUF_TYPE: Record<string, string> = { u32: 'UINT32', f32: 'FLOAT32', bool: 'BOOL', string: 'STRING' };
    const f32 = (x: unknown): unknown => (typeof x === 'number' ? Math.fround(x) : x);
    for (const [k, v] of ours) {
      const mv = v as { type: string; value: unknown };
      expect([k, GGUF_TYPE[mv.type], f32(mv.value)]).toEqual([k, ref[k]![0], f32(ref[k]![1])]);
    }
  });

  it('stacked experts read as torch.stack of experts 0..N-1, any range', async () => {
    const files = qwen3moeFiles();
    const m = await open(files);
    const st = await readSafetensors([new MemorySource('model.safetensors', files.get('model.safetensors')!)]);
    for (const w of ['gate', 'up', 'down'] as const) {
      const parts = await Promise.all(Array.from({ length: NX }, (_, x) => st.tensors.find((t) => t.name === `model.layers.1.mlp.experts.${x}.${w}_proj.weight`)!).map((t) => t.read(0, t.nbytes)));
      const want = Buffer.concat(parts);
      const t = m.tensors.find((x) => x.name === `blk.1.ffn_${w}_exps.weight`)!;
      expect(Buffer.from(await t.read(0, t.nbytes)).equals(want)).toBe(true);
      const a = parts[0]!.length - 10;
      const b = parts[0]!.length * 3 + 6;
      expect(Buffer.from(await t.read(a, b - a)).equals(want.subarray(a, b))).toBe(true);
    }
    // the router is widened to F32 (prepare_tensors keeps ffn_gate_inp F32)
    const r = m.tensors.find((x) => x.name === 'blk.0.ffn_gate_inp.weight')!;
    expect(r.nbytes).toBe(NX * DIMS.hidden * 4);
  });

  it("the CLI writes a GGUF holding every tensor llama.cpp's qwen3moe loader requires, with its ne", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kiln-q3moe-'));
    try {
      const input = writeQwen3MoeModel(dir);
      let err = '';
      const code = await main(['convert', input, '-o', join(dir, 'out.gguf'), '--type', 'Q8_0', '--quiet'], { out: () => {}, err: (s) => void (err += s) });
      expect(err).toBe('');
      expect(code).toBe(0);
      const g = await readGguf([new MemorySource('out.gguf', new Uint8Array(readFileSync(join(dir, 'out.gguf'))))]);
      const byName = new Map(g.tensors.map((t) => [t.name, t]));
      const { vocab, hidden: e, heads, kvHeads } = DIMS;
      // load_arch_tensors: n_embd_head_k = key_length (head_dim), n_ff_exp = expert_feed_forward_length
      const required: Array<[string, number[]]> = [['token_embd.weight', [e, vocab]], ['output_norm.weight', [e]]];
      for (let b = 0; b < DIMS.layers; b++) {
        for (const [n, ne] of [
          ['attn_norm', [e]], ['attn_q', [e, HD * heads]], ['attn_k', [e, HD * kvHeads]], ['attn_v', [e, HD * kvHeads]], ['attn_output', [HD * heads, e]], ['attn_k_norm', [HD]], ['attn_q_norm', [HD]],
          ['ffn_norm', [e]], ['ffn_gate_inp', [e, NX]], ['ffn_gate_exps', [e, FFX, NX]], ['ffn_down_exps', [FFX, e, NX]], ['ffn_up_exps', [e, FFX, NX]],
        ] as Array<[string, number[]]>) required.push([`blk.${b}.${n}.weight`, ne]);
      }
      for (const [name, ne] of required) expect([name, byName.get(name)?.shape]).toEqual([name, [...ne].reverse()]);
      expect(byName.get('output.weight')?.shape).toEqual([vocab, e]); // untied (ne {n_embd, n_vocab})
      const md = new Map(g.metadata);
      expect((md.get('qwen3moe.expert_count') as { value: number }).value).toBe(NX);
      expect((md.get('qwen3moe.expert_used_count') as { value: number }).value).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('qwen3moe refusals and defaults', () => {
  const withConfig = (cfg: Record<string, unknown>, shapes = qwen3moeTensorShapes()) => {
    const files = qwen3moeFiles();
    files.set('config.json', new TextEncoder().encode(JSON.stringify(cfg)));
    files.set('model.safetensors', randomSafetensors(shapes, 5));
    return files;
  };

  it('a layer missing an expert is refused, naming the layer', async () => {
    const shapes = qwen3moeTensorShapes();
    shapes.delete('model.layers.1.mlp.experts.3.down_proj.weight');
    const e = await open(withConfig(qwen3moeConfig(), shapes)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toContain('layer 1 has 11 expert tensors, not the 12');
  });

  it('experts narrower than moe_intermediate_size are refused as a config / weights mismatch', async () => {
    const e = await open(withConfig({ ...qwen3moeConfig(), moe_intermediate_size: 64 })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toContain('disagrees with config.json');
  });

  it('dense layers (mlp_only_layers, decoder_sparse_step) are refused: the qwen3moe loader wants experts in every layer', async () => {
    for (const extra of [{ mlp_only_layers: [1] }, { decoder_sparse_step: 2 }]) {
      const e = await open(withConfig({ ...qwen3moeConfig(), ...extra })).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(UnsupportedError);
      expect((e as Error).message).toContain('dense layers');
    }
  });

  it('already merged experts (mlp.experts.gate_up_proj) are refused by name', async () => {
    const shapes = new Map([...qwen3moeTensorShapes()].filter(([n]) => !n.includes('.experts.')));
    for (let b = 0; b < DIMS.layers; b++) {
      shapes.set(`model.layers.${b}.mlp.experts.gate_up_proj`, [NX, 2 * FFX, DIMS.hidden]);
      shapes.set(`model.layers.${b}.mlp.experts.down_proj`, [NX, DIMS.hidden, FFX]);
    }
    const e = await open(withConfig(qwen3moeConfig(), shapes)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FormatError);
    expect((e as Error).message).toContain('not converted yet');
  });

  it("keys config.json leaves out take Qwen3MoeConfig's defaults (transformers 4.57.6)", async () => {
    const { num_experts_per_tok: _a, norm_topk_prob: _b, decoder_sparse_step: _c, mlp_only_layers: _d, ...cfg } = qwen3moeConfig();
    const m = await open(withConfig(cfg));
    expect(kv(m, 'qwen3moe.expert_used_count')).toBe(8);
  });
});
