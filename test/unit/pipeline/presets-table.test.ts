/**
 * The preset table, preset parsing, write order, model hyperparameters and KV updates. Expected
 * values come from tools/quantize/quantize.cpp (QUANT_OPTIONS, try_parse_ftype), include/llama.h
 * (LLAMA_FTYPE_*), src/llama-model-loader.h (weight_name_comparer), src/llama-quant.cpp and the
 * per-architecture load_arch_hparams at llama.cpp 34af94cd, read by hand.
 */
import { describe, expect, it } from 'vitest';
import { canEncode } from '../../../src/codecs/registry';
import type { MetaValue, Metadata } from '../../../src/formats/model';
import { defaultTypeOf, ftypeName, parsePreset, PRESETS } from '../../../src/pipeline/presets';
import { applyKvUpdates, parseTensorTypeOption, planQuantTypes } from '../../../src/pipeline/presets-plan';
import { presetStatuses } from '../../../src/pipeline/presets-probe';
import { scanLayer, weightOrder } from '../../../src/pipeline/quant-rules-model';
import { layersWith, perLayer, plan, refusal, synthModel, u32 } from './presets-synthetic';

describe('preset table (QUANT_OPTIONS)', () => {
  it('lists every preset with its ftype id, in llama-quantize order', () => {
    expect(PRESETS.map((p) => `${p.name}=${p.ftype}`).join(' ')).toBe(
      'Q1_0=40 Q2_0=41 Q4_0=2 Q4_1=3 MXFP4_MOE=38 Q5_0=8 Q5_1=9 IQ2_XXS=19 IQ2_XS=20 IQ2_S=28 IQ2_M=29 IQ1_S=24 IQ1_M=31 ' +
        'TQ1_0=36 TQ2_0=37 Q2_K=10 Q2_K_S=21 IQ3_XXS=23 IQ3_S=26 IQ3_M=27 Q3_K=12 IQ3_XS=22 Q3_K_S=11 Q3_K_M=12 Q3_K_L=13 ' +
        'IQ4_NL=25 IQ4_XS=30 Q4_K=15 Q4_K_S=14 Q4_K_M=15 Q5_K=17 Q5_K_S=16 Q5_K_M=17 Q6_K=18 Q8_0=7 F16=1 BF16=32 F32=0 COPY=0',
    );
    expect(PRESETS.find((p) => p.name === 'Q4_K_M')!.description).toBe(' 4.58G, +0.1754 ppl @ Llama-3-8B');
  });
  it('every preset has a default type (llama_ftype_get_default_type)', () => {
    const d = Object.fromEntries(PRESETS.map((p) => [p.name, defaultTypeOf(p.ftype)]));
    expect([d['IQ2_S'], d['IQ2_M'], d['IQ3_XS'], d['IQ3_M'], d['MXFP4_MOE'], d['Q2_K_S'], d['COPY']]).toEqual(['IQ2_XS', 'IQ2_S', 'IQ3_S', 'IQ3_S', 'MXFP4', 'Q2_K', 'F32']);
    expect(PRESETS.every((p) => defaultTypeOf(p.ftype) !== null)).toBe(true);
    expect(defaultTypeOf(39)).toBeNull(); // NVFP4 has an ftype id but no preset and no default type
  });
  it('parses names in any case and numbers as std::stoi reads them, first match winning', () => {
    const name = (s: string) => parsePreset(s)?.name ?? null;
    expect(['q4_k_m', 'Q4_K_M', 'iq2_xxs', 'copy', '15', ' 15abc', '+12', '0', '38', 'Q4_K_XL', '99', '', 'abc'].map(name)).toEqual([
      'Q4_K_M', 'Q4_K_M', 'IQ2_XXS', 'COPY', 'Q4_K', 'Q4_K', 'Q3_K', 'F32', 'MXFP4_MOE', null, null, null, null,
    ]);
  });
  it('refuses an unknown preset', () => {
    const e = refusal(() => plan(synthModel(), { preset: 'Q4_K_XL' }));
    expect([e.kind, e.message.split(';')[0]]).toEqual(['unknown-preset', "invalid ftype 'Q4_K_XL'"]);
  });
  it('names file types as llama.cpp does', () => {
    expect([ftypeName(15), ftypeName(1024 | 7), ftypeName(27), ftypeName(99)]).toEqual(['Q4_K - Medium', '(guessed) Q8_0', 'IQ3_S mix - 3.66 bpw', 'unknown, may not work']);
  });
  it('parses --tensor-type NAME=TYPE as llama-quantize does', () => {
    expect(parseTensorTypeOption('attn_v=q8_0')).toEqual(['attn_v', 'Q8_0']);
    expect(parseTensorTypeOption('ffn_down=Q4_k')).toEqual(['ffn_down', 'Q4_K']);
    expect(refusal(() => parseTensorTypeOption('attn_v')).message).toBe("malformed tensor type 'attn_v'");
    expect(refusal(() => parseTensorTypeOption('=q8_0')).message).toBe('missing tensor name');
    expect(refusal(() => parseTensorTypeOption('attn_v=')).message).toBe('missing quantization type');
    expect(refusal(() => parseTensorTypeOption('attn_v=q9_9')).message).toBe("invalid quantization type 'q9_9'");
  });
});

