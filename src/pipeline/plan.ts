import { TYPES, byteSizeOf, type TypeName } from '../codecs/catalogue';
import type { SinkFactory } from '../io/byte-sink';
import { planGguf, writeGguf } from '../formats/gguf/writer';
import { planGgufSplit, writeGgufSplit } from '../formats/gguf/split-writer';
import type { PlannedStreamWriter } from '../formats/gguf/stream-writer';
import { elementCount, type Metadata, type ModelView, type TensorInfo } from '../formats/model';
import { encodeGgufEntry, GGUF_METADATA_KEY } from '../formats/safetensors/gguf-metadata';
import { planSafetensors, planSafetensorsShards, rustCrateOrder, writeSafetensors, writeSafetensorsShards, type SafetensorsTensorSpec } from '../formats/safetensors/writer';
import { SAFETENSORS_MAX_HEADER_BYTES } from '../formats/limits';
import { checkpointBookkeeping } from '../formats/tensorflow/bookkeeping';
import { fileTypeOfType } from './presets';
import { applyKvUpdates, quantizeKvUpdates, type KvUpdate } from './presets-plan';

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
  /**
   * The importance matrix's weights for this tensor (llama-quantize --imatrix): one per column,
   * for each expert of a 3-D tensor in turn; the encoder quantizes with them.
   */
  readonly weights?: Float32Array;
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
   * converted result) and stop at the first NaN or Inf. Set for every GGUF through a preset and
   * every quantized GGUF from any input, where llama-quantize would fail on such data; plain
   * float casts keep non-finite values (their plan says so for non-GGUF inputs).
   */
  readonly checkData?: boolean;
  open(sinks: SinkFactory): Promise<PlannedStreamWriter>;
}

export class PlanError extends Error {
  override readonly name: string = 'PlanError';
}

export interface UnconvertibleTensor {
  readonly name: string;
  readonly reason: string;
}

/**
 * Tensors the output cannot carry. Refused as a whole, before anything is written, because a file
 * missing tensors loads as a broken model; leaving them out is the user's explicit choice.
 */
export class UnconvertibleTensorsError extends PlanError {
  override readonly name = 'UnconvertibleTensorsError';
  constructor(
    readonly format: OutputFormat,
    readonly tensors: readonly UnconvertibleTensor[],
  ) {
    const byReason = new Map<string, string[]>();
    for (const t of tensors) byReason.set(t.reason, [...(byReason.get(t.reason) ?? []), t.name]);
    const lines = [...byReason].map(([reason, names]) => `${reason}: ${names.join(', ')}`);
    super(
      `${tensors.length} tensor(s) cannot be converted to ${format === 'gguf' ? 'GGUF' : 'safetensors'} (${lines.join('; ')}); ` +
        'to convert the rest without them, use --skip-unconvertible (in the page: "leave out tensors that cannot be converted")',
    );
  }
}

/** Why `t` cannot go into `format` at all, or null when it can (decoding or encoding it is checked later). */
function unconvertibleReason(t: TensorInfo, format: OutputFormat): string | null {
  if (t.type === null) return `Kiln cannot decode ${t.typeLabel}`;
  if (isFloat(t.type)) return null;
  // integers are copied as they are, so the output needs the same type
  const storable = format === 'gguf' ? TYPES[t.type].ggmlId !== null : TYPES[t.type].safetensors !== null;
  return storable ? null : `${format === 'gguf' ? 'GGUF' : 'safetensors'} has no ${t.type} type`;
}

/**
 * The model without the tensors `format` cannot carry, with a warning for each; throws
 * UnconvertibleTensorsError naming them all unless `skip` (--skip-unconvertible).
 */
