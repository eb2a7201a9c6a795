/**
 * llama-quantize's options, fallbacks and refusals on synthetic models. Expected values come from
 * reading llama_tensor_get_type, tensor_type_fallback, tensor_allows_quantization and
 * llama_model_quantize_impl (src/llama-quant.cpp, llama.cpp 34af94cd), not from the port.
 */
import { describe, expect, it } from 'vitest';
import { planQuantTypes } from '../../../src/pipeline/presets-plan';
import { layersWith, perLayer, plan, refusal, synthModel } from './presets-synthetic';

describe('fallbacks for rows the block does not divide', () => {
  it('96 columns, Q4_K_M: Q4_K -> Q5_0, Q6_K -> Q8_0; the output rule picks Q8_0 itself', () => {
    const p = planQuantTypes(synthModel({ layers: 2, cols: 96 }), { preset: 'Q4_K_M' });
    const t = Object.fromEntries(p.tensors.map((x) => [x.name, x.to]));
    // use_more_bits(1, 2) holds (1 >= 7*2/8), so layer 1's attn_v wanted Q6_K
    expect([t['blk.0.attn_q.weight'], t['blk.0.attn_v.weight'], t['blk.1.attn_v.weight'], t['output.weight'], t['token_embd.weight']]).toEqual(['Q5_0', 'Q5_0', 'Q8_0', 'Q8_0', 'Q5_0']);
    // ffn_down rows are 512 long, so they need no fallback
    expect(t['blk.1.ffn_down.weight']).toBe('Q6_K');
    // every 96-column matrix but output falls back: token_embd + 6 per layer
    expect(p.fallbackCount).toBe(13);
    expect(p.warnings).toContain('blk.0.attn_q.weight: ncols 96 not divisible by 256 (required for type q4_K) -> falling back to q5_0');
    expect(p.warnings.at(-1)).toBe(`13 of ${p.tensors.length} tensor(s) required fallback quantization`);
  });
  it('Q5_K -> Q5_1, Q2_K / Q3_K / TQ2_0 -> Q4_0, IQ4_XS -> IQ4_NL', () => {
    const m = synthModel({ layers: 2, cols: 96 });
    expect(plan(m, { preset: 'Q5_K_S' })['blk.0.attn_q.weight']).toBe('Q5_1');
    expect(plan(m, { preset: 'Q2_K' })['blk.0.attn_q.weight']).toBe('Q4_0');
    expect(plan(m, { preset: 'Q3_K_S' })['blk.0.attn_q.weight']).toBe('Q4_0');
    expect(plan(m, { preset: 'TQ2_0' })['blk.0.attn_q.weight']).toBe('Q4_0');
    expect(plan(m, { preset: 'IQ4_XS' })['blk.0.attn_q.weight']).toBe('IQ4_NL');
  });
  it('40 columns: the fallback does not fit either, so F16', () => {
    const p = planQuantTypes(synthModel({ layers: 1, cols: 40, ffCols: 512 }), { preset: 'Q4_K_M', outputTensorType: 'F16' });
    expect(p.tensors.find((x) => x.name === 'blk.0.attn_q.weight')!.to).toBe('F16');
    expect(p.warnings).toContain('blk.0.attn_q.weight: ncols 40 not divisible by 256 (required for type q4_K) (must use F16 due to unusual shape) -> falling back to f16');
  });
  it('a 32-block type has no fallback: llama-quantize throws', () => {
    const e = refusal(() => plan(synthModel({ layers: 1, cols: 40 }), { preset: 'Q4_0' }));
    expect(e.kind).toBe('no-fallback');
    expect(e.message).toMatch(/^no tensor type fallback is defined for type q8_0/); // output.weight comes first and gets Q8_0
    expect(e.tensor).toBe('output.weight');
  });
});