describe('types each preset can pick, and whether Kiln can run it now', () => {
  const st = Object.fromEntries(presetStatuses().map((s) => [s.name, s]));
  it('covers every preset', () => {
    expect(Object.keys(st)).toEqual(PRESETS.map((p) => p.name));
  });
  // Worked out from the rules: Q8_0 never leaves Q8_0; Q4_0 adds Q6_K (output) and Q8_0 (falcon
  // output, 8-expert attn_v/attn_k, Q6_K fallback); Q4_K_M adds Q5_K (falcon ffn_down, 70B attn_v,
  // 8-expert attn_output), Q6_K, Q8_0 and the fallbacks Q5_0 / Q5_1 / F16.
  it('Q8_0, Q4_0, Q4_K_M, F16 and COPY pick the types the rules allow', () => {
    expect(st['Q8_0']!.types).toEqual(['Q8_0']);
    expect(st['Q4_0']!.types).toEqual(['Q4_0', 'Q8_0', 'Q6_K']);
    expect(st['Q4_K_M']!.types).toEqual(['F16', 'Q5_0', 'Q5_1', 'Q8_0', 'Q4_K', 'Q5_K', 'Q6_K']);
    expect(st['F16']!.types).toEqual(['F16']);
    expect(st['COPY']!.types).toEqual([]);
  });
  it('marks the presets that need an importance matrix', () => {
    const need = PRESETS.filter((p) => st[p.name]!.needsImatrix).map((p) => p.name);
    expect(need).toEqual(['IQ2_XXS', 'IQ2_XS', 'IQ2_S', 'IQ2_M', 'IQ1_S', 'IQ1_M', 'Q2_K_S', 'IQ3_XXS', 'IQ3_XS']);
  });
  it('is usable exactly when every type has an encoder and no imatrix is needed', () => {
    for (const s of Object.values(st)) {
      expect(s.missingEncoders).toEqual(s.types.filter((t) => !canEncode(t)));
      expect(s.usable).toBe(s.missingEncoders.length === 0 && !s.needsImatrix);
    }
    expect(st['COPY']!.usable).toBe(true);
  });
});

describe('write order (weight_name_comparer)', () => {
  it('non-block tensors first by bytes, then blocks by number, each by bytes', () => {
    const names = ['blk.10.a', 'blk.9.b', 'token_embd.weight', 'blk.9.a', 'Output', 'blk.-1.x', 'output.weight', 'blk.x.y', 'blk.2.é', 'blk.2.z'];
    expect(weightOrder(names.map((name) => ({ name }))).map((x) => x.name)).toEqual([
      'Output', 'blk.-1.x', 'blk.x.y', 'output.weight', 'token_embd.weight', 'blk.2.z', 'blk.2.é', 'blk.9.a', 'blk.9.b', 'blk.10.a',
    ]);
  });
  it('reads the block number as sscanf("blk.%d.") does', () => {
    expect(['blk.7.a', 'blk. 7.a', 'blk.+3', 'blk.-2.a', 'blk.x', 'blk', 'xblk.1.a', 'blk.99999999999.a', 'blk.007'].map(scanLayer)).toEqual([
      7, 7, 3, -2, undefined, undefined, undefined, 1215752191, 7,
    ]);
  });
});

