import type { MetaValue } from '../formats/model';
import type { ModelSummary, TensorSummary } from '../pipeline/protocol';
import { ftypeName } from '../pipeline/presets';

/** The headline of a model, the same for every format; what a format lacks is null. */
export interface ModelFacts {
  readonly architecture: string | null;
  readonly name: string | null;
  readonly parameters: number;
  readonly fileBytes: number;
  readonly tensorBytes: number;
  readonly bitsPerWeight: number | null;
  /** general.file_type by llama.cpp's name, or the dominant tensor type. */
  readonly quantName: string | null;
  readonly typeMix: readonly { readonly type: string; readonly bytes: number; readonly count: number; readonly share: number }[];
  readonly layers: number | null;
  readonly contextLength: number | null;
  readonly vocabSize: number | null;
  readonly tokenizer: string | null;
}

export function elementsOf(t: TensorSummary): number {
  return t.shape.reduce((a, b) => a * b, 1);
}

function meta(m: ModelSummary, key: string): MetaValue | undefined {
  for (const [k, v] of m.metadata) if (k === key) return v;
  return undefined;
}

function num(v: MetaValue | undefined): number | null {
  if (!v) return null;
  if (typeof v.value === 'number') return v.value;
  if (typeof v.value === 'bigint') return Number(v.value);
  return null;
}

function str(v: MetaValue | undefined): string | null {
  return v && v.type === 'string' ? v.value : null;
}

/** Block index of a tensor name: blk.N. (GGUF), layers.N. / h.N. / layer.N. / block.N. (HF, PyTorch). */
export function blockOf(name: string): string | null {
  const m = /(?:^|\.)(blk|layers|h|layer|block|blocks)\.(\d+)\./.exec(name) ?? /(?:^|[/_])(layer|block)_?(\d+)\//.exec(name);
  return m ? `${m[1]}.${m[2]}` : null;
}

/** Looks for a key under any prefix, as HF configs and safetensors __metadata__ spell them too. */
function anyKey(m: ModelSummary, suffixes: readonly string[]): number | null {
  for (const [k, v] of m.metadata) for (const s of suffixes) if (k === s || k.endsWith('.' + s)) {
    const n = num(v) ?? (v.type === 'string' && /^\d+$/.test(v.value) ? Number(v.value) : null);
    if (n !== null) return n;
  }
  return null;
}

export function modelFacts(m: ModelSummary, fileBytes: number): ModelFacts {
  const arch = str(meta(m, 'general.architecture')) ?? str(meta(m, 'model_type')) ?? str(meta(m, 'config.model_type'));
  const a = arch ?? '';
  let parameters = 0;
  const mix = new Map<string, { bytes: number; count: number }>();
  const blocks = new Set<string>();
  for (const t of m.tensors) {
    parameters += elementsOf(t);
    const e = mix.get(t.typeLabel) ?? { bytes: 0, count: 0 };
    e.bytes += Math.max(0, t.nbytes);
    e.count++;
    mix.set(t.typeLabel, e);
    const b = blockOf(t.name);
    if (b) blocks.add(b);
  }
  const total = Math.max(1, m.totalBytes);
  const typeMix = [...mix].map(([type, e]) => ({ type, ...e, share: e.bytes / total })).sort((x, y) => y.bytes - x.bytes);
  const ft = num(meta(m, 'general.file_type'));
  const quantName = ft !== null ? ftypeName(ft) : (typeMix[0]?.type ?? null);
  const tokens = meta(m, 'tokenizer.ggml.tokens');
  const vocab = (tokens && tokens.type === 'array' ? tokens.value.length : null) ?? num(meta(m, `${a}.vocab_size`)) ?? anyKey(m, ['vocab_size']);
  return {
    architecture: arch,
    name: str(meta(m, 'general.name')),
    parameters,
    fileBytes,
    tensorBytes: m.totalBytes,
    bitsPerWeight: parameters > 0 ? (m.totalBytes * 8) / parameters : null,
    quantName,
    typeMix,
    layers: num(meta(m, `${a}.block_count`)) ?? anyKey(m, ['num_hidden_layers', 'n_layer']) ?? (blocks.size > 0 ? blocks.size : null),
    contextLength: num(meta(m, `${a}.context_length`)) ?? anyKey(m, ['max_position_embeddings', 'n_positions', 'n_ctx']),
    vocabSize: vocab,
    tokenizer: str(meta(m, 'tokenizer.ggml.model')) ?? str(meta(m, 'tokenizer_class')),
  };
}

/** 1.23 B, 456 M, 12.3 k: parameter counts as model cards write them. */
export function formatParams(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 1 : 2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 1 : 2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}
