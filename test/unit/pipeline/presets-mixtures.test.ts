/**
 * The preset mixtures on synthetic models. Expected values are worked out by hand from
 * llama_tensor_get_type_impl in src/llama-quant.cpp at llama.cpp 34af94cd (not from the port):
 * use_more_bits(i, n) is i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2 in integer arithmetic, so for
 * n = 32 it holds for layers 0-3, 6, 9, ..., 27 and 28-31.
 */
import { describe, expect, it } from 'vitest';
import { layersWith, perLayer, plan, refusal, synthModel } from './presets-synthetic';

const MORE_BITS_32 = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31];

describe('K-quant mixtures on a 32-layer dense llama', () => {
  const m = synthModel({ layers: 32 });
  it('Q4_K_M: attn_v and ffn_down get Q6_K on use_more_bits layers', () => {
    const t = plan(m, { preset: 'Q4_K_M' });
    expect(perLayer(t, 'attn_v', 32)).toEqual(layersWith(32, MORE_BITS_32, 'Q6_K', 'Q4_K'));
    expect(perLayer(t, 'ffn_down', 32)).toEqual(layersWith(32, MORE_BITS_32, 'Q6_K', 'Q4_K'));
    expect(perLayer(t, 'attn_q', 32)).toEqual(layersWith(32, [], 'Q6_K', 'Q4_K'));
    expect(t['output.weight']).toBe('Q6_K');
    expect(t['token_embd.weight']).toBe('Q4_K');
    expect(t['output_norm.weight']).toBe('F32');
  });
  it('Q5_K_M: the same layers get Q6_K over Q5_K', () => {
    const t = plan(m, { preset: 'Q5_K_M' });
    expect(perLayer(t, 'attn_v', 32)).toEqual(layersWith(32, MORE_BITS_32, 'Q6_K', 'Q5_K'));
    expect(perLayer(t, 'ffn_down', 32)).toEqual(layersWith(32, MORE_BITS_32, 'Q6_K', 'Q5_K'));
  });
  it('Q3_K_M: first two attn_v and ffn_down (n/16) get Q5_K, the rest Q4_K; attn_output Q4_K', () => {
    const t = plan(m, { preset: 'Q3_K_M' });
    expect(perLayer(t, 'attn_v', 32)).toEqual(layersWith(32, [0, 1], 'Q5_K', 'Q4_K'));
    expect(perLayer(t, 'ffn_down', 32)).toEqual(layersWith(32, [0, 1], 'Q5_K', 'Q4_K'));
    expect(perLayer(t, 'attn_output', 32)).toEqual(layersWith(32, [], 'Q5_K', 'Q4_K'));
    expect(perLayer(t, 'ffn_up', 32)).toEqual(layersWith(32, [], 'Q5_K', 'Q3_K'));
  });
  it('Q3_K_M on falcon: ffn_down past n/16 is Q4_K only on use_more_bits layers, and output is Q8_0', () => {
    const t = plan(synthModel({ arch: 'falcon', layers: 32 }), { preset: 'Q3_K_M' });
    const want = layersWith(32, MORE_BITS_32, 'Q4_K', 'Q3_K');
    want[0] = want[1] = 'Q5_K';
    expect(perLayer(t, 'ffn_down', 32)).toEqual(want);
    expect(perLayer(t, 'attn_output', 32)).toEqual(layersWith(32, [], 'Q4_K', 'Q3_K'));
    expect(t['output.weight']).toBe('Q8_0');
  });
  it('Q4_K_S: the first four attn_v and the first eighth of ffn_down get Q5_K', () => {
    const t = plan(m, { preset: 'Q4_K_S' });
    expect(perLayer(t, 'attn_v', 32)).toEqual(layersWith(32, [0, 1, 2, 3], 'Q5_K', 'Q4_K'));
    expect(perLayer(t, 'ffn_down', 32)).toEqual(layersWith(32, [0, 1, 2, 3], 'Q5_K', 'Q4_K'));
    const falcon = plan(synthModel({ arch: 'falcon', layers: 32 }), { preset: 'Q4_K_S' });
    expect(perLayer(falcon, 'ffn_down', 32)).toEqual(layersWith(32, [], 'Q5_K', 'Q4_K'));
  });
  it('Q4_K_M on falcon: ffn_down Q6_K below n/16, then Q5_K on use_more_bits layers', () => {
    const t = plan(synthModel({ arch: 'falcon', layers: 32 }), { preset: 'Q4_K_M' });
    const want = layersWith(32, MORE_BITS_32, 'Q5_K', 'Q4_K');
    want[0] = want[1] = 'Q6_K';
    expect(perLayer(t, 'ffn_down', 32)).toEqual(want);
  });
  it('Q3_K_L: attn_v, ffn_down and attn_output Q5_K (falcon: ffn_down and attn_output Q4_K)', () => {
    const t = plan(m, { preset: 'Q3_K_L' });
    for (const r of ['attn_v', 'ffn_down', 'attn_output']) expect(perLayer(t, r, 32)).toEqual(layersWith(32, [], 'Q4_K', 'Q5_K'));
    const f = plan(synthModel({ arch: 'falcon', layers: 32 }), { preset: 'Q3_K_L' });
    for (const r of ['ffn_down', 'attn_output']) expect(perLayer(f, r, 32)).toEqual(layersWith(32, [], 'Q5_K', 'Q4_K'));
  });
  it('Q2_K: attn_v Q3_K (Q4_K when n_gqa >= 4), ffn_down and attn_output Q3_K', () => {
    const t = plan(m, { preset: 'Q2_K' });
    expect(perLayer(t, 'attn_v', 32)).toEqual(layersWith(32, [], 'Q4_K', 'Q3_K'));
    expect(perLayer(t, 'ffn_down', 32)).toEqual(layersWith(32, [], 'Q4_K', 'Q3_K'));
    expect(perLayer(t, 'attn_q', 32)).toEqual(layersWith(32, [], 'Q4_K', 'Q2_K'));
    const g = plan(synthModel({ layers: 32, nHead: 32, nHeadKv: 8 }), { preset: 'Q2_K' });
    expect(perLayer(g, 'attn_v', 32)).toEqual(layersWith(32, [], 'Q3_K', 'Q4_K'));
  });
  it('IQ4_NL / IQ4_XS: attn_v Q5_K when n_gqa >= 4; ffn_down Q5_K in the first eighth unless an imatrix is given', () => {
    const g = synthModel({ layers: 32, nHead: 32, nHeadKv: 8 });
    for (const preset of ['IQ4_NL', 'IQ4_XS'] as const) {
      const t = plan(g, { preset });
      expect(perLayer(t, 'attn_v', 32)).toEqual(layersWith(32, [], preset, 'Q5_K'));
      expect(perLayer(t, 'ffn_down', 32)).toEqual(layersWith(32, [0, 1, 2, 3], 'Q5_K', preset));
      const im = plan(g, { preset, imatrix: true });
      expect(perLayer(im, 'ffn_down', 32)).toEqual(layersWith(32, [], 'Q5_K', preset));
      const dense = plan(m, { preset });
      expect(perLayer(dense, 'attn_v', 32)).toEqual(layersWith(32, [], 'Q5_K', preset));
    }
  });
  it('Q4_0 / Q5_0 with an imatrix: ffn_down in the first eighth becomes Q4_1 / Q5_1', () => {
    expect(perLayer(plan(m, { preset: 'Q4_0', imatrix: true }), 'ffn_down', 32)).toEqual(layersWith(32, [0, 1, 2, 3], 'Q4_1', 'Q4_0'));
    expect(perLayer(plan(m, { preset: 'Q5_0', imatrix: true }), 'ffn_down', 32)).toEqual(layersWith(32, [0, 1, 2, 3], 'Q5_1', 'Q5_0'));
    expect(perLayer(plan(m, { preset: 'Q4_0' }), 'ffn_down', 32)).toEqual(layersWith(32, [], 'Q4_1', 'Q4_0'));
  });
});

