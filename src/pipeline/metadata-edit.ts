import type { MetaValue, ModelView } from '../formats/model';
import { layoutPlan, PlanError, type ConversionPlan, type PlannedOutputTensor } from './plan';
import { applyKvUpdates, type KvUpdate } from './presets-plan';

/** The longest key GGUF readers are expected to take (gguf.cpp rejects keys past this). */
export const MAX_KEY_BYTES = 65535;

/** Keys the GGUF writer derives itself or that describe a split set: an edit would be undone or lie. */
const WRITER_KEYS = /^split\.(no|count|tensors\.count)$/;

/** The plan's target: no type changes, only the metadata. */
export const METADATA_EDIT_TARGET = 'COPY (metadata edited)';

/**
 * A GGUF copied with edited metadata: every tensor as it is (same type, same bytes, read and
 * written in chunks and checksummed by the executor, then verified), the metadata with `edits`
 * applied in order (set adds or replaces a key with its type, remove drops it). llama-quantize's
 * COPY with --override-kv, without its own key updates (file type, quantization version).
 */
export function planMetadataEdit(model: ModelView, edits: readonly KvUpdate[], baseName: string): ConversionPlan {
  if (model.format !== 'gguf') throw new PlanError(`metadata editing writes GGUF and keeps the tensors as they are; this model is ${model.format}, convert it to GGUF first`);
  const unknown = model.tensors.filter((t) => t.type === null);
  if (unknown.length > 0) throw new PlanError(`${unknown.length} tensor(s) have types Kiln cannot write (${unknown[0]!.name}: ${unknown[0]!.typeLabel})`);
  for (const e of edits) {
    const bytes = new TextEncoder().encode(e.key).length;
    if (bytes === 0) throw new PlanError('a metadata key cannot be empty');
    if (bytes > MAX_KEY_BYTES) throw new PlanError(`metadata key of ${bytes} bytes; GGUF keys hold at most ${MAX_KEY_BYTES}`);
    if (WRITER_KEYS.test(e.key)) throw new PlanError(`${e.key} is written by the GGUF writer for split files; it cannot be edited`);
    if (e.op === 'remove' && !model.metadata.has(e.key) && !edits.some((x) => x !== e && x.op === 'set' && x.key === e.key)) {
      throw new PlanError(`cannot remove ${e.key}: the model has no such key`);
    }
    if (e.op === 'set') checkValue(e.key, e.value);
  }
  const tensors: PlannedOutputTensor[] = model.tensors.map((t) => ({
    name: t.name,
    source: t,
    from: t.type!,
    to: t.type!,
    shape: t.shape,
    elements: t.shape.reduce((a, b) => a * b, 1),
    outBytes: t.nbytes,
    reason: 'copied unchanged',
  }));
  const metadata = applyKvUpdates(model.metadata, edits);
  return { ...layoutPlan({ format: 'gguf', baseName }, METADATA_EDIT_TARGET, tensors, metadata, []), checkData: false };
}

const RANGES: Record<string, [number, number]> = {
  u8: [0, 255],
  i8: [-128, 127],
  u16: [0, 65535],
  i16: [-32768, 32767],
  u32: [0, 4294967295],
  i32: [-2147483648, 2147483647],
};

function checkValue(key: string, v: MetaValue): void {
  const range = RANGES[v.type];
  if (range && (typeof v.value !== 'number' || !Number.isInteger(v.value) || v.value < range[0] || v.value > range[1])) {
    throw new PlanError(`${key}: ${String(v.value)} is not a ${v.type} (whole numbers from ${range[0]} to ${range[1]})`);
  }
  if (v.type === 'u64' && (v.value < 0n || v.value >= 1n << 64n)) throw new PlanError(`${key}: ${v.value} is not a u64`);
  if (v.type === 'i64' && (v.value < -(1n << 63n) || v.value >= 1n << 63n)) throw new PlanError(`${key}: ${v.value} is not an i64`);
  if (v.type === 'f32' && Number.isFinite(v.value) && !Number.isFinite(Math.fround(v.value))) throw new PlanError(`${key}: ${v.value} is too large for f32`);
}
