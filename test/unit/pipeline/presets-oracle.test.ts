/**
 * The plan against llama-quantize itself on synthetic models: quantize-dry-run.json.gz holds, for
 * each model (metadata + tensor shapes, written as GGUF with gguf-py) and each command line, the
 * type `llama-quantize --dry-run` (llama.cpp 34af94cd, CPU build) printed for every tensor, in its
 * order, or the error it stopped with. Dry runs skip the imatrix refusal and all conversion, so
 * this checks the type decision itself: mixtures, counters, fallbacks, options and write order.
 * quantize-real.json.gz holds real runs (refusals and aborts, COPY's file type, the KV pairs of
 * the written file). Both were made by the gen_quantize_*.py scripts beside them.
 */
import { describe, expect, it } from 'vitest';
import { fixtureJson } from '../../support/fixtures';
import { planRefusal } from '../../support/plan-refusal';
import type { TypeName } from '../../../src/codecs/catalogue';
import type { MetaValue, Metadata } from '../../../src/formats/model';
import { applyKvUpdates, parseGgmlType, parseTensorTypeOption, planQuantTypes, QuantizePlanError, type PlanModelInput, type QuantizeOptions } from '../../../src/pipeline/presets-plan';

interface OracleRun {
  args: string[];
  rc: number;
  types?: string;
  names?: string[];
  error?: string[];
  imatrix_warning?: boolean;
}
interface OracleCase {
  name: string;
  /** Output order of the first successful run; a run lists its own `names` only when they differ. */
  names: string[];
  model: { metadata: Array<[string, string, string | number]>; tensors: Array<[string, number[]]> };
  runs: OracleRun[];
}

const oracle = fixtureJson<{ cases: OracleCase[] }>('tiny-llama/quantize-dry-run.json');

interface RealRun {
  args: string[];
  rc: number;
  error?: string[];
  kv?: Array<[string, string, string | number]>;
  tensors?: Array<[string, string]>;
}
interface RealCase extends OracleCase {
  ttype: TypeName;
  types?: Record<string, TypeName>;
  runs: RealRun[];
}
const real = fixtureJson<{ cases: RealCase[] }>('tiny-llama/quantize-real.json');

function toModel(c: OracleCase): PlanModelInput {
  const metadata: Metadata = new Map(c.model.metadata.map(([k, t, v]) => [k, { type: t, value: v } as MetaValue]));
  return { metadata, tensors: c.model.tensors.map(([name, shape]) => ({ name, shape, type: 'F32' as const })) };
}

function toOptions(args: string[], model?: PlanModelInput): QuantizeOptions {
  const tensorTypes: Array<readonly [string, ReturnType<typeof parseTensorTypeOption>[1]]> = [];
  const o: { -readonly [K in keyof QuantizeOptions]: QuantizeOptions[K] } = { preset: args.at(-1)!, dryRun: true, tensorTypes };
  for (let i = 0; i < args.length - 1; i++) {
    const a = args[i]!;
    if (a === '--pure') o.pure = true;
    else if (a === '--leave-output-tensor') o.leaveOutputTensor = true;
    else if (a === '--allow-requantize') o.allowRequantize = true;
    else if (a === '--imatrix') {
      // the generator's legacy imatrix file: one entry per weight of two or more dimensions,
      // 10 chunks, dataset "synthetic"
      const file = args[++i]!;
      const entries = model?.tensors.filter((t) => t.shape.length > 1 && t.name.endsWith('weight')).length ?? 0;
      o.imatrixInfo = { file, dataset: 'synthetic', entries, chunks: 10 };
    }
    else if (a === '--output-tensor-type') o.outputTensorType = parseGgmlType(args[++i]!);
    else if (a === '--token-embedding-type') o.tokenEmbeddingType = parseGgmlType(args[++i]!);
    else if (a === '--tensor-type') tensorTypes.push(parseTensorTypeOption(args[++i]!));
    else throw new Error(`unexpected argument ${a}`);
  }
  return o;
}

/** ggml_type_name back to the catalogue name. */
const kilnName = (ggml: string): string => ggml.toUpperCase();

