import { FormatError, UnsupportedError } from '../errors';
import type { MetaValue, TensorInfo } from '../model';
import { GGUF_TENSOR_STEMS, HF_TENSOR_NAMES, phi3RopeDims, type ArchEntry, type Dims, type GgufTensorKind, type HfConfig } from './arch-table';
import { findHparam } from './hparams';
import { llama3RopeFactors, memoryF32Tensor, phi3RopeFactors } from './extra-tensors';
import { firstRows, PermutedRowsTensor, ShiftedTensor, StackedTensor, WidenedTensor } from './tensors';

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
    nExpert: n(['num_local_experts', 'num_experts']),
    nFfExp: n(['moe_intermediate_size']),
  };
}

/** How a family's modify_tensors stacks the experts of a layer (ArchEntry.experts). */
interface ExpertStacking {
  /** A tensor the family treats as an expert (the converter: a substring test). */
  readonly marks: string;
  /** One expert's tensor: layer, expert, projection. */
  readonly re: RegExp;
  /** Projections in the order their stacks go out. */
  readonly order: readonly string[];
  /** The stacked tensor's name before mapping. */
  readonly stacked: (bid: number, w: string) => string;
  /** What the converter accepts, for a refusal. */
  readonly what: string;
}

const EXPERT_STACKING: Readonly<Record<NonNullable<ArchEntry['experts']>, ExpertStacking>> = {
  // LlamaModel.modify_tensors: model.layers.B.block_sparse_moe.experts.X.wK.weight, out as w1, w2, w3
  mixtral: {
    marks: 'block_sparse_moe.experts',
    re: /^model\.layers\.(\d+)\.block_sparse_moe\.experts\.(\d+)\.(w[123])\.weight$/,
    order: ['w1', 'w2', 'w3'],
    stacked: (bid, w) => `layers.${bid}.feed_forward.experts.${w}.weight`,
    what: 'an experts.N.w1/w2/w3.weight tensor, which is all LlamaModel stacks',
  },
  // Qwen2MoeModel.modify_tensors: model.layers.B.mlp.experts.X.{gate,up,down}_proj.weight, out as down, gate, up
  qwen2moe: {
    marks: 'experts',
    re: /^model\.layers\.(\d+)\.mlp\.experts\.(\d+)\.(gate_proj|up_proj|down_proj)\.weight$/,
    order: ['down_proj', 'gate_proj', 'up_proj'],
    stacked: (bid, w) => `model.layers.${bid}.mlp.experts.${w}.weight`,
    what: 'an mlp.experts.N.{gate,up,down}_proj.weight tensor (experts already merged per layer, mlp.experts.gate_up_proj / down_proj, are not converted yet)',
  },
};

export interface MapOptions {
  /** Rows token_embd keeps (ArchEntry.truncateEmbd), or undefined. */
  readonly embdRows?: number;
}

export interface Mapped {
  readonly tensors: TensorInfo[];
  readonly warnings: string[];
  /** KVs generate_extra_tensors adds, before any set by prepare_metadata (after general.architecture). */
  readonly earlyKvs: Array<[string, MetaValue]>;
}

