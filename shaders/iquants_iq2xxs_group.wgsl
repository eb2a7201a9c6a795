// The group searches of shaders/iquants-iq2xxs-w.wgsl: quantize_row_iq2_xxs_impl's groups of 32
// and quantize_row_iq2_xs_impl's groups of 16 (ggml-quants.c, llama.cpp 34af94cd), both given
// quant_weights; CPU twin src/codecs/iq-encode-iq2xxs.ts (groupXXS, groupXS, makeQpQuants).
// The 8-element sub-vectors are packed as 2-bit level codes (level l, grid value 2l + 1).
// Groups so small (largest |x| below 2^-20, or a column weight below 2^-40) that their sums,
// distances and errors may meet float32 subnormals run the same search with `e` set: IEEE
// products and sums on bits (fmul, fadd, flt of iquants_common), since a GPU may flush them.
//
//#include iquants_common

override WG: u32 = 64u;

@group(0) @binding(3) var<storage, read> tbl: array<u32>;
@group(0) @binding(4) var<storage, read> qw: array<f32>;

// Table layout (buildSearchTable): codes[grid_n], map[43692], lists; grid_n 256 (XXS) or 512 (XS).
var<private> grid_n: u32;
const MAP_SIZE: u32 = 43692u;
fn t_map(u: u32) -> i32 { return bitcast<i32>(tbl[grid_n + u]); }
fn t_list(off: u32) -> u32 { return tbl[grid_n + MAP_SIZE + off]; }

var<private> xv: array<f32, 32>; // |x|, the cheapest element of an odd-signed 8 negated back
var<private> wt: array<f32, 32>; // qw * sqrt(sigma2 + x^2)
var<private> wa: array<f32, 32>; // sqrt(weight)
var<private> lc: array<u32, 4>;  // L: packed levels per 8 elements
var<private> la: array<u32, 4>;  // Laux
var<private> signs: array<u32, 4>;
var<private> qpl: array<i32, 32>; // make_qp_quants' levels as the C's uint8_t (0..255)

fn level_q(code: u32, i: u32) -> f32 {
  return f32(2u * ((code >> (2u * i)) & 3u) + 1u);
}

fn is_nan(x: f32) -> bool {
  return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u;
}

// C's x < 0 on bits (false for zeros and NaN).
fn lt0(x: f32) -> bool {
  let u = bitcast<u32>(x);
  return (u >> 31u) == 1u && (u & 0x7fffffffu) != 0u && (u & 0x7fffffffu) <= 0x7f800000u;
}

// (a * b) * c > (d * e) * f, each product rounded as IEEE does, subnormals included (make_qp_quants
// on tiny weights: slx^2 * suml2 falls below 2^-126 with weights ~1e-6 on values ~1e-6).
fn prod3_gt(a: f32, b: f32, c: f32, d: f32, e: f32, f: f32) -> bool {
  let p1 = a * b;
  let q1 = d * e;
  let p = p1 * c;
  let q = q1 * f;
  var r = p > q;
  let safe = abs(p1) >= SAFE_NORMAL && abs(q1) >= SAFE_NORMAL && (abs(p) >= SAFE_NORMAL || abs(q) >= SAFE_NORMAL);
  for (var k = u32(safe); k < 1u; k++) {
    r = fgt(bitcast<f32>(mul_bits_u(mul_bits(a, b), bitcast<u32>(c))), bitcast<f32>(mul_bits_u(mul_bits(d, e), bitcast<u32>(f))));
  }
  return r;
}

// weight * x * x as C rounds both products (the sign flip's cost), exact below the normal range.
fn flip_cost(w: f32, x: f32) -> f32 {
  let p1 = w * x;
  var p = p1 * x;
  for (var k = u32(abs(p1) >= SAFE_NORMAL && abs(p) >= SAFE_NORMAL); k < 1u; k++) {
    p = bitcast<f32>(mul_bits_u(mul_bits(w, x), bitcast<u32>(x)));
  }
  return p;
}

const TINY_WEIGHT: f32 = bitcast<f32>(0x2b800000u); // 2^-40

// Set by prepare: the group takes the exact (subnormal-safe) arithmetic.
var<private> tiny: bool;

