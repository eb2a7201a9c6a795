/**
 * The quantization plan: for every tensor of a model, the type llama-quantize (llama.cpp
 * 34af94cd) would write, in the order it writes them, plus the general.file_type /
 * general.quantization_version updates, decided before any data moves. Mirrors
 * llama_model_quantize_impl's preliminary loop (types, imatrix requirement) and the checks of its
 * main loop that would throw or abort (requantizing, unconvertible types, rows the forced type's
 * block does not divide). Pure: no I/O.
 */
import { byteSizeOf, TYPE_NAMES, typeInfo, type TypeName } from '../codecs/catalogue';
import { canDecode, canEncode } from '../codecs/registry';
import { elementCount, type MetaValue, type Metadata } from '../formats/model';
import { defaultTypeOf, ftypeName, GGML_QNT_VERSION, guessFileType, parsePreset, PRESETS, type Preset } from './presets';
import { ggmlTypeName, isQuantized, keepReason, QuantState, requiresImatrix, type RuleParams, type RuleTensor, type TensorTypePattern } from './quant-rules';
import { QuantizePlanError } from './quant-rules-error';
import { decideType } from './quant-rules-mix';
import { pruneKvUpdates, remapLayers } from './prune-layers';
import { GGML_MAX_DIMS, GGML_MAX_NAME_BYTES, ggmlNDims, ggmlNe, metaU32, quantHparams, utf8Length, weightOrder } from './quant-rules-model';

export { QuantizePlanError } from './quant-rules-error';

export interface PlanTensorInput {
  readonly name: string;
  /** Row-major, outermost first (GGUF's ne reversed). */
  readonly shape: readonly number[];
  /** Null when the file uses a type Kiln does not know. */
  readonly type: TypeName | null;
  readonly typeLabel?: string;
}

export interface PlanModelInput {
  readonly metadata: Metadata;
  readonly tensors: readonly PlanTensorInput[];
}

/** llama-quantize's options; each field names the flag it stands for. */
export interface QuantizeOptions {
  /** The ftype argument: a QUANT_OPTIONS name (any case) or its number. */
  readonly preset: string | number;
  /** --pure */
  readonly pure?: boolean;
  /** --output-tensor-type */
  readonly outputTensorType?: TypeName | null;
  /** --token-embedding-type */
  readonly tokenEmbeddingType?: TypeName | null;
  /** --tensor-type PATTERN=TYPE, in command-line order; PATTERN is lowercased as llama-quantize does. */
  readonly tensorTypes?: ReadonlyArray<readonly [string, TypeName]>;
  /** --leave-output-tensor */
  readonly leaveOutputTensor?: boolean;
  /** --allow-requantize */
  readonly allowRequantize?: boolean;
  /** --imatrix given, with an entry for every tensor. */
  readonly imatrix?: boolean;
  /** What llama-quantize records of the imatrix file (quantize.imatrix.* keys); implies `imatrix`. */
  readonly imatrixInfo?: ImatrixInfo;
  /**
   * The imatrix's per-column weights by tensor name, after --include/--exclude-weights (what
   * llama-quantize's params.imatrix holds); implies `imatrix`. Each converted tensor gets its
   * entry as PlannedTensor.weights, and the very low-bit refusals are checked against it.
   */
  readonly imatrixWeights?: ReadonlyMap<string, Float32Array>;
  /** --prune-layers: block ids to leave out (sorted, unique); the rest are renumbered. */
  readonly pruneLayers?: readonly number[];
  /** --dry-run: decide types only; a missing imatrix becomes a warning and no conversion is checked. */
  readonly dryRun?: boolean;
}

export interface ImatrixInfo {
  /** The path as given on the command line (llama-quantize keeps its first 127 bytes). */
  readonly file: string;
  /** The first dataset named in the file, if any. */
  readonly dataset?: string;
  /** Number of entries loaded. */
  readonly entries: number;
  /** Chunks the imatrix was computed on; not written when 0 or absent. */
  readonly chunks?: number;
}

