import type { ByteSource } from '../../io/byte-source';
import { FormatError, UnsupportedError } from '../errors';
import { elementCount, type Metadata, type MetaValue, type ModelView, type TensorInfo } from '../model';
import { readSafetensors } from '../safetensors/reader';
import { readPytorchSet } from '../pytorch-set';
import { byCodePoint } from '../safetensors/python-json';
import { archFor, supportedArchitectures, type HfConfig } from './arch-table';
import { archKvs, findHparam } from './hparams';
import { withConfigDefaults } from './config-defaults';
import { HF_MAX_JSON_BYTES, HF_MAX_LAYERS } from './limits';
import { modelNames, sizeLabel } from './naming';
import { mapTensors } from './tensor-map';
import { readJson } from './json-files';
import { realVocabSize, vocabKvs } from './vocab';

/**
 * A Hugging Face checkpoint folder (config.json, tokenizer files, safetensors weights) as the
 * GGUF model llama.cpp's convert_hf_to_gguf.py (34af94cd) writes for it at the lossless output
 * type: its tensor names, order, shapes and F32-always tensors, its KVs in its order. Tensor data
 * is transformed per read (tensors.ts), so converting the view is converting the checkpoint in
 * one pass. `folder` is the folder's own name, from which the converter derives general.name.
 */

/** ModelBase.get_model_part_names: weights are model*.safetensors, other safetensors files are not read. */
const PART_RE = /^model.*\.safetensors$/;

/** LlamaFileType values for general.file_type. */
export const FTYPE = { F32: 0, F16: 1, Q8_0: 7, BF16: 32 } as const;

/** Is this file set a Hugging Face folder the HF reader should take? (config.json naming an architecture.) */
export async function looksLikeHfFolder(files: readonly ByteSource[]): Promise<boolean> {
  const cfg = files.find((f) => f.name === 'config.json');
  if (cfg === undefined || cfg.size > HF_MAX_JSON_BYTES) return false;
  try {
    const json = JSON.parse(new TextDecoder().decode(await cfg.read(0, cfg.size))) as unknown;
    const arches = (json as { architectures?: unknown } | null)?.architectures;
    const text = (json as { text_config?: { architectures?: unknown } } | null)?.text_config?.architectures;
    return (Array.isArray(arches) && arches.length > 0) || (Array.isArray(text) && text.length > 0);
  } catch {
    return false;
  }
}

/**
 * Does config.json name an architecture Kiln converts? (A PyTorch checkpoint beside the config
 * of another architecture stays a plain PyTorch model, as it was before .bin weights were read
 * as HF folders.)
 */
export async function namesConvertibleArchitecture(files: readonly ByteSource[]): Promise<boolean> {
  const cfg = files.find((f) => f.name === 'config.json');
  if (cfg === undefined || cfg.size > HF_MAX_JSON_BYTES) return false;
  try {
    const json = JSON.parse(new TextDecoder().decode(await cfg.read(0, cfg.size))) as { architectures?: unknown; text_config?: { architectures?: unknown } } | null;
    const pick = (a: unknown) => (Array.isArray(a) && typeof a[0] === 'string' ? (a[0] as string) : null);
    const arch = pick(json?.text_config?.architectures) ?? pick(json?.architectures);
    return arch !== null && archFor(arch) !== null;
  } catch {
    return false;
  }
}

/** The folder name: given, or the parent directory of a file that knows its path (Node sources). */
export function folderNameOf(files: readonly ByteSource[]): string | null {
  for (const f of files) {
    const p = (f as { path?: unknown }).path;
    if (typeof p !== 'string') continue;
    const parts = p.split(/[\\/]/).filter((s) => s.length > 0);
    if (parts.length >= 2) return parts[parts.length - 2]!;
  }
  return null;
}

/**
 * The folder name from the paths a browser gives picked files (File.webkitRelativePath,
 * "folder/config.json"): the parent of config.json. Null for files picked one by one.
 */
