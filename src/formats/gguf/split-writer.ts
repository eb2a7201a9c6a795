import type { SinkFactory } from '../../io/byte-sink';
import type { Metadata } from '../model';
import { GGUF_MAX_SPLIT_PARTS } from '../limits';
import { GGUF_DEFAULT_ALIGNMENT, KEY_ALIGNMENT, KEY_SPLIT_COUNT, KEY_SPLIT_NO, KEY_SPLIT_TENSORS_COUNT, padTo, splitPartName } from './constants';
import { PlannedStreamWriter } from './stream-writer';
import { ggufPart, ggufTensorBytes, planGguf, type GgufPlan, type GgufPlanInput } from './writer';

export interface GgufSplitInput extends GgufPlanInput {
  /** Output name without ".gguf": parts are "<prefix>-00001-of-00003.gguf", a single part "<prefix>.gguf". */
  readonly prefix: string;
  /** gguf-split --split-max-size: tensor bytes (each padded to the alignment) per part, metadata not counted. */
  readonly maxPartBytes?: number;
  /** gguf-split --split-max-tensors. */
  readonly maxTensorsPerPart?: number;
  /**
   * Explicit parts instead of cutting by size or count: the part number of every tensor,
   * non-decreasing and without gaps (llama-quantize --keep-split keeps the input's parts).
   */
  readonly partOf?: readonly number[];
}

export interface GgufSplitPart {
  readonly name: string;
  readonly plan: GgufPlan;
  /** Indices into the input tensors, in order. */
  readonly tensorIndices: readonly number[];
}

function isSplitKey(k: string): boolean {
  return k === KEY_SPLIT_NO || k === KEY_SPLIT_COUNT || k === KEY_SPLIT_TENSORS_COUNT;
}

/**
 * Plans a split GGUF the way llama.cpp's gguf-split cuts it (split_strategy): walking the tensors
 * in order, a new part starts when the padded tensor bytes would exceed maxPartBytes, or every
 * maxTensorsPerPart tensors. The first part carries all metadata (any split.* keys of the input
 * dropped, as llama-quantize does), and every part ends its KVs with split.no (u16), split.count
 * (u16) and split.tensors.count (i32), in the order llama-quantize --keep-split and gguf-py
 * write them (gguf-split itself ends with split.tensors.count, split.count; readers do not care).
 *
 * Where Kiln differs on purpose: a first tensor larger than maxPartBytes gets a part of its own
 * instead of gguf-split's "one of splits have 0 tensors" error; when everything fits in one part
 * the output is a plain "<prefix>.gguf" without split keys (as gguf-py and llama-quantize do,
 * where gguf-split would write "-00001-of-00001" with split.count = 1); and with an alignment
 * other than 32 every part carries general.alignment, because gguf-split puts it in the first
 * part only and readers of the other parts would fall back to 32.
 */
export function planGgufSplit(input: GgufSplitInput): GgufSplitPart[] {
  const { maxPartBytes, maxTensorsPerPart } = input;
  if (maxPartBytes !== undefined && !(Number.isSafeInteger(maxPartBytes) && maxPartBytes > 0)) throw new TypeError(`maxPartBytes must be a positive integer, got ${maxPartBytes}`);
  if (maxTensorsPerPart !== undefined && !(Number.isSafeInteger(maxTensorsPerPart) && maxTensorsPerPart > 0)) {
    throw new TypeError(`maxTensorsPerPart must be a positive integer, got ${maxTensorsPerPart}`);
  }
  const base: Metadata = new Map([...input.metadata].filter(([k]) => !isSplitKey(k)));
  // Resolve the alignment once, through the single-file planner's rules.
  const probe = planGguf({ metadata: base, tensors: [], alignment: input.alignment });
  const alignment = probe.alignment;

  const groups: number[][] = [[]];
  let current = 0;
  if (input.partOf !== undefined) {
    const partOf = input.partOf;
    if (partOf.length !== input.tensors.length) throw new TypeError(`partOf has ${partOf.length} entries for ${input.tensors.length} tensors`);
    groups.length = 0;
    partOf.forEach((p, i) => {
      if (p === groups.length) groups.push([]);
      else if (p !== groups.length - 1) throw new TypeError(`partOf must number parts 0, 1, 2... in tensor order; tensor ${i} is in part ${p} after part ${groups.length - 1}`);
      groups[p]!.push(i);
    });
    if (groups.length === 0) groups.push([]);
  } else input.tensors.forEach((t, i) => {
    const padded = padTo(ggufTensorBytes(t), alignment);
    const group = groups[groups.length - 1]!;
    const bySize = maxPartBytes !== undefined && current + padded > maxPartBytes;
    const byCount = maxTensorsPerPart !== undefined && i > 0 && i % maxTensorsPerPart === 0;
    if ((bySize || byCount) && group.length > 0) {
      groups.push([i]);
      current = padded;
    } else {
      group.push(i);
      current += padded;
    }
  });
  if (groups.length > GGUF_MAX_SPLIT_PARTS) throw new TypeError(`the split would have ${groups.length} parts; split.count is a u16 (at most ${GGUF_MAX_SPLIT_PARTS})`);

  if (groups.length === 1) {
    return [{ name: `${input.prefix}.gguf`, plan: planGguf({ metadata: base, tensors: input.tensors, alignment: input.alignment }), tensorIndices: groups[0]! }];
  }
  const n = groups.length;
  return groups.map((idx, no) => {
    const md: Metadata = no === 0 ? new Map(base) : new Map();
    if (no === 0 && alignment !== GGUF_DEFAULT_ALIGNMENT && !md.has(KEY_ALIGNMENT)) md.set(KEY_ALIGNMENT, { type: 'u32', value: alignment });
    if (no > 0 && alignment !== GGUF_DEFAULT_ALIGNMENT) md.set(KEY_ALIGNMENT, { type: 'u32', value: alignment });
    md.set(KEY_SPLIT_NO, { type: 'u16', value: no });
    md.set(KEY_SPLIT_COUNT, { type: 'u16', value: n });
    md.set(KEY_SPLIT_TENSORS_COUNT, { type: 'i32', value: input.tensors.length });
    const plan = planGguf({ metadata: md, tensors: idx.map((i) => input.tensors[i]!), alignment });
    return { name: splitPartName(input.prefix, no, n), plan, tensorIndices: idx };
  });
}

/** Streams a split plan: every part's sink comes from `sinks` and is committed only at finish(). */
export function writeGgufSplit(parts: readonly GgufSplitPart[], sinks: SinkFactory): Promise<PlannedStreamWriter> {
  return PlannedStreamWriter.start(
    `gguf writer (${parts[0]?.name ?? 'no parts'})`,
    parts.map((p) => ggufPart(p.name, p.plan)),
    (p) => sinks.create(p.name, p.totalSize),
  );
}