export interface PlannedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly from: TypeName;
  readonly to: TypeName;
  /** Bytes of the tensor in the output file, padding excluded. */
  readonly nbytes: number;
  readonly reason: string;
  /** The imatrix weights the encoder gets (one per column, per expert), when there is an entry. */
  readonly weights?: Float32Array;
  /** The input tensor's name when --prune-layers renumbered its block. */
  readonly sourceName?: string;
}

/** gguf_set_val_* removes the key and appends it; gguf_remove_key drops it. Apply in order. */
export type KvUpdate = { readonly op: 'set'; readonly key: string; readonly value: MetaValue } | { readonly op: 'remove'; readonly key: string };

export interface QuantPlan {
  readonly preset: Preset;
  /** general.file_type as written (COPY writes the input's own, possibly with LLAMA_FTYPE_GUESSED). */
  readonly fileType: number;
  readonly fileTypeName: string;
  /** Every tensor, in llama-quantize's output order. */
  readonly tensors: readonly PlannedTensor[];
  readonly kv: readonly KvUpdate[];
  /** Updates made after the user's --override-kv ones (`<arch>.block_count` when pruning). */
  readonly kvAfterOverrides: readonly KvUpdate[];
  /** What llama-quantize would print as warnings (fallbacks, manual overrides). */
  readonly warnings: readonly string[];
  readonly fallbackCount: number;
  /** Some tensor's target type needs an importance matrix (tensor_requires_imatrix). */
  readonly imatrixRequired: boolean;
  /** Target types of converted tensors that Kiln cannot encode yet (codecs/registry canEncode). */
  readonly missingEncoders: readonly TypeName[];
  /** Source types of converted tensors that Kiln cannot decode yet. */
  readonly missingDecoders: readonly TypeName[];
}

/** parse_ggml_type: a ggml type name, case-insensitively; null when there is none. */
export function parseGgmlType(text: string): TypeName | null {
  const want = text.toLowerCase();
  for (const t of TYPE_NAMES) if (typeInfo(t).ggmlId !== null && ggmlTypeName(t).toLowerCase() === want) return t;
  return null;
}

/** parse_tensor_type: "PATTERN=TYPE" as --tensor-type takes it (the pattern is lowercased later). */
export function parseTensorTypeOption(text: string): readonly [string, TypeName] {
  const eq = text.indexOf('=');
  if (eq < 0) throw new QuantizePlanError('bad-type', `malformed tensor type '${text}'`);
  if (eq === 0) throw new QuantizePlanError('bad-type', 'missing tensor name');
  const typeText = text.slice(eq + 1);
  if (typeText === '') throw new QuantizePlanError('bad-type', 'missing quantization type');
  const type = parseGgmlType(typeText);
  if (type === null) throw new QuantizePlanError('bad-type', `invalid quantization type '${typeText}'`);
  return [text.slice(0, eq), type];
}

const asciiLower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function checkForcedType(t: TypeName | null | undefined, flag: string): TypeName | null {
  if (t === null || t === undefined) return null;
  if (!TYPE_NAMES.includes(t) || typeInfo(t).ggmlId === null) throw new QuantizePlanError('bad-type', `${flag}: invalid ggml_type '${t}'`);
  return t;
}

function compilePatterns(list: ReadonlyArray<readonly [string, TypeName]>): TensorTypePattern[] {
  return list.map(([raw, type]) => {
    const pattern = asciiLower(raw);
    checkForcedType(type, `--tensor-type ${raw}`);
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch (e) {
      throw new QuantizePlanError('bad-pattern', `--tensor-type pattern '${pattern}' is not a valid regular expression: ${(e as Error).message}`);
    }
    return { pattern, re, type };
  });
}

interface Prepared {
  readonly input: PlanTensorInput;
  readonly type: TypeName;
  readonly rt: RuleTensor;
}

