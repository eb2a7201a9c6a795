/**
 * llama-quantize --prune-layers (llama.cpp 34af94cd): tools/quantize/quantize.cpp
 * parse_layer_prune reads the list; src/llama-quant.cpp remap_layer drops the pruned blocks'
 * tensors and renumbers the others while llama_model_quantize_impl walks ml.weights_map (layer
 * order, then name), sets `<arch>.block_count` to the next free block id after the KV overrides,
 * and remap_imatrix looks a renumbered tensor's importance weights up under its original block.
 */
import type { KvUpdate } from './presets-plan';

/** An invalid --prune-layers list (parse_layer_prune prints it and llama-quantize shows usage). */
export class PruneLayersError extends Error {
  override readonly name = 'PruneLayersError';
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * parse_layer_prune: comma-separated ids (string_split keeps empty pieces), each read by
 * std::stoi (leading blanks, a sign, digits, anything after ignored; no digits or out of int's
 * range fails), negative ids refused; the list sorted and deduplicated.
 */
export function parsePruneLayers(text: string): number[] {
  const ids: number[] = [];
  for (const piece of text.split(',')) {
    const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(piece);
    const n = m ? Number(m[1]) : NaN;
    if (!Number.isFinite(n) || n < 0 || n > INT32_MAX || !Number.isInteger(n)) throw new PruneLayersError(`invalid layer id '${piece}'`);
    ids.push(n);
  }
  return [...new Set(ids)].sort((a, b) => a - b);
}

const BLK = /blk\.(\d+)\./;

export interface LayerRemap {
  /** For each input name (in the order given), its output name, or null when pruned. */
  readonly names: ReadonlyArray<string | null>;
  /** `next_id` after the walk: what llama-quantize writes as `<arch>.block_count`. */
  readonly blockCount: number;
}

/**
 * remap_layer over the tensor names in weights_map order. A block below the smallest pruned id
 * keeps its number (and moves next_id past it); a pruned block's tensors go; any other block takes
 * next_id, once per block, in the order its first tensor is met.
 */
export function remapLayers(namesInWeightOrder: readonly string[], prune: readonly number[]): LayerRemap {
  if (prune.length === 0) return { names: namesInWeightOrder, blockCount: -1 };
  const mapped = new Map<number, string>();
  let nextId = 0;
  const names = namesInWeightOrder.map((name): string | null => {
    const m = BLK.exec(name);
    if (m === null) return name;
    const blk = Number(m[1]);
    if (!mapped.has(blk)) {
      if (prune.includes(blk)) {
        mapped.set(blk, '');
      } else if (blk < prune[0]!) {
        mapped.set(blk, String(blk));
        nextId = blk + 1;
      } else {
        mapped.set(blk, String(nextId));
        nextId++;
      }
    }
    const to = mapped.get(blk)!;
    if (to === '') return null;
    const at = m.index + 'blk.'.length;
    return name.slice(0, at) + to + name.slice(at + m[1]!.length);
  });
  return { names, blockCount: nextId };
}

/** The gguf_set_val_u32 of `<arch>.block_count` made after the KV overrides when pruning. */
export function pruneKvUpdates(arch: string, remap: LayerRemap): KvUpdate[] {
  if (remap.blockCount < 0) return [];
  return [{ op: 'set', key: `${arch}.block_count`, value: { type: 'u32', value: remap.blockCount } }];
}
