import { GGUF_TENSOR_STEMS, HF_TENSOR_NAMES, type ArchEntry, type GgufTensorKind } from '../hf/arch-table';
import { FormatError, UnsupportedError } from '../errors';
import type { TensorInfo } from '../model';
import { checkRead, PermutedRowsTensor } from '../hf/tensors';

/**
 * GGUF tensors -> the Hugging Face tensors they came from: the architecture table's name map read
 * backwards (TensorNameMap, as transformers' get_gguf_hf_weights_map builds it by mapping a model's
 * state_dict forwards), llama's q/k rows permutation undone (LlamaTensorProcessor's
 * reverse_permute_weights), and a family's norm offset taken off. Every transform is computed per
 * read, so the executor streams a GGUF into safetensors as it streams anything else.
 */

export interface HfTarget {
  readonly kind: GgufTensorKind;
  /** The Hugging Face name, with .weight / .bias. */
  readonly hf: string;
}

/**
 * GGUF tensor name -> its Hugging Face name and kind, for `blockCount` blocks. A kind takes the
 * table's first Hugging Face spelling unless the family names another (`names`: phi3's fused
 * gate_up_proj is the second spelling of FFN_UP).
 */
export function inverseNameMap(arch: ArchEntry, blockCount: number, names: Readonly<Partial<Record<GgufTensorKind, string>>> = {}): Map<string, HfTarget> {
  const map = new Map<string, HfTarget>();
  for (const kind of arch.tensors) {
    const hfNames = HF_TENSOR_NAMES[kind];
    if (hfNames === undefined || hfNames.length === 0) continue;
    const stem = GGUF_TENSOR_STEMS[kind];
    const hf = names[kind] ?? hfNames[0]!;
    const blocks = stem.includes('{bid}') ? blockCount : 1;
    for (let b = 0; b < blocks; b++) {
      const g = stem.replaceAll('{bid}', String(b));
      const h = hf.replaceAll('{bid}', String(b));
      for (const suffix of ['.weight', '.bias']) map.set(g + suffix, { kind, hf: h + suffix });
    }
  }
  return map;
}

/**
 * The inverse of LlamaModel.permute as a row map: Hugging Face row `s` of a head of `d` rows is
 * GGUF row h*d + (j < d/2 ? 2j : 2(j - d/2) + 1), where h = s / d and j = s % d.
 */
export function unpermutedSourceRow(s: number, headRows: number): number {
  const h = Math.floor(s / headRows);
  const j = s - h * headRows;
  const half = headRows >>> 1;
  return h * headRows + (j < half ? 2 * j : 2 * (j - half) + 1);
}

/**
 * An F32 norm weight with `offset` subtracted, for families whose converter adds it (gemma's
 * norm + 1): Hugging Face stores w, GGUF stores w + 1. Norms are F32 in every GGUF the converter
 * writes; another type is refused rather than decoded here.
 */
export class OffsetF32Tensor implements TensorInfo {
  readonly type = 'F32' as const;
  readonly typeLabel = 'F32';
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  readonly fileOffset = -1;
  constructor(
    readonly name: string,
    private readonly src: TensorInfo,
    private readonly offset: number,
  ) {
    if (src.type !== 'F32') throw new UnsupportedError({ format: 'gguf', file: src.file, tensor: src.name }, `a norm with an offset to undo must be F32, not ${src.typeLabel}`);
    this.shape = src.shape;
    this.nbytes = src.nbytes;
    this.file = src.file;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRead(this, offset, length);
    const e0 = Math.floor(offset / 4);
    const e1 = Math.ceil((offset + length) / 4);
    const raw = await this.src.read(e0 * 4, (e1 - e0) * 4);
    const bytes = new Uint8Array((e1 - e0) * 4);
    const iv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const ov = new DataView(bytes.buffer);
    for (let i = 0; i < e1 - e0; i++) ov.setFloat32(4 * i, Math.fround(iv.getFloat32(4 * i, true) - this.offset), true);
    return bytes.subarray(offset - e0 * 4, offset - e0 * 4 + length);
  }
}

/** One expert of a stacked [experts, rows, cols] tensor: a contiguous byte range of it (whole rows of any type). */
export class ExpertSliceTensor implements TensorInfo {
  readonly type: TensorInfo['type'];
  readonly typeLabel: string;
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  readonly fileOffset: number;
  constructor(
    readonly name: string,
    private readonly src: TensorInfo,
    private readonly base: number,
    nbytes: number,
  ) {
    this.type = src.type;
    this.typeLabel = src.typeLabel;
    this.shape = src.shape.slice(1);
    this.nbytes = nbytes;
    this.file = src.file;
    this.fileOffset = src.fileOffset >= 0 ? src.fileOffset + base : -1;
  }

  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    checkRead(this, offset, length);
    return this.src.read(this.base + offset, length, into);
  }
}

