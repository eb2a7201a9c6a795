import { TYPES, byteSizeOf, type TypeName } from '../codecs/catalogue';
import type { SinkFactory } from '../io/byte-sink';
import { planGguf, writeGguf } from '../formats/gguf/writer';
import { planGgufSplit, writeGgufSplit } from '../formats/gguf/split-writer';
import type { PlannedStreamWriter } from '../formats/gguf/stream-writer';
import { elementCount, type Metadata, type ModelView, type TensorInfo } from '../formats/model';
import { planSafetensors, planSafetensorsShards, rustCrateOrder, writeSafetensors, writeSafetensorsShards } from '../formats/safetensors/writer';

export type OutputFormat = 'gguf' | 'safetensors';

/** One tensor of the output: where its bytes come from and what they become. */
export interface PlannedOutputTensor {
  readonly name: string;
  readonly source: TensorInfo;
  readonly from: TypeName;
  readonly to: TypeName;
  /** Row-major, outermost first. */
  readonly shape: readonly number[];
  readonly elements: number;
  readonly outBytes: number;
  /** Why this type was chosen (shown in the UI and by the CLI). */
  readonly reason: string;
  /** Output part, for --keep-split (tensors arrive grouped by part). */
  readonly part?: number;
}

export interface OutputFile {
  readonly name: string;
  readonly size: number;
}

/**
 * Everything decided before data moves: every output tensor, its type and size, the output
 * metadata, and the files with their exact sizes. `open` starts the writer on a set of sinks.
 */
export interface ConversionPlan {
  readonly format: OutputFormat;
  /** What the user asked for, e.g. "F16" or "Q4_K_M". */
  readonly target: string;
  readonly tensors: readonly PlannedOutputTensor[];
  readonly metadata: Metadata;
  readonly files: readonly OutputFile[];
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly warnings: readonly string[];
  /**
   * Check data as llama-quantize does (ggml_validate_row_data on every tensor read and on every
   * converted result) and stop at the first NaN or Inf. Set where Kiln stands in for
   * llama-quantize (a GGUF through a preset), where llama-quantize would fail on such data.
   */
  readonly checkData?: boolean;
  open(sinks: SinkFactory): Promise<PlannedStreamWriter>;
}

export class PlanError extends Error {
  override readonly name = 'PlanError';
}

export interface OutputLayout {
  readonly format: OutputFormat;
  /** File name of the output (or its stem for split / sharded outputs). */
  readonly baseName: string;
  /** Split a GGUF into parts / a safetensors file into shards of at most this many bytes. */
  readonly maxPartBytes?: number;
  /**
   * llama-quantize --keep-split: one output part per input part, tensors in input order, parts
   * named <base>-0000N-of-0000M.gguf even when there is one.
   */
  readonly keepSplit?: boolean;
}

/** Assembles the writer side of a plan from the chosen tensors and metadata. */
export function layoutPlan(
  layout: OutputLayout,
  target: string,
  tensors: readonly PlannedOutputTensor[],
  metadata: Metadata,
  warnings: readonly string[],
): ConversionPlan {
  const inputBytes = tensors.reduce((a, t) => a + t.source.nbytes, 0);
  const specs = tensors.map((t) => ({ name: t.name, type: t.to, shape: t.shape }));
  let files: OutputFile[];
  let open: (sinks: SinkFactory) => Promise<PlannedStreamWriter>;
  let ordered = tensors;
  if (layout.format === 'gguf') {
    const prefix = layout.baseName.replace(/\.gguf$/i, '');
    if (layout.keepSplit) {
      const partOf = tensors.map((t) => t.part ?? 0);
      const split = planGgufSplit({ metadata, tensors: specs, partOf, prefix });
      const parts = split.length === 1 ? [{ ...split[0]!, name: `${prefix}-00001-of-00001.gguf` }] : split;
      files = parts.map((p) => ({ name: p.name, size: p.plan.totalSize }));
      open = (sinks) => writeGgufSplit(parts, sinks);
    } else if (layout.maxPartBytes) {
      const split = planGgufSplit({ metadata, tensors: specs, maxPartBytes: layout.maxPartBytes, prefix });
      files = split.map((p) => ({ name: p.name, size: p.plan.totalSize }));
      open = (sinks) => writeGgufSplit(split, sinks);
    } else {
      const plan = planGguf({ metadata, tensors: specs });
      const name = `${prefix}.gguf`;
      files = [{ name, size: plan.totalSize }];
      open = async (sinks) => writeGguf(plan, await sinks.create(name, plan.totalSize));
    }
  } else {
    const stMeta = safetensorsMetadata(metadata);
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const sorted = rustCrateOrder(specs);
    const prefix = layout.baseName.replace(/\.safetensors$/i, '');
    if (layout.maxPartBytes) {
      const sh = planSafetensorsShards({ metadata: stMeta, tensors: sorted, maxShardBytes: layout.maxPartBytes, prefix });
      ordered = sh.shards.flatMap((p) => p.tensorIndices.map((i) => byName.get(sorted[i]!.name)!));
      files = sh.shards.map((p) => ({ name: p.name, size: p.plan.totalSize }));
      if (sh.index) files.push({ name: sh.index.name, size: sh.index.bytes.length });
      open = (sinks) => writeSafetensorsShards(sh, sinks);
    } else {
      ordered = sorted.map((t) => byName.get(t.name)!);
      const plan = planSafetensors({ metadata: stMeta, tensors: sorted });
      const name = `${prefix}.safetensors`;
      files = [{ name, size: plan.totalSize }];
      open = async (sinks) => writeSafetensors(plan, await sinks.create(name, plan.totalSize));
    }
  }
  return {
    format: layout.format,
    target,
    tensors: ordered,
    metadata,
    files,
    inputBytes,
    outputBytes: files.reduce((a, f) => a + f.size, 0),
    warnings,
    open,
  };
}

