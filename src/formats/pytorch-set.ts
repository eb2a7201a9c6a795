import type { ByteSource } from '../io/byte-source';
import { FormatError } from './errors';
import type { ModelView } from './model';
import { readPytorch } from './pytorch/reader';

const MAX_INDEX_BYTES = 64 * 1024 * 1024; // an index lists names and file names: MBs at most

/**
 * A sharded PyTorch checkpoint (pytorch_model-00001-of-00002.bin ... with
 * pytorch_model.bin.index.json, as transformers saves it) read as one model: each shard through
 * readPytorch, tensors in shard order; the index, when given, must name exactly the shards given
 * and every tensor once.
 */
export async function readPytorchSet(files: readonly ByteSource[]): Promise<ModelView> {
  const indexFile = files.find((f) => /\.index\.json$/i.test(f.name));
  const shards = files.filter((f) => f !== indexFile);
  if (shards.length === 0) throw new FormatError({ format: 'pytorch', file: indexFile?.name ?? '(none)' }, 'an index was given without its checkpoint shards');
  const views: ModelView[] = [];
  for (const s of shards) views.push(await readPytorch(s));
  if (views.length === 1 && !indexFile) return views[0]!;
  const tensors = views.flatMap((v) => v.tensors);
  const seen = new Map<string, string>();
  for (const t of tensors) {
    const prev = seen.get(t.name);
    if (prev !== undefined) throw new FormatError({ format: 'pytorch', file: t.file, tensor: t.name }, `tensor "${t.name}" appears in both ${prev} and ${t.file}`);
    seen.set(t.name, t.file);
  }
  if (indexFile) {
    if (indexFile.size > MAX_INDEX_BYTES) throw new FormatError({ format: 'pytorch', file: indexFile.name }, `index is ${indexFile.size} bytes, above the ${MAX_INDEX_BYTES}-byte limit`);
    let map: Record<string, unknown>;
    try {
      const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await indexFile.read(0, indexFile.size))) as { weight_map?: unknown };
      if (typeof parsed.weight_map !== 'object' || parsed.weight_map === null) throw new Error('no weight_map object');
      map = parsed.weight_map as Record<string, unknown>;
    } catch (e) {
      throw new FormatError({ format: 'pytorch', file: indexFile.name }, `not a checkpoint index: ${e instanceof Error ? e.message : String(e)}`);
    }
    const shardNames = new Set(shards.map((s) => s.name));
    for (const [name, file] of Object.entries(map)) {
      if (typeof file !== 'string' || !shardNames.has(file)) throw new FormatError({ format: 'pytorch', file: indexFile.name, tensor: name }, `the index puts "${name}" in ${String(file)}, which was not given`);
      if (seen.get(name) !== file) throw new FormatError({ format: 'pytorch', file: indexFile.name, tensor: name }, `the index puts "${name}" in ${file}, but ${seen.has(name) ? `it is in ${seen.get(name)}` : 'no shard holds it'}`);
    }
  }
  const details = new Map(views[0]!.details);
  details.set('shards', String(shards.length));
  return { format: 'pytorch', files: files.map((f) => f.name), metadata: views[0]!.metadata, tensors, details };
}