export function withoutUnconvertible(input: ModelView, format: OutputFormat, skip: boolean): { model: ModelView; warnings: string[] } {
  const { model, warnings } = withoutBookkeeping(input);
  const bad: UnconvertibleTensor[] = [];
  for (const t of model.tensors) {
    const reason = unconvertibleReason(t, format);
    if (reason !== null) bad.push({ name: t.name, reason });
  }
  if (bad.length === 0) return { model, warnings };
  if (!skip) throw new UnconvertibleTensorsError(format, bad);
  const out = new Set(bad.map((b) => b.name));
  return {
    model: { ...model, tensors: model.tensors.filter((t) => !out.has(t.name)) },
    warnings: [...warnings, ...bad.map((b) => `${b.name}: left out (--skip-unconvertible), ${b.reason}`)],
  };
}

/**
 * A TensorFlow checkpoint without the entries TensorFlow keeps for its own restoring (object
 * graph, save counter, optimizer state: tensorflow/bookkeeping.ts), which are not weights; every
 * TF2 checkpoint has some. They are left out whatever the options, one warning per kind naming
 * them; weights of types the output lacks are still refused by the caller.
 */
function withoutBookkeeping(model: ModelView): { model: ModelView; warnings: string[] } {
  if (model.format !== 'tensorflow') return { model, warnings: [] };
  const byReason = new Map<string, string[]>();
  const kept = model.tensors.filter((t) => {
    const reason = checkpointBookkeeping(t.name);
    if (reason !== null) byReason.set(reason, [...(byReason.get(reason) ?? []), t.name]);
    return reason === null;
  });
  if (byReason.size === 0) return { model, warnings: [] };
  const warnings = [...byReason].map(([reason, names]) => `left out TensorFlow checkpoint bookkeeping, ${reason}: ${names.join(', ')}`);
  return { model: { ...model, tensors: kept }, warnings };
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
  let outWarnings = warnings;
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
    const byName = new Map(tensors.map((t) => [t.name, t]));
    const sorted = rustCrateOrder(specs);
    const st = safetensorsMetadata(metadata, sorted);
    const stMeta = st.metadata;
    outWarnings = [...warnings, ...st.warnings];
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
    warnings: outWarnings,
    open,
  };
}

/** Longest scalar copied as plain text beside the typed document (long ones are in it already). */
const PLAIN_COPY_MAX_CHARS = 1024;

/**
 * __metadata__ for `md`. The spec makes it string -> string: metadata that is all strings is
 * written as it is; anything typed (GGUF's KVs, tokenizer arrays) goes whole into one typed JSON
 * document (gguf-metadata.ts) so that safetensors -> GGUF gives back the same KVs, with short
 * scalars also as plain text for other tools. Should the document not fit the reader's header
 * limit beside `tensors`, its largest entries are left out, each named in the warnings.
 */