export function folderFromRelativePaths(paths: readonly string[]): string | null {
  for (const p of paths) {
    const parts = p.split('/').filter((s) => s.length > 0);
    if (parts.length >= 2 && parts[parts.length - 1] === 'config.json') return parts[parts.length - 2]!;
  }
  return null;
}

export async function readHf(files: readonly ByteSource[], folder?: string): Promise<ModelView> {
  const byName = new Map(files.map((f) => [f.name, f]));
  const cfgFile = byName.get('config.json');
  if (cfgFile === undefined) throw new FormatError({ format: 'hf', file: files[0]?.name ?? '(no files)' }, 'no config.json among the files');
  const raw = (await readJson(cfgFile))!;
  const arches = raw['architectures'];
  let hfArch = Array.isArray(arches) && typeof arches[0] === 'string' ? (arches[0] as string) : null;
  const textCfg = raw['text_config'];
  if (typeof textCfg === 'object' && textCfg !== null) {
    const ta = (textCfg as Record<string, unknown>)['architectures'];
    if (Array.isArray(ta) && typeof ta[0] === 'string') hfArch = ta[0] as string;
  }
  if (hfArch === null) throw new FormatError({ format: 'hf', file: 'config.json' }, 'config.json names no architecture ("architectures")');
  const arch = archFor(hfArch);
  if (arch === null) {
    throw new UnsupportedError({ format: 'hf', file: 'config.json' }, `architecture ${hfArch} is not supported for GGUF conversion yet; Kiln converts ${supportedArchitectures().join(', ')}`);
  }
  // ModelBase.load_hparams (transformers' defaults under config.json), then TextModel.__init__:
  // text_config's keys override the top level
  const full = withConfigDefaults(raw);
  const fullText = full['text_config'];
  const hp: HfConfig = typeof fullText === 'object' && fullText !== null ? { ...full, ...(fullText as Record<string, unknown>) } : full;
  const folderName = folder ?? folderNameOf(files) ?? 'model';
  const why = arch.refuse?.(hp, files.map((f) => f.name), folderName) ?? null;
  if (why !== null) throw new UnsupportedError({ format: 'hf', file: 'config.json' }, `${hfArch}: ${why}`);
  const blockCount = findHparam(hp, ['n_layers', 'num_hidden_layers', 'n_layer', 'num_layers']);
  if (typeof blockCount !== 'number' || !Number.isInteger(blockCount) || blockCount < 0 || blockCount > HF_MAX_LAYERS) {
    throw new FormatError({ format: 'hf', file: 'config.json' }, `num_hidden_layers is ${JSON.stringify(blockCount)}; expected an integer in 0..${HF_MAX_LAYERS}`);
  }

  // weights: model*.safetensors (and the index), else pytorch_model*.bin (and the index), one view
  const { weights, ordered, kind } = await readWeights(files, byName);
  const mapped = mapTensors(arch, hp, blockCount, ordered, { embdRows: arch.truncateEmbd ? await realVocabSize(hp, byName) : undefined });

  const tensors = mapped.tensors;
  const counts = parameterCounts(tensors);
  const total = counts.total;
  const label = total > 0 ? sizeLabel(total, counts.shared, counts.expert, counts.expertCount) : '';
  const md: Metadata = new Map();
  const put = (k: string, v: MetaValue) => {
    // GGUFWriter.add_string / add_array skip empty values
    if ((v.type === 'string' || v.type === 'array') && v.value.length === 0) return;
    md.set(k, v);
  };
  put('general.architecture', { type: 'string', value: arch.ggufArch });
  for (const [k, v] of mapped.earlyKvs) put(k, v);
  put('general.type', { type: 'string', value: 'model' });
  const gen = await readJson(byName.get('generation_config.json')).catch(() => null); // the converter ignores a broken one
  for (const [k, v] of samplingKvs(gen)) put(k, v);
  const names = modelNames(raw['_name_or_path'], folderName, total);
  put('general.name', { type: 'string', value: names.name ?? folderName });
  if (names.version !== null) put('general.version', { type: 'string', value: names.version });
  if (names.organization !== null) put('general.organization', { type: 'string', value: names.organization });
  if (names.finetune !== null) put('general.finetune', { type: 'string', value: names.finetune });
  if (names.basename !== null) put('general.basename', { type: 'string', value: names.basename });
  put('general.size_label', { type: 'string', value: names.sizeLabel ?? label });
  for (const [k, v] of archKvs(arch, hp, blockCount, losslessFileType(tensors), 'config.json')) put(k, v);
  put('general.quantization_version', { type: 'u32', value: 2 });

  const tokCfg = await readJson(byName.get('tokenizer_config.json'));
  const vocab = await vocabKvs(arch, hp, raw, byName, tokCfg);
  for (const [k, v] of vocab.kvs) put(k, v);

  const used = new Set<string>([...weights.files, 'config.json', ...vocab.files]);
  for (const n of ['generation_config.json', 'tokenizer_config.json']) if (byName.has(n)) used.add(n);
  const details = new Map<string, string>([
    ['Hugging Face architecture', `${hfArch} (GGUF ${arch.ggufArch})`],
    ['parameters', `${total} (${names.sizeLabel ?? label})`],
    ['tokenizer', vocab.summary],
    ['chat template', md.has('tokenizer.chat_template') ? 'present' : 'none'],
    ['weights', `${weights.files.filter((f) => !f.endsWith('.index.json')).length} ${kind} file(s), ${[...new Set(ordered.map((t) => t.type))].join(', ')}`],
    ['folder', folderName],
  ]);
  const rest = files.map((f) => f.name).filter((n) => !used.has(n));
  if (rest.length > 0) details.set('not read', rest.join(', '));
  const warnings = [...mapped.warnings, ...vocab.warnings];
  if (warnings.length > 0) details.set('warnings', warnings.join('; '));
  return { format: 'hf', files: [...used], metadata: md, tensors, details };
}

