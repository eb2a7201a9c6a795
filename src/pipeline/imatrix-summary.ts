/**
 * What an importance matrix holds and what a plan takes from it, for the CLI and the page to show:
 * llama-quantize prints "loaded N importance matrix entries" and a "did not find weights for X"
 * line per tensor; a user deciding whether a published imatrix fits their model wants the same,
 * before anything runs.
 */
import { TYPES } from '../codecs/catalogue';
import type { Imatrix } from '../formats/imatrix/imatrix';
import type { ImatrixChoice } from './imatrix-options';
import type { PlannedOutputTensor } from './plan';

export interface ImatrixFacts {
  readonly format: 'gguf' | 'dat';
  readonly datasets: readonly string[];
  /** imatrix.chunk_count (or the .dat trailer's); 0 when the file does not say. */
  readonly chunkCount: number;
  /** imatrix.chunk_size (GGUF only; 0 otherwise). */
  readonly chunkSize: number;
  /** Entries in the file. */
  readonly entries: number;
  /** Entries of tensors with more than one expert (MoE). */
  readonly expertEntries: number;
}

export interface ImatrixCoverage extends ImatrixFacts {
  /** Entries left after --include-weights / --exclude-weights. */
  readonly usedEntries: number;
  /** Tensors quantized with an entry's weights. */
  readonly weighted: readonly string[];
  /** Tensors quantized to a block type without an entry (llama-quantize: "did not find weights"). */
  readonly unweighted: readonly string[];
  /** Entries (after the filters) that no tensor of the plan uses. */
  readonly unusedEntries: readonly string[];
}

export function imatrixFacts(im: Imatrix): ImatrixFacts {
  return {
    format: im.format,
    datasets: im.datasets,
    chunkCount: im.chunkCount,
    chunkSize: im.chunkSize,
    entries: im.entries.length,
    expertEntries: im.entries.filter((e) => e.counts.length > 1).length,
  };
}

/** Which of the plan's quantized tensors get weights, which do not, and which entries go unused. */
export function imatrixCoverage(choice: ImatrixChoice, tensors: readonly PlannedOutputTensor[]): ImatrixCoverage {
  const weighted: string[] = [];
  const unweighted: string[] = [];
  const used = new Set<string>();
  for (const t of tensors) {
    if (t.weights !== undefined) {
      weighted.push(t.name);
      used.add(t.source.name);
    } else if (t.from !== t.to && TYPES[t.to].blockSize > 1) {
      unweighted.push(t.name);
    }
  }
  return {
    ...imatrixFacts(choice.imatrix),
    usedEntries: choice.weights.size,
    weighted,
    unweighted,
    unusedEntries: [...choice.weights.keys()].filter((n) => !used.has(n)),
  };
}

/** Lists long names briefly: the first `max`, then how many more. */
function some(names: readonly string[], max = 6): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

/** One line on the file itself. */
export function describeImatrixFacts(f: ImatrixFacts): string {
  const parts = [
    f.datasets.length > 0 ? `dataset ${f.datasets.join(', ')}` : 'no dataset named',
    f.chunkCount > 0 ? `${f.chunkCount} chunks${f.chunkSize > 0 ? ` of ${f.chunkSize} tokens` : ''}` : 'chunk count not recorded',
    `${f.entries} entries${f.expertEntries > 0 ? ` (${f.expertEntries} with experts)` : ''}`,
    f.format === 'dat' ? 'legacy .dat format' : 'GGUF format',
  ];
  return parts.join(' · ');
}

/** The coverage in lines a person reads: how many tensors get weights, and which do not. */
export function describeImatrixCoverage(c: ImatrixCoverage): string[] {
  const lines = [describeImatrixFacts(c)];
  if (c.usedEntries !== c.entries) lines.push(`${c.usedEntries} of ${c.entries} entries kept by --include-weights / --exclude-weights`);
  const quantized = c.weighted.length + c.unweighted.length;
  lines.push(`weights for ${c.weighted.length} of ${quantized} quantized tensors`);
  if (c.unweighted.length > 0) lines.push(`quantized without an entry: ${some(c.unweighted)}`);
  if (c.unusedEntries.length > 0) lines.push(`entries no tensor uses: ${some(c.unusedEntries)}`);
  return lines;
}