export function mapTensors(arch: ArchEntry, hp: HfConfig, blockCount: number, source: readonly TensorInfo[], opts: MapOptions = {}): Mapped {
  const names = buildNameMap(arch, blockCount);
  const d = dims(hp);
  const out: TensorInfo[] = [];
  const warnings: string[] = [];
  const earlyKvs: Array<[string, MetaValue]> = [];
  const seen = new Map<string, string>();
  const found = new Set<string>();
  const generated = (kind: GgufTensorKind, values: Float32Array): void => {
    const name = `${GGUF_TENSOR_STEMS[kind]}.weight`;
    out.push(memoryF32Tensor(name, values, 'config.json'));
    seen.set(name, 'rope_scaling in config.json');
  };
  if (arch.extraTensors?.includes('llama3-rope-freqs')) {
    const factors = llama3RopeFactors(hp);
    if (factors !== null) generated('ROPE_FREQS', factors);
  }
  if (arch.extraTensors?.includes('phi3-rope-factors')) {
    const f = phi3RopeFactors(hp, phi3RopeDims(hp) ?? 0);
    if (typeof f === 'string') throw new UnsupportedError({ format: 'hf', file: 'config.json' }, f);
    if (f !== null) {
      earlyKvs.push([`${arch.ggufArch}.rope.scaling.attn_factor`, { type: 'f32', value: f.attnFactor }]);
      generated('ROPE_FACTORS_LONG', f.long);
      generated('ROPE_FACTORS_SHORT', f.short);
    }
  }
  // experts of a layer wait until all 3 * n of them are seen, then go out stacked (w1, w2, w3)
  const experts = new Map<number, Map<string, TensorInfo>>();
  const skip = new Set(arch.skipTensors ?? []);
  for (const t of source) {
    const fail = (what: string) => new FormatError({ format: 'hf', file: t.file, tensor: t.name }, what);
    if (isMultimodal(t.name)) {
      warnings.push(`${t.name}: not part of the text model, left out`);
      continue;
    }
    let name = t.name.replaceAll('text_model.', '').replaceAll('language_model.', '');
    if (name.endsWith('e_score_correction_bias')) name = name.replace('e_score_correction_bias', 'e_score_correction.bias');
    if (skip.has(name)) continue;
    if (DROPPED_SUFFIXES.some((s) => name.endsWith(s))) continue;
    if (t.type !== 'F32' && t.type !== 'F16' && t.type !== 'BF16') {
      throw new UnsupportedError({ format: 'hf', file: t.file, tensor: t.name }, `dtype ${t.typeLabel} is not converted yet (F32, F16 and BF16 are)`);
    }
    const stacking = arch.experts !== undefined ? EXPERT_STACKING[arch.experts] : undefined;
    if (stacking !== undefined && name.includes(stacking.marks)) {
      const m = stacking.re.exec(name);
      const n = d.nExpert;
      if (m === null) throw fail(`is not ${stacking.what}`);
      if (!Number.isInteger(n) || n <= 0) throw fail('config.json has no num_local_experts / num_experts to stack the experts by');
      const bid = Number(m[1]);
      const layer = experts.get(bid) ?? new Map<string, TensorInfo>();
      experts.set(bid, layer);
      layer.set(`${m[2]}.${m[3]}`, t);
      if (layer.size < 3 * n) continue;
      // the layer's last expert: its three stacks go out here, in the family's order
      experts.delete(bid);
      for (const w of stacking.order) {
        const parts: TensorInfo[] = [];
        for (let x = 0; x < n; x++) {
          const p = layer.get(`${x}.${w}`);
          if (p === undefined) throw fail(`layer ${bid} lacks expert ${x}'s ${w} (config.json's expert count is ${n})`);
          const first = parts[0];
          if (first !== undefined && (p.type !== first.type || p.shape.length !== first.shape.length || p.shape.some((v, i) => v !== first.shape[i]))) {
            throw fail(`layer ${bid}'s ${w} experts differ in dtype or shape (${first.typeLabel} [${first.shape.join(', ')}] vs ${p.typeLabel} [${p.shape.join(', ')}])`);
          }
          parts.push(p);
        }
        const s = new StackedTensor(stacking.stacked(bid, w), parts);
        out.push(mapOne(s, s.name));
      }
      continue;
    }
    out.push(mapOne(t, name));
  }
  const left = [...experts].filter(([, m]) => m.size > 0);
  if (left.length > 0) {
    throw new FormatError({ format: 'hf', file: 'config.json' }, `layer ${left[0]![0]} has ${left[0]![1].size} expert tensors, not the ${3 * d.nExpert} (3 x num_local_experts / num_experts) the converter stacks ("Unprocessed experts")`);
  }

  function mapOne(t: TensorInfo, name: string): TensorInfo {
    const fail = (what: string) => new FormatError({ format: 'hf', file: t.file, tensor: t.name }, what);
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
    if (target.kind === 'TOKEN_EMBD' && suffix === '.weight' && opts.embdRows !== undefined && opts.embdRows < (t.shape[0] ?? 0)) {
      view = firstRows(gguf, view, opts.embdRows);
    }
    const headKeys = arch.permute?.tensors[target.kind];
    if (headKeys !== undefined && (suffix === '.weight' || suffix === '.bias')) {
      const heads = findHparam(hp, headKeys);
      const nHead = findHparam(hp, ['n_heads', 'num_attention_heads']);
      if (typeof heads !== 'number' || typeof nHead !== 'number' || heads <= 0) throw fail(`config.json lacks the head count (${headKeys.join(' / ')}) the q/k permutation needs`);
      const rows = t.shape[0] ?? 0;
      if (rows % (2 * heads) !== 0) throw fail(`${rows} rows do not split into ${heads} heads of an even number of rows, which the q/k permutation needs`);
      view = new PermutedRowsTensor(gguf, t, heads);
    }
    if (arch.normShift !== undefined && name.endsWith('norm.weight')) view = new ShiftedTensor(gguf, view, arch.normShift);
    else if (converterKeepsF32(gguf, t.shape) && t.type !== 'F32') view = new WidenedTensor(gguf, view);
    return view.name === gguf ? view : renamed(view, gguf);
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
  return { tensors: out, warnings, earlyKvs };
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
