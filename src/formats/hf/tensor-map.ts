import { FormatError, UnsupportedError } from '../errors';
import type { TensorInfo } from '../model';
import { GGUF_TENSOR_STEMS, HF_TENSOR_NAMES, type ArchEntry, type Dims, type GgufTensorKind, type HfConfig } from './arch-table';
import { findHparam } from './hparams';
import { llama3RopeFactors, memoryF32Tensor } from './extra-tensors';
import { PermutedRowsTensor, WidenedTensor } from './tensors';

/**
 * Hugging Face tensors -> the GGUF tensors the converter writes (ModelBase.prepare_tensors,
 * LlamaModel.modify_tensors, TextModel/ModelBase.filter_tensors, TensorNameMap.get_name at
 * llama.cpp 34af94cd): names mapped per the architecture table, skipped buffers dropped, q/k
 * rows permuted, the converter's always-F32 tensors widened, and shapes checked against config.json.
 */

/** TextModel.filter_tensors: tensors of vision / audio towers are not part of a text model. */
function isMultimodal(name: string): boolean {
  const starts = ['mlp', 'vit.', 'vpm.', 'siglip2.', 'conformer.', 'merger.', 'resampler.', 'sound_encoder.', 'sound_projection.', 'speech_embeddings.'];
  const has = ['visual.', 'vision.', 'audio.', 'talker.', 'vision_', 'audio_', 'token2wav.', 'code2wav.', 'projector.', 'pre_mm_projector_norm', 'image_newline', 'view_seperator', 'patch_embed', 'patch_embedding', 'patch_merger.', 'patch_merge_mlp.', 'model.connector.'];
  return starts.some((s) => name.startsWith(s)) || has.some((s) => name.includes(s));
}

/** prepare_tensors drops these before mapping. */
const DROPPED_SUFFIXES = ['.attention.masked_bias', '.attention.bias', '.rotary_emb.inv_freq'];

/** GGUF names the converter stores as F32 whatever the output type (prepare_tensors' list, the kinds the table knows). */
const ALWAYS_F32_RE = /^(blk\.\d+\.ffn_gate_inp|position_embd|token_types)\.weight$/;

/**
 * prepare_tensors' rule for tensors written as F32 at any --outtype: one dimension, norms, names
 * not ending in .weight (biases), and the kinds it lists.
 */
export function converterKeepsF32(gguf: string, shape: readonly number[]): boolean {
  return shape.length <= 1 || gguf.endsWith('_norm.weight') || !gguf.endsWith('.weight') || ALWAYS_F32_RE.test(gguf);
}

interface Target {
  readonly kind: GgufTensorKind;
  readonly bid: number | null;
  readonly gguf: string;
}

function buildNameMap(arch: ArchEntry, blockCount: number): Map<string, Target> {
  const map = new Map<string, Target>();
  for (const kind of arch.tensors) {
    const stem = GGUF_TENSOR_STEMS[kind];
    for (const hf of HF_TENSOR_NAMES[kind] ?? []) {
      if (!hf.includes('{bid}')) map.set(hf, { kind, bid: null, gguf: stem });
      else for (let b = 0; b < blockCount; b++) map.set(hf.replaceAll('{bid}', String(b)), { kind, bid: b, gguf: stem.replaceAll('{bid}', String(b)) });
    }
  }
  return map;
}

function dims(hp: HfConfig): Dims {
  const n = (keys: string[]): number => {
    const v = findHparam(hp, keys);
    return typeof v === 'number' ? v : NaN;
  };
  const nEmbd = n(['hidden_size', 'n_embd', 'dim']);
  const nHead = n(['num_attention_heads', 'n_head', 'n_heads']);
  const kv = n(['num_key_value_heads', 'n_kv_heads']);
  const hd = hp['head_dim'];
  return {
    nEmbd,
    nHead,
    nHeadKv: Number.isNaN(kv) ? nHead : kv,
    headDim: typeof hd === 'number' ? hd : Math.floor(nEmbd / nHead),
    nFf: n(['intermediate_size', 'n_inner', 'hidden_dim']),
    nVocab: n(['vocab_size']),
  };
}

