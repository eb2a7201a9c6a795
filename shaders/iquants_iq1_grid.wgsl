// The ternary grid the IQ1 encoders search (shaders/iquants_iq1m_body.wgsl, iquants-iq1s-w.wgsl):
// iq2xs_init_impl builds the same 2048 points, map and neighbour lists (nwant = 3, kmap_size
// 43692) for GGML_TYPE_IQ1_S and GGML_TYPE_IQ1_M, so both bind one table (IQ1M_SEARCH in
// src/gpu/kernels-iquants.ts) at binding 3. Also their shared group state and helpers: the
// stable sort of a group's values (glibc's merge-sort qsort keeps equal values in element order),
// iq1_find_best_neighbour2, and sigma2 of a super-block for the importance-weighted formula.
//
// iq1_find_best_neighbour2 falls back to scanning the whole grid when no listed neighbour has a
// finite error, reading past its 8 values (undefined behaviour) before it asserts; the encoders
// report that case through the abort word (code 1) instead, as the CPU twin throws.
//
//#include iquants_common

override WG: u32 = 64u;

@group(0) @binding(3) var<storage, read> tbl: array<u32>;

// Table layout (buildSearchTable): codes[2048], map[43692], lists.
const T_MAP: u32 = 2048u;
const T_LISTS: u32 = 45740u;

fn t_map(u: u32) -> i32 { return bitcast<i32>(tbl[T_MAP + u]); }

// x_p = {-1, 0, 1} + IQ1{S,M}_DELTA, x_m = {-1, 0, 1} - IQ1{S,M}_DELTA (both deltas 0.125f)
fn shifted(l: u32, plus: bool) -> f32 {
  let v = f32(i32(l) - 1);
  return select(v - 0.125, v + 0.125, plus);
}

var<private> xs: array<f32, 32>; // the group's values
var<private> ws: array<f32, 32>; // their weights
var<private> order: array<u32, 32>;

// Set per group when its sums may meet subnormal values, which a GPU may flush to zero: a group
// below TINY_GROUP, or a nonzero weight below TINY_W (an importance weight near 2^-40 or less).
// Its products and sums then take the IEEE paths (fmul / fadd / flt with exact = tiny), which cost
// nothing while no lane needs them.
var<private> tiny: bool;
const TINY_W: f32 = bitcast<f32>(0x21800000u); // 2^-60

// Fills ws from xs for the n values at x0 (weight x^2, or with `weighted` qw * sqrtf(sigma2 + x^2))
// and sets `tiny` from the group maximum mx.
fn weigh(x0: u32, n: u32, mx: f32, weighted: bool, sigma2: f32) {
  tiny = mx < TINY_GROUP;
  let row = params._p2;
  for (var i = 0u; i < rolled(n); i++) {
    let x = xs[i];
    var w = fmul(x, x, tiny);
    for (var k = u32(!weighted); k < 1u; k++) { w = qw_weight(qw_at((x0 + i) % row), x, sigma2); }
    ws[i] = w;
    tiny = tiny || ((bitcast<u32>(w) & 0x7fffffffu) != 0u && !(w >= TINY_W));
  }
}

// Stable ascending sort of the first n element indices by value (C's `<` / `>` on bits).
fn sort_group(n: u32) {
  for (var j = 0u; j < n; j++) {
    let v = xs[j];
    var p = j;
    while (p > 0u && fgt(xs[order[p - 1u]], v)) {
      order[p] = order[p - 1u];
      p -= 1u;
    }
    order[p] = j;
  }
}

// iq1_find_best_neighbour2 for the 8 values of half k at `scale`, levels shifted up (plus) or
// down: the first listed point with the smallest sum of w (scale q - x)^2.
fn best_neighbour(u: u32, k: u32, scale: f32, plus: bool) -> u32 {
  let exact = tiny;
  let off = T_LISTS + u32(-t_map(u) - 1);
  let cnt = tbl[off];
  var best_d2 = FLT_MAX;
  var best = 0u;
  var found = false;
  for (var j = 1u; j <= cnt; j++) {
    let g = tbl[off + j];
    let code = tbl[g];
    var d2 = 0.0;
    for (var i = 0u; i < rolled(8u); i++) {
      let q = shifted((code >> (2u * i)) & 3u, plus);
      let diff = fadd(fmul(scale, q, exact), neg(xs[8u * k + i]), exact);
      d2 = fadd(d2, fmul(fmul(ws[8u * k + i], diff, exact), diff, exact), exact);
    }
    if (flt(d2, best_d2, exact)) {
      best_d2 = d2;
      best = g;
      found = true;
    }
  }
  if (!found) { report_abort(1u); }
  return best;
}

// With an importance matrix: weight = qw * sqrtf(sigma2 + x^2), sigma2 = 2 sum(x^2) / 256 over
// the super-block, each step IEEE-rounded even when subnormal.
fn super_sigma2(x0: u32) -> f32 {
  var s = 0.0;
  for (var j = 0u; j < 256u; j++) {
    let x = src_f32(x0 + j);
    s = fadd(s, fmul(x, x, true), true);
  }
  return div_rn(no_fma(2.0 * s), 256.0);
}

fn qw_weight(q: f32, x: f32, sigma2: f32) -> f32 {
  return fmul(q, sqrt_rn(fadd(sigma2, fmul(x, x, true), true)), true);
}
