// Shared body of shaders/iquants-iq2s.wgsl and shaders/iquants-iq2s-w.wgsl (everything but the entry points);
// qw_at(i), the importance weight of chunk element i, is defined by the module including it.
//
//#include iquants_common

override WG: u32 = 64u;

@group(0) @binding(3) var<storage, read> tbl: array<u32>;

// Table layout (buildSearchTable): codes[1024], map[43692], lists.
const T_MAP: u32 = 1024u;
const T_LISTS: u32 = 44716u;

fn t_map(u: u32) -> i32 { return bitcast<i32>(tbl[T_MAP + u]); }

var<private> xv: array<f32, 16>; // |x|
var<private> wt: array<f32, 16>; // sigma2 / 4 + x^2
var<private> wa: array<f32, 16>; // sqrt(weight)
var<private> lc: array<u32, 2>;  // L: packed 2-bit levels per 8 elements
var<private> la: array<u32, 2>;  // Laux
var<private> signs: array<u32, 2>;

fn level_q(code: u32, i: u32) -> f32 {
  return f32(2u * ((code >> (2u * i)) & 3u) + 1u);
}

// iq2_find_best_neighbour for the 8 values of half k at `scale`: the grid point's level code.
fn best_neighbour(u: u32, k: u32, scale: f32) -> u32 {
  let off = T_LISTS + u32(-t_map(u) - 1);
  let cnt = tbl[off];
  var best_d2 = FLT_MAX;
  var best = 0u;
  var found = false;
  for (var j = 1u; j <= cnt; j++) {
    let code = tbl[tbl[off + j]];
    var d2 = 0.0;
    for (var i = 0u; i < rolled(8u); i++) {
      let diff = no_fma(scale * level_q(code, i)) - xv[8u * k + i];
      d2 = d2 + no_fma((wa[8u * k + i] * diff) * diff);
    }
    if (d2 < best_d2) {
      best_d2 = d2;
      best = code;
      found = true;
    }
  }
  if (!found) { report_abort(1u); }
  return best;
}

fn levels_at(k: u32, id: f32) -> u32 {
  var u = 0u;
  for (var i = 0u; i < rolled(8u); i++) {
    let l = nearest_int(0.5 * (no_fma(id * xv[8u * k + i]) - 1.0));
    u |= u32(clamp(l, 0, 2)) << (2u * i);
  }
  return u;
}

fn sums(aux: bool) -> vec2<f32> {
  var sumqx = 0.0;
  var sumq2 = 0.0;
  for (var k = 0u; k < 2u; k++) {
    let code = select(lc[k], la[k], aux);
    for (var i = 0u; i < 8u; i++) {
      let w = wt[8u * k + i];
      let q = level_q(code, i);
      sumqx = sumqx + no_fma((w * xv[8u * k + i]) * q);
      sumq2 = sumq2 + no_fma((w * q) * q);
    }
  }
  return vec2<f32>(sumqx, sumq2);
}

// With an importance matrix (encode_iq2_s_w): the per-column weights at @binding(4), params._p2
// the row length (the chunk is whole rows); weight = qw * sqrtf(sigma2 + x^2) instead.
var<private> use_qw: bool;

