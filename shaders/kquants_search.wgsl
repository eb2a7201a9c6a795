// The per-group scale searches behind ggml's K-quant reference quantizers (make_qkx2_quants,
// make_qx_quants with rmse_type 1, make_q3_quants in ggml-quants.c), included by the
// kquants-encode.wgsl encoders. One invocation runs a block's groups one after another: the sums
// must accumulate in the reference's order to give the same floats, so nothing is split across
// lanes. The group's values sit in gx (and its weights in gw); the chosen levels come back in gl.
//
// Exactness, operation by operation as the C: every `/` is div_rn_fast (correctly rounded, see
// legacy_io.wgsl; WGSL's is not); every product that feeds an add or subtract is wrapped in
// no_fma, so it is rounded first (ggml's scalar base library has no FMA); sqrtf is sqrt_rn;
// nearest_int is ggml's trick; the loops keep the C's order, strict and non-strict comparisons.
// Two shortcuts in make_qkx2 cannot change the result (the CPU twin takes them too,
// src/codecs/kquants-search.ts): a try whose levels equal the previous try's has the same sums,
// hence the same error, already compared; and with weights >= 0 the error sum only grows term by
// term, so a try can stop once it reaches the best error.
// Subnormals: ggml's x86 build keeps them, some GPUs (SwiftShader among them) flush them. The
// comparisons that pick a try are made exact below 2^-125 (prod_gt, prod3_gt). The sums are
// not: a group whose largest |x| lies between GROUP_MAX_EPS (1e-15) and ~1e-12 has x^3 terms
// below 2^-126 throughout, and on a flushing GPU its Q3_K / Q6_K search can differ from ggml.

var<private> gx: array<f32, 32>; // the group's values
var<private> gw: array<f32, 32>; // make_qkx2's weights
var<private> gl: array<i32, 32>; // best levels
var<private> ga: array<i32, 32>; // make_qkx2's Laux: this try's levels

const GROUP_MAX_EPS_BITS = 0x26901d7du; // 1e-15f
const TENTH_BITS = 0x3dcccccdu; // 0.1f

// nearest_int(a / b), the division correctly rounded.
fn nearest_div(a: f32, b: f32) -> i32 {
  return nearest_int(div_rn_fast(a, b));
}

// --- products compared where they may be subnormal ---
// make_qx_quants and make_q3_quants decide between tries by comparing products of sums, and on
// small inputs (|x| ~ 1e-8: x^3 sums squared) those products fall below 2^-126, where ggml's
// x86 build rounds to the subnormal grid but a GPU may flush to zero. Where a product is that
// small (below fmath.wgsl's SAFE_NORMAL), it is recomputed from the significands with IEEE
// rounding, subnormals included (mul_bits_u), and compared on bits (order_key).

fn bits_gt(p: u32, q: u32) -> bool {
  if (((p | q) & 0x7fffffffu) == 0u) { return false; } // +0 vs -0
  return order_key(p) > order_key(q);
}

// a * b > c * d, each product rounded to f32 as IEEE does.
fn prod_gt(a: f32, b: f32, c: f32, d: f32) -> bool {
  let p = a * b;
  let q = c * d;
  if (abs(p) >= SAFE_NORMAL || abs(q) >= SAFE_NORMAL) { return p > q; }
  return bits_gt(mul_bits_u(bitcast<u32>(a), bitcast<u32>(b)), mul_bits_u(bitcast<u32>(c), bitcast<u32>(d)));
}

// (a * b) * c > (d * e) * f, every product rounded to f32 as IEEE does.
fn prod3_gt(a: f32, b: f32, c: f32, d: f32, e: f32, f: f32) -> bool {
  let p1 = a * b;
  let q1 = d * e;
  let p = p1 * c;
  let q = q1 * f;
  if (abs(p1) >= SAFE_NORMAL && abs(q1) >= SAFE_NORMAL && (abs(p) >= SAFE_NORMAL || abs(q) >= SAFE_NORMAL)) { return p > q; }
  let pb = mul_bits_u(mul_bits_u(bitcast<u32>(a), bitcast<u32>(b)), bitcast<u32>(c));
  let qb = mul_bits_u(mul_bits_u(bitcast<u32>(d), bitcast<u32>(e)), bitcast<u32>(f));
  return bits_gt(pb, qb);
}