describe('--tensor-type', () => {
  const m = synthModel({ layers: 3 });
  it('the first matching pattern wins, and patterns are searched, not anchored', () => {
    const t = plan(m, { preset: 'Q4_K_M', tensorTypes: [['attn_.*', 'Q8_0'], ['attn_v', 'Q4_0']] });
    expect(perLayer(t, 'attn_v', 3)).toEqual(['Q8_0', 'Q8_0', 'Q8_0']);
    // n = 3: n/8 = 0 and 7n/8 = 2, so use_more_bits holds only for layer 2
    expect(perLayer(t, 'ffn_down', 3)).toEqual(['Q4_K', 'Q4_K', 'Q6_K']);
  });
  it('patterns are lowercased as the option parser does', () => {
    expect(plan(m, { preset: 'Q4_K_M', tensorTypes: [['BLK\\.1\\.ATTN_Q', 'F16']] })['blk.1.attn_q.weight']).toBe('F16');
  });
  it('an overridden tensor does not advance the attn_v counter', () => {
    // Q3_K_M: attn_v #0 and #1 get Q5_K, later ones Q4_K
    expect(perLayer(plan(m, { preset: 'Q3_K_M' }), 'attn_v', 3)).toEqual(['Q5_K', 'Q5_K', 'Q4_K']);
    expect(perLayer(plan(m, { preset: 'Q3_K_M', tensorTypes: [['blk\\.0\\.attn_v', 'Q8_0']] }), 'attn_v', 3)).toEqual(['Q8_0', 'Q5_K', 'Q5_K']);
  });
  it('also applies to output.weight, still falls back, and is ignored by F16/BF16/F32 presets', () => {
    expect(plan(m, { preset: 'Q4_K_M', tensorTypes: [['^output\\.weight$', 'Q4_0']] })['output.weight']).toBe('Q4_0');
    expect(plan(synthModel({ layers: 1, cols: 96 }), { preset: 'Q8_0', tensorTypes: [['attn_q', 'Q4_K']] })['blk.0.attn_q.weight']).toBe('Q5_0');
    expect(plan(m, { preset: 'F16', tensorTypes: [['attn_q', 'Q4_K']] })['blk.0.attn_q.weight']).toBe('F16');
  });
  it('logs the override like llama-quantize', () => {
    const p = planQuantTypes(m, { preset: 'Q4_K_M', tensorTypes: [['blk\\.2\\.attn_k', 'Q8_0']] });
    expect(p.warnings).toEqual(['blk.2.attn_k.weight: applying manual override: q4_K -> q8_0']);
  });
  it('an invalid regular expression is refused', () => {
    expect(refusal(() => plan(m, { preset: 'Q4_K_M', tensorTypes: [['attn_(', 'Q8_0']] })).kind).toBe('bad-pattern');
  });
});

describe('--output-tensor-type, --token-embedding-type, --leave-output-tensor', () => {
  it('force their tensor without any fallback', () => {
    const t = plan(synthModel({ layers: 1 }), { preset: 'Q4_K_M', outputTensorType: 'Q8_0', tokenEmbeddingType: 'Q5_K' });
    expect([t['output.weight'], t['token_embd.weight']]).toEqual(['Q8_0', 'Q5_K']);
  });
  it('apply with F16 presets too', () => {
    const t = plan(synthModel({ layers: 1 }), { preset: 'F16', outputTensorType: 'Q8_0' });
    expect([t['output.weight'], t['token_embd.weight'], t['blk.0.attn_q.weight'], t['blk.0.attn_norm.weight']]).toEqual(['Q8_0', 'F16', 'F16', 'F32']);
  });
  it('tied embeddings (no output.weight): token_embd follows the output rules, even --output-tensor-type, with fallback', () => {
    const tied = synthModel({ layers: 1, tied: true });
    expect(plan(tied, { preset: 'Q4_K_M' })['token_embd.weight']).toBe('Q6_K');
    expect(plan(tied, { preset: 'Q4_K_M', outputTensorType: 'Q5_K' })['token_embd.weight']).toBe('Q5_K');
    expect(plan(synthModel({ layers: 1, tied: true, cols: 96 }), { preset: 'Q4_K_M', outputTensorType: 'Q5_K' })['token_embd.weight']).toBe('Q5_1');
    expect(plan(tied, { preset: 'Q4_K_M', pure: true })['token_embd.weight']).toBe('Q4_K');
  });
  it('a forced type whose block does not divide the row is refused (llama-quantize aborts)', () => {
    const e = refusal(() => plan(synthModel({ layers: 1, cols: 96 }), { preset: 'Q8_0', tokenEmbeddingType: 'Q5_K' }));
    expect([e.kind, e.tensor]).toEqual(['row-not-divisible', 'token_embd.weight']);
    const o = refusal(() => plan(synthModel({ layers: 1, cols: 96 }), { preset: 'Q8_0', outputTensorType: 'IQ4_XS' }));
    expect([o.kind, o.tensor]).toEqual(['row-not-divisible', 'output.weight']);
  });
  it('types ggml cannot quantize to, or that need an imatrix, are refused', () => {
    expect(refusal(() => plan(synthModel({ layers: 1 }), { preset: 'Q8_0', tokenEmbeddingType: 'Q8_K' })).kind).toBe('cannot-quantize');
    const e = refusal(() => plan(synthModel({ layers: 1 }), { preset: 'Q8_0', tokenEmbeddingType: 'IQ2_XXS' }));
    expect([e.kind, e.tensor]).toEqual(['needs-imatrix', 'token_embd.weight']);
    expect(plan(synthModel({ layers: 1 }), { preset: 'Q8_0', tokenEmbeddingType: 'IQ2_XXS', imatrix: true })['token_embd.weight']).toBe('IQ2_XXS');
  });
  it('--leave-output-tensor keeps output.weight as it is, and embeddings stay untied', () => {
    const p = planQuantTypes(synthModel({ layers: 1 }), { preset: 'Q4_K_M', leaveOutputTensor: true });
    const out = p.tensors.find((x) => x.name === 'output.weight')!;
    expect([out.from, out.to, out.reason]).toEqual(['F32', 'F32', 'output tensor left as is (--leave-output-tensor)']);
    expect(p.tensors.find((x) => x.name === 'token_embd.weight')!.to).toBe('Q4_K');
  });
});

