import { TYPES } from '../codecs/catalogue';
import { CPU_CODECS } from '../codecs/registry';
import { HeatmapFold, heatmapGridSize, type HeatmapGrid } from '../codecs/heatmap';
import { elementCount, type TensorInfo } from '../formats/model';
import { GpuHeatmap } from '../gpu/heatmap';
import type { GpuEngine } from './gpu-engine';
import { StatsUnavailableError } from './stats-job';

/** Elements per chunk (whole rows, whole blocks): the stats job's size. */
const CHUNK_ELEMENTS = 16 * 1024 * 1024;

export interface TensorHeatmap extends HeatmapGrid {
  /** Where it was computed. */
  readonly engine: 'gpu' | 'cpu';
}

/**
 * A downsampled magnitude heat-map of a 2-D tensor (rows = shape[0], columns = shape[1]), streamed
 * in chunks of whole rows: decoded and reduced on the GPU when the engine has a decoder for the
 * type, else by the CPU twin (the same bits).
 */
export async function tensorHeatmap(t: TensorInfo, gpu: GpuEngine | null, signal?: AbortSignal): Promise<TensorHeatmap> {
  if (t.shape.length !== 2) throw new StatsUnavailableError(`${t.name}: a heat-map needs a 2-D tensor, this one has ${t.shape.length} dimensions`);
  if (t.type === null) throw new StatsUnavailableError(`${t.name}: ${t.typeLabel} cannot be decoded`);
  const type = t.type;
  const [rows, cols] = t.shape as [number, number];
  const info = TYPES[type];
  if (cols % info.blockSize !== 0) throw new StatsUnavailableError(`${t.name}: rows of ${cols} are not whole ${type} blocks`);
  const { gridRows, gridCols } = heatmapGridSize(rows, cols);
  const fold = new HeatmapFold(rows, cols, gridRows, gridCols);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / cols));
  const rowBytes = (cols / info.blockSize) * info.typeSize;
  const useGpu = gpu !== null && gpu.supports(type, 'F32');
  if (!useGpu && CPU_CODECS[type].decode === null && type !== 'F32') throw new StatsUnavailableError(`${t.name}: Kiln cannot decode ${type} yet`);
  const check = () => {
    if (signal?.aborted) throw new DOMException('heat-map cancelled', 'AbortError');
  };
  if (elementCount(t.shape) === 0) return { ...fold.result(), engine: useGpu ? 'gpu' : 'cpu' };
  if (useGpu) {
    const tx = gpu.transformer();
    const hm = new GpuHeatmap(gpu.cache, rows, cols, gridRows, gridCols);
    try {
      for (let r = 0; r < rows; r += rowsPerChunk) {
        check();
        const n = Math.min(rowsPerChunk, rows - r);
        const buf = await tx.decodeToGpu(type, await t.read(r * rowBytes, n * rowBytes), n * cols);
        await hm.accumulate(buf, r, n);
      }
      return { ...fold.result(await hm.read()), engine: 'gpu' };
    } finally {
      hm.destroy();
    }
  }
  for (let r = 0; r < rows; r += rowsPerChunk) {
    check();
    const n = Math.min(rowsPerChunk, rows - r);
    const bytes = await t.read(r * rowBytes, n * rowBytes);
    const x = new Float32Array(n * cols);
    if (type === 'F32') x.set(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + x.length * 4)));
    else CPU_CODECS[type].decode!(bytes, x);
    fold.addRows(x, r);
  }
  return { ...fold.result(), engine: 'cpu' };
}
