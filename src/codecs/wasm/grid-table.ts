/**
 * Reading a grid type's search table in wasm memory (layout of src/codecs/iq-search-table.ts,
 * placed by the host, pointer passed to the encoder): u32 codes[size], i32 map[mapSize], then
 * the neighbour lists (a count, then grid indices), as ggml's iq2xs_init_impl /
 * iq3xs_init_impl kgrid, kmap and kneighbors.
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