describe('which tensors are quantized at all', () => {
  const extra = {
    'ffn_gate_inp.weight': [8, 256],
    'ssm_conv1d.weight': [4, 256],
    'time_mix_w1.weight': [64, 256],
    'attn_rel_b.weight': [32, 256],
    'altup_proj.weight': [4, 256],
    'attn_q.bias': [4, 256],
    'row.weight': [1, 256],
    'col.weight': [1, 1, 256],
    'cube.weight': [2, 1, 256],
  };
  const m = synthModel({ layers: 1, extra });
  const withTop = {
    ...m,
    tensors: [
      ...m.tensors,
      { name: 'position_embd.weight', shape: [512, 256], type: 'F32' as const },
      { name: 'token_types.weight', shape: [2, 256], type: 'F32' as const },
      { name: 'v.patch_embd.weight', shape: [64, 256], type: 'F32' as const },
      { name: 'abcde', shape: [4, 256], type: 'F32' as const },
      { name: 'abcdef', shape: [4, 256], type: 'F32' as const },
    ],
  };
  const t = plan(withTop, { preset: 'Q8_0' });
  it('keeps 1-D tensors, norms, routers, conv/RWKV/position/multimodal weights and non-weights', () => {
    for (const n of ['blk.0.ffn_gate_inp.weight', 'blk.0.ssm_conv1d.weight', 'blk.0.time_mix_w1.weight', 'blk.0.attn_rel_b.weight', 'blk.0.altup_proj.weight', 'blk.0.attn_q.bias', 'blk.0.attn_norm.weight', 'position_embd.weight', 'token_types.weight', 'v.patch_embd.weight', 'abcdef', 'blk.0.row.weight', 'blk.0.col.weight']) {
      expect([n, t[n]]).toEqual([n, 'F32']);
    }
  });
  it('quantizes 2-D and 3-D weights (ne[1] == 1 counts as 1-D, a middle 1 does not)', () => {
    expect([t['blk.0.cube.weight'], t['blk.0.attn_q.weight']]).toEqual(['Q8_0', 'Q8_0']);
  });
  it('treats any 5-byte name as ending in "weight" (size_t wrap-around in the reference)', () => {
    expect(t['abcde']).toBe('Q8_0');
  });
  it('COPY keeps every tensor and writes the input file type', () => {
    const q = synthModel({ layers: 2, type: 'Q8_0', meta: { 'general.file_type': { type: 'u32', value: 7 } } });
    const p = planQuantTypes(q, { preset: 'COPY' });
    expect(p.tensors.every((x) => x.from === x.to)).toBe(true);
    expect(p.fileType).toBe(7);
  });
  it('COPY without general.file_type writes the guessed type, most common tensor type | 1024', () => {
    // 2 layers: 2 + 14 Q8_0 matrices against 5 F32 norms
    expect(planQuantTypes(synthModel({ layers: 2, type: 'Q8_0' }), { preset: 'copy' }).fileType).toBe(7 | 1024);
    expect(planQuantTypes(synthModel({ layers: 2, type: 'Q8_0' }), { preset: 'copy' }).fileTypeName).toBe('(guessed) Q8_0');
  });
});