// Weights, |x| and the sign bytes of the n elements at x0; returns the largest xval (C's MAX:
// `max > v ? max : v`, so a NaN is passed over by the next element). The weights are IEEE-exact
// even when subnormal (a few operations per element).
fn prepare(x0: u32, n: u32, sigma2: f32) -> f32 {
  var amax = 0u;
  var small_qw = false;
  for (var i = 0u; i < rolled(n); i++) {
    let x = src_f32(x0 + i);
    let q = qw[(x0 + i) % params._p2];
    wt[i] = fmul(q, sqrt_rn(fadd(sigma2, fmul(x, x, true), true)), true);
    wa[i] = sqrt_rn(wt[i]);
    amax = max(amax, abs_bits(x));
    small_qw = small_qw || (abs_bits(q) != 0u && abs_bits(q) < bitcast<u32>(TINY_WEIGHT));
  }
  tiny = amax < bitcast<u32>(TINY_GROUP) || small_qw;
  for (var k = 0u; k < n / 8u; k++) {
    var nflip = 0u;
    var s = 0u;
    for (var i = 0u; i < 8u; i++) {
      let x = src_f32(x0 + 8u * k + i);
      let pos = ge0(x);
      xv[8u * k + i] = select(neg(x), x, pos);
      if (!pos) {
        nflip += 1u;
        s |= 1u << i;
      }
    }
    if ((nflip & 1u) == 1u) {
      var imin = 0u;
      var vmin = flip_cost(wt[8u * k], src_f32(x0 + 8u * k));
      for (var i = 1u; i < rolled(8u); i++) {
        let v = flip_cost(wt[8u * k + i], src_f32(x0 + 8u * k + i));
        if (flt(v, vmin, true)) {
          vmin = v;
          imin = i;
        }
      }
      xv[8u * k + imin] = neg(xv[8u * k + imin]);
      s ^= 1u << imin;
    }
    signs[k] = s & 127u;
  }
  var mx = xv[0];
  for (var i = 1u; i < n; i++) { mx = select(xv[i], mx, fgt(mx, xv[i])); }
  return mx;
}

// iq2_find_best_neighbour for the 8 values of sub-vector k at `scale`: the point's level code.
fn best_neighbour(u: u32, k: u32, scale: f32, e: bool) -> u32 {
  let off = u32(-t_map(u) - 1);
  let cnt = t_list(off);
  var best_d2 = FLT_MAX;
  var best = 0u;
  var found = false;
  for (var j = 1u; j <= cnt; j++) {
    let code = tbl[t_list(off + j)];
    var d2 = 0.0;
    // plain arithmetic, or (a tiny group) IEEE on bits: one of the loops runs, the other is
    // skipped whole, so the common case pays nothing for the exact one
    for (var i = select(0u, 8u, e); i < rolled(8u); i++) {
      let diff = no_fma(scale * level_q(code, i)) - xv[8u * k + i];
      d2 = d2 + no_fma((wa[8u * k + i] * diff) * diff);
    }
    for (var i = select(8u, 0u, e); i < rolled(8u); i++) {
      let diff = fadd(fmul(scale, level_q(code, i), true), neg(xv[8u * k + i]), true);
      d2 = fadd(d2, fmul(fmul(wa[8u * k + i], diff, true), diff, true), true);
    }
    if (flt(d2, best_d2, e)) {
      best_d2 = d2;
      best = code;
      found = true;
    }
  }
  if (!found) { report_abort(1u); }
  return best;
}

// The levels nearest_int(0.5 * (id * x - 1)) of sub-vector k, clamped to [0, 2], packed. The
// product needs no exact path even in a tiny group: any |id * x| below 2^-25 (a subnormal one, or
// one a GPU flushed to zero, or one of a flushed subnormal x) gives level 0 alike.
fn levels_at(k: u32, id: f32) -> u32 {
  var u = 0u;
  for (var i = 0u; i < rolled(8u); i++) {
    let l = nearest_int(0.5 * (no_fma(id * xv[8u * k + i]) - 1.0));
    u |= u32(clamp(l, 0, 2)) << (2u * i);
  }
  return u;
}

// The levels of sub-vector k at id, or their best neighbour at `scale` when off the grid.
fn pick(k: u32, id: f32, scale: f32, e: bool) -> u32 {
  let u = levels_at(k, id);
  if (t_map(u) < 0) { return best_neighbour(u, k, scale, e); }
  return u;
}

// (sumqx, sumq2) of the first 8 * n8 elements with levels Laux (aux) or L.
fn sums(n8: u32, aux: bool, e: bool) -> vec2<f32> {
  var sumqx = 0.0;
  var sumq2 = 0.0;
  for (var k = 0u; k < n8; k++) {
    let code = select(lc[k], la[k], aux);
    for (var i = select(0u, 8u, e); i < rolled(8u); i++) {
      let w = wt[8u * k + i];
      let q = level_q(code, i);
      sumqx = sumqx + no_fma((w * xv[8u * k + i]) * q);
      sumq2 = sumq2 + no_fma((w * q) * q);
    }
    for (var i = select(8u, 0u, e); i < rolled(8u); i++) {
      let w = wt[8u * k + i];
      let q = level_q(code, i);
      sumqx = fadd(sumqx, fmul(fmul(w, xv[8u * k + i], true), q, true), true);
      sumq2 = fadd(sumq2, fmul(fmul(w, q, true), q, true), true);
    }
  }
  return vec2<f32>(sumqx, sumq2);
}

