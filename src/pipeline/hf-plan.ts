import { byteSizeOf, type TypeName } from '../codecs/catalogue';
import { canEncode } from '../codecs/registry';
import { FTYPE } from '../formats/hf/reader';
import { converterKeepsF32 } from '../formats/hf/tensor-map';
import { elementCount, type ModelView } from '../formats/model';
import { layoutPlan, PlanError, withoutUnconvertible, type ConversionPlan, type OutputLayout, type PlannedOutputTensor } from './plan';
import { applyKvUpdates, type KvUpdate } from './presets-plan';

/**
 * Plans for a Hugging Face folder (format 'hf') written as GGUF with one of convert_hf_to_gguf.py's
 * own --outtype values: the converter's file for that type (ModelBase.prepare_tensors' type rules,
 * general.file_type in its place among the KVs). Presets go through llama-quantize's rules in
 * planner.ts, the view standing for the converter's lossless output.
 */

/** --outtype values and their general.file_type (the ternary ones are not offered yet). */
const OUTTYPES: Readonly<Partial<Record<TypeName, number>>> = { F32: FTYPE.F32, F16: FTYPE.F16, BF16: FTYPE.BF16, Q8_0: FTYPE.Q8_0 };

/** The converter's plan for `target`, or null when `target` is not one of its output types. */
export function planHfConverterOutput(
  model: ModelView,
  target: string,
  layout: OutputLayout,
  overrideKv: readonly KvUpdate[],
  skipUnconvertible: boolean,
): ConversionPlan | null {
  const t = target.toUpperCase() as TypeName;
  const ftype = OUTTYPES[t];
  if (ftype === undefined || layout.format !== 'gguf') return null;
  if (t !== 'F32' && !canEncode(t)) throw new PlanError(`Kiln cannot encode ${t} yet`);
  const { model: kept, warnings } = withoutUnconvertible(model, 'gguf', skipUnconvertible);
  const tensors: PlannedOutputTensor[] = kept.tensors.map((src) => {
    const from = src.type!;
    let to: TypeName = t;
    let reason = `${from} -> ${t} (convert_hf_to_gguf --outtype ${t.toLowerCase()})`;
    if (converterKeepsF32(src.name, src.shape)) {
      to = 'F32';
      reason = 'kept F32 as the converter keeps norms, biases and 1-D tensors';
    } else if (t === 'Q8_0' && (src.shape[src.shape.length - 1] ?? 0) % 32 !== 0) {
      // gguf-py quants.quantize raises QuantError; the converter falls back to F16
      to = 'F16';
      reason = `rows of ${src.shape[src.shape.length - 1]} are not whole Q8_0 blocks: F16, as the converter falls back`;
      warnings.push(`${src.name}: ${reason}`);
    } else if (from === t) reason = `already ${t}`;
    const elements = elementCount(src.shape);
    return { name: src.name, source: src, from, to, shape: src.shape, elements, outBytes: byteSizeOf(to, elements)!, reason };
  });
  const metadata = applyKvUpdates(new Map(kept.metadata).set('general.file_type', { type: 'u32', value: ftype }), overrideKv);
  const plan = layoutPlan(layout, target, tensors, metadata, warnings);
  return t === 'Q8_0' ? { ...plan, checkData: true } : plan;
}