function prepareTensors(tensors: readonly PlanTensorInput[]): Prepared[] {
  const seen = new Set<string>();
  return tensors.map((input) => {
    const { name, shape, type } = input;
    if (seen.has(name)) throw new QuantizePlanError('bad-model', `invalid model: tensor '${name}' is duplicated`, name);
    seen.add(name);
    if (utf8Length(name) > GGML_MAX_NAME_BYTES) {
      throw new QuantizePlanError('bad-model', `tensor name '${name}' is ${utf8Length(name)} bytes; ggml allows ${GGML_MAX_NAME_BYTES}`, name);
    }
    if (type === null) {
      throw new QuantizePlanError('bad-model', `tensor '${name}' is ${input.typeLabel ?? 'of an unknown type'}, which Kiln does not know`, name);
    }
    if (typeInfo(type).ggmlId === null) {
      throw new QuantizePlanError('bad-model', `tensor '${name}' has type ${type}, which GGUF cannot hold; llama-quantize reads only GGUF`, name);
    }
    if (shape.length > GGML_MAX_DIMS || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new QuantizePlanError('bad-model', `tensor '${name}' has shape [${shape.join(', ')}]; ggml takes up to ${GGML_MAX_DIMS} non-negative dimensions`, name);
    }
    const ne = ggmlNe(shape);
    return { input, type, rt: { name, ne, nDims: ggmlNDims(ne), type } };
  });
}

/** strncpy into llama_model_kv_override's 128-byte val_str: at most 127 bytes survive. */
function first127Bytes(s: string): string {
  const b = new TextEncoder().encode(s);
  return b.length <= 127 ? s : new TextDecoder().decode(b.subarray(0, 127));
}

/**
 * The KV updates llama_model_quantize_impl makes after copying the input's KV pairs, then the
 * quantize.imatrix.* overrides llama-quantize adds when an imatrix is given.
 */
export function quantizeKvUpdates(fileType: number, imatrix?: ImatrixInfo): KvUpdate[] {
  const kv: KvUpdate[] = [
    { op: 'set', key: 'general.quantization_version', value: { type: 'u32', value: GGML_QNT_VERSION } },
    { op: 'set', key: 'general.file_type', value: { type: 'u32', value: fileType } },
    { op: 'remove', key: 'split.no' },
    { op: 'remove', key: 'split.count' },
    { op: 'remove', key: 'split.tensors.count' },
  ];
  if (imatrix !== undefined) {
    kv.push({ op: 'set', key: 'quantize.imatrix.file', value: { type: 'string', value: first127Bytes(imatrix.file) } });
    if (imatrix.dataset !== undefined) {
      kv.push({ op: 'set', key: 'quantize.imatrix.dataset', value: { type: 'string', value: first127Bytes(imatrix.dataset) } });
    }
    // integer overrides are written as u32 of the absolute value
    kv.push({ op: 'set', key: 'quantize.imatrix.entries_count', value: { type: 'u32', value: Math.abs(imatrix.entries) >>> 0 } });
    if (imatrix.chunks !== undefined && imatrix.chunks > 0) {
      kv.push({ op: 'set', key: 'quantize.imatrix.chunks_count', value: { type: 'u32', value: imatrix.chunks >>> 0 } });
    }
  }
  return kv;
}

/** The output metadata, in output order: the input's pairs with `kv` applied as gguf does. */
export function applyKvUpdates(metadata: Metadata, kv: readonly KvUpdate[]): Metadata {
  const out: Metadata = new Map(metadata);
  for (const u of kv) {
    out.delete(u.key);
    if (u.op === 'set') out.set(u.key, u.value);
  }
  return out;
}

/** Can ggml_quantize_chunk produce this type? (It has no case for Q8_1, Q8_K, integers or F64.) */
function ggmlCanQuantizeTo(t: TypeName): boolean {
  return t === 'F32' || t === 'F16' || t === 'BF16' || (isQuantized(t) && t !== 'Q8_1' && t !== 'Q8_K');
}

