// Shared body of shaders/iquants-iq3.wgsl and shaders/iquants-iq3-w.wgsl (everything but the entry points);
// qw_at(i), the importance weight of chunk element i, is defined by the module including it.
//
//#include iquants_common

override WG: u32 = 64u;

@group(0) @binding(3) var<storage, read> tbl: array<u32>;

// Table layout (buildSearchTable): codes[grid], map[4096], lists.
var<private> grid_n: u32; // 256 or 512
fn t_code(g: u32) -> u32 { return tbl[g]; }
fn t_map(u: u32) -> i32 { return bitcast<i32>(tbl[grid_n + u]); }
fn t_list(off: u32) -> u32 { return tbl[grid_n + 4096u + off]; }

var<private> xv: array<f32, 32>; // |x| (IQ3_XXS: one element may be negated back)
var<private> wt: array<f32, 32>; // x^2
var<private> wa: array<f32, 32>; // sqrt(x^2)
var<private> lc: array<u32, 8>;  // L: packed 3-bit levels per 4 elements
var<private> la: array<u32, 8>;  // Laux
var<private> signs: array<u32, 4>; // per 8 elements

fn level_q(code: u32, i: u32) -> f32 {
  return f32(2u * ((code >> (3u * i)) & 7u) + 1u);
}

// iq3_find_best_neighbour for the 4 values of group k at `scale`: the grid index.
fn best_neighbour(u: u32, k: u32, scale: f32, e: bool) -> u32 {
  let off = u32(-t_map(u) - 1);
  let cnt = t_list(off);
  var best_d2 = FLT_MAX;
  var best = 0u;
  var found = false;
  for (var j = 1u; j <= cnt; j++) {
    let g = t_list(off + j);
    let code = t_code(g);
    var d2 = 0.0;
    for (var i = 0u; i < rolled(4u); i++) {
      let diff = fadd(fmul(scale, level_q(code, i), e), neg(xv[4u * k + i]), e);
      d2 = fadd(d2, fmul(fmul(wa[4u * k + i], diff, e), diff, e), e);
    }
    if (flt(d2, best_d2, e)) {
      best_d2 = d2;
      best = g;
      found = true;
    }
  }
  if (!found) { report_abort(1u); }
  return best;
}

// The levels of group k at inverse scale id: nearest_int(0.5 * (id * x - 1)) clamped to [0, 7].
fn levels_at(k: u32, id: f32, e: bool) -> u32 {
  var u = 0u;
  for (var i = 0u; i < rolled(4u); i++) {
    let l = nearest_int(0.5 * (fmul(id, xv[4u * k + i], e) - 1.0));
    u |= u32(clamp(l, 0, 7)) << (3u * i);
  }
  return u;
}

// sumqx, sumq2 over the 32 values with levels from lc (aux = false) or la (aux = true).
fn sums(aux: bool, e: bool) -> vec2<f32> {
  var sumqx = 0.0;
  var sumq2 = 0.0;
  for (var j = 0u; j < rolled(32u); j++) {
    let code = select(lc[j / 4u], la[j / 4u], aux);
    let w = wt[j];
    let q = level_q(code, j % 4u);
    sumqx = fadd(sumqx, fmul(fmul(w, xv[j], e), q, e), e);
    sumq2 = fadd(sumq2, fmul(fmul(w, q, e), q, e), e);
  }
  return vec2<f32>(sumqx, sumq2);
}

// --- with an importance matrix (quantize_row_iq3_{xxs,s}_impl given quant_weights) ---
// The per-column weights sit at @binding(4), params._p2 the row length (the chunk is whole rows);
// weight = qw * sqrtf(sigma2 + x^2), sigma2 = 2 * sumx2 / 256 over the super-block, each step
// IEEE-rounded even when subnormal. Only the _w entry points read the binding.
var<private> use_qw: bool;
var<private> sigma2_w: f32;

fn super_sigma2(x0: u32) -> f32 {
  var s = 0.0;
  for (var j = 0u; j < 256u; j++) {
    let x = src_f32(x0 + j);
    s = fadd(s, fmul(x, x, true), true);
  }
  return div_rn(no_fma(2.0 * s), 256.0);
}

// Fills wt for the group at x0 with the weighted formula; true when a weight is so small (or
// zero) that the group's sums may meet subnormal products, so the exact arithmetic is used.
fn weigh(x0: u32) -> bool {
  let row = params._p2;
  var small = false;
  for (var i = 0u; i < rolled(32u); i++) {
    let x = src_f32(x0 + i);
    let q = qw_at((x0 + i) % row);
    wt[i] = fmul(q, sqrt_rn(fadd(sigma2_w, fmul(x, x, true), true)), true);
    small = small || !(abs(q) >= TINY_WEIGHT);
  }
  return small;
}

