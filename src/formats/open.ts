import type { ByteSource } from '../io/byte-source';
import { FormatError, UnsupportedError } from './errors';
import type { FormatName, ModelView } from './model';
import { SAFETENSORS_MAX_HEADER_BYTES } from './limits';
import { readGguf } from './gguf/reader';
import { isSafetensorsIndexName, readSafetensors } from './safetensors/reader';
import { readPytorchSet } from './pytorch-set';
import { readTensorflow } from './tensorflow/reader';
import { readOnnx } from './onnx/reader';
import { looksLikeHfFolder, namesConvertibleArchitecture, readHf } from './hf/reader';

/** What one file is, judged by its content first and its name second. */
export type FileKind =
  | 'gguf'
  | 'safetensors'
  | 'safetensors-index'
  | 'pytorch'
  | 'pytorch-index'
  | 'tensorflow-index'
  | 'tensorflow-data'
  | 'onnx'
  | 'onnx-data'
  /** Files that travel with a model (config.json, tokenizer.model, README.md...): skipped, listed in details. */
  | 'companion'
  | 'unknown';

export interface Detection {
  readonly file: ByteSource;
  readonly kind: FileKind;
  /** How the kind was decided, for messages ("GGUF magic", "name *.onnx and a protobuf tag"...). */
  readonly why: string;
}

const FORMAT_OF: Readonly<Record<FileKind, FormatName | null>> = {
  gguf: 'gguf',
  safetensors: 'safetensors',
  'safetensors-index': 'safetensors',
  pytorch: 'pytorch',
  'pytorch-index': 'pytorch',
  'tensorflow-index': 'tensorflow',
  'tensorflow-data': 'tensorflow',
  onnx: 'onnx',
  'onnx-data': 'onnx',
  companion: null,
  unknown: null,
};

export type Reader = (files: readonly ByteSource[]) => Promise<ModelView>;

// ================================================================================================
// Reader dispatch: the one place a detected format meets its reader.
// pytorch: one checkpoint, or the shards of one with their index (pytorch-set.ts);
// tensorflow: the .index first, then its .data-NNNNN-of-NNNNN shards; onnx: the model first, then
// its external data files. A null entry makes openModel throw an UnsupportedError naming the format.
// ================================================================================================
export const READERS: Record<FormatName, Reader | null> = {
  gguf: readGguf,
  safetensors: readSafetensors,
  pytorch: readPytorchSet,
  tensorflow: (files) => readTensorflow([...files]),
  onnx: (files) => readOnnx([...files]),
  hf: (files) => readHf(files),
};

/** LevelDB/TensorFlow table footer magic (table/format.h kTableMagicNumber), little-endian, last 8 bytes of a .index file. */
const SSTABLE_MAGIC = 0xdb4775248b80fb57n;
const TF_DATA_RE = /\.data-\d{5}-of-\d{5}$/;
/** First bytes a serialized onnx.ModelProto starts with: the tag of one of its fields (ir_version = 1 first in practice). */
const ONNX_FIRST_TAGS = new Set([0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72, 0xa2, 0xca]);
const COMPANION_NAMES = new Set([
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'preprocessor_config.json',
  'chat_template.json',
  'tokenizer.model',
  'vocab.json',
  'vocab.txt',
  'merges.txt',
  'params.json',
  '.gitattributes',
]);

function isCompanionName(name: string): boolean {
  const lower = name.toLowerCase();
  return COMPANION_NAMES.has(lower) || lower.endsWith('.md') || lower.endsWith('.jinja') || lower.startsWith('license');
}

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

function looksLikeSafetensors(f: ByteSource, head: Uint8Array): boolean {
  if (head.length < 10) return false;
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (n < 2n || n > BigInt(SAFETENSORS_MAX_HEADER_BYTES) || 8n + n > BigInt(f.size)) return false;
  // The Rust crate accepts whitespace before the JSON object.
  for (let i = 8; i < head.length; i++) {
    const c = head[i]!;
    if (c === 0x7b) return true;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false;
  }
  return false;
}

async function sstableFooter(f: ByteSource): Promise<boolean> {
  if (f.size < 48) return false;
  const tail = await f.read(f.size - 8, 8);
  return new DataView(tail.buffer, tail.byteOffset, 8).getBigUint64(0, true) === SSTABLE_MAGIC;
}

