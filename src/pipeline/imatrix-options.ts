/**
 * llama-quantize's --imatrix / --include-weights / --exclude-weights (tools/quantize/quantize.cpp
 * at llama.cpp 34af94cd, prepare_imatrix and main): the file read in either format, the entries
 * filtered by substring, the weights derived as load_imatrix does, and the quantize.imatrix.*
 * KV overrides it adds after the user's --override-kv ones. An imatrix left with no entries is
 * as if none was given (no weights, no keys), as in llama-quantize.
 */
import type { ByteSource } from '../io/byte-source';
import { readImatrix } from '../formats/imatrix/reader';
import { checkImatrixFinite, filterImatrix, imatrixWeights, type Imatrix } from '../formats/imatrix/imatrix';
import { quantizeKvUpdates, type KvUpdate } from './presets-plan';
import type { ConversionOptions } from './planner';

export interface ImatrixChoice {
  readonly imatrix: Imatrix;
  /** Per-column weights by tensor name, filtered; empty when the filters left nothing. */
  readonly weights: ReadonlyMap<string, Float32Array>;
  /** quantize.imatrix.file, .dataset, .entries_count, .chunks_count, as llama-quantize sets them. */
  readonly kv: readonly KvUpdate[];
}

/**
 * Reads and prepares an imatrix. `given` is the path as the user typed it (llama-quantize records
 * it verbatim in quantize.imatrix.file).
 */
export async function loadImatrix(src: ByteSource, given: string, include: readonly string[] = [], exclude: readonly string[] = []): Promise<ImatrixChoice> {
  const imatrix = await readImatrix(src);
  const weights = filterImatrix(imatrixWeights(imatrix), include, exclude);
  if (weights.size === 0) return { imatrix, weights, kv: [] };
  checkImatrixFinite(src.name, weights);
  const info = {
    file: given,
    ...(imatrix.datasets.length > 0 ? { dataset: imatrix.datasets[0]! } : {}),
    entries: weights.size,
    chunks: imatrix.chunkCount,
  };
  const kv = quantizeKvUpdates(0, info).filter((u) => u.key.startsWith('quantize.imatrix.'));
  return { imatrix, weights, kv };
}

type Parsed = Pick<ConversionOptions, 'quantize' | 'overrideKv' | 'keepSplit' | 'maxPartBytes' | 'skipUnconvertible'>;

/**
 * The parsed llama-quantize options with the imatrix added as llama-quantize adds it (the CLI and
 * the page worker both plan through this): the weights for the planner, and the quantize.imatrix.*
 * overrides after the user's --override-kv ones. An imatrix left with no entries changes nothing.
 */
export function withImatrix(parsed: Parsed, im: ImatrixChoice | null): Parsed {
  if (im === null || im.weights.size === 0) return parsed;
  return {
    ...parsed,
    quantize: { ...parsed.quantize, imatrixWeights: im.weights },
    overrideKv: [...(parsed.overrideKv ?? []), ...im.kv],
  };
}