// IQ3_XXS's cost of flipping element i of the group at x0: weight * x * x (x^4 unweighted), as
// bits of a non-negative float, exact when subnormal.
fn flip_cost(x0: u32, i: u32) -> u32 {
  let x = src_f32(x0 + i);
  if (!use_qw) { return x4_bits(x); }
  let w = wt[i];
  let hw = (w * x) * x;
  var r = bitcast<u32>(hw);
  for (var k = u32(abs(hw) >= SAFE_NORMAL); k < 1u; k++) {
    let u = bitcast<u32>(x);
    r = mul_bits_u(mul_bits_u(bitcast<u32>(w), u), u);
  }
  return r & 0x7fffffffu;
}

const TINY_WEIGHT: f32 = bitcast<f32>(0x2b800000u); // 2^-40

// One group of 32 at x0; returns its scale (0 for an empty group, then `empty` is set) and
// leaves the levels in lc and the signs in `signs`.
var<private> empty: bool;
fn group(x0: u32, xxs: bool) -> f32 {
  var amax = 0u;
  for (var i = 0u; i < 32u; i++) { amax = max(amax, abs_bits(src_f32(x0 + i))); }
  var tiny = amax < bitcast<u32>(TINY_GROUP); // sums and distances may be subnormal
  for (var i = 0u; i < rolled(32u); i++) {
    let x = src_f32(x0 + i);
    wt[i] = fmul(x, x, tiny);
    xv[i] = select(neg(x), x, ge0(x));
  }
  if (use_qw) { tiny = weigh(x0) || tiny; }
  for (var i = 0u; i < rolled(32u); i++) { wa[i] = sqrt_rn(wt[i]); }
  for (var k = 0u; k < 4u; k++) {
    var s = 0u;
    var nflip = 0u;
    for (var i = 0u; i < 8u; i++) {
      if (!ge0(src_f32(x0 + 8u * k + i))) {
        s |= 1u << i;
        nflip += 1u;
      }
    }
    if (xxs && (nflip & 1u) == 1u) {
      var imin = 0u;
      var vmin = flip_cost(x0, 8u * k);
      for (var i = 1u; i < rolled(8u); i++) {
        let v = flip_cost(x0, 8u * k + i);
        if (v < vmin) {
          vmin = v;
          imin = i;
        }
      }
      xv[8u * k + imin] = neg(xv[8u * k + imin]);
      s ^= 1u << imin;
    }
    signs[k] = select(s, s & 127u, xxs);
  }
  var mx = xv[0];
  for (var i = 1u; i < 32u; i++) { mx = select(xv[i], mx, fgt(mx, xv[i])); }
  for (var k = 0u; k < 8u; k++) { lc[k] = 0u; }
  empty = select(abs_bits(mx) == 0u, mx < F_1EM8, xxs);
  if (empty) { return 0.0; }
  // one of the two runs (loops run once or never: see iquants_common on SwiftShader)
  var scale = 0.0;
  for (var k = u32(tiny); k < 1u; k++) { scale = search(mx, xxs, false); }
  for (var k = u32(!tiny); k < 1u; k++) { scale = search(mx, xxs, true); }
  if (fgt(0.0, scale)) {
    scale = neg(scale);
    for (var k = 0u; k < 4u; k++) { signs[k] = select((~signs[k]) & 0xffu, (~signs[k]) & 127u, xxs); }
  }
  return scale;
}

// The trial scales and the re-pick of off-grid vectors for a non-empty group of maximum mx;
// `e`: IEEE arithmetic on bits (a group so small that sums and distances may be subnormal).
fn search(mx: f32, xxs: bool, e: bool) -> f32 {
  var best = 0.0;
  var scale = div_rn(mx, 15.0);
  var on_grid = select(0u, 0xffu, xxs); // bit k: group k on the grid
  let ntry = select(9, 15, xxs);
  for (var is = -ntry; is <= ntry + i32(params.zero); is++) {
    let id = div_rn(15.0 + no_fma(f32(is) * F_0_2), mx);
    let this_scale = div_rn(1.0, id);
    var on_aux = 0xffu;
    for (var k = 0u; k < rolled(8u); k++) {
      let u = levels_at(k, id, e);
      if (t_map(u) < 0) {
        on_aux &= ~(1u << k);
        la[k] = t_code(best_neighbour(u, k, this_scale, e));
      } else {
        la[k] = u;
      }
    }
    let s = sums(true, e);
    if ((s.y > 0.0 || (e && gt0(s.y))) && prod_gt(s.x, s.x, best, s.y)) {
      scale = div_rn(s.x, s.y);
      best = mul_exact(scale, s.x);
      for (var k = 0u; k < 8u; k++) { lc[k] = la[k]; }
      on_grid = on_aux;
    }
  }
  if (on_grid != 0xffu && fgt(scale, 0.0)) {
    let id = div_rn(1.0, scale);
    for (var k = 0u; k < rolled(8u); k++) {
      if (xxs && ((on_grid >> k) & 1u) == 1u) { continue; }
      let u = levels_at(k, id, e);
      if (t_map(u) < 0) {
        lc[k] = t_code(best_neighbour(u, k, scale, e));
      } else {
        lc[k] = u;
      }
    }
    let s = sums(false, e);
    if (s.y > 0.0 || (e && gt0(s.y))) { scale = div_rn(s.x, s.y); }
  }
  return scale;
}

