import { isTypeName, type TypeName } from '../codecs/catalogue';
import { canDecode, canEncode } from '../codecs/registry';
import type { ModelView, TensorInfo } from '../formats/model';
import { layoutPlan, planCast, PlanError, withoutUnconvertible, type ConversionPlan, type OutputLayout, type PlannedOutputTensor } from './plan';
import { parsePreset } from './presets';
import { applyKvUpdates, planQuantTypes, type KvUpdate, type QuantizeOptions } from './presets-plan';
import { planHfConverterOutput } from './hf-plan';

export interface ConversionOptions extends OutputLayout {
  /** A type name (F16, Q8_0, ...) or a llama-quantize preset (Q4_K_M, ...). */
  readonly target: string;
  /** llama-quantize's options, for GGUF output. */
  readonly quantize?: Omit<QuantizeOptions, 'preset'>;
  /** --override-kv, applied after llama-quantize's own updates, in order. */
  readonly overrideKv?: readonly KvUpdate[];
  /**
   * --skip-unconvertible: leave out tensors the output cannot carry (unknown types, integer
   * dtypes the format lacks), listing them in the warnings; without it they stop the conversion.
   */
  readonly skipUnconvertible?: boolean;
}

/**
 * Chooses how to convert: GGUF input to GGUF output goes through llama-quantize's rules (every
 * preset, plain types included, so F16 keeps 1-D tensors as llama-quantize does); a plain type to
 * safetensors, or from another format to GGUF, is a dtype cast; a preset from another format uses
 * llama-quantize's rules on the tensors as they are named.
 */
export function planConversion(model: ModelView, opts: ConversionOptions): ConversionPlan {
  const skip = opts.skipUnconvertible === true;
  const target = opts.target.trim();
  const asType: TypeName | null = isTypeName(target.toUpperCase()) ? (target.toUpperCase() as TypeName) : null;
  if (opts.format === 'safetensors') {
    if (asType === null) throw new PlanError(`safetensors output takes a dtype (F32, F16, BF16), not the preset ${target}`);
    return planCast(model, asType, opts, canEncode, canDecode, skip);
  }
  const preset = parsePreset(target);
  const cast = (t: TypeName) => planCast(model, t, opts, canEncode, canDecode, skip, opts.overrideKv ?? []);
  // a Hugging Face folder: the converter's own file for its output types, else as the GGUF it writes
  const hf = model.format === 'hf' ? planHfConverterOutput(model, target, opts, opts.overrideKv ?? [], skip) : null;
  if (hf !== null) return hf;
  if (model.format !== 'gguf' && model.format !== 'hf' && asType !== null) return cast(asType);
  if (preset === null) {
    if (asType !== null) return cast(asType);
    throw new PlanError(`unknown target "${target}": give a type (F16, Q8_0, ...) or a llama-quantize preset (Q4_K_M, ...)`);
  }
  const kept = withoutUnconvertible(model, 'gguf', skip);
  const q = planQuantTypes(
    { metadata: model.metadata, tensors: kept.model.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, typeLabel: t.typeLabel })) },
    { ...opts.quantize, preset: target },
  );
  if (q.missingDecoders.length > 0) throw new PlanError(`Kiln cannot decode ${q.missingDecoders.join(', ')} yet`);
  if (q.missingEncoders.length > 0) throw new PlanError(`Kiln cannot encode ${q.missingEncoders.join(', ')} yet, which ${target} needs`);
  const byName = new Map<string, TensorInfo>(model.tensors.map((t) => [t.name, t]));
  let tensors: PlannedOutputTensor[] = q.tensors.map((t) => {
    const source = byName.get(t.sourceName ?? t.name)!;
    const part = Math.max(0, model.files.indexOf(source.file));
    return { name: t.name, source, from: t.from, to: t.to, shape: t.shape, elements: t.shape.reduce((a, b) => a * b, 1), outBytes: t.nbytes, reason: t.reason, part, ...(t.weights !== undefined ? { weights: t.weights } : {}) };
  });
  // --keep-split sorts by input part, then by offset in it (llama_model_quantize_impl)
  if (opts.keepSplit) tensors = [...tensors].sort((a, b) => a.part! - b.part! || a.source.fileOffset - b.source.fileOffset);
  const metadata = applyKvUpdates(applyKvUpdates(applyKvUpdates(model.metadata, q.kv), opts.overrideKv ?? []), q.kvAfterOverrides);
  return { ...layoutPlan(opts, target, tensors, metadata, [...kept.warnings, ...q.warnings]), checkData: true };
}