describe('LLM_TYPE_70B (llama with 80 layers and grouped-query attention, qwen2/olmo/deci with 80, jais2 with 68)', () => {
  // n = 80: n/8 = 10, 7n/8 = 70; layer 10 is not a use_more_bits layer, layer 12 is.
  it('Q4_K_M: a Q4_K attn_v becomes Q5_K, a Q6_K one stays', () => {
    const t = plan(synthModel({ layers: 80, nHead: 64, nHeadKv: 8 }), { preset: 'Q4_K_M' });
    expect([t['blk.10.attn_v.weight'], t['blk.12.attn_v.weight'], t['blk.0.attn_v.weight']]).toEqual(['Q5_K', 'Q6_K', 'Q6_K']);
  });
  it('not 70B when n_head == n_head_kv (65B) or the layer count differs', () => {
    expect(plan(synthModel({ layers: 80, nHead: 64, nHeadKv: 64 }), { preset: 'Q4_K_M' })['blk.10.attn_v.weight']).toBe('Q4_K');
    expect(plan(synthModel({ layers: 79, nHead: 64, nHeadKv: 8 }), { preset: 'Q3_K_S' })['blk.10.attn_v.weight']).toBe('Q3_K');
  });
  it('Q3_K_S: attn_v Q3_K -> Q5_K for qwen2 (80 layers, any heads) and jais2 (68)', () => {
    expect(plan(synthModel({ arch: 'qwen2', layers: 80 }), { preset: 'Q3_K_S' })['blk.5.attn_v.weight']).toBe('Q5_K');
    expect(plan(synthModel({ arch: 'jais2', layers: 68 }), { preset: 'Q3_K_S' })['blk.5.attn_v.weight']).toBe('Q5_K');
    expect(plan(synthModel({ arch: 'jais2', layers: 80 }), { preset: 'Q3_K_S' })['blk.5.attn_v.weight']).toBe('Q3_K');
  });
});