describe('input types', () => {
  it('a quantized input needs --allow-requantize unless its type is kept', () => {
    const q = synthModel({ layers: 2, type: 'Q8_0' });
    const e = refusal(() => plan(q, { preset: 'Q4_K_M' }));
    expect([e.kind, e.tensor, e.message.split(' (')[0]]).toEqual(['requantize', 'output.weight', 'requantizing from type q8_0 is disabled']);
    expect(plan(q, { preset: 'Q4_K_M', allowRequantize: true })['output.weight']).toBe('Q6_K');
    expect(Object.values(plan(q, { preset: 'Q8_0' })).every((x) => x === 'Q8_0' || x === 'F32')).toBe(true);
    expect(refusal(() => plan(q, { preset: 'F32' })).kind).toBe('requantize');
  });
  it('F16 and BF16 inputs convert without --allow-requantize; integer weights do not convert', () => {
    expect(plan(synthModel({ layers: 1, type: 'F16' }), { preset: 'Q4_K_M' })['blk.0.attn_q.weight']).toBe('Q4_K');
    expect(plan(synthModel({ layers: 1, type: 'BF16' }), { preset: 'F16' })['blk.0.attn_q.weight']).toBe('F16');
    const e = refusal(() => plan(synthModel({ layers: 1, type: 'I32' }), { preset: 'Q4_K_M' }));
    expect([e.kind, e.message.split(' (')[0]]).toEqual(['cannot-convert', 'cannot dequantize/convert tensor type i32']);
  });
  it('an input already in its target type is copied without --allow-requantize', () => {
    const q = synthModel({ layers: 1, type: 'IQ4_NL' });
    expect(plan(q, { preset: 'IQ4_NL', outputTensorType: 'IQ4_NL' })['blk.0.attn_q.weight']).toBe('IQ4_NL');
  });
  it('the imatrix requirement looks at the target type only, so even an unchanged IQ2_XXS tensor is refused', () => {
    const e = refusal(() => plan(synthModel({ layers: 1, type: 'IQ2_XXS' }), { preset: 'IQ2_XXS' }));
    expect([e.kind, e.tensor]).toEqual(['needs-imatrix', 'blk.0.attn_k.weight']);
  });
});

describe('importance matrix', () => {
  const m = synthModel({ layers: 4 });
  it('presets whose types need one are refused at the first such tensor, with its target type', () => {
    const cases: Array<[string, string, string]> = [
      ['IQ2_XXS', 'blk.0.attn_k.weight', 'iq2_xxs'],
      ['IQ2_XS', 'blk.0.attn_k.weight', 'iq2_xs'],
      ['IQ2_S', 'blk.0.attn_k.weight', 'iq2_xs'],
      ['IQ2_M', 'blk.0.attn_k.weight', 'iq2_s'],
      ['IQ1_S', 'blk.0.attn_k.weight', 'iq1_s'],
      ['IQ1_M', 'blk.0.attn_k.weight', 'iq1_m'],
      ['IQ3_XXS', 'blk.0.attn_k.weight', 'iq2_s'],
      ['IQ3_XS', 'blk.0.attn_k.weight', 'iq3_xxs'],
      ['Q2_K_S', 'blk.0.attn_k.weight', 'q2_K'],
    ];
    for (const [preset, tensor, type] of cases) {
      const e = refusal(() => plan(m, { preset }));
      expect([preset, e.kind, e.tensor, e.message]).toEqual([preset, 'needs-imatrix', tensor, `this quantization requires an importance matrix! offending tensor: ${tensor}, target type: ${type}`]);
      expect(() => plan(m, { preset, imatrix: true })).not.toThrow();
    }
  });
  it('Q2_K_S: the first-eighth ffn_down gets Q4_K and attn_v Q4_K with n_gqa >= 4', () => {
    const t = plan(synthModel({ layers: 16, nHead: 32, nHeadKv: 8 }), { preset: 'Q2_K_S', imatrix: true });
    expect(perLayer(t, 'ffn_down', 16)).toEqual(layersWith(16, [0, 1], 'Q4_K', 'Q2_K'));
    expect(perLayer(t, 'attn_v', 16)).toEqual(layersWith(16, [], 'Q2_K', 'Q4_K'));
  });
  it('presets that never reach those types run without one', () => {
    for (const preset of ['Q2_K', 'IQ3_S', 'IQ3_M', 'IQ4_XS', 'TQ1_0', 'MXFP4_MOE', 'Q1_0']) expect(() => plan(m, { preset })).not.toThrow();
  });
});
