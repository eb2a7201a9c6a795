/**
 * A 2-D tensor's magnitude heat-map: grid cells of mean and max |x| over blocks of rows × columns.
 * This is the CPU twin of shaders/heatmap.wgsl: the same block edges, the same fold order (per
 * chunk of whole rows, row by row, left to right, in f32), so both give the same bits.
 */
export interface HeatmapGrid {
  readonly rows: number;
  readonly cols: number;
  readonly gridRows: number;
  readonly gridCols: number;
  /** Mean |x| per cell, row-major (finite values only; 0 for a cell with none). */
  readonly mean: readonly number[];
  /** Max |x| per cell. */
  readonly max: readonly number[];
  /** Values left out because they were NaN or Inf. */
  readonly skipped: number;
}

/** Cells per side at most: a few hundred pixels of detail, a few KB to read back. */
export const HEATMAP_MAX_CELLS = 128;

export function heatmapGridSize(rows: number, cols: number, max = HEATMAP_MAX_CELLS): { gridRows: number; gridCols: number } {
  return { gridRows: Math.max(1, Math.min(rows, max)), gridCols: Math.max(1, Math.min(cols, max)) };
}

/** floor(i·n/parts), as the shader computes it. */
export function cellEdge(i: number, n: number, parts: number): number {
  return Math.floor(i / parts) * n + Math.floor(((i % parts) * n) / parts);
}

/** Running per-cell state: sum (f32), max, skipped; three numbers per cell, as the GPU buffer. */
export class HeatmapFold {
  readonly cells: Float64Array;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly gridRows: number,
    readonly gridCols: number,
  ) {
    this.cells = new Float64Array(gridRows * gridCols * 3);
  }

  /** The CPU twin of one heatmap_accumulate dispatch: `x` holds rows [row0, row0 + x.length / cols). */
  addRows(x: Float32Array, row0: number): void {
    const nrows = x.length / this.cols;
    const f = Math.fround;
    for (let gy = 0; gy < this.gridRows; gy++) {
      const rLo = Math.max(cellEdge(gy, this.rows, this.gridRows), row0);
      const rHi = Math.min(cellEdge(gy + 1, this.rows, this.gridRows), row0 + nrows);
      if (rLo >= rHi) continue;
      for (let gx = 0; gx < this.gridCols; gx++) {
        const cLo = cellEdge(gx, this.cols, this.gridCols);
        const cHi = cellEdge(gx + 1, this.cols, this.gridCols);
        const k = (gy * this.gridCols + gx) * 3;
        let sum = 0;
        let mx = this.cells[k + 1]!;
        let skipped = 0;
        for (let r = rLo; r < rHi; r++) {
          const base = (r - row0) * this.cols;
          for (let c = cLo; c < cHi; c++) {
            const v = x[base + c]!;
            if (!Number.isFinite(v)) skipped++;
            else {
              const a = Math.abs(v);
              sum = f(sum + a);
              if (a > mx) mx = a;
            }
          }
        }
        this.cells[k] = f(this.cells[k]! + sum);
        this.cells[k + 1] = mx;
        this.cells[k + 2] = this.cells[k + 2]! + skipped;
      }
    }
  }

  /** The grid from per-cell (sum, max, skipped) triples, from this fold or read back from the GPU. */
  result(cells: ArrayLike<number> = this.cells): HeatmapGrid {
    const n = this.gridRows * this.gridCols;
    const mean = new Array<number>(n);
    const max = new Array<number>(n);
    let skipped = 0;
    for (let i = 0; i < n; i++) {
      const gy = Math.floor(i / this.gridCols);
      const gx = i % this.gridCols;
      const count = (cellEdge(gy + 1, this.rows, this.gridRows) - cellEdge(gy, this.rows, this.gridRows)) * (cellEdge(gx + 1, this.cols, this.gridCols) - cellEdge(gx, this.cols, this.gridCols)) - cells[i * 3 + 2]!;
      mean[i] = count > 0 ? cells[i * 3]! / count : 0;
      max[i] = cells[i * 3 + 1]!;
      skipped += cells[i * 3 + 2]!;
    }
    return { rows: this.rows, cols: this.cols, gridRows: this.gridRows, gridCols: this.gridCols, mean, max, skipped };
  }
}
