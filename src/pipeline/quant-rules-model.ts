/**
 * What llama-quantize knows about a model before it chooses types: the few hyperparameters its
 * rules read (llama_model_base::load_hparams and the per-architecture load_arch_hparams at
 * llama.cpp 34af94cd), the ggml view of each tensor's shape, and the order it writes tensors in
 * (llama_model_loader::weight_name_comparer).
 */
import type { Metadata } from '../formats/model';
import { QuantizePlanError } from './quant-rules-error';

/** LLAMA_MAX_LAYERS in llama-hparams.h: load_hparams asserts block_count is in (0, 512]. */
export const LLAMA_MAX_LAYERS = 512;
/** LLAMA_MAX_EXPERTS in llama-hparams.h. */
export const LLAMA_MAX_EXPERTS = 1024;
/** GGML_MAX_DIMS: a ggml tensor has at most four dimensions. */
export const GGML_MAX_DIMS = 4;
/** GGML_MAX_NAME is 64 bytes including the NUL, so gguf refuses names of 64 bytes or more. */
export const GGML_MAX_NAME_BYTES = 63;

export interface QuantHparams {
  readonly arch: string;
  /** hparams.n_layer_all: the count the FFN counters use (n_ffn_down = n_ffn_gate = n_ffn_up). */
  readonly nLayerAll: number;
  /** hparams.n_expert (0 for dense models). */
  readonly nExpert: number;
  /** hparams.n_gqa() at layer 0: n_head / n_head_kv in integer division, 0 when n_head_kv is 0. */
  readonly nGqa: number;
  /** model.type == LLM_TYPE_70B, which bumps attn_v. */
  readonly is70B: boolean;
}

/** llama_model_loader::get_key for a uint32_t: the key must hold exactly a u32. */
export function metaU32(md: Metadata, key: string): number | undefined {
  const v = md.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'u32') throw new QuantizePlanError('bad-model', `key ${key} has wrong type ${v.type} but expected type u32`);
  return v.value;
}

/**
 * Reads a per-layer count the way llama_model_loader::get_key_or_arr does (a u32, or an array of
 * exactly n_layer u32/i32/bool items) and returns layer 0's value, the only one the rules use.
 */
function layer0Count(md: Metadata, key: string, nLayer: number): number | undefined {
  const v = md.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'array') return metaU32(md, key);
  if (v.itemType !== 'u32' && v.itemType !== 'i32' && v.itemType !== 'bool') {
    throw new QuantizePlanError('bad-model', `${key} has wrong array element type ${v.itemType}`);
  }
  if (v.value.length !== nLayer) {
    throw new QuantizePlanError('bad-model', `key ${key} has wrong array length; expected ${nLayer}, got ${v.value.length}`);
  }
  const first = v.value[0];
  return Number(first);
}

/** Architectures whose load_arch_hparams sets LLM_TYPE_70B, and the block count that does it. */
const SEVENTY_B_LAYERS: ReadonlyMap<string, number> = new Map([
  ['deci', 80],
  ['olmo', 80],
  ['qwen2', 80],
  ['jais2', 68],
]);