describe('expert models', () => {
  const moe = (layers: number, nExpert: number) => {
    const e = Math.max(nExpert, 2);
    return synthModel({ layers, nExpert, extra: { 'ffn_down_exps.weight': [e, 256, 512], 'ffn_gate_inp.weight': [e, 256] } });
  };
  // n = 8: use_more_bits holds for 0 (i < 1), 3, 6 ((i-1) % 3 == 2) and 7 (i >= 7)
  it('8 experts, Q4_K_M: attn_v and attn_k Q8_0, attn_output Q5_K, ffn_down by the layer in the name', () => {
    const t = plan(moe(8, 8), { preset: 'Q4_K_M' });
    expect(perLayer(t, 'attn_v', 8)).toEqual(layersWith(8, [], 'Q4_K', 'Q8_0'));
    expect(perLayer(t, 'attn_k', 8)).toEqual(layersWith(8, [], 'Q4_K', 'Q8_0'));
    expect(perLayer(t, 'attn_output', 8)).toEqual(layersWith(8, [], 'Q4_K', 'Q5_K'));
    expect(perLayer(t, 'ffn_down', 8)).toEqual(layersWith(8, [0, 3, 6, 7], 'Q6_K', 'Q4_K'));
    expect(perLayer(t, 'ffn_down_exps', 8)).toEqual(layersWith(8, [0, 3, 6, 7], 'Q6_K', 'Q4_K'));
    expect(perLayer(t, 'ffn_gate_inp', 8)).toEqual(layersWith(8, [], 'Q4_K', 'F32'));
  });
  it('a dense model with two ffn_down tensors per layer counts them one by one instead', () => {
    // counter i over 16 tensors with n = 8: Q6_K for i in {0, 3, 6, 7..15}; blk.L.ffn_down is i = 2L,
    // blk.L.ffn_down_exps (sorted after it) is 2L + 1
    const t = plan(moe(8, 0), { preset: 'Q4_K_M' });
    expect(perLayer(t, 'ffn_down', 8)).toEqual(layersWith(8, [0, 3, 4, 5, 6, 7], 'Q6_K', 'Q4_K'));
    expect(perLayer(t, 'ffn_down_exps', 8)).toEqual(layersWith(8, [1, 3, 4, 5, 6, 7], 'Q6_K', 'Q4_K'));
  });
  it('refuses an expert FFN tensor whose layer is not in its name, or out of range', () => {
    const noLayer = moe(2, 8);
    const e1 = refusal(() => plan({ ...noLayer, tensors: [...noLayer.tensors, { name: 'ffn_down_exps.weight', shape: [8, 256, 512], type: 'F32' }] }, { preset: 'Q4_K_M' }));
    expect([e1.kind, e1.message]).toEqual(['bad-layer', 'Failed to determine layer for tensor ffn_down_exps.weight']);
    const e2 = refusal(() => plan({ ...noLayer, tensors: [...noLayer.tensors, { name: 'blk.2.ffn_up_exps.weight', shape: [8, 512, 256], type: 'F32' }] }, { preset: 'Q4_K_M' }));
    expect([e2.kind, e2.message]).toEqual(['bad-layer', 'Bad layer 2 for tensor blk.2.ffn_up_exps.weight. Must be in [0, 2)']);
  });
  it('4 experts in IQ2_XS: attn_v Q4_K (n_expert >= 4)', () => {
    const t = plan(moe(8, 4), { preset: 'IQ2_XS', imatrix: true });
    expect(perLayer(t, 'attn_v', 8)).toEqual(layersWith(8, [], 'Q2_K', 'Q4_K'));
    expect(perLayer(t, 'attn_k', 8)).toEqual(layersWith(8, [], 'Q4_K', 'IQ2_XS'));
  });
  it('MXFP4_MOE: 3-D expert tensors MXFP4, everything else Q8_0; bailingmoe3 only for FFN experts', () => {
    const t = plan(synthModel({ arch: 'gpt-oss', layers: 2, nExpert: 4, extra: { 'ffn_up_exps.weight': [4, 512, 256], 'attn_x.weight': [4, 64, 256] } }), { preset: 'MXFP4_MOE' });
    expect([t['blk.0.ffn_up_exps.weight'], t['blk.0.attn_x.weight'], t['blk.0.attn_q.weight'], t['output.weight'], t['token_embd.weight']]).toEqual(['MXFP4', 'MXFP4', 'Q8_0', 'Q8_0', 'Q8_0']);
    const b = plan(synthModel({ arch: 'bailingmoe3', layers: 2, nExpert: 4, extra: { 'ffn_up_exps.weight': [4, 512, 256], 'attn_kv_b.weight': [4, 64, 256] } }), { preset: 'MXFP4_MOE' });
    expect([b['blk.1.ffn_up_exps.weight'], b['blk.1.attn_kv_b.weight']]).toEqual(['MXFP4', 'Q8_0']);
  });
});