/** The main loop's refusals for one tensor that changes type, in the order the reference meets them. */
function checkConversion(p: Prepared, to: TypeName, allowRequantize: boolean, hasImatrix: boolean): void {
  const { name } = p.rt;
  const from = p.type;
  if (from !== 'F32') {
    if (isQuantized(from) && !allowRequantize) {
      throw new QuantizePlanError('requantize', `requantizing from type ${ggmlTypeName(from)} is disabled (tensor ${name}; --allow-requantize permits it)`, name);
    }
    if (from === 'Q8_1' || from === 'Q8_K') {
      throw new QuantizePlanError('cannot-convert', `type ${ggmlTypeName(from)} unsupported for integer quantization: no dequantization available (tensor ${name})`, name);
    }
    if (!isQuantized(from) && from !== 'F16' && from !== 'BF16') {
      throw new QuantizePlanError('cannot-convert', `cannot dequantize/convert tensor type ${ggmlTypeName(from)} (tensor ${name})`, name);
    }
  }
  if (typeInfo(to).needsImatrix && !hasImatrix) {
    throw new QuantizePlanError('needs-imatrix', `type ${ggmlTypeName(to)} cannot be made without an importance matrix (ggml_quantize_chunk asserts imatrix != NULL; tensor ${name})`, name);
  }
  if (!ggmlCanQuantizeTo(to)) {
    throw new QuantizePlanError('cannot-quantize', `ggml cannot quantize to type ${ggmlTypeName(to)} (tensor ${name})`, name);
  }
  const blk = typeInfo(to).blockSize;
  if (p.rt.ne[0] % blk !== 0) {
    throw new QuantizePlanError(
      'row-not-divisible',
      `tensor ${name}: row length ${p.rt.ne[0]} is not a multiple of ${blk}, the block size of ${ggmlTypeName(to)} (llama-quantize aborts: tensor row size not divisible by block size of new type)`,
      name,
    );
  }
  if (p.rt.ne[3] > 1) {
    throw new QuantizePlanError('cannot-quantize', `tensor ${name} is 4-D with ne[3] = ${p.rt.ne[3]}; llama-quantize converts only the first ne[2] matrices and aborts`, name);
  }
}

/**
 * The main loop's imatrix lookup for one tensor being quantized (llama_model_quantize_impl): no
 * entry is only reported by llama-quantize, an entry of another size than ne0 * ne2 fails (except
 * for token_embd), and a tensor that requires an imatrix (tensor_requires_imatrix) without an
 * entry fails with "Missing importance matrix".
 */
function imatrixFor(p: Prepared, weights: ReadonlyMap<string, Float32Array>, to: TypeName, fileType: number): Float32Array | undefined {
  const { name, ne } = p.rt;
  // remap_imatrix: a renumbered block's entry is under its original number
  let w = weights.get(p.input.name);
  if (w !== undefined && w.length !== ne[0] * ne[2]) {
    if (name !== 'token_embd.weight' && name !== 'per_layer_token_embd.weight') {
      throw new QuantizePlanError('imatrix-size', `imatrix size ${w.length} is different from tensor size ${ne[0] * ne[2]} for ${name}`, name);
    }
    w = undefined;
  }
  if (w === undefined && requiresImatrix(name, to, fileType)) {
    throw new QuantizePlanError('needs-imatrix', `Missing importance matrix for tensor ${name} in a very low-bit quantization`, name);
  }
  return w;
}

/**
 * Decides every tensor's output type as llama-quantize would, or throws QuantizePlanError where
 * llama-quantize would fail.
 */