export function mapTensors(arch: ArchEntry, hp: HfConfig, blockCount: number, source: readonly TensorInfo[]): { tensors: TensorInfo[]; warnings: string[] } {
  const names = buildNameMap(arch, blockCount);
  const d = dims(hp);
  const out: TensorInfo[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, string>();
  const found = new Set<string>();
  if (arch.extraTensors?.includes('llama3-rope-freqs')) {
    const factors = llama3RopeFactors(hp);
    if (factors !== null) {
      out.push(memoryF32Tensor(`${GGUF_TENSOR_STEMS.ROPE_FREQS}.weight`, factors, 'config.json'));
      seen.set(`${GGUF_TENSOR_STEMS.ROPE_FREQS}.weight`, 'rope_scaling in config.json');
    }
  }
  for (const t of source) {
    const fail = (what: string) => new FormatError({ format: 'hf', file: t.file, tensor: t.name }, what);
    if (isMultimodal(t.name)) {
      warnings.push(`${t.name}: not part of the text model, left out`);
      continue;
    }
    let name = t.name.replaceAll('text_model.', '').replaceAll('language_model.', '');
    if (name.endsWith('e_score_correction_bias')) name = name.replace('e_score_correction_bias', 'e_score_correction.bias');
    if (DROPPED_SUFFIXES.some((s) => name.endsWith(s))) continue;
    if (t.type !== 'F32' && t.type !== 'F16' && t.type !== 'BF16') {
      throw new UnsupportedError({ format: 'hf', file: t.file, tensor: t.name }, `dtype ${t.typeLabel} is not converted yet (F32, F16 and BF16 are)`);
    }
    let target = names.get(name);
    let suffix = '';
    if (target === undefined) {
      for (const s of ['.weight', '.bias']) {
        if (name.endsWith(s) && names.has(name.slice(0, -s.length))) {
          target = names.get(name.slice(0, -s.length));
          suffix = s;
          break;
        }
      }
    }
    if (target === undefined) throw fail(`cannot map tensor to a ${arch.ggufArch} GGUF tensor (the converter stops here too: "Can not map tensor")`);
    const gguf = target.gguf + suffix;
    const prev = seen.get(gguf);
    if (prev !== undefined) throw fail(`maps to ${gguf}, as ${prev} does`);
    seen.set(gguf, t.name);
    found.add(target.gguf);
    const expect = suffix === '.weight' ? arch.shapes[target.kind]?.(d) : undefined;
    if (expect !== undefined && (expect.length !== t.shape.length || expect.some((x, i) => x !== t.shape[i]))) {
      throw fail(`shape [${t.shape.join(', ')}] disagrees with config.json, which makes ${gguf} [${expect.join(', ')}]`);
    }
    let view: TensorInfo = t;
    const headKeys = arch.permute?.tensors[target.kind];
    if (headKeys !== undefined && (suffix === '.weight' || suffix === '.bias')) {
      const heads = findHparam(hp, headKeys);
      const nHead = findHparam(hp, ['n_heads', 'num_attention_heads']);
      if (typeof heads !== 'number' || typeof nHead !== 'number' || heads <= 0) throw fail(`config.json lacks the head count (${headKeys.join(' / ')}) the q/k permutation needs`);
      const rows = t.shape[0] ?? 0;
      if (rows % (2 * heads) !== 0) throw fail(`${rows} rows do not split into ${heads} heads of an even number of rows, which the q/k permutation needs`);
      view = new PermutedRowsTensor(gguf, t, heads);
    }
    if (converterKeepsF32(gguf, t.shape) && t.type !== 'F32') view = new WidenedTensor(gguf, view);
    out.push(view.name === gguf ? view : renamed(view, gguf));
  }
  const missing: string[] = [];
  for (let b = -1; b < blockCount; b++) {
    for (const kind of arch.required) {
      const stem = GGUF_TENSOR_STEMS[kind];
      if (stem.includes('{bid}') !== b >= 0) continue;
      const want = stem.replaceAll('{bid}', String(b));
      if (!found.has(want)) missing.push(want);
    }
  }
  if (missing.length > 0) {
    throw new FormatError({ format: 'hf', file: 'config.json' }, `the weights lack ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}, which a ${arch.ggufArch} model of ${blockCount} layers needs`);
  }
  return { tensors: out, warnings };
}

/** The same tensor under its GGUF name. */
function renamed(t: TensorInfo, name: string): TensorInfo {
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
