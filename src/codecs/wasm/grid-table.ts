/**
 * Reading a grid type's search table in wasm memory (layout of src/codecs/iq-search-table.ts,
 * placed by the host, pointer passed to the encoder): u32 codes[size], i32 map[mapSize], then
 * the neighbour lists (a count, then grid indices; regrouped in batches for the IQ2 and IQ3
 * types), as ggml's iq2xs_init_impl / iq3xs_init_impl kgrid, kmap and kneighbors.
 */

/** Packed level code of grid point k (levels l, grid value 2l + 1). */
@inline export function gridCode(table: usize, k: i32): u32 {
  return load<u32>(table + (<usize>k << 2));
}

/** The map entry of packed levels u: a grid index (>= 0), or -(list offset + 1). */
@inline export function gridMap(table: usize, size: i32, u: i32): i32 {
  return load<i32>(table + (<usize>(size + u) << 2));
}

/** Pointer to the neighbour list of a negative map entry m: the count, then the indices. */
@inline export function neighbourList(table: usize, size: i32, mapSize: i32, m: i32): usize {
  return table + (<usize>(size + mapSize - m - 1) << 2);
}

/**
 * Pointer to the first batch of a regrouped neighbour list (IQ2 and IQ3 types, see
 * src/codecs/wasm-search-table.ts) whose header is at `list`: per 4 neighbours, 4 grid indices
 * then, per element, a v128 of the byte indices of each lane's level in a v128 of terms.
 */
@inline export function firstBatch(list: usize): usize {
  return list + 16;
}

/** The least error firstLeast found. */
export let least: f32 = 0;

/**
 * ggml's list-order comparison `d2 < best_d2` over the four lanes of a batch, without a branch
 * per lane: among the lanes below `best` (NaN never is), the first that holds their least value
 * (equal values, +0 and -0 included, go to the first, as ggml keeps it). Returns its lane and
 * sets `least`, or -1 when no lane is below best.
 */
@inline export function firstLeast(d2: v128, best: f32): i32 {
  const below = f32x4.lt(d2, f32x4.splat(best));
  const c = v128.bitselect(d2, f32x4.splat(Infinity), below);
  let m = f32x4.pmin(c, i32x4.shuffle(c, c, 2, 3, 0, 1));
  m = f32x4.pmin(m, i32x4.shuffle(m, m, 1, 0, 3, 2));
  const bits = i32x4.bitmask(v128.and(below, f32x4.eq(c, m)));
  least = f32x4.extract_lane(m, 0);
  return bits == 0 ? -1 : ctz(bits);
}