export function planQuantTypes(model: PlanModelInput, opts: QuantizeOptions): QuantPlan {
  const preset = parsePreset(String(opts.preset));
  if (preset === null) {
    throw new QuantizePlanError('unknown-preset', `invalid ftype '${String(opts.preset)}'; allowed: ${PRESETS.map((p) => p.name).join(', ')}`);
  }
  const defaultType = defaultTypeOf(preset.ftype);
  if (defaultType === null) throw new QuantizePlanError('unknown-preset', `invalid output file type ${preset.ftype}`);

  const ordered = weightOrder(prepareTensors(model.tensors).map((p) => ({ name: p.rt.name, p }))).map((x) => x.p);
  // --prune-layers renames while walking weights_map, so the order stays the input names' order
  const remap = remapLayers(ordered.map((p) => p.rt.name), opts.pruneLayers ?? []);
  const prepared = ordered.flatMap((p, i): Prepared[] => {
    const name = remap.names[i]!;
    if (name === null) return [];
    return [name === p.rt.name ? p : { ...p, rt: { ...p.rt, name } }];
  });
  const inputFileType = metaU32(model.metadata, 'general.file_type'); // the loader reads it for every preset
  const hp = quantHparams(model.metadata);
  const onlyCopy = preset.name === 'COPY';
  const fileType = onlyCopy ? (inputFileType ?? guessFileType(prepared.map((p) => p.type))) : preset.ftype;

  const params: RuleParams = {
    ftype: fileType,
    onlyCopy,
    pure: opts.pure === true,
    quantizeOutputTensor: opts.leaveOutputTensor !== true,
    outputTensorType: checkForcedType(opts.outputTensorType, '--output-tensor-type'),
    tokenEmbeddingType: checkForcedType(opts.tokenEmbeddingType, '--token-embedding-type'),
    patterns: compilePatterns(opts.tensorTypes ?? []),
    hasImatrix: opts.imatrix === true || opts.imatrixInfo !== undefined || opts.imatrixWeights !== undefined,
  };
  const qs = new QuantState(hp, prepared.map((p) => p.rt.name));

  // preliminary loop: every type first, refusing at the first tensor that needs a missing imatrix
  const dryRun = opts.dryRun === true;
  let imatrixRequired = false;
  const decided = prepared.map((p) => {
    const keep = keepReason(params, p.rt);
    const d = keep === null ? decideType(qs, params, p.rt, defaultType) : { type: p.type, reason: keep };
    const needs = keep === null && requiresImatrix(p.rt.name, d.type, fileType);
    imatrixRequired ||= needs;
    if (needs && !params.hasImatrix && !dryRun) {
      throw new QuantizePlanError(
        'needs-imatrix',
        `this quantization requires an importance matrix! offending tensor: ${p.rt.name}, target type: ${ggmlTypeName(d.type)}`,
        p.rt.name,
      );
    }
    return d;
  });

  const missingEncoders = new Set<TypeName>();
  const missingDecoders = new Set<TypeName>();
  const tensors = prepared.map((p, i): PlannedTensor => {
    const to = decided[i]!.type;
    let weights: Float32Array | undefined;
    if (to !== p.type) {
      weights = opts.imatrixWeights !== undefined && !dryRun ? imatrixFor(p, opts.imatrixWeights, to, fileType) : undefined;
      const withImatrix = opts.imatrixWeights !== undefined ? weights !== undefined : params.hasImatrix;
      if (!dryRun) checkConversion(p, to, opts.allowRequantize === true, withImatrix);
      if (p.type !== 'F32' && !canDecode(p.type)) missingDecoders.add(p.type);
      if (!canEncode(to)) missingEncoders.add(to);
    }
    const nbytes = byteSizeOf(to, elementCount(p.input.shape));
    if (nbytes === null) throw new QuantizePlanError('bad-model', `tensor ${p.rt.name} is not a whole number of ${to} blocks`, p.rt.name);
    return {
      name: p.rt.name,
      shape: p.input.shape,
      from: p.type,
      to,
      nbytes,
      reason: decided[i]!.reason,
      ...(weights !== undefined ? { weights } : {}),
      ...(p.input.name !== p.rt.name ? { sourceName: p.input.name } : {}),
    };
  });

  const warnings = [...qs.warnings];
  if (dryRun && imatrixRequired && !params.hasImatrix) {
    warnings.push('dry run completed successfully, but actually completing this quantization will require an imatrix!');
  }
  if (qs.nFallback > 0) warnings.push(`${qs.nFallback} of ${prepared.length} tensor(s) required fallback quantization`);
  return {
    preset,
    fileType,
    fileTypeName: ftypeName(fileType),
    tensors,
    kv: quantizeKvUpdates(fileType, opts.imatrixInfo),
    kvAfterOverrides: pruneKvUpdates(hp.arch, remap),
    warnings,
    fallbackCount: qs.nFallback,
    imatrixRequired,
    missingEncoders: [...missingEncoders],
    missingDecoders: [...missingDecoders],
  };
}