// The block's bytes after d, assembled in words: IQ3_XXS qs[64] + scales_and_signs[8 x u32]
// (24 words); IQ3_S qs[64] + qh[8] + signs[32] + scales[4] (27 words).
var<private> body: array<u32, 27>;

fn body_byte(i: u32, b: u32) {
  body[i >> 2u] |= (b & 0xffu) << ((i & 3u) * 8u);
}

fn emit_block(d_bits: u32, nwords: u32) {
  out_u16(d_bits);
  for (var w = 0u; w < nwords; w++) {
    let v = body[w];
    out_byte(v);
    out_byte(v >> 8u);
    out_byte(v >> 16u);
    out_byte(v >> 24u);
  }
}

fn scale_code(id: f32, s: f32, top: i32) -> u32 {
  return u32(clamp(nearest_int(0.5 * (no_fma(mul_exact(id, s)) - 1.0)), 0, top));
}

fn encode_iq3_xxs_block(b: u32) {
  cur_block = b;
  if (use_qw) { sigma2_w = super_sigma2(b * 256u); }
  for (var w = 0u; w < 27u; w++) { body[w] = 0u; }
  var scales: array<f32, 8>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < 8u; ib++) {
    let s = group(b * 256u + 32u * ib, true);
    scales[ib] = s;
    if (empty) { continue; }
    if (!scale_ok(s)) { report_abort(2u); }
    for (var k = 0u; k < 8u; k++) { body_byte(8u * ib + k, u32(t_map(lc[k]))); }
    body[16u + ib] = signs[0] | (signs[1] << 7u) | (signs[2] << 14u) | (signs[3] << 21u);
    max_scale = select(s, max_scale, fgt(max_scale, s));
  }
  if (abs_bits(max_scale) == 0u) {
    for (var w = 0u; w < 27u; w++) { body[w] = 0u; }
    emit_block(0u, 24u);
    return;
  }
  let d = div_rn(max_scale, 31.0);
  let id = div_rn(1.0, d);
  for (var ib = 0u; ib < 8u; ib++) { body[16u + ib] |= scale_code(id, scales[ib], 15) << 28u; }
  emit_block(f32_bits_to_f16(bitcast<u32>(mul_exact(d, F_1_0125))), 24u);
}

fn encode_iq3_s_block(b: u32) {
  cur_block = b;
  if (use_qw) { sigma2_w = super_sigma2(b * 256u); }
  for (var w = 0u; w < 27u; w++) { body[w] = 0u; }
  var scales: array<f32, 8>;
  var max_scale = 0.0;
  var qs_at = 0u; // ggml advances qs and signs only past non-empty groups
  for (var ib = 0u; ib < 8u; ib++) {
    let s = group(b * 256u + 32u * ib, false);
    scales[ib] = s;
    if (empty) { continue; }
    if (!scale_ok(s)) { report_abort(2u); }
    for (var k = 0u; k < 8u; k++) {
      let g = u32(t_map(lc[k]));
      body_byte(qs_at + k, g & 255u);
      body_byte(64u + ib, (g >> 8u) << k);
    }
    for (var k = 0u; k < 4u; k++) { body_byte(72u + qs_at / 2u + k, signs[k]); }
    qs_at += 8u;
    max_scale = select(s, max_scale, fgt(max_scale, s));
  }
  if (abs_bits(max_scale) == 0u) {
    emit_block(0u, 27u);
    return;
  }
  let d = div_rn(max_scale, 31.0);
  let id = div_rn(1.0, d);
  for (var ib = 0u; ib < 8u; ib += 2u) {
    body_byte(104u + ib / 2u, scale_code(id, scales[ib], 15) | (scale_code(id, scales[ib + 1u], 15) << 4u));
  }
  emit_block(f32_bits_to_f16(bitcast<u32>(mul_exact(d, F_1_033))), 27u);
}