export function safetensorsMetadata(
  md: Metadata,
  tensors: readonly SafetensorsTensorSpec[],
  maxHeaderBytes = SAFETENSORS_MAX_HEADER_BYTES,
): { metadata: Map<string, string>; warnings: string[] } {
  const typed = md.has(GGUF_METADATA_KEY) || [...md.values()].some((v) => v.type !== 'string');
  const out = new Map<string, string>();
  for (const [k, v] of md) {
    if (v.type === 'array' || k === GGUF_METADATA_KEY) continue;
    const text = String(v.value);
    if (!typed || text.length <= PLAIN_COPY_MAX_CHARS) out.set(k, text);
  }
  if (!out.has('format')) out.set('format', 'pt');
  if (!typed) return { metadata: out, warnings: [] };
  const utf8 = new TextEncoder();
  // the document is written as a JSON string: its size is that of the escaped text
  const entries = [...md].map(([key, v]) => {
    const text = encodeGgufEntry(key, v);
    return { key, text, bytes: utf8.encode(JSON.stringify(text)).length - 2 + 1 };
  });
  const base = planSafetensors({ metadata: out, tensors }).header.length - 8;
  const overhead = JSON.stringify(GGUF_METADATA_KEY).length + 4 + 8; // ,"gguf":"[...]" and padding
  let room = maxHeaderBytes - base - overhead - entries.reduce((a, e) => a + e.bytes, 0);
  const dropped = new Set<string>();
  for (const e of [...entries].sort((a, b) => b.bytes - a.bytes)) {
    if (room >= 0) break;
    dropped.add(e.key);
    room += e.bytes;
  }
  const kept = entries.filter((e) => !dropped.has(e.key));
  out.set(GGUF_METADATA_KEY, `[${kept.map((e) => e.text).join(',')}]`);
  const warnings = entries
    .filter((e) => dropped.has(e.key))
    .map((e) => `metadata ${e.key} left out of the safetensors file: its ${e.bytes} bytes do not fit the ${maxHeaderBytes}-byte header limit`);
  return { metadata: out, warnings };
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
 * The KV updates for a GGUF whose weights are all `target`, made as llama_model_quantize_impl
 * makes them (quantizeKvUpdates: general.quantization_version, then general.file_type, at the
 * end; split.* removed): the input's own general.file_type (kept through safetensors) names what
 * it was, not what the output is. llama-quantize and convert_hf_to_gguf.py both write
 * general.quantization_version whatever the type, so it is written for float files too. A type
 * no llama_ftype stands for (F64, integers) only loses the stale general.file_type.
 */
export function castKvUpdates(target: TypeName): KvUpdate[] {
  const fileType = fileTypeOfType(target);
  const kv = quantizeKvUpdates(fileType ?? 0);
  return fileType !== null ? kv : [{ op: 'remove', key: 'general.file_type' }, ...kv.filter((u) => u.op === 'remove')];
}

/**
 * A plain dtype cast of every floating-point tensor to `target` (F32, F16, BF16, or for GGUF any
 * type Kiln encodes). Integer tensors are copied. For GGUF, as llama.cpp's converters do, tensors
 * of one dimension stay F32 and a tensor whose rows are not whole blocks of `target` gets F16,
 * and general.file_type / general.quantization_version say what the file is (castKvUpdates);
 * `overrideKv` (--override-kv) is applied after them, as on the presets path.
 */
export function planCast(
  input: ModelView,
  target: TypeName,
  layout: OutputLayout,
  canEncode: (t: TypeName) => boolean,
  canDecode: (t: TypeName) => boolean,
  skipUnconvertible = false,
  overrideKv: readonly KvUpdate[] = [],
): ConversionPlan {
  if (layout.format === 'safetensors' && TYPES[target].safetensors === null) {
    throw new PlanError(`safetensors cannot hold ${target}; choose F32, F16 or BF16 (GGUF holds quantized types)`);
  }
  if (layout.format === 'gguf' && TYPES[target].ggmlId === null) throw new PlanError(`GGUF cannot hold ${target}`);
  if (target !== 'F32' && !canEncode(target)) throw new PlanError(`Kiln cannot encode ${target} yet`);
  const { model, warnings } = withoutUnconvertible(input, layout.format, skipUnconvertible);
  // A quantized GGUF is held to llama-quantize's data check whatever the input; a float cast
  // keeps what it is given (a GGUF input to a float GGUF goes through the presets, checked there).
  const checkData = layout.format === 'gguf' && TYPES[target].family === 'quant';
  if (!checkData && model.format !== 'gguf') warnings.push('float casts keep NaN and Inf as they are; quantized types refuse them');
  const tensors: PlannedOutputTensor[] = [];
  for (const src of model.tensors) {
    const from = src.type!; // withoutUnconvertible left only known types
    const elements = elementCount(src.shape);
    const rowLength = src.shape.length > 0 ? src.shape[src.shape.length - 1]! : 1;
    let to: TypeName;
    let reason: string;
    if (!isFloat(from)) {
      to = from;
      reason = 'integer tensor, copied';
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
  const metadata = layout.format === 'gguf' ? applyKvUpdates(applyKvUpdates(model.metadata, castKvUpdates(target)), overrideKv) : model.metadata;
  const plan = layoutPlan(layout, target, tensors, metadata, warnings);
  return checkData ? { ...plan, checkData } : plan;
}
