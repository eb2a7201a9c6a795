/**
 * The plan against what llama-quantize (llama.cpp 34af94cd) actually wrote for the tiny llama:
 * fixtures copied from shared/models/tiny-llama (tensor_types.json as made by the oracle harness;
 * the input header and the output KV lists read from the GGUF files with a small Python header
 * reader; the Q2_K_S failure log as llama-quantize printed it).
 */
import { describe, expect, it } from 'vitest';
import { fixtureBytes, fixtureJson } from '../../support/fixtures';
import type { MetaValue, Metadata, ScalarType } from '../../../src/formats/model';
import { isTypeName, type TypeName } from '../../../src/codecs/catalogue';
import { applyKvUpdates, planQuantTypes, type PlanModelInput } from '../../../src/pipeline/presets-plan';
import { planRefusal } from '../../support/plan-refusal';

interface HeaderKv {
  key: string;
  type: string;
  value?: string | number | boolean;
  itemType?: string;
  length?: number;
}
interface Header {
  kv: HeaderKv[];
  tensors: Array<{ name: string; ne: number[]; type: string }>;
}
interface QuantFile {
  file_type: number;
  tensors: Array<{ name: string; type: string; ne: number[]; nbytes: number }>;
}

const header = fixtureJson<Header>('tiny-llama/input-f32-header.json');
const variants = fixtureJson<Record<string, QuantFile>>('tiny-llama/tensor_types.json');
const outputKv = fixtureJson<{ files: Record<string, Array<[string, string, unknown]>> }>('tiny-llama/quant-output-kv.json').files;

function metaValue(kv: HeaderKv): MetaValue {
  if (kv.type === 'array') {
    // only the length and item type matter to the plan; fill with neutral items
    const itemType = kv.itemType as ScalarType;
    const fill = itemType === 'string' ? '' : 0;
    return { type: 'array', itemType, value: new Array<string | number>(kv.length!).fill(fill) };
  }
  return { type: kv.type, value: kv.value } as MetaValue;
}

function tinyLlama(): PlanModelInput {
  const metadata: Metadata = new Map(header.kv.map((kv) => [kv.key, metaValue(kv)]));
  const tensors = header.tensors.map((t) => {
    if (!isTypeName(t.type)) throw new Error(`fixture type ${t.type}`);
    return { name: t.name, shape: [...t.ne].reverse(), type: t.type as TypeName };
  });
  return { metadata, tensors };
}

function variantOptions(file: string): { preset: string; pure: boolean } {
  const m = /^tiny-llama-(.+?)(-pure)?\.gguf$/.exec(file);
  if (m === null) throw new Error(file);
  return { preset: m[1]!, pure: m[2] !== undefined };
}

describe('tiny llama: every variant llama-quantize made', () => {
  const files = Object.keys(variants);
  it('has the 18 variants (16 presets, Q4_0 --pure, Q4_K_M --pure)', () => {
    expect(files.length).toBe(18);
  });

  for (const file of files) {
    const want = variants[file]!;
    const opts = variantOptions(file);
    describe(file, () => {
      const plan = planQuantTypes(tinyLlama(), opts);

      it('writes the tensors in the order of the file', () => {
        expect(plan.tensors.map((t) => t.name)).toEqual(want.tensors.map((t) => t.name));
      });
      it('picks the type of every tensor', () => {
        const got = plan.tensors.map((t) => `${t.name}: ${t.to}`);
        expect(got).toEqual(want.tensors.map((t) => `${t.name}: ${t.type}`));
      });
      it('sizes every tensor as the file does', () => {
        expect(plan.tensors.map((t) => t.nbytes)).toEqual(want.tensors.map((t) => t.nbytes));
        expect(plan.tensors.map((t) => [...t.shape].reverse())).toEqual(want.tensors.map((t) => t.ne));
      });
      it('sets general.file_type as the file does', () => {
        expect(plan.fileType).toBe(want.file_type);
        expect(plan.warnings).toEqual([]);
      });
      it('writes the KV pairs in the file order, with the file values', () => {
        const out = applyKvUpdates(tinyLlama().metadata, plan.kv);
        const got = [...out].map(([k, v]) => [k, v.type, v.type === 'array' ? null : v.value]);
        const expected = outputKv[file]!.map(([k, t, v]) => [k, t, t === 'f32' ? Math.fround(v as number) : v]);
        expect(got.map((r) => (r[1] === 'f32' ? [r[0], r[1], Math.fround(r[2] as number)] : r))).toEqual(expected);
      });
    });
  }

  it('Q2_K_S is refused where llama-quantize refused it (tiny-llama-Q2_K_S.FAILED.log)', () => {
    const log = new TextDecoder().decode(fixtureBytes('tiny-llama/tiny-llama-Q2_K_S.FAILED.log'));
    const tensor = /offending tensor: (\S+)/.exec(log)![1]!;
    const target = /target type: (\S+)/.exec(log)![1]!;
    expect(log).toContain('this quantization requires an importance matrix!');
    const e = planRefusal(tinyLlama(), { preset: 'Q2_K_S' });
    expect(e.kind).toBe('needs-imatrix');
    expect(e.tensor).toBe(tensor);
    expect(e.message).toContain(`target type: ${target}`);
  });
});