/** safetensors metadata is string -> string: scalars are written as text, arrays are left out. */
function safetensorsMetadata(md: Metadata): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of md) {
    if (v.type === 'array') continue;
    out.set(k, String(v.value));
  }
  if (!out.has('format')) out.set('format', 'pt');
  return out;
}

function isFloat(t: TypeName): boolean {
  return TYPES[t].family !== 'int';
}

function ggmlDims(shape: readonly number[]): number {
  let n = shape.length;
  while (n > 1 && shape[shape.length - n] === 1) n--;
  return Math.max(1, n);
}

/**
 * A plain dtype cast of every floating-point tensor to `target` (F32, F16, BF16, or for GGUF any
 * type Kiln encodes). Integer tensors are copied. For GGUF, as llama.cpp's converters do, tensors
 * of one dimension stay F32 and a tensor whose rows are not whole blocks of `target` gets F16.
 */
export function planCast(model: ModelView, target: TypeName, layout: OutputLayout, canEncode: (t: TypeName) => boolean, canDecode: (t: TypeName) => boolean): ConversionPlan {
  const warnings: string[] = [];
  if (layout.format === 'safetensors' && TYPES[target].safetensors === null) {
    throw new PlanError(`safetensors cannot hold ${target}; choose F32, F16 or BF16 (GGUF holds quantized types)`);
  }
  if (layout.format === 'gguf' && TYPES[target].ggmlId === null) throw new PlanError(`GGUF cannot hold ${target}`);
  if (target !== 'F32' && !canEncode(target)) throw new PlanError(`Kiln cannot encode ${target} yet`);
  const tensors: PlannedOutputTensor[] = [];
  for (const src of model.tensors) {
    if (src.type === null) {
      // A cast keeps going without it (a quantized or complex tensor in a checkpoint must not block
      // the rest), but says so: the plan lists every tensor it leaves out.
      warnings.push(`${src.name}: left out, its type ${src.typeLabel} cannot be decoded`);
      continue;
    }
    const from = src.type;
    const elements = elementCount(src.shape);
    const rowLength = src.shape.length > 0 ? src.shape[src.shape.length - 1]! : 1;
    let to: TypeName;
    let reason: string;
    if (!isFloat(from)) {
      to = from;
      reason = 'integer tensor, copied';
      const storable = layout.format === 'gguf' ? TYPES[to].ggmlId !== null : TYPES[to].safetensors !== null;
      if (!storable) {
        warnings.push(`${src.name}: left out, ${layout.format === 'gguf' ? 'GGUF' : 'safetensors'} has no ${from} type`);
        continue;
      }
    } else if (layout.format === 'gguf' && ggmlDims(src.shape) < 2) {
      to = 'F32';
      reason = '1-D tensor kept F32';
    } else if (rowLength % TYPES[target].blockSize !== 0) {
      to = 'F16';
      reason = `rows of ${rowLength} are not whole ${target} blocks of ${TYPES[target].blockSize}: F16`;
      warnings.push(`${src.name}: ${reason}`);
    } else {
      to = target;
      reason = from === target ? 'already ' + target : `${from} -> ${target}`;
    }
    if (from !== to && !(from === 'F32' || canDecode(from))) throw new PlanError(`tensor "${src.name}": Kiln cannot decode ${from} yet`);
    tensors.push({ name: src.name, source: src, from, to, shape: src.shape, elements, outBytes: byteSizeOf(to, elements)!, reason });
  }
  return layoutPlan(layout, target, tensors, model.metadata, warnings);
}