export function quantHparams(md: Metadata): QuantHparams {
  const archV = md.get('general.architecture');
  if (archV === undefined || archV.type !== 'string') {
    throw new QuantizePlanError('bad-model', 'general.architecture is missing, so llama.cpp cannot load the model');
  }
  const arch = archV.value;
  // load_hparams returns before reading any hyperparameter for the "clip" stand-in architecture,
  // so the counters all stay zero.
  if (arch === 'clip') return { arch, nLayerAll: 0, nExpert: 0, nGqa: 0, is70B: false };

  const blockKey = `${arch}.block_count`;
  const blockCount = metaU32(md, blockKey);
  if (blockCount === undefined) throw new QuantizePlanError('bad-model', `key not found in model: ${blockKey}`);
  if (!(blockCount > 0 && blockCount <= LLAMA_MAX_LAYERS)) {
    throw new QuantizePlanError('bad-model', `${blockKey} = ${blockCount} is outside (0, ${LLAMA_MAX_LAYERS}]`);
  }

  const expertKey = `${arch}.expert_count`;
  let nExpert = metaU32(md, expertKey) ?? 0;
  if ((arch === 'hunyuan_vl' || arch === 'hunyuan-dense') && nExpert <= 1) nExpert = 0;
  if (nExpert < 0 || nExpert > LLAMA_MAX_EXPERTS) {
    throw new QuantizePlanError('bad-model', `${expertKey} = ${nExpert} is outside [0, ${LLAMA_MAX_EXPERTS}]`);
  }

  const nHead = layer0Count(md, `${arch}.attention.head_count`, blockCount) ?? 0;
  // n_head_kv defaults to n_head when the key is absent
  const nHeadKv = layer0Count(md, `${arch}.attention.head_count_kv`, blockCount) ?? nHead;
  const nGqa = nHeadKv === 0 ? 0 : Math.trunc(nHead / nHeadKv);

  let nLayerAll = blockCount;
  if (arch === 'graniteswitch') {
    // one extra router attention layer is appended after the real blocks
    nLayerAll = blockCount + 1;
  } else if (arch === 'nanbeige') {
    const loopsKey = `${arch}.num_loops`;
    const loops = metaU32(md, loopsKey) ?? 1;
    if (loops < 1 || blockCount * loops > LLAMA_MAX_LAYERS) {
      throw new QuantizePlanError('bad-model', `${loopsKey} = ${loops} with ${blockCount} blocks is outside [1, ${LLAMA_MAX_LAYERS}] layers`);
    }
    if (loops > 1) nLayerAll = blockCount * loops;
  }

  let is70B = false;
  if (arch === 'llama') {
    is70B = nExpert !== 8 && blockCount === 80 && nHead !== nHeadKv;
  } else {
    const layers = SEVENTY_B_LAYERS.get(arch);
    is70B = layers !== undefined && blockCount === layers;
  }
  return { arch, nLayerAll, nExpert, nGqa, is70B };
}

/** ggml's ne (innermost first, padded with 1 to four entries) from a row-major shape. */
export function ggmlNe(shape: readonly number[]): [number, number, number, number] {
  const ne: [number, number, number, number] = [1, 1, 1, 1];
  const n = shape.length;
  for (let i = 0; i < n && i < GGML_MAX_DIMS; i++) ne[i] = shape[n - 1 - i]!;
  return ne;
}

/** ggml_n_dims: one past the last dimension larger than 1, at least 1. */
export function ggmlNDims(ne: readonly number[]): number {
  for (let i = GGML_MAX_DIMS - 1; i >= 1; i--) if (ne[i]! > 1) return i + 1;
  return 1;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * sscanf(name, "blk.%d.", &layer) as glibc does it: the literal "blk." must open the name, %d
 * skips white space, takes an optional sign and at least one digit, saturates to the range of
 * long and stores the low 32 bits. The trailing "." is not needed for the conversion to count.
 * Returns undefined when nothing was converted.
 */
export function scanLayer(name: string): number | undefined {
  if (!name.startsWith('blk.')) return undefined;
  let i = 4;
  while (i < name.length && ' \t\n\v\f\r'.includes(name[i]!)) i++;
  let neg = false;
  if (name[i] === '+' || name[i] === '-') {
    neg = name[i] === '-';
    i++;
  }
  const start = i;
  while (i < name.length && name.charCodeAt(i) >= 48 && name.charCodeAt(i) <= 57) i++;
  if (i === start) return undefined;
  let v = BigInt(name.slice(start, i));
  if (neg) v = -v;
  if (v > INT64_MAX) v = INT64_MAX;
  if (v < INT64_MIN) v = INT64_MIN;
  return Number(BigInt.asIntN(32, v));
}

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The order llama-quantize writes tensors in: its weights_map is a std::map ordered by
 * weight_name_comparer, i.e. by the block number sscanf finds (-1 when none), then by the
 * name's bytes (std::string's operator<).
 */
export function weightOrder<T extends { readonly name: string }>(items: readonly T[]): T[] {
  const keyed = items.map((item) => ({ item, layer: scanLayer(item.name) ?? -1, bytes: utf8.encode(item.name) }));
  keyed.sort((x, y) => (x.layer !== y.layer ? (x.layer < y.layer ? -1 : 1) : compareBytes(x.bytes, y.bytes)));
  return keyed.map((k) => k.item);
}

export function utf8Length(s: string): number {
  return utf8.encode(s).length;
}
