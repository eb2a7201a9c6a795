import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import type { Metadata, ModelView, TensorInfo } from '../model';
import { MAX_SHARDS, SAFETENSORS_MAX_INDEX_BYTES } from '../limits';
import { decodeGgufMetadata, GGUF_METADATA_KEY } from './gguf-metadata';
import { readSafetensorsHeader, type SafetensorsEntry, type SafetensorsHeader } from './header';

/** "model-00001-of-00003.safetensors", as huggingface_hub and transformers name shards. */
export const SHARD_NAME_RE = /^(.*)-(\d{5})-of-(\d{5})\.safetensors$/;

export function isSafetensorsIndexName(name: string): boolean {
  return name.endsWith('.safetensors.index.json');
}

class SafetensorsTensor implements TensorInfo {
  readonly name: string;
  readonly type: TensorInfo['type'];
  readonly typeLabel: string;
  readonly shape: readonly number[];
  readonly nbytes: number;
  readonly file: string;
  readonly fileOffset: number;
  constructor(
    private readonly src: ByteSource,
    e: SafetensorsEntry,
    dataOffset: number,
  ) {
    this.name = e.name;
    this.type = e.type;
    this.typeLabel = e.typeLabel;
    this.shape = e.shape;
    this.nbytes = e.end - e.begin;
    this.file = src.name;
    this.fileOffset = dataOffset + e.begin;
  }
  read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > this.nbytes) {
      throw new RangeError(`tensor '${this.name}': read of ${length} bytes at offset ${offset} is outside its ${this.nbytes} bytes`);
    }
    return this.src.read(this.fileOffset + offset, length, into);
  }
}

/**
 * __metadata__ as the model's metadata: strings, or, when the file carries GGUF metadata (see
 * gguf-metadata.ts), those typed KVs. The document is authoritative for its keys (the plain
 * copies beside it are for other tools); "format", which the writer adds for transformers, is
 * dropped unless the document has it; any other key is kept as a string after the document's.
 */
function modelMetadata(h: SafetensorsHeader): Metadata {
  const typed = h.metadata?.has(GGUF_METADATA_KEY) ? decodeGgufMetadata(h.metadata.get(GGUF_METADATA_KEY)!, h.file) : null;
  const m: Metadata = new Map(typed ?? []);
  for (const [k, v] of h.metadata ?? []) {
    if (typed !== null && (k === GGUF_METADATA_KEY || typed.has(k) || k === 'format')) continue;
    m.set(k, { type: 'string', value: v });
  }
  return m;
}

interface Index {
  readonly weightMap: Map<string, string>;
  readonly totalSize: string | null;
}

async function readIndex(src: ByteSource): Promise<Index> {
  const fail = (what: string) => new FormatError({ format: 'safetensors', file: src.name }, what);
  if (src.size > SAFETENSORS_MAX_INDEX_BYTES) throw fail(`index is ${src.size} bytes, above the limit of ${SAFETENSORS_MAX_INDEX_BYTES}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await src.read(0, src.size)));
  } catch (e) {
    throw fail(`index is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  const wm = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof wm !== 'object' || wm === null || Array.isArray(wm)) throw fail('index has no "weight_map" object');
  const weightMap = new Map<string, string>();
  for (const [t, f] of Object.entries(wm)) {
    if (typeof f !== 'string') throw fail(`weight_map entry for '${t}' must be a file name, found ${typeof f}`);
    // An index may name shards with a folder; shards are matched by file name.
    weightMap.set(t, f.slice(f.lastIndexOf('/') + 1));
  }
  const ts = (json as { metadata?: { total_size?: unknown } }).metadata?.total_size;
  return { weightMap, totalSize: typeof ts === 'number' || typeof ts === 'string' ? String(ts) : null };
}

