import { TYPES, type TypeName } from '../codecs/catalogue';
import { CPU_CODECS } from '../codecs/registry';
import { StatsFold, statsHistogramCpu, statsReduceCpu, type TensorStats } from '../codecs/stats';
import type { TensorInfo } from '../formats/model';
import { elementCount } from '../formats/model';
import { GpuStats } from '../gpu/stats';
import type { GpuEngine } from './gpu-engine';

const CHUNK_ELEMENTS = 16 * 1024 * 1024;

export class StatsUnavailableError extends Error {
  override readonly name = 'StatsUnavailableError';
}

/**
 * Statistics of one tensor, streamed in chunks: pass 1 (counts, min, max, sum) over every chunk,
 * then pass 2 (histogram, squared deviations) with pass 1's results. A tensor that fits one chunk
 * is read and decoded once; a larger one is read twice rather than held in memory.
 * Runs the WGSL kernels when a GPU engine with a decoder for the type is given, else the CPU twin.
 */
export async function tensorStats(t: TensorInfo, gpu: GpuEngine | null, signal?: AbortSignal): Promise<TensorStats> {
  if (t.type === null) throw new StatsUnavailableError(`${t.name}: ${t.typeLabel} cannot be decoded`);
  const type: TypeName = t.type;
  const info = TYPES[type];
  const elements = elementCount(t.shape);
  const step = Math.max(info.blockSize, Math.floor(CHUNK_ELEMENTS / info.blockSize) * info.blockSize);
  const inPer = info.typeSize / info.blockSize;
  const useGpu = gpu !== null && gpu.supports(type, 'F32');
  if (!useGpu && CPU_CODECS[type].decode === null) throw new StatsUnavailableError(`${t.name}: Kiln cannot decode ${type} yet`);
  const fold = new StatsFold();
  const chunks: { offset: number; n: number }[] = [];
  for (let e = 0; e < elements; e += step) chunks.push({ offset: e, n: Math.min(step, elements - e) });
  const read = (c: { offset: number; n: number }) => t.read(c.offset * inPer, c.n * inPer);
  const check = () => {
    if (signal?.aborted) throw new DOMException('statistics cancelled', 'AbortError');
  };

  if (useGpu) {
    const tx = gpu.transformer();
    const stats = new GpuStats(gpu.cache);
    let resident: GPUBuffer | null = null;
    for (const c of chunks) {
      check();
      resident = await tx.decodeToGpu(type, await read(c), c.n);
      await stats.reduce(resident, c.n, fold);
    }
    for (const c of chunks) {
      check();
      const buf: GPUBuffer = chunks.length === 1 && resident ? resident : await tx.decodeToGpu(type, await read(c), c.n);
      await stats.histogram(buf, c.n, fold);
    }
  } else {
    const decode = CPU_CODECS[type].decode!;
    const decoded = async (c: { offset: number; n: number }) => {
      const f = new Float32Array(c.n);
      decode(await read(c), f);
      return f;
    };
    let resident: Float32Array | null = null;
    for (const c of chunks) {
      check();
      resident = await decoded(c);
      fold.addReduce(statsReduceCpu(resident), c.n);
    }
    const p = fold.histParams();
    for (const c of chunks) {
      check();
      fold.addHistogramSlots(statsHistogramCpu(chunks.length === 1 && resident ? resident : await decoded(c), p));
    }
  }
  return fold.result();
}
