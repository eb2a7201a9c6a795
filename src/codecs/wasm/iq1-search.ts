/**
 * The pieces IQ1_S and IQ1_M share (ports of src/codecs/iq-search.ts bestNeighbour8 and the
 * twins' sort): the 2048-point ternary grid's neighbour search and the stable sort of a
 * group's values. Grid levels 0, 1, 2 stand for -1, 0, +1; the caller's three shifted level
 * values (x_p or x_m of quantize_row_iq1_*_impl) replace them.
 */
import { gridCode, gridMap, neighbourList } from './grid-table';

/** IQ1_M's (and IQ1_S's) grid: 2048 points, map keys of 8 x 2 bits below 0xaaaa + 2. */
export const IQ1_GRID_SIZE: i32 = 2048;
export const IQ1_MAP_SIZE: i32 = 43692;
const FLT_MAX: f32 = 3.4028234663852886e38;

/** Per element and level: the weighted squared error. */
const TERMS: usize = memory.data(24 * 4, 16);

/**
 * matches iq2_find_best_neighbour's IQ1 forms (iq1_find_best_neighbour2 for IQ1_M, the inline
 * search of quantize_row_iq1_s_impl): the neighbour of off-grid u nearest to the 8 floats at x
 * at `scale` times the levels lv[0..3), weighted by w; the first on ties. Writes its levels
 * to out[0..8) and returns its grid index, or -1 when no error is below FLT_MAX.
 */
export function bestNeighbour8(t: usize, u: i32, x: usize, w: usize, out: usize, scale: f32, lv: usize): i32 {
  for (let i = 0; i < 8; i++) {
    const xi = load<f32>(x + (<usize>i << 2));
    const wi = load<f32>(w + (<usize>i << 2));
    for (let l = 0; l < 3; l++) {
      const diff: f32 = scale * load<f32>(lv + (<usize>l << 2)) - xi;
      store<f32>(TERMS + (<usize>(3 * i + l) << 2), wi * diff * diff);
    }
  }
  const list = neighbourList(t, IQ1_GRID_SIZE, IQ1_MAP_SIZE, gridMap(t, IQ1_GRID_SIZE, u));
  const count = load<i32>(list);
  let best = FLT_MAX;
  let gi = -1;
  for (let n = 0; n < count; n++) {
    const k = load<i32>(list + (<usize>(n + 1) << 2));
    const c = gridCode(t, k);
    let d2 = load<f32>(TERMS + (<usize>(c & 3) << 2));
    for (let i = 1; i < 8; i++) d2 += load<f32>(TERMS + (<usize>(3 * i + <i32>((c >> (2 * i)) & 3)) << 2));
    if (d2 < best) {
      best = d2;
      gi = k;
    }
  }
  if (gi < 0) return -1;
  const c = gridCode(t, gi);
  for (let i = 0; i < 8; i++) store<u8>(out + <usize>i, <u8>((c >> (2 * i)) & 3));
  return gi;
}

/**
 * The indices of the n floats at x in ascending order, ties (and NaN) in element order, as
 * glibc's qsort (a stable merge sort for arrays this small) leaves ggml's pairs; into order (i32).
 */
export function sortOrder(x: usize, n: i32, order: usize): void {
  for (let j = 0; j < n; j++) {
    const v = load<f32>(x + (<usize>j << 2));
    let k = j;
    while (k > 0 && load<f32>(x + (<usize>load<i32>(order + (<usize>(k - 1) << 2)) << 2)) > v) {
      store<i32>(order + (<usize>k << 2), load<i32>(order + (<usize>(k - 1) << 2)));
      k--;
    }
    store<i32>(order + (<usize>k << 2), j);
  }
}