/** Orders shard files: by the index when there is one, else by their -NNNNN-of-MMMMM names, all present exactly once. */
function orderShards(shards: readonly ByteSource[], index: Index | null, indexName: string | null): ByteSource[] {
  const first = shards[0]?.name ?? indexName ?? 'safetensors';
  const fail = (what: string) => new FormatError({ format: 'safetensors', file: indexName ?? first }, what);
  const byName = new Map<string, ByteSource[]>();
  for (const s of shards) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  const dup = [...byName.entries()].filter(([, l]) => l.length > 1).map(([n]) => n);
  if (dup.length > 0) throw fail(`shard given more than once: ${dup.join(', ')}`);
  if (index !== null) {
    const wanted = [...new Set(index.weightMap.values())].sort();
    const missing = wanted.filter((n) => !byName.has(n));
    if (missing.length > 0) throw fail(`sharded set is incomplete: the index names ${missing.length} shard(s) that were not given: ${missing.join(', ')}`);
    const extra = shards.filter((s) => !wanted.includes(s.name)).map((s) => s.name);
    if (extra.length > 0) throw fail(`shard(s) not named in the index: ${extra.join(', ')}`);
    return wanted.map((n) => byName.get(n)![0]!);
  }
  if (shards.length === 1 && !SHARD_NAME_RE.test(first)) return [shards[0]!];
  const parsed = shards.map((s) => ({ s, m: SHARD_NAME_RE.exec(s.name) }));
  const unnamed = parsed.filter((p) => p.m === null).map((p) => p.s.name);
  if (unnamed.length > 0) {
    throw fail(`${shards.length} safetensors files without an index, but ${unnamed.join(', ')} ${unnamed.length === 1 ? 'is' : 'are'} not named like a shard (<name>-00001-of-00002.safetensors)`);
  }
  const sets = new Set(parsed.map((p) => `${p.m![1]}|${p.m![3]}`));
  if (sets.size > 1) throw fail(`the files come from more than one sharded set: ${shards.map((s) => s.name).join(', ')}`);
  const prefix = parsed[0]!.m![1]!;
  const total = Number(parsed[0]!.m![3]);
  if (total < 1 || total > MAX_SHARDS) throw fail(`shard count ${total} in ${first} is not in 1..${MAX_SHARDS}`);
  const have = new Map(parsed.map((p) => [Number(p.m![2]), p.s]));
  const missing: string[] = [];
  for (let i = 1; i <= total; i++) {
    if (!have.has(i)) missing.push(`${prefix}-${String(i).padStart(5, '0')}-of-${String(total).padStart(5, '0')}.safetensors`);
  }
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ') + (missing.length > 10 ? ` and ${missing.length - 10} more` : '');
    throw fail(`sharded set is incomplete: ${missing.length} of ${total} shards missing: ${shown}`);
  }
  const stray = parsed.filter((p) => Number(p.m![2]) < 1 || Number(p.m![2]) > total).map((p) => p.s.name);
  if (stray.length > 0) throw fail(`shard number out of range: ${stray.join(', ')}`);
  return Array.from({ length: total }, (_, i) => have.get(i + 1)!);
}

/**
 * Opens one safetensors file, or a sharded set (with or without model.safetensors.index.json)
 * as one model: tensors in shard order, each shard's in data_offsets order; metadata from the
 * first shard's __metadata__. With an index, every tensor must sit in the shard it names.
 */
export async function readSafetensors(files: readonly ByteSource[]): Promise<ModelView> {
  const indexes = files.filter((f) => isSafetensorsIndexName(f.name));
  const shards = files.filter((f) => !isSafetensorsIndexName(f.name));
  if (indexes.length > 1) {
    throw new FormatError({ format: 'safetensors', file: indexes[0]!.name }, `more than one index file given: ${indexes.map((f) => f.name).join(', ')}`);
  }
  const indexSrc = indexes[0] ?? null;
  if (shards.length === 0) throw new FormatError({ format: 'safetensors', file: indexSrc?.name ?? 'safetensors' }, 'no .safetensors files given, only an index');
  const index = indexSrc === null ? null : await readIndex(indexSrc);
  const ordered = orderShards(shards, index, indexSrc?.name ?? null);

  const headers: SafetensorsHeader[] = [];
  for (const s of ordered) headers.push(await readSafetensorsHeader(s));
  const tensors: TensorInfo[] = [];
  const seen = new Map<string, string>();
  headers.forEach((h, i) => {
    for (const e of h.tensors) {
      const fail = (what: string) => new FormatError({ format: 'safetensors', file: h.file, tensor: e.name }, what);
      const prev = seen.get(e.name);
      if (prev !== undefined) throw fail(`tensor appears in both ${prev} and ${h.file}`);
      seen.set(e.name, h.file);
      if (index !== null) {
        const want = index.weightMap.get(e.name);
        if (want === undefined) throw fail(`tensor is not listed in ${indexSrc!.name}`);
        if (want !== h.file) throw fail(`${indexSrc!.name} places this tensor in ${want}, but it is in ${h.file}`);
      }
      tensors.push(new SafetensorsTensor(ordered[i]!, e, h.dataOffset));
    }
  });
  if (index !== null) {
    const absent = [...index.weightMap.keys()].filter((t) => !seen.has(t));
    if (absent.length > 0) {
      const shown = absent.slice(0, 10).map((t) => `'${t}' (${index.weightMap.get(t)})`).join(', ');
      throw new FormatError({ format: 'safetensors', file: indexSrc!.name }, `${absent.length} tensor(s) listed in the index are in no shard: ${shown}${absent.length > 10 ? ', ...' : ''}`);
    }
  }
  const details = new Map<string, string>([
    ['header bytes', headers.map((h) => String(h.headerBytes)).join(', ')],
    ['tensor count', String(tensors.length)],
  ]);
  if (ordered.length > 1 || index !== null) details.set('shards', String(ordered.length));
  if (index?.totalSize != null) details.set('index total_size', index.totalSize);
  const fileNames = ordered.map((s) => s.name);
  if (indexSrc !== null) fileNames.push(indexSrc.name);
  return { format: 'safetensors', files: fileNames, metadata: modelMetadata(headers[0]!), tensors, details };
}