describe('model hyperparameters', () => {
  it('graniteswitch counts one extra layer and nanbeige its loops in n_layer_all', () => {
    // n = 7: use_more_bits for 2 ((i - 0) % 3 == 2), 5, 6 (>= 49/8 = 6); n = 8: 0, 3, 6, 7
    expect(perLayer(plan(synthModel({ layers: 7 }), { preset: 'Q4_K_M' }), 'ffn_down', 7)).toEqual(layersWith(7, [2, 5, 6], 'Q6_K', 'Q4_K'));
    expect(perLayer(plan(synthModel({ arch: 'graniteswitch', layers: 7 }), { preset: 'Q4_K_M' }), 'ffn_down', 7)).toEqual(layersWith(7, [0, 3, 6], 'Q6_K', 'Q4_K'));
    const nb = synthModel({ arch: 'nanbeige', layers: 4, meta: { 'nanbeige.num_loops': u32(2) } });
    expect(perLayer(plan(nb, { preset: 'Q4_K_M' }), 'ffn_down', 4)).toEqual(layersWith(4, [0, 3], 'Q6_K', 'Q4_K'));
    expect(perLayer(plan(synthModel({ layers: 4 }), { preset: 'Q4_K_M' }), 'ffn_down', 4)).toEqual(layersWith(4, [2, 3], 'Q6_K', 'Q4_K'));
  });
  it('clip has no block count: every ffn_down is a use_more_bits layer (0 >= 7*0/8)', () => {
    const m = synthModel({ arch: 'clip', layers: 3 });
    m.metadata.delete('clip.block_count');
    expect(perLayer(plan(m, { preset: 'Q4_K_M' }), 'ffn_down', 3)).toEqual(['Q6_K', 'Q6_K', 'Q6_K']);
  });
  it('reads head counts from per-layer arrays (layer 0) and checks their length', () => {
    const arr = (n: number, v: number): MetaValue => ({ type: 'array', itemType: 'i32', value: new Array<number>(n).fill(v) });
    const m = synthModel({ layers: 4, meta: { 'llama.attention.head_count': arr(4, 32), 'llama.attention.head_count_kv': arr(4, 8) } });
    expect(plan(m, { preset: 'Q2_K' })['blk.0.attn_v.weight']).toBe('Q4_K');
    const bad = synthModel({ layers: 4, meta: { 'llama.attention.head_count': arr(3, 32) } });
    expect(refusal(() => plan(bad, { preset: 'Q2_K' })).message).toBe('key llama.attention.head_count has wrong array length; expected 4, got 3');
  });
  it('refuses what llama.cpp cannot load', () => {
    const noBlocks = synthModel();
    noBlocks.metadata.delete('llama.block_count');
    expect(refusal(() => plan(noBlocks, { preset: 'Q4_K_M' })).message).toBe('key not found in model: llama.block_count');
    const i32Type = synthModel({ meta: { 'general.file_type': { type: 'i32', value: 1 } } });
    expect(refusal(() => plan(i32Type, { preset: 'Q4_K_M' })).message).toBe('key general.file_type has wrong type i32 but expected type u32');
    const dup = synthModel();
    const e = refusal(() => plan({ ...dup, tensors: [...dup.tensors, dup.tensors[1]!] }, { preset: 'Q4_K_M' }));
    expect([e.kind, e.message]).toEqual(['bad-model', "invalid model: tensor 'blk.0.attn_norm.weight' is duplicated"]);
    const long = `blk.0.${'x'.repeat(51)}.weight`; // 64 bytes
    expect(refusal(() => plan({ ...dup, tensors: [...dup.tensors, { name: long, shape: [4, 256], type: 'F32' }] }, { preset: 'Q8_0' })).kind).toBe('bad-model');
    expect(refusal(() => plan({ ...dup, tensors: [...dup.tensors, { name: 'x.weight', shape: [4, 256], type: 'F8_E4M3' }] }, { preset: 'Q8_0' })).kind).toBe('bad-model');
    expect(refusal(() => plan({ ...dup, tensors: [...dup.tensors, { name: 'x.weight', shape: [4, 256], type: null, typeLabel: 'type 99' }] }, { preset: 'Q8_0' })).message).toContain('type 99');
  });
});

describe('KV updates', () => {
  it('quantization_version then file_type go to the end; split keys go', () => {
    const md: Metadata = new Map<string, MetaValue>([
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['general.file_type', u32(1)],
      ['general.quantization_version', u32(2)],
      ['split.no', { type: 'u16', value: 0 }],
      ['llama.block_count', u32(2)],
      ['split.count', { type: 'u16', value: 1 }],
    ]);
    const p = planQuantTypes({ metadata: md, tensors: synthModel({ layers: 2 }).tensors }, { preset: 'Q5_K_S' });
    const out = applyKvUpdates(md, p.kv);
    expect([...out].map(([k, v]) => `${k}=${String(v.value)}`)).toEqual(['general.architecture=llama', 'llama.block_count=2', 'general.quantization_version=2', 'general.file_type=16']);
    expect(p.fileTypeName).toBe('Q5_K - Small');
  });
});