// One group of 16 at x0: its scale (0 and `empty` for a group below GROUP_MAX_EPS_IQ2_S);
// levels in lc, signs in `signs`.
var<private> empty: bool;
fn group(x0: u32, sigma2: f32) -> f32 {
  let w0 = no_fma(0.25 * sigma2);
  for (var i = 0u; i < rolled(16u); i++) {
    let x = src_f32(x0 + i);
    wt[i] = w0 + no_fma(x * x);
    for (var k = u32(!use_qw); k < 1u; k++) { wt[i] = no_fma(qw_at((x0 + i) % params._p2) * sqrt_rn(sigma2 + no_fma(x * x))); }
    wa[i] = sqrt_rn(wt[i]);
    xv[i] = select(neg(x), x, ge0(x));
  }
  for (var k = 0u; k < 2u; k++) {
    var s = 0u;
    for (var i = 0u; i < 8u; i++) {
      if (!ge0(src_f32(x0 + 8u * k + i))) { s |= 1u << i; }
    }
    signs[k] = s;
  }
  var mx = xv[0];
  for (var i = 1u; i < 16u; i++) { mx = select(xv[i], mx, mx > xv[i]); }
  lc[0] = 0u;
  lc[1] = 0u;
  empty = mx < F_1EM8;
  if (empty) { return 0.0; }
  var best = 0.0;
  var scale = div_rn(mx, 5.0);
  var on_grid = 3u; // bit k: half k on the grid
  for (var is = -9; is <= 9 + i32(params.zero); is++) {
    let id = div_rn(5.0 + no_fma(f32(is) * F_0_1), mx);
    let this_scale = div_rn(1.0, id);
    var on_aux = 3u;
    for (var k = 0u; k < 2u; k++) {
      let u = levels_at(k, id);
      if (t_map(u) < 0) {
        on_aux &= ~(1u << k);
        la[k] = best_neighbour(u, k, this_scale);
      } else {
        la[k] = u;
      }
    }
    let s = sums(true);
    if (s.y > 0.0 && prod_gt(s.x, s.x, best, s.y)) {
      scale = div_rn(s.x, s.y);
      best = mul_exact(scale, s.x);
      lc[0] = la[0];
      lc[1] = la[1];
      on_grid = on_aux;
    }
  }
  if (on_grid != 3u && scale > 0.0) {
    let id = div_rn(1.0, scale);
    for (var k = 0u; k < 2u; k++) {
      if (((on_grid >> k) & 1u) == 1u) { continue; }
      let u = levels_at(k, id);
      if (t_map(u) < 0) {
        lc[k] = best_neighbour(u, k, scale);
      } else {
        lc[k] = u;
      }
    }
    let s = sums(false);
    if (s.y > 0.0) { scale = div_rn(s.x, s.y); }
  }
  if (scale < 0.0) {
    scale = -scale;
    signs[0] = (~signs[0]) & 0xffu;
    signs[1] = (~signs[1]) & 0xffu;
  }
  return scale;
}

// The block after d: qs[32] grid low bytes, qs[32] signs, qh[8], scales[8] (20 words).
var<private> body: array<u32, 20>;

fn body_byte(i: u32, b: u32) {
  body[i >> 2u] |= (b & 0xffu) << ((i & 3u) * 8u);
}

fn encode_block(b: u32) {
  cur_block = b;
  for (var w = 0u; w < 20u; w++) { body[w] = 0u; }
  let x0 = b * 256u;
  var sumx2 = 0.0;
  for (var i = 0u; i < 256u; i++) {
    let x = src_f32(x0 + i);
    sumx2 = sumx2 + no_fma(x * x);
  }
  let sigma2 = div_rn(2.0 * sumx2, 256.0);
  var scales: array<f32, 16>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < 16u; ib++) {
    let s = group(x0 + 16u * ib, sigma2);
    scales[ib] = s;
    if (empty) { continue; }
    if (!scale_ok(s)) { report_abort(2u); }
    for (var k = 0u; k < 2u; k++) {
      let i8 = 2u * ib + k;
      let g = u32(t_map(lc[k]));
      body_byte(i8, g & 255u);
      body_byte(64u + i8 / 4u, (g >> 8u) << (2u * (i8 % 4u)));
      body_byte(32u + i8, signs[k]);
    }
    max_scale = select(s, max_scale, max_scale > s);
  }
  var d_bits = 0u;
  if (max_scale != 0.0) {
    let d = div_rn(max_scale, 31.0);
    d_bits = f32_bits_to_f16(bitcast<u32>(d * F_0_9875));
    let id = div_rn(1.0, d);
    for (var ib = 0u; ib < 16u; ib++) {
      let l = u32(clamp(nearest_int(0.5 * (no_fma(id * scales[ib]) - 1.0)), 0, 15));
      body_byte(72u + ib / 2u, l << (4u * (ib % 2u)));
    }
  }
  out_u16(d_bits);
  for (var w = 0u; w < 20u; w++) {
    let v = body[w];
    out_byte(v);
    out_byte(v >> 8u);
    out_byte(v >> 16u);
    out_byte(v >> 24u);
  }
}