describe('llama-quantize --dry-run on synthetic models', () => {
  it('has the recorded cases', () => {
    expect(oracle.cases.length).toBe(14);
  });
  for (const c of oracle.cases) {
    describe(c.name, () => {
      const model = toModel(c);
      for (const run of c.runs) {
        it(run.args.join(' '), () => {
          const opts = toOptions(run.args);
          if (run.rc !== 0) {
            const err = planRefusal(model, opts);
            const what = run.error!.map((l) => /failed to quantize: (.*)$/.exec(l)?.[1]).find((m) => m !== undefined);
            expect(what).toBeDefined();
            expect(err.message.startsWith(what!.trim())).toBe(true);
            return;
          }
          const plan = planQuantTypes(model, opts);
          const names = run.names ?? c.names;
          expect(plan.tensors.map((t) => t.name)).toEqual(names);
          const want = run.types!.split(',').map(kilnName);
          expect(plan.tensors.map((t) => `${t.name}: ${t.to}`)).toEqual(names.map((n, i) => `${n}: ${want[i]}`));
          const warned = plan.warnings.some((w) => w.includes('will require an imatrix'));
          expect(warned).toBe(run.imatrix_warning);
          if (opts.imatrixInfo === undefined) expect(plan.imatrixRequired).toBe(run.imatrix_warning);
        });
      }
    });
  }
});

/** How each abort or exception of llama-quantize reads, and the refusal Kiln gives for it. */
const REFUSALS: Array<[RegExp, string]> = [
  [/this quantization requires an imatrix/, 'needs-imatrix'],
  [/GGML_ASSERT\(imatrix != NULL\)/, 'needs-imatrix'],
  [/requantizing from type/, 'requantize'],
  [/cannot dequantize\/convert tensor type/, 'cannot-convert'],
  [/GGML_ASSERT\(result == nrows \* row_size\)/, 'cannot-quantize'],
  [/tensor row size not divisible|n_per_row%QK_K == 0/, 'row-not-divisible'],
];

const GGUF_PY_TYPES: Record<string, string> = { UINT32: 'u32', UINT16: 'u16', FLOAT32: 'f32', STRING: 'string' };

describe('llama-quantize (real runs) on synthetic models', () => {
  for (const c of real.cases) {
    const model: PlanModelInput = {
      metadata: new Map(c.model.metadata.map(([k, t, v]) => [k, { type: t, value: v } as MetaValue])),
      tensors: c.model.tensors.map(([name, shape]) => ({ name, shape, type: c.types?.[name] ?? (shape.length > 1 ? c.ttype : 'F32') })),
    };
    for (const run of c.runs) {
      it(`${c.name}: ${run.args.join(' ')}`, () => {
        const opts = { ...toOptions(run.args, model), dryRun: false };
        if (run.rc !== 0) {
          const err = planRefusal(model, opts);
          const log = run.error!.join('\n');
          const kind = REFUSALS.find(([re]) => re.test(log))?.[1];
          expect((err as QuantizePlanError).kind).toBe(kind);
          // the tensor llama-quantize names, or was converting when it aborted
          const tensor = /offending tensor: (\S+)/.exec(log)?.[1] ?? /\] (\S+)\s+- \[/.exec(log)?.[1];
          if (tensor !== undefined) expect((err as QuantizePlanError).tensor).toBe(tensor);
          const target = /target type: (\S+)/.exec(log)?.[1];
          if (target !== undefined) expect((err as Error).message).toContain(`target type: ${target}`);
          return;
        }
        const plan = planQuantTypes(model, opts);
        expect(plan.tensors.map((t) => [t.name, t.to])).toEqual(run.tensors);
        const out = applyKvUpdates(model.metadata, plan.kv);
        const got = [...out].map(([k, v]) => [k, v.type, v.type === 'f32' ? Math.fround(v.value as number) : v.value]);
        expect(got).toEqual(run.kv!.map(([k, t, v]) => [k, GGUF_PY_TYPES[t], t === 'FLOAT32' ? Math.fround(v as number) : v]));
      });
    }
  }
});