// make_qkx2_quants(n, nmax, gx, gw, gl, &the_min, ga, rmin, rdelta, nstep, use_mad):
// asymmetric levels 0..nmax, x ~ scale * l + min. Returns (scale, the_min = -min).
fn make_qkx2(n: u32, nmax: i32, rmin: f32, nstep: i32, use_mad: bool) -> vec2<f32> {
  let rdelta = bitcast<f32>(TENTH_BITS);
  let fnmax = f32(nmax);
  var mn = gx[0];
  var mx = gx[0];
  var sum_w = gw[0];
  var sum_x = no_fma(sum_w * gx[0]);
  var monotone = !(sum_w < 0.0);
  for (var i = 1u; i < n; i++) {
    let v = gx[i];
    if (v < mn) { mn = v; }
    if (v > mx) { mx = v; }
    let w = gw[i];
    if (w < 0.0) { monotone = false; }
    sum_w += w;
    sum_x += no_fma(w * v);
  }
  if (mn > 0.0) { mn = 0.0; }
  if (mx == mn) {
    for (var i = 0u; i < n; i++) { gl[i] = 0; }
    return vec2<f32>(0.0, -mn);
  }
  var iscale = div_rn_fast(fnmax, mx - mn);
  var scale = div_rn_fast(1.0, iscale);
  var best = 0.0;
  for (var i = 0u; i < n; i++) {
    let l = clamp(nearest_int(iscale * (gx[i] - mn)), 0, nmax);
    gl[i] = l;
    var diff = (no_fma(scale * f32(l)) + mn) - gx[i];
    if (use_mad) { diff = abs(diff); } else { diff = diff * diff; }
    best += no_fma(gw[i] * diff);
  }
  if (nstep < 1) { return vec2<f32>(scale, -mn); }
  var fresh = true;
  for (var is = 0; is <= nstep; is++) {
    // mn moves whenever a try wins, and the later tries start from it (as in ggml)
    // no_regroup(): else the optimizer may regroup (rmin + rdelta is) + nmax with its two constants
    iscale = div_rn_fast(no_regroup(rmin + no_fma(rdelta * f32(is))) + fnmax, mx - mn);
    var changed = fresh;
    fresh = false;
    for (var i = 0u; i < n; i++) {
      let l = clamp(nearest_int(iscale * (gx[i] - mn)), 0, nmax);
      if (ga[i] != l) {
        ga[i] = l;
        changed = true;
      }
    }
    if (!changed) { continue; }
    var sum_l = 0.0;
    var sum_l2 = 0.0;
    var sum_xl = 0.0;
    for (var i = 0u; i < n; i++) {
      let fl = f32(ga[i]);
      let wl = gw[i] * fl;
      sum_l += no_fma(wl);
      sum_l2 += no_fma(wl * fl);
      sum_xl += no_fma(wl * gx[i]);
    }
    let D = no_fma(sum_w * sum_l2) - no_fma(sum_l * sum_l);
    if (D > 0.0) {
      var this_scale = div_rn_fast(no_fma(sum_w * sum_xl) - no_fma(sum_x * sum_l), D);
      var this_min = div_rn_fast(no_fma(sum_l2 * sum_x) - no_fma(sum_l * sum_xl), D);
      if (this_min > 0.0) {
        this_min = 0.0;
        this_scale = div_rn_fast(sum_xl, sum_l2);
      }
      var cur = 0.0;
      for (var i = 0u; i < n; i++) {
        var diff = (no_fma(this_scale * f32(ga[i])) + this_min) - gx[i];
        if (use_mad) { diff = abs(diff); } else { diff = diff * diff; }
        cur += no_fma(gw[i] * diff);
        if (monotone && cur >= best) { break; }
      }
      if (cur < best) {
        for (var i = 0u; i < n; i++) { gl[i] = ga[i]; }
        best = cur;
        scale = this_scale;
        mn = this_min;
      }
    }
  }
  return vec2<f32>(scale, -mn);
}

// The value of largest magnitude among gx[0..n), first on ties; 0 when the largest
// magnitude is below GROUP_MAX_EPS (the caller then treats the group as all zero).
fn group_signed_max(n: u32) -> f32 {
  var mx = 0.0;
  var amax = 0.0;
  for (var i = 0u; i < n; i++) {
    let ax = abs(gx[i]);
    if (ax > amax) {
      amax = ax;
      mx = gx[i];
    }
  }
  if (amax < bitcast<f32>(GROUP_MAX_EPS_BITS)) { return 0.0; }
  return mx;
}