describe('IQ presets (low-bit group), with an importance matrix', () => {
  const m = synthModel({ layers: 16 });
  // n = 16: the first eighth is layers 0 and 1
  it('IQ2_XXS: attn_v Q2_K, ffn_down Q2_K in the first eighth, token_embd Q2_K, output Q5_K', () => {
    const t = plan(m, { preset: 'IQ2_XXS', imatrix: true });
    expect(perLayer(t, 'attn_v', 16)).toEqual(layersWith(16, [], 'Q4_K', 'Q2_K'));
    expect(perLayer(t, 'ffn_down', 16)).toEqual(layersWith(16, [0, 1], 'Q2_K', 'IQ2_XXS'));
    expect(perLayer(t, 'attn_output', 16)).toEqual(layersWith(16, [], 'Q2_K', 'IQ2_XXS'));
    expect([t['token_embd.weight'], t['output.weight']]).toEqual(['Q2_K', 'Q5_K']);
  });
  it('IQ2_M: default IQ2_S; attn_v, first-eighth ffn_down, attn_output and token_embd IQ3_S', () => {
    const t = plan(m, { preset: 'IQ2_M', imatrix: true });
    expect(perLayer(t, 'attn_q', 16)).toEqual(layersWith(16, [], 'Q2_K', 'IQ2_S'));
    expect(perLayer(t, 'attn_v', 16)).toEqual(layersWith(16, [], 'Q2_K', 'IQ3_S'));
    expect(perLayer(t, 'ffn_down', 16)).toEqual(layersWith(16, [0, 1], 'IQ3_S', 'IQ2_S'));
    expect(perLayer(t, 'attn_output', 16)).toEqual(layersWith(16, [], 'Q2_K', 'IQ3_S'));
    expect(t['token_embd.weight']).toBe('IQ3_S');
  });
  it('IQ2_S: default IQ2_XS; IQ1_S: attn_output IQ2_XXS', () => {
    expect(plan(m, { preset: 'IQ2_S', imatrix: true })['blk.5.attn_q.weight']).toBe('IQ2_XS');
    const t = plan(m, { preset: 'IQ1_S', imatrix: true });
    expect([t['blk.5.attn_q.weight'], t['blk.5.attn_output.weight'], t['blk.5.attn_v.weight']]).toEqual(['IQ1_S', 'IQ2_XXS', 'Q2_K']);
  });
  it('IQ3_XXS: attn_q/attn_k IQ2_S, attn_v IQ3_XXS with an imatrix (IQ3_S without), attn_output IQ3_S', () => {
    const t = plan(m, { preset: 'IQ3_XXS', imatrix: true });
    expect([t['blk.3.attn_q.weight'], t['blk.3.attn_k.weight'], t['blk.3.attn_v.weight'], t['blk.3.attn_output.weight'], t['blk.3.ffn_down.weight']]).toEqual(['IQ2_S', 'IQ2_S', 'IQ3_XXS', 'IQ3_S', 'IQ3_XXS']);
    expect([t['token_embd.weight'], t['output.weight']]).toEqual(['IQ3_S', 'Q5_K']);
  });
  it('IQ3_XS: attn_q/attn_k IQ3_XXS, ffn_gate/ffn_up IQ3_XXS between n/8 and 7n/8, attn_v Q4_K when n_gqa >= 4', () => {
    const t = plan(synthModel({ layers: 16, nHead: 32, nHeadKv: 8 }), { preset: 'IQ3_XS', imatrix: true });
    const mid = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
    expect(perLayer(t, 'ffn_gate', 16)).toEqual(layersWith(16, mid, 'IQ3_XXS', 'IQ3_S'));
    expect(perLayer(t, 'ffn_up', 16)).toEqual(layersWith(16, mid, 'IQ3_XXS', 'IQ3_S'));
    expect(perLayer(t, 'attn_k', 16)).toEqual(layersWith(16, [], 'Q4_K', 'IQ3_XXS'));
    expect(perLayer(t, 'attn_v', 16)).toEqual(layersWith(16, [], 'IQ3_S', 'Q4_K'));
  });
  it('IQ3_M: attn_v and attn_output Q4_K, ffn_down Q4_K in the first eighth; needs no imatrix', () => {
    const t = plan(m, { preset: 'IQ3_M' });
    expect(perLayer(t, 'attn_v', 16)).toEqual(layersWith(16, [], 'IQ3_S', 'Q4_K'));
    expect(perLayer(t, 'attn_output', 16)).toEqual(layersWith(16, [], 'IQ3_S', 'Q4_K'));
    expect(perLayer(t, 'ffn_down', 16)).toEqual(layersWith(16, [0, 1], 'Q4_K', 'IQ3_S'));
  });
  it('TQ1_0 / TQ2_0 / Q2_0: token_embd Q4_K', () => {
    for (const preset of ['TQ1_0', 'TQ2_0', 'Q2_0']) expect(plan(m, { preset })['token_embd.weight']).toBe('Q4_K');
  });
});