/**
 * GGUFWriter.get_total_parameter_count: tensors named *_exps.* with 3 dims count one expert's
 * share (elements / experts) as expert parameters, the rest as shared; the expert count is the
 * mean over those tensors.
 */
function parameterCounts(tensors: readonly TensorInfo[]): { total: number; shared: number; expert: number; expertCount: number } {
  let total = 0;
  let shared = 0;
  let expert = 0;
  let expertSum = 0;
  let expertTensors = 0;
  for (const t of tensors) {
    const size = elementCount(t.shape);
    if (t.name.includes('_exps.') && t.shape.length >= 3) {
      const n = t.shape[t.shape.length - (t.name.includes('.bias') ? 2 : 3)]!;
      expert += Math.floor(size / n);
      expertSum += n;
      expertTensors++;
    } else shared += size;
    total += size;
  }
  return { total, shared, expert, expertCount: expertTensors > 0 ? Math.floor(expertSum / expertTensors) : 0 };
}

/** ModelBase.get_model_part_names for the PyTorch fallback: pytorch_model*.bin. */
const BIN_PART_RE = /^pytorch_model.*\.bin$/;

/**
 * ModelBase.index_tensors: safetensors parts when there are any (each part's tensors in name
 * order), else PyTorch .bin parts (each part's tensors in the order torch.load gives them, the
 * state dict's order); parts in name order, an index naming the parts to read.
 */