// make_qx_quants(n, nmax, gx, gl, rmse_type = 1, NULL): symmetric levels -nmax..nmax-1 weighted
// by x^2, 19 extra tries around nmax / max. Levels come back + nmax. Returns the scale.
fn make_qx_rmse1(n: u32, nmax: i32) -> f32 {
  let mx = group_signed_max(n);
  if (mx == 0.0) {
    for (var i = 0u; i < n; i++) { gl[i] = 0; }
    return 0.0;
  }
  let fnmax = f32(nmax);
  var iscale = div_rn_fast(-fnmax, mx);
  var sumlx = 0.0;
  var suml2 = 0.0;
  for (var i = 0u; i < n; i++) {
    let v = gx[i];
    let l = clamp(nearest_int(iscale * v), -nmax, nmax - 1);
    gl[i] = l + nmax;
    let w = v * v;
    let fl = f32(l);
    sumlx += no_fma((w * v) * fl);
    suml2 += no_fma((w * fl) * fl);
  }
  var scale = 0.0;
  if (suml2 != 0.0) { scale = div_rn_fast(sumlx, suml2); }
  var best = scale * sumlx;
  let tenth = bitcast<f32>(TENTH_BITS);
  for (var is = -9; is <= 9; is++) {
    if (is == 0) { continue; }
    iscale = div_rn_fast(-(fnmax + no_fma(tenth * f32(is))), mx);
    sumlx = 0.0;
    suml2 = 0.0;
    for (var i = 0u; i < n; i++) {
      let v = gx[i];
      let fl = f32(clamp(nearest_int(iscale * v), -nmax, nmax - 1));
      let w = v * v;
      sumlx += no_fma((w * v) * fl);
      suml2 += no_fma((w * fl) * fl);
    }
    if (suml2 > 0.0 && prod_gt(sumlx, sumlx, best, suml2)) {
      for (var i = 0u; i < n; i++) {
        gl[i] = nmax + clamp(nearest_int(iscale * gx[i]), -nmax, nmax - 1);
      }
      scale = div_rn_fast(sumlx, suml2);
      best = scale * sumlx;
    }
  }
  return scale;
}

// make_q3_quants(n, nmax, gx, gl, do_rmse = true): levels -nmax..nmax-1 weighted by x^2, then
// up to 5 passes moving single levels while the weighted fit improves. Levels come back + nmax
// (or all 0 for an all-zero group, as the C leaves them). Returns the scale.
fn make_q3(n: u32, nmax: i32) -> f32 {
  let mx = group_signed_max(n);
  if (mx == 0.0) {
    for (var i = 0u; i < n; i++) { gl[i] = 0; }
    return 0.0;
  }
  let iscale = div_rn_fast(-f32(nmax), mx);
  var sumlx = 0.0;
  var suml2 = 0.0;
  for (var i = 0u; i < n; i++) {
    let v = gx[i];
    let l = clamp(nearest_int(iscale * v), -nmax, nmax - 1);
    gl[i] = l;
    let w = v * v;
    let fl = f32(l);
    sumlx += no_fma((w * v) * fl);
    suml2 += no_fma((w * fl) * fl);
  }
  for (var itry = 0; itry < 5; itry++) {
    var n_changed = 0;
    for (var i = 0u; i < n; i++) {
      let v = gx[i];
      let w = v * v;
      let li = f32(gl[i]);
      var slx = sumlx - no_fma((w * v) * li);
      if (slx > 0.0) {
        var sl2 = suml2 - no_fma((w * li) * li);
        let new_l = clamp(nearest_div(v * sl2, slx), -nmax, nmax - 1);
        if (new_l != gl[i]) {
          let fl = f32(new_l);
          slx += no_fma((w * v) * fl);
          sl2 += no_fma((w * fl) * fl);
          if (sl2 > 0.0 && prod3_gt(slx, slx, suml2, sumlx, sumlx, sl2)) {
            gl[i] = new_l;
            sumlx = slx;
            suml2 = sl2;
            n_changed++;
          }
        }
      }
    }
    if (n_changed == 0) { break; }
  }
  for (var i = 0u; i < n; i++) { gl[i] += nmax; }
  if (suml2 > 0.0) { return div_rn_fast(sumlx, suml2); }
  return 0.0;
}

// --- the block's 256 levels, packed 4 per word ---
var<private> lv: array<u32, 64>;

fn set_level(i: u32, v: u32) {
  let s = 8u * (i & 3u);
  lv[i >> 2u] = (lv[i >> 2u] & ~(0xffu << s)) | ((v & 0xffu) << s);
}

fn level(i: u32) -> u32 {
  return (lv[i >> 2u] >> (8u * (i & 3u))) & 0xffu;
}

// Group levels gl[0..n) into the block's levels at `at`.
fn keep_levels(at: u32, n: u32) {
  for (var i = 0u; i < n; i++) { set_level(at + i, u32(gl[i])); }
}

// Writes qs for 2-bit levels (Q2_K, and Q3_K's low bits): byte 32h + l holds the levels
// 128h + 32k + l at bit 2k.
fn out_pack2() {
  for (var h = 0u; h < 256u; h += 128u) {
    for (var l = 0u; l < 32u; l++) {
      let a = level(h + l) & 3u;
      let b = level(h + l + 32u) & 3u;
      let c = level(h + l + 64u) & 3u;
      let d = level(h + l + 96u) & 3u;
      out_byte(a | (b << 2u) | (c << 4u) | (d << 6u));
    }
  }
}