/** Decides what one file is from its first bytes (and footer), falling back to its name. */
export async function detectFile(f: ByteSource): Promise<Detection> {
  const name = f.name;
  const lower = name.toLowerCase();
  if (isSafetensorsIndexName(lower)) return { file: f, kind: 'safetensors-index', why: 'name *.safetensors.index.json' };
  if (lower.endsWith('.bin.index.json') || lower.endsWith('.pt.index.json')) return { file: f, kind: 'pytorch-index', why: 'name *.bin.index.json' };
  const head = await f.read(0, Math.min(f.size, 512));
  if (startsWith(head, [0x47, 0x47, 0x55, 0x46])) return { file: f, kind: 'gguf', why: 'GGUF magic' };
  if (looksLikeSafetensors(f, head.subarray(0, 64))) return { file: f, kind: 'safetensors', why: 'safetensors header (u64 length, JSON object)' };
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return { file: f, kind: 'pytorch', why: 'zip archive (torch.save)' };
  if (head.length >= 2 && head[0] === 0x80 && head[1]! >= 2 && head[1]! <= 5) return { file: f, kind: 'pytorch', why: `pickle protocol ${head[1]} (legacy torch.save)` };
  if (startsWith(head, [0x75, 0x73, 0x74, 0x61, 0x72], 257)) return { file: f, kind: 'pytorch', why: 'tar archive (legacy torch.save)' };
  if (TF_DATA_RE.test(name)) return { file: f, kind: 'tensorflow-data', why: 'name *.data-NNNNN-of-NNNNN' };
  if (lower.endsWith('.index') && (await sstableFooter(f))) return { file: f, kind: 'tensorflow-index', why: 'name *.index and SSTable footer magic' };
  if (lower.endsWith('.onnx') && head.length > 0 && ONNX_FIRST_TAGS.has(head[0]!)) return { file: f, kind: 'onnx', why: 'name *.onnx and a ModelProto field tag' };
  if (isCompanionName(name)) return { file: f, kind: 'companion', why: 'model companion file' };
  // Content did not match: let the reader the name points at explain what is wrong.
  if (lower.endsWith('.gguf')) return { file: f, kind: 'gguf', why: 'name *.gguf (content not recognised)' };
  if (lower.endsWith('.safetensors')) return { file: f, kind: 'safetensors', why: 'name *.safetensors (content not recognised)' };
  if (lower.endsWith('.onnx')) return { file: f, kind: 'onnx', why: 'name *.onnx (content not recognised)' };
  return { file: f, kind: 'unknown', why: 'no known signature' };
}

function listing(ds: readonly Detection[]): string {
  return ds.map((d) => `${d.file.name} (${d.kind === 'unknown' ? d.why : FORMAT_OF[d.kind] ?? d.kind})`).join(', ');
}

/**
 * Opens the files of one model: a GGUF (or every part of a split GGUF), safetensors (one file or
 * shards, with or without model.safetensors.index.json), PyTorch, a TensorFlow bundle, ONNX with
 * its external data. Companion files (config.json, tokenizer files, README) are skipped and named
 * in details; anything else unrecognised, or files of two different formats, is an error that
 * lists every file.
 */
export async function openModel(files: readonly ByteSource[], opts: { readonly folder?: string } = {}): Promise<ModelView> {
  if (files.length === 0) throw new FormatError({ format: 'unknown', file: '(no files)' }, 'no files given');
  const det: Detection[] = [];
  for (const f of files) det.push(await detectFile(f));
  // ONNX keeps tensor data in files of any name next to the model.
  if (det.some((d) => d.kind === 'onnx')) {
    for (let i = 0; i < det.length; i++) if (det[i]!.kind === 'unknown') det[i] = { file: det[i]!.file, kind: 'onnx-data', why: 'next to an .onnx model' };
  }
  const first = files[0]!.name;
  const unknown = det.filter((d) => d.kind === 'unknown');
  if (unknown.length > 0) {
    throw new FormatError({ format: 'unknown', file: unknown[0]!.file.name }, `unrecognised file(s): ${unknown.map((d) => d.file.name).join(', ')}; all files given: ${listing(det)}`);
  }
  const model = det.filter((d) => d.kind !== 'companion');
  const formats = [...new Set(model.map((d) => FORMAT_OF[d.kind]!))];
  if (formats.length === 0) throw new FormatError({ format: 'unknown', file: first }, `no model file among: ${det.map((d) => d.file.name).join(', ')}`);
  // a Hugging Face folder (config.json naming an architecture beside its safetensors or
  // pytorch_model*.bin) is one model as convert_hf_to_gguf.py sees it (safetensors first when it
  // has both); its companion files are read, not skipped
  if (formats.every((f) => f === 'safetensors' || f === 'pytorch') && (await looksLikeHfFolder(files))) {
    if (formats.includes('safetensors') || (await namesConvertibleArchitecture(files))) return readHf(files, opts.folder);
  }
  if (formats.length > 1) {
    throw new FormatError({ format: 'unknown', file: first }, `files of different formats (${formats.join(', ')}) were given; open one model at a time: ${listing(model)}`);
  }
  const format = formats[0]!;
  const reader = READERS[format];
  const parts = orderForReader(format, model);
  if (reader === null) {
    throw new UnsupportedError({ format, file: parts[0]!.name }, `${format} files are recognised (${model[0]!.why}) but their reader is not available yet`);
  }
  const view = await reader(parts);
  const skipped = det.filter((d) => d.kind === 'companion').map((d) => d.file.name);
  if (skipped.length === 0) return view;
  const details = new Map(view.details);
  details.set('skipped files', skipped.join(', '));
  return { ...view, details };
}

/** The model file first (ONNX model, TF index), then the rest in the order given. */
function orderForReader(format: FormatName, ds: readonly Detection[]): ByteSource[] {
  const lead = format === 'onnx' ? 'onnx' : format === 'tensorflow' ? 'tensorflow-index' : null;
  if (lead === null) return ds.map((d) => d.file);
  return [...ds.filter((d) => d.kind === lead), ...ds.filter((d) => d.kind !== lead)].map((d) => d.file);
}