async function readWeights(files: readonly ByteSource[], byName: ReadonlyMap<string, ByteSource>): Promise<{ weights: ModelView; ordered: TensorInfo[]; kind: string }> {
  const parts = files.filter((f) => PART_RE.test(f.name));
  if (parts.length > 0) {
    const index = byName.get('model.safetensors.index.json');
    const weights = await readSafetensors(index !== undefined ? [...parts, index] : parts);
    const partOrder = [...new Set(weights.tensors.map((t) => t.file))].sort(byCodePoint);
    const ordered = partOrder.flatMap((p) => weights.tensors.filter((t) => t.file === p).sort((a, b) => byCodePoint(a.name, b.name)));
    return { weights, ordered, kind: 'safetensors' };
  }
  const index = byName.get('pytorch_model.bin.index.json');
  let bins = files.filter((f) => BIN_PART_RE.test(f.name)).sort((a, b) => byCodePoint(a.name, b.name));
  if (bins.length === 0) throw new FormatError({ format: 'hf', file: 'config.json' }, `no model*.safetensors or pytorch_model*.bin weights among: ${files.map((f) => f.name).join(', ')}`);
  if (index !== undefined) {
    // only the parts the index names are read; one it names and the folder lacks is refused
    const map = ((await readJson(index)) ?? {})['weight_map'];
    if (typeof map !== 'object' || map === null) throw new FormatError({ format: 'hf', file: index.name }, "has no 'weight_map' object");
    const named = [...new Set(Object.values(map as Record<string, unknown>).map(String))].sort(byCodePoint);
    const missing = named.filter((n) => !byName.has(n));
    if (missing.length > 0) throw new FormatError({ format: 'hf', file: index.name }, `names weight files the folder lacks: ${missing.join(', ')}`);
    bins = named.map((n) => byName.get(n)!);
  }
  const weights = await readPytorchSet(index !== undefined ? [...bins, index] : bins);
  return { weights, ordered: [...weights.tensors], kind: 'PyTorch .bin' };
}

/** Metadata.load's generation_config.json keys, in set_gguf_meta_model's order. */
function samplingKvs(gen: Record<string, unknown> | null): Array<[string, MetaValue]> {
  if (gen === null || Object.keys(gen).length === 0) return [];
  const spec: ReadonlyArray<readonly [string, string, 'string' | 'i32' | 'f32']> = [
    ['sequence', 'sequence', 'string'],
    ['top_k', 'top_k', 'i32'],
    ['top_p', 'top_p', 'f32'],
    ['min_p', 'min_p', 'f32'],
    ['xtc_probability', 'xtc_probability', 'f32'],
    ['xtc_threshold', 'xtc_threshold', 'f32'],
    ['temperature', 'temp', 'f32'],
    ['penalty_last_n', 'penalty_last_n', 'i32'],
    ['penalty_repeat', 'penalty_repeat', 'f32'],
    ['mirostat', 'mirostat', 'i32'],
    ['mirostat_tau', 'mirostat_tau', 'f32'],
    ['mirostat_eta', 'mirostat_eta', 'f32'],
  ];
  const out: Array<[string, MetaValue]> = [];
  for (const [from, to, type] of spec) {
    const v = gen[from];
    if (v === undefined || v === null) continue;
    const key = `general.sampling.${to}`;
    if (type === 'string') out.push([key, { type: 'string', value: String(v) }]);
    else if (typeof v === 'number') out.push([key, { type, value: type === 'i32' ? Math.trunc(v) : v }]);
    else throw new FormatError({ format: 'hf', file: 'generation_config.json' }, `${from} is ${JSON.stringify(v)}, not a number`);
  }
  return out;
}

/**
 * general.file_type of the lossless output (--outtype auto): the first 2-D BF16 or F16 tensor
 * decides (ModelBase.__init__'s heuristic); a checkpoint all F32 stays F32.
 */
function losslessFileType(tensors: readonly TensorInfo[]): number {
  for (const t of tensors) {
    if (t.shape.length < 2) continue;
    if (t.type === 'BF16') return FTYPE.BF16;
    if (t.type === 'F16') return FTYPE.F16;
  }
  return tensors.some((t) => t.shape.length >= 2 && t.type !== 'F32') ? FTYPE.F16 : FTYPE.F32;
}