// make_qp_quants(32, 4, xval, L, weight) (the twin's makeQpQuants: its max is NaN when an xval
// is, which changes nothing, the weights being NaN then too); levels into qpl.
fn make_qp(e: bool) -> f32 {
  var mx = 0.0;
  for (var i = 0u; i < 32u; i++) {
    let v = xv[i];
    if (is_nan(v) || is_nan(mx)) { mx = bitcast<f32>(0x7fc00000u | params.zero); } else if (fgt(v, mx)) { mx = v; }
  }
  if (flt(mx, F_1EM15, true)) {
    for (var i = 0u; i < 32u; i++) { qpl[i] = 0; }
    return 0.0;
  }
  var iscale = div_rn(4.0, mx);
  for (var i = 0u; i < rolled(32u); i++) { qpl[i] = nearest_int(fmul(iscale, xv[i], e)) & 0xff; }
  let scale = div_rn(1.0, iscale);
  var best_mse = 0.0;
  for (var i = 0u; i < rolled(32u); i++) {
    let diff = fadd(xv[i], neg(fmul(scale, f32(qpl[i]), e)), e);
    best_mse = fadd(best_mse, fmul(fmul(wt[i], diff, e), diff, e), e);
  }
  for (var is = -4; is <= 4 + i32(params.zero); is++) {
    if (is == 0) { continue; }
    let iscale_is = div_rn(no_fma(F_0_1 * f32(is)) + 4.0, mx);
    let scale_is = div_rn(1.0, iscale_is);
    var mse = 0.0;
    for (var i = 0u; i < rolled(32u); i++) {
      let l = min(4, nearest_int(fmul(iscale_is, xv[i], e)));
      let diff = fadd(xv[i], neg(fmul(scale_is, f32(l), e)), e);
      mse = fadd(mse, fmul(fmul(wt[i], diff, e), diff, e), e);
    }
    if (flt(mse, best_mse, e)) {
      best_mse = mse;
      iscale = iscale_is;
    }
  }
  var sumlx = 0.0;
  var suml2 = 0.0;
  for (var i = 0u; i < rolled(32u); i++) {
    let l = min(4, nearest_int(fmul(iscale, xv[i], e)));
    qpl[i] = l & 0xff;
    let fl = f32(l);
    sumlx = fadd(sumlx, fmul(fmul(wt[i], xv[i], e), fl, e), e);
    suml2 = fadd(suml2, fmul(fmul(wt[i], fl, e), fl, e), e);
  }
  for (var itry = 0u; itry < rolled(5u); itry++) {
    var changed = 0;
    for (var i = 0u; i < rolled(32u); i++) {
      let w = wt[i];
      let li = f32(qpl[i]);
      var slx = fadd(sumlx, neg(fmul(fmul(w, xv[i], e), li, e)), e);
      var sl2 = fadd(suml2, neg(fmul(fmul(w, li, e), li, e)), e);
      if (gt0(slx) && gt0(sl2)) {
        let new_l = min(4, nearest_int(div_rn(fmul(xv[i], sl2, e), slx)));
        if (new_l != qpl[i]) {
          let fl = f32(new_l);
          slx = fadd(slx, fmul(fmul(w, xv[i], e), fl, e), e);
          sl2 = fadd(sl2, fmul(fmul(w, fl, e), fl, e), e);
          if (prod3_gt(slx, slx, suml2, sumlx, sumlx, sl2)) {
            qpl[i] = new_l & 0xff;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed == 0) { break; }
  }
  if (gt0(suml2)) { return div_rn(sumlx, suml2); }
  return 0.0;
}

// Set by the group searches: the group was skipped (ggml's `continue`; its words stay zero).
var<private> skipped: bool;
// L still holds make_qp_quants' levels (no trial was kept and no final pass ran).
var<private> from_qp: bool;

// One IQ2_XXS group of 32 at x0: its scale; levels in lc (or qpl), signs in `signs`.
fn group_xxs(x0: u32, sigma2: f32) -> f32 {
  skipped = true;
  from_qp = false;
  let mx = prepare(x0, 32u, sigma2);
  if (flt(mx, F_1EM15, true)) { return 0.0; }
  // one search with `e` at run time: one copy of the code (SwiftShader compiles each call site's
  // inlined body), the exact paths behind loops no lane enters unless the group is tiny
  let scale = search_xxs(tiny);
  if (skipped) { return 0.0; }
  return flip_negative(scale, 4u);
}

// A negative scale (which ggml says should never happen) is made positive with all signs flipped.
fn flip_negative(scale: f32, n8: u32) -> f32 {
  if (!lt0(scale)) { return scale; }
  for (var k = 0u; k < n8; k++) { signs[k] = (~signs[k]) & 127u; }
  return neg(scale);
}

// make_qp_quants' seed, 13 trial scales, then every sub-vector re-picked at the kept scale;
// leaves `skipped` set when the seed's scale is not positive.
fn search_xxs(e: bool) -> f32 {
  var scale = make_qp(e);
  let eff_max = fmul(scale, 3.0, e);
  if (!gt0(eff_max) && !is_nan(eff_max)) { return 0.0; }
  skipped = false;
  from_qp = true;
  var best = 0.0;
  for (var is = -6; is <= 6 + i32(params.zero); is++) {
    let id = div_rn(5.0 + no_fma(f32(is) * F_0_1), eff_max);
    let this_scale = div_rn(1.0, id);
    for (var k = 0u; k < rolled(4u); k++) { la[k] = pick(k, id, this_scale, e); }
    let s = sums(4u, true, e);
    if (gt0(s.y) && prod_gt(s.x, s.x, best, s.y)) {
      scale = div_rn(s.x, s.y);
      best = mul_exact(scale, s.x);
      for (var k = 0u; k < 4u; k++) { lc[k] = la[k]; }
      from_qp = false;
    }
  }
  if (gt0(scale)) {
    let id = div_rn(1.0, scale);
    for (var k = 0u; k < rolled(4u); k++) { lc[k] = pick(k, id, scale, e); }
    from_qp = false;
    let s = sums(4u, false, e);
    if (gt0(s.y)) { scale = div_rn(s.x, s.y); }
  }
  return scale;
}

// One IQ2_XS group of 16 at x0: its scale; levels in lc[0..2), signs in `signs`.
fn group_xs(x0: u32, sigma2: f32) -> f32 {
  skipped = true;
  from_qp = false;
  let mx = prepare(x0, 16u, sigma2);
  lc[0] = 0u;
  lc[1] = 0u;
  if (flt(mx, F_1EM15, true)) { return 0.0; }
  skipped = false;
  return flip_negative(search_xs(mx, tiny), 2u);
}

// 19 trial scales (5 + is * 0.1) / max, then the sub-vectors that were off the grid re-picked.
fn search_xs(mx: f32, e: bool) -> f32 {
  var best = 0.0;
  var scale = div_rn(mx, 5.0);
  var on_grid = 3u; // bit k: sub-vector k on the grid
  for (var is = -9; is <= 9 + i32(params.zero); is++) {
    let id = div_rn(5.0 + no_fma(f32(is) * F_0_1), mx);
    let this_scale = div_rn(1.0, id);
    var on_aux = 3u;
    for (var k = 0u; k < rolled(2u); k++) {
      let u = levels_at(k, id);
      if (t_map(u) < 0) {
        on_aux &= ~(1u << k);
        la[k] = best_neighbour(u, k, this_scale, e);
      } else {
        la[k] = u;
      }
    }
    let s = sums(2u, true, e);
    if (gt0(s.y) && prod_gt(s.x, s.x, best, s.y)) {
      scale = div_rn(s.x, s.y);
      best = mul_exact(scale, s.x);
      lc[0] = la[0];
      lc[1] = la[1];
      on_grid = on_aux;
    }
  }
  if (on_grid != 3u && gt0(scale)) {
    let id = div_rn(1.0, scale);
    for (var k = 0u; k < rolled(2u); k++) {
      if (((on_grid >> k) & 1u) == 0u) { lc[k] = pick(k, id, scale, e); }
    }
    let s = sums(2u, false, e);
    if (gt0(s.y)) { scale = div_rn(s.x, s.y); }
  }
  return scale;
}

// The grid index of sub-vector k's levels, or -1 off the grid ("Oops: found point ... not on
// grid"). make_qp_quants' levels reach 4 and wrap below 0 as int8_t; C packs them into a
// uint16_t, so the code is cut to 16 bits, and any 2-bit field of 3 is off the grid.
fn grid_index(k: u32) -> i32 {
  var u = lc[k];
  if (from_qp) {
    u = 0u;
    for (var i = 0u; i < 8u; i++) { u |= bitcast<u32>((qpl[8u * k + i] << 24u) >> 24u) << (2u * i); }
    u &= 0xffffu;
  }
  if (((u >> 1u) & u & 0x5555u) != 0u) { return -1; }
  return t_map(u);
}
