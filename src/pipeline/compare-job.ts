import { TYPES } from '../codecs/catalogue';
import { decoderFor } from '../codecs/quality';
import type { TensorInfo } from '../formats/model';
import type { PlannedOutputTensor } from './plan';
import type { CompareHistograms } from './protocol';

const CHUNK_ELEMENTS = 4 * 1024 * 1024;
/** Bins a caller may ask for: enough for a wide chart, few enough to post in a message. */
export const MAX_COMPARE_BINS = 1024;

/** Streams a tensor's values as f32 chunks, decoded with the CPU codecs. */
async function eachChunk(t: TensorInfo, elements: number, fn: (x: Float32Array) => void): Promise<void> {
  const type = t.type;
  if (type === null) throw new Error(`${t.name}: ${t.typeLabel} cannot be decoded`);
  const info = TYPES[type];
  const step = Math.max(info.blockSize, Math.floor(CHUNK_ELEMENTS / info.blockSize) * info.blockSize);
  const inPer = info.typeSize / info.blockSize;
  const decode = decoderFor(type);
  for (let e = 0; e < elements; e += step) {
    const n = Math.min(step, elements - e);
    const x = new Float32Array(n);
    decode(await t.read(e * inPer, n * inPer), x);
    fn(x);
  }
}

/**
 * A converted tensor's values before (the run's input) and after (the written output, read back),
 * binned over one shared range (the finite min and max of both), so the two can be overlaid.
 * Each side is read twice (range, then bins) rather than held in memory.
 */
export async function compareHistograms(planned: PlannedOutputTensor, output: TensorInfo, bins: number): Promise<CompareHistograms> {
  const nb = Math.max(2, Math.min(MAX_COMPARE_BINS, Math.floor(bins)));
  let lo = Infinity;
  let hi = -Infinity;
  const range = (x: Float32Array) => {
    for (const v of x) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  };
  await eachChunk(planned.source, planned.elements, range);
  await eachChunk(output, planned.elements, range);
  if (!(lo <= hi)) lo = hi = 0;
  const scale = hi > lo ? nb / (hi - lo) : 0;
  const count = async (t: TensorInfo) => {
    const h = new Array<number>(nb).fill(0);
    await eachChunk(t, planned.elements, (x) => {
      for (const v of x) {
        if (!Number.isFinite(v)) continue;
        h[Math.min(nb - 1, Math.floor((v - lo) * scale))]!++;
      }
    });
    return h;
  };
  return { name: planned.name, lo, hi, before: await count(planned.source), after: await count(output) };
}
