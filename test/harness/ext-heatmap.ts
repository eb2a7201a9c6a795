import { isTypeName } from '../../src/codecs/catalogue';
import { HeatmapFold, heatmapGridSize } from '../../src/codecs/heatmap';
import { CPU_CODECS } from '../../src/codecs/registry';
import { GpuHeatmap } from '../../src/gpu/heatmap';
import type { HarnessEnv } from './main';
import { rng } from './common';

/**
 * shaders/heatmap.wgsl against its CPU twin: a rows × cols tensor of `type` (values from a seed,
 * a few NaN/Inf), decoded on the GPU chunk by chunk (whole rows) and reduced there, and the twin
 * over the CPU decoder's values in the same chunks; the per-cell (sum, max, skipped) words compared.
 */
export const harnessExt = {
  async heatmapCompare(env: HarnessEnv, typeName: unknown, rowsIn: unknown, colsIn: unknown, chunkRowsIn: unknown) {
    const type = String(typeName);
    if (!isTypeName(type)) throw new Error(`unknown type ${type}`);
    const rows = Number(rowsIn);
    const cols = Number(colsIn);
    const chunkRows = Number(chunkRowsIn);
    const { tx, cache } = await env();
    const next = rng(rows * 7919 + cols);
    const x = new Float32Array(rows * cols);
    for (let i = 0; i < x.length; i++) x[i] = (next() / 2 ** 32 - 0.5) * (1 + (Math.floor(i / cols) % 7));
    x[3] = NaN;
    x[x.length - 2] = -Infinity;
    let bytes = new Uint8Array(x.buffer);
    const decoded = new Float32Array(x.length);
    if (type !== 'F32') {
      bytes = new Uint8Array((x.length / 1) * 2);
      CPU_CODECS[type].encode!(x, bytes);
      CPU_CODECS[type].decode!(bytes, decoded);
    } else decoded.set(x);
    const rowBytes = bytes.length / rows;
    const { gridRows, gridCols } = heatmapGridSize(rows, cols);
    const fold = new HeatmapFold(rows, cols, gridRows, gridCols);
    const hm = new GpuHeatmap(cache, rows, cols, gridRows, gridCols);
    for (let r = 0; r < rows; r += chunkRows) {
      const n = Math.min(chunkRows, rows - r);
      const buf = await tx.decodeToGpu(type, bytes.subarray(r * rowBytes, (r + n) * rowBytes), n * cols);
      await hm.accumulate(buf, r, n);
      fold.addRows(decoded.subarray(r * cols, (r + n) * cols), r);
    }
    const gpu = await hm.read();
    hm.destroy();
    let mismatches = 0;
    const first: string[] = [];
    for (let i = 0; i < gpu.length; i++) {
      if (!Object.is(gpu[i], fold.cells[i])) {
        mismatches++;
        if (first.length < 5) first.push(`word ${i}: gpu ${gpu[i]} cpu ${fold.cells[i]}`);
      }
    }
    const grid = fold.result();
    return { mismatches, first, words: gpu.length, gridRows, gridCols, skipped: grid.skipped, meanMax: Math.max(...grid.mean) };
  },
};