/** The same tensor under another name. */
export function renamedTensor(t: TensorInfo, name: string): TensorInfo {
  return {
    name,
    type: t.type,
    typeLabel: t.typeLabel,
    shape: t.shape,
    nbytes: t.nbytes,
    file: t.file,
    fileOffset: t.fileOffset,
    read: (offset, length, into) => t.read(offset, length, into),
  };
}

export interface ExportTensorRules {
  readonly arch: ArchEntry;
  readonly blockCount: number;
  /** Head count of each permuted kind (q: head_count, k: head_count_kv). */
  readonly heads: Readonly<Partial<Record<GgufTensorKind, number>>>;
  /** The arch table's normShift: every GGUF *norm.weight holds the Hugging Face weight plus this. */
  readonly normOffset?: number;
  /** Hugging Face spellings the family uses instead of the table's first one. */
  readonly names?: Readonly<Partial<Record<GgufTensorKind, string>>>;
}

/** GGUF tensors Kiln drops on the way back, and why (generated by the converter, not in the checkpoint). */
const GENERATED: Readonly<Record<string, string>> = {
  'rope_freqs.weight': 'generated by the converter from rope_scaling (llama3); the checkpoint has no such tensor (config.json gets the scaling back)',
  'rope_factors_long.weight': "generated by the converter from rope_scaling's long_factor (phi3 longrope); config.json does not get it back",
  'rope_factors_short.weight': "generated by the converter from rope_scaling's short_factor (phi3 longrope); config.json does not get it back",
};

export function exportTensors(rules: ExportTensorRules, gguf: readonly TensorInfo[]): { tensors: TensorInfo[]; warnings: string[] } {
  const names = inverseNameMap(rules.arch, rules.blockCount, rules.names);
  const out: TensorInfo[] = [];
  const warnings: string[] = [];
  for (const t of gguf) {
    const why = GENERATED[t.name];
    if (why !== undefined) {
      warnings.push(`${t.name}: left out, ${why}`);
      continue;
    }
    const target = names.get(t.name);
    if (target === undefined) {
      const where = { format: 'gguf' as const, file: t.file, tensor: t.name };
      if (/\.ffn_(gate|up|down)_exps\./.test(t.name)) throw new UnsupportedError(where, `${t.name}: stacked experts (Mixtral-style MoE) are not split back into a Hugging Face folder yet`);
      throw new UnsupportedError(where, `${t.name} has no Hugging Face name in a ${rules.arch.ggufArch} model (Kiln maps ${[...new Set([...names.values()].map((v) => v.kind))].length} kinds back)`);
    }
    if (target.hf.includes('{xid}')) {
      // LlamaModel.modify_tensors stacked experts.N.w1/w2/w3 into one tensor per layer: split it again
      const experts = t.shape[0] ?? 0;
      if (t.shape.length !== 3 || experts <= 0 || t.nbytes % experts !== 0) throw new FormatError({ format: 'gguf', file: t.file, tensor: t.name }, `shape [${t.shape.join(', ')}] is not [experts, rows, columns]`);
      const per = t.nbytes / experts;
      for (let x = 0; x < experts; x++) out.push(new ExpertSliceTensor(target.hf.replace('{xid}', String(x)), t, x * per, per));
      continue;
    }
    let view: TensorInfo = t;
    const heads = rules.heads[target.kind];
    if (heads !== undefined && rules.arch.permute?.tensors[target.kind] !== undefined) {
      const rows = t.shape[0] ?? 0;
      if (!(heads > 0) || rows % (2 * heads) !== 0) {
        throw new FormatError({ format: 'gguf', file: t.file, tensor: t.name }, `${rows} rows do not split into ${heads} heads of an even number of rows, which undoing the q/k permutation needs`);
      }
      // a GGUF q/k projection with its rows put back in Hugging Face order
      view = new PermutedRowsTensor(target.hf, t, heads, unpermutedSourceRow);
    }
    // the converter shifts every name ending in norm.weight (tensor-map.ts); the same rule backwards
    if (rules.normOffset !== undefined && t.name.endsWith('norm.weight')) view = new OffsetF32Tensor(target.hf, view, rules.normOffset);
    out.push(view.name === target.hf ? view : renamedTensor(view, target.hf));
  }
  return { tensors: out, warnings };
}
