// Downsampled magnitude heat-map of a 2-D tensor: a grid of grid_rows × grid_cols cells, each the
// sum and the max of |x| over its block of the tensor (the host divides the sum by the block's
// element count for the mean magnitude it draws).
//
// Cell (gy, gx) covers tensor rows [floor(gy·rows/grid_rows), floor((gy+1)·rows/grid_rows)) and
// columns likewise, so blocks differ by at most one row or column and every element belongs to
// exactly one cell. The tensor arrives in chunks of whole rows (a decode kernel's f32 output, bits
// in u32 words): one invocation per cell sums |x| over the rows of its block that lie in this chunk,
// row by row and left to right, and adds that partial sum to the cell's running f32 sum (and max),
// so a block split between two chunks is summed in the same order as one that is not. Only abs,
// max and + are used (no product, nothing to fuse), so the CPU twin (src/codecs/heatmap.ts), folding
// in this order with Math.fround, gives the same bits. NaN and Inf are skipped and counted.

override WG: u32 = 64u;

struct Params {
  rows: u32,       // rows of the whole tensor
  cols: u32,       // columns (elements per row)
  grid_rows: u32,
  grid_cols: u32,
  row0: u32,       // first tensor row in this chunk
  nrows: u32,      // rows in this chunk
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;          // this chunk's f32 bits
@group(0) @binding(1) var<storage, read_write> cells: array<u32>;  // per cell: sum (f32 bits), max (f32 bits), skipped (u32)
@group(0) @binding(2) var<uniform> params: Params;

fn edge(i: u32, n: u32, parts: u32) -> u32 {
  // floor(i * n / parts) without overflowing 32 bits for n up to 2^32 / parts
  return (i / parts) * n + ((i % parts) * n) / parts;
}

@compute @workgroup_size(WG)
fn heatmap_accumulate(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let cell = gid.x + gid.y * nwg.x * WG;
  if (cell >= params.grid_rows * params.grid_cols) {
    return;
  }
  let gy = cell / params.grid_cols;
  let gx = cell % params.grid_cols;
  let r_lo = max(edge(gy, params.rows, params.grid_rows), params.row0);
  let r_hi = min(edge(gy + 1u, params.rows, params.grid_rows), params.row0 + params.nrows);
  if (r_lo >= r_hi) {
    return;
  }
  let c_lo = edge(gx, params.cols, params.grid_cols);
  let c_hi = edge(gx + 1u, params.cols, params.grid_cols);
  var sum = 0.0;
  var mx = bitcast<f32>(cells[cell * 3u + 1u]);
  var skipped = 0u;
  for (var r = r_lo; r < r_hi; r++) {
    let base = (r - params.row0) * params.cols;
    for (var c = c_lo; c < c_hi; c++) {
      let b = src[base + c];
      if ((b & 0x7f800000u) == 0x7f800000u) {
        skipped += 1u;
      } else {
        let a = abs(bitcast<f32>(b));
        sum = sum + a;
        mx = max(mx, a);
      }
    }
  }
  cells[cell * 3u] = bitcast<u32>(bitcast<f32>(cells[cell * 3u]) + sum);
  cells[cell * 3u + 1u] = bitcast<u32>(mx);
  cells[cell * 3u + 2u] = cells[cell * 3u + 2u] + skipped;
}
