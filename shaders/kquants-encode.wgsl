// Encoders for the K-quant super-blocks (256 values), as ggml_quantize_chunk runs them without an
// importance matrix: quantize_q{2..6}_K see quant_weights == NULL and call
// quantize_row_q{2..6}_K_ref, whose steps each function below follows:
//   1. search each group (16 or 32 values) for its best scale (and min) with the helper the C
//      uses (kquants_search.wgsl), keeping the group's levels;
//   2. quantize the group scales (and mins) against their maximum into 4/6/8-bit codes and an
//      f16 super-scale;
//   3. re-quantize every value against the scale the decoder will see (f16 d times the code),
//      except in groups whose decoded scale is 0, which keep the search's levels;
//   4. pack the levels in the block's layout.
// One invocation encodes one block (Q2_K 84, Q4_K 144, Q5_K 176 bytes are whole words) or two
// (Q3_K 110, Q6_K 210 bytes), streaming the bytes out in order as whole words.
//
// Exactness: as kquants_search.wgsl explains (div_rn_fast, sqrt_rn, no_fma, ggml's nearest_int, the
// C's evaluation order and comparisons). Casts keep the low byte where the C stores an int into
// a uint8_t / int8_t. CPU twins: src/codecs/kquants-encode.ts.
//
//#include legacy_io
//#include kquants_search

var<private> scales: array<f32, 16>;
var<private> mins: array<f32, 16>;
var<private> sb: array<u32, 12>; // packed scale bytes (Q3_K, Q4_K, Q5_K)

fn load_group(at: u32, n: u32, live: bool) {
  for (var i = 0u; i < n; i++) { gx[i] = x_at(at + i, live); }
}

// quantize_row_q2_K_ref: 16 groups of 16, make_qkx2_quants(16, 3, |x| weights, -0.5, 0.1, 15,
// use_mad); scale and min codes are nibbles of one byte against max / 15.
fn enc_q2_k(b: u32) {
  let live = b < params.n;
  let o = b * 256u;
  var max_scale = 0.0;
  var max_min = 0.0;
  for (var j = 0u; j < 16u; j++) {
    load_group(o + 16u * j, 16u, live);
    for (var l = 0u; l < 16u; l++) { gw[l] = abs(gx[l]); }
    let r = make_qkx2(16u, 3, -0.5, 15, true);
    scales[j] = r.x;
    mins[j] = r.y;
    keep_levels(16u * j, 16u);
    if (r.x > max_scale) { max_scale = r.x; }
    if (r.y > max_min) { max_min = r.y; }
  }
  var sc: array<u32, 16>;
  var dh = 0u;
  var mh = 0u;
  if (max_scale > 0.0) {
    let iscale = div_rn_fast(15.0, max_scale);
    for (var j = 0u; j < 16u; j++) { sc[j] = bitcast<u32>(nearest_int(iscale * scales[j])) & 0xffu; }
    dh = f32_bits_to_f16(bitcast<u32>(div_rn_fast(max_scale, 15.0)));
  }
  if (max_min > 0.0) {
    let iscale = div_rn_fast(15.0, max_min);
    for (var j = 0u; j < 16u; j++) { sc[j] = (sc[j] | (bitcast<u32>(nearest_int(iscale * mins[j])) << 4u)) & 0xffu; }
    mh = f32_bits_to_f16(bitcast<u32>(div_rn_fast(max_min, 15.0)));
  }
  q2_finish(o, live, sc, dh, mh);
}

// The rest of quantize_row_q2_K_ref / _impl once the scale|min codes and d, dmin are chosen.
fn q2_finish(o: u32, live: bool, sc: array<u32, 16>, dh: u32, mh: u32) {
  let dv = f16_to_f32(dh);
  let mv = f16_to_f32(mh);
  for (var j = 0u; j < 16u; j++) {
    let d = dv * f32(sc[j] & 15u);
    if (d == 0.0) { continue; }
    let dm = no_fma(mv * f32(sc[j] >> 4u)); // rounded before x + dm, as the C stores it
    for (var i = 0u; i < 16u; i++) {
      set_level(16u * j + i, u32(clamp(nearest_div(x_at(o + 16u * j + i, live) + dm, d), 0, 3)));
    }
  }
  for (var j = 0u; j < 16u; j++) { out_byte(sc[j]); }
  out_pack2();
  out_half(dh);
  out_half(mh);
}

// The Q3_K scale code j (six bits, re-centred at 0) from sb.
fn q3_code(j: u32) -> i32 {
  var lo: u32;
  if (j < 8u) { lo = sb[j] & 15u; } else { lo = sb[j - 8u] >> 4u; }
  return i32(lo | (((sb[8u + (j & 3u)] >> (2u * (j >> 2u))) & 3u) << 4u)) - 32;
}

// quantize_row_q3_K_ref: 16 groups of 16, make_q3_quants(16, 4, do_rmse); signed 6-bit scale
// codes against the scale of largest magnitude (d = 1 / (-32 / max)); levels -4..3 split into
// hmask (the high bit) and 2-bit qs.
fn enc_q3_k(b: u32) {
  let live = b < params.n;
  let o = b * 256u;
  var max_scale = 0.0;
  var amax = 0.0;
  for (var j = 0u; j < 16u; j++) {
    load_group(o + 16u * j, 16u, live);
    let s = make_q3(16u, 4);
    scales[j] = s;
    keep_levels(16u * j, 16u);
    if (abs(s) > amax) {
      amax = abs(s);
      max_scale = s;
    }
  }
  for (var k = 0u; k < 12u; k++) { sb[k] = 0u; }
  var dh = 0u;
  if (max_scale != 0.0) {
    let iscale = div_rn_fast(-32.0, max_scale);
    for (var j = 0u; j < 16u; j++) {
      let l8 = (nearest_int(iscale * scales[j]) << 24u) >> 24u;
      let l = u32(clamp(l8, -32, 31) + 32);
      if (j < 8u) { sb[j] = l & 15u; } else { sb[j - 8u] |= (l & 15u) << 4u; }
      sb[8u + (j & 3u)] |= (l >> 4u) << (2u * (j >> 2u));
    }
    dh = f32_bits_to_f16(bitcast<u32>(div_rn_fast(1.0, iscale)));
  }
  q3_finish(o, live, dh);
}

// The rest of quantize_row_q3_K_ref / _impl once the scale codes are in sb and the groups'
// levels kept: re-quantized levels against the decoded scales, hmask, qs, scales, d.
fn q3_finish(o: u32, live: bool, dh: u32) {
  let dv = f16_to_f32(dh);
  for (var j = 0u; j < 16u; j++) {
    let d = dv * f32(q3_code(j));
    if (d == 0.0) { continue; }
    for (var i = 0u; i < 16u; i++) {
      set_level(16u * j + i, u32(clamp(nearest_div(x_at(o + 16u * j + i, live), d), -4, 3) + 4));
    }
  }
  // hmask[m] bit k is the high bit of level 32k + m
  for (var m = 0u; m < 32u; m++) {
    var h = 0u;
    for (var k = 0u; k < 8u; k++) { h |= ((level(32u * k + m) >> 2u) & 1u) << k; }
    out_byte(h);
  }
  out_pack2();
  for (var k = 0u; k < 12u; k++) { out_byte(sb[k]); }
  out_half(dh);
}

// quantize_row_q4_K_ref / q5_K_ref: 8 groups of 32, weights av_x + |x| with
// av_x = sqrtf(sum x^2 / 32), make_qkx2_quants(32, nmax, w, rmin, 0.1, nstep, false); 6-bit
// scale and min codes against max / 63, packed as get_scale_min_k4 reads them.
fn enc_q45_k(b: u32, nmax: i32, rmin: f32, nstep: i32) {
  let live = b < params.n;
  let o = b * 256u;
  var max_scale = 0.0;
  var max_min = 0.0;
  for (var j = 0u; j < 8u; j++) {
    load_group(o + 32u * j, 32u, live);
    var sum_x2 = 0.0;
    for (var l = 0u; l < 32u; l++) { sum_x2 += no_fma(gx[l] * gx[l]); }
    let av_x = sqrt_rn(div_rn_fast(sum_x2, 32.0));
    for (var l = 0u; l < 32u; l++) { gw[l] = av_x + abs(gx[l]); }
    let r = make_qkx2(32u, nmax, rmin, nstep, false);
    scales[j] = r.x;
    mins[j] = r.y;
    keep_levels(32u * j, 32u);
    if (r.x > max_scale) { max_scale = r.x; }
    if (r.y > max_min) { max_min = r.y; }
  }
  var inv_scale = 0.0;
  var inv_min = 0.0;
  if (max_scale > 0.0) { inv_scale = div_rn_fast(63.0, max_scale); }
  if (max_min > 0.0) { inv_min = div_rn_fast(63.0, max_min); }
  for (var j = 0u; j < 8u; j++) {
    let ls = min(63u, bitcast<u32>(nearest_int(inv_scale * scales[j])) & 0xffu);
    let lm = min(63u, bitcast<u32>(nearest_int(inv_min * mins[j])) & 0xffu);
    if (j < 4u) {
      sb[j] = ls;
      sb[j + 4u] = lm;
    } else {
      sb[j + 4u] = (ls & 15u) | ((lm & 15u) << 4u);
      sb[j - 4u] |= (ls >> 4u) << 6u;
      sb[j] |= (lm >> 4u) << 6u;
    }
  }
  let dh = f32_bits_to_f16(bitcast<u32>(div_rn_fast(max_scale, 63.0)));
  let mh = f32_bits_to_f16(bitcast<u32>(div_rn_fast(max_min, 63.0)));
  q45_finish(o, live, nmax, dh, mh);
}

// The rest of quantize_row_q4_K/q5_K_ref / _impl once the codes are in sb and d, dmin chosen.
fn q45_finish(o: u32, live: bool, nmax: i32, dh: u32, mh: u32) {
  let dv = f16_to_f32(dh);
  let mv = f16_to_f32(mh);
  for (var j = 0u; j < 8u; j++) {
    var sc: u32;
    var m: u32;
    if (j < 4u) {
      sc = sb[j] & 63u;
      m = sb[j + 4u] & 63u;
    } else {
      sc = (sb[j + 4u] & 15u) | ((sb[j - 4u] >> 6u) << 4u);
      m = (sb[j + 4u] >> 4u) | ((sb[j] >> 6u) << 4u);
    }
    let d = dv * f32(sc);
    if (d == 0.0) { continue; }
    let dm = no_fma(mv * f32(m));
    for (var i = 0u; i < 32u; i++) {
      set_level(32u * j + i, u32(clamp(nearest_div(x_at(o + 32u * j + i, live) + dm, d), 0, nmax)));
    }
  }
  out_half(dh);
  out_half(mh);
  for (var k = 0u; k < 12u; k++) { out_byte(sb[k]); }
  if (nmax == 31) {
    // qh[l] bit 2c (2c + 1) is the fifth bit of level 64c + l (64c + 32 + l)
    for (var l = 0u; l < 32u; l++) {
      var h = 0u;
      for (var c = 0u; c < 4u; c++) {
        h |= ((level(64u * c + l) >> 4u) & 1u) << (2u * c);
        h |= ((level(64u * c + 32u + l) >> 4u) & 1u) << (2u * c + 1u);
      }
      out_byte(h);
    }
  }
  for (var c = 0u; c < 4u; c++) {
    for (var l = 0u; l < 32u; l++) {
      out_byte((level(64u * c + l) & 15u) | ((level(64u * c + 32u + l) & 15u) << 4u));
    }
  }
}

// quantize_row_q6_K_ref: 16 groups of 16, make_qx_quants(16, 32, rmse_type 1); int8 scale
// codes against the scale of largest magnitude (d = 1 / (-128 / max)); 6-bit levels split into
// ql nibbles and qh pairs. A block whose scales are all below GROUP_MAX_EPS is all zero bytes.
fn enc_q6_k(b: u32) {
  let live = b < params.n;
  let o = b * 256u;
  var max_scale = 0.0;
  var max_abs = 0.0;
  for (var g = 0u; g < 16u; g++) {
    load_group(o + 16u * g, 16u, live);
    let s = make_qx_rmse1(16u, 32);
    scales[g] = s;
    keep_levels(16u * g, 16u);
    if (abs(s) > max_abs) {
      max_abs = abs(s);
      max_scale = s;
    }
  }
  q6_finish(o, live, max_scale, max_abs);
}

// The rest of quantize_row_q6_K_ref / _impl once the 16 group scales are in `scales` and their
// levels kept: the int8 scale codes, the re-quantized levels, the packing.
fn q6_finish(o: u32, live: bool, max_scale: f32, max_abs: f32) {
  if (max_abs < bitcast<f32>(GROUP_MAX_EPS_BITS)) {
    for (var k = 0u; k < 210u; k++) { out_byte(0u); }
    return;
  }
  let iscale = div_rn_fast(-128.0, max_scale);
  let dh = f32_bits_to_f16(bitcast<u32>(div_rn_fast(1.0, iscale)));
  let dv = f16_to_f32(dh);
  var sc: array<u32, 16>;
  for (var g = 0u; g < 16u; g++) { sc[g] = bitcast<u32>(min(127, nearest_int(iscale * scales[g]))) & 0xffu; }
  for (var j = 0u; j < 16u; j++) {
    let d = dv * f32(sbyte(sc[j], 0u));
    if (d == 0.0) { continue; }
    for (var i = 0u; i < 16u; i++) {
      set_level(16u * j + i, u32(clamp(nearest_div(x_at(o + 16u * j + i, live), d), -32, 31) + 32));
    }
  }
  for (var h = 0u; h < 256u; h += 128u) {
    for (var l = 0u; l < 32u; l++) { out_byte((level(h + l) & 15u) | ((level(h + l + 64u) & 15u) << 4u)); }
    for (var l = 0u; l < 32u; l++) { out_byte((level(h + l + 32u) & 15u) | ((level(h + l + 96u) & 15u) << 4u)); }
  }
  for (var h = 0u; h < 256u; h += 128u) {
    for (var l = 0u; l < 32u; l++) {
      let a = level(h + l) >> 4u;
      let b = level(h + l + 32u) >> 4u;
      let c = level(h + l + 64u) >> 4u;
      let d = level(h + l + 96u) >> 4u;
      out_byte(a | (b << 2u) | (c << 4u) | (d << 6u));
    }
  }
  for (var g = 0u; g < 16u; g++) { out_byte(sc[g]); }
  out_half(dh);
}

// --- with an importance matrix (quant_weights), as ggml_quantize_chunk runs quantize_q6_K then ---
// The per-column weights sit at @binding(4), one per element of a row; params._p2 is the row
// length (a chunk is whole rows, so element e of the chunk has column e % row length). Only the
// weighted entry points use the binding, so the others' layouts do not have it.
@group(0) @binding(4) var<storage, read> qw: array<f32>;

// make_qx_quants(n, nmax, gx, gl, rmse_type = 1, qw): as make_qx_rmse1 with the importance
// weights of the group's columns (loaded into gw) in place of x^2.
fn make_qx_w(n: u32, nmax: i32) -> f32 {
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
    let w = gw[i];
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
      let w = gw[i];
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

// quantize_row_q6_K_impl with quant_weights: make_qx_quants weighted by the importances alone.
fn enc_q6_k_w(b: u32) {
  let live = b < params.n;
  let o = b * 256u;
  let row = params._p2;
  var max_scale = 0.0;
  var max_abs = 0.0;
  for (var g = 0u; g < 16u; g++) {
    load_group(o + 16u * g, 16u, live);
    for (var i = 0u; i < 16u; i++) { gw[i] = qw[(o + 16u * g + i) % row]; }
    let s = make_qx_w(16u, 32);
    scales[g] = s;
    keep_levels(16u * g, 16u);
    if (abs(s) > max_abs) {
      max_abs = abs(s);
      max_scale = s;
    }
  }
  q6_finish(o, live, max_scale, max_abs);
}

// Per-block mean square for the weighted K-quants: sum of x^2 over the 256 values, times k
// (1 for Q2_K, 2 for Q3_K..Q5_K), over 256.
fn block_sigma2(o: u32, live: bool, k: f32) -> f32 {
  var s = 0.0;
  for (var i = 0u; i < 256u; i++) {
    let v = x_at(o + i, live);
    s += no_fma(v * v);
  }
  return div_rn_fast(k * s, 256.0);
}

// gw[i] = qw[column] * sqrtf(sigma2 + x^2) for the group loaded in gx (elements o..o+n of the
// chunk); returns their sum, the group's weight in the scale search.
fn group_weights_w(o: u32, n: u32, sigma2: f32) -> f32 {
  let row = params._p2;
  for (var i = 0u; i < n; i++) {
    let v = gx[i];
    gw[i] = qw[(o + i) % row] * sqrt_rn(sigma2 + no_fma(v * v));
  }
  var sum = 0.0;
  for (var i = 0u; i < n; i++) { sum += gw[i]; }
  return sum;
}

const RMIN_QKX3_BITS = 0xbf666666u; // -0.9f
const RDELTA_QKX3_BITS = 0x3d4ccccdu; // 0.05f

// make_qkx3_quants(n, nmax, gx, gw, gl, &min, Laux = ga, -0.9, 0.05, nstep, use_mad = false):
// asymmetric levels 0..nmax; returns (scale, -min). Every product that meets an add is rounded
// first (no_fma), divisions correctly rounded, sums in the C's order.
fn make_qkx3_w(n: u32, nmax: i32, nstep: i32) -> vec2<f32> {
  var mn = gx[0];
  var mx = gx[0];
  var sum_w = gw[0];
  var sum_x = no_fma(sum_w * gx[0]);
  for (var i = 1u; i < n; i++) {
    let v = gx[i];
    if (v < mn) { mn = v; }
    if (v > mx) { mx = v; }
    let wi = gw[i];
    sum_w += wi;
    sum_x += no_fma(wi * v);
  }
  if (mn > 0.0) { mn = 0.0; }
  if (mx <= mn) {
    for (var i = 0u; i < n; i++) { gl[i] = 0; }
    return vec2<f32>(0.0, -mn);
  }
  let fnmax = f32(nmax);
  var iscale = div_rn_fast(fnmax, mx - mn);
  var scale = div_rn_fast(1.0, iscale);
  var best_mad = 0.0;
  for (var i = 0u; i < n; i++) {
    let l = clamp(nearest_int(iscale * (gx[i] - mn)), 0, nmax);
    gl[i] = l;
    let diff = (no_fma(scale * f32(l)) + mn) - gx[i];
    best_mad += no_fma(gw[i] * no_fma(diff * diff));
  }
  let rmin = bitcast<f32>(RMIN_QKX3_BITS);
  let rdelta = bitcast<f32>(RDELTA_QKX3_BITS);
  for (var is = 0; is <= nstep; is++) {
    // no_regroup(): SwiftShader turned (-0.9 + 0.05 is) + nmax into 0.05 is + (nmax - 0.9)
    iscale = div_rn_fast(no_regroup(rmin + no_fma(rdelta * f32(is))) + fnmax, mx - mn);
    var sum_l = 0.0;
    var sum_l2 = 0.0;
    var sum_xl = 0.0;
    for (var i = 0u; i < n; i++) {
      let v = gx[i];
      let l = clamp(nearest_int(iscale * (v - mn)), 0, nmax);
      ga[i] = l;
      let fl = f32(l);
      let wl = no_fma(gw[i] * fl);
      sum_l += wl;
      sum_l2 += no_fma(wl * fl);
      sum_xl += no_fma(wl * v);
    }
    let D = no_fma(sum_w * sum_l2) - no_fma(sum_l * sum_l);
    if (D > 0.0) {
      var this_scale = div_rn_fast(no_fma(sum_w * sum_xl) - no_fma(sum_x * sum_l), D);
      var this_min = div_rn_fast(no_fma(sum_l2 * sum_x) - no_fma(sum_l * sum_xl), D);
      if (this_min > 0.0) {
        this_min = 0.0;
        this_scale = div_rn_fast(sum_xl, sum_l2);
      }
      var mad = 0.0;
      for (var i = 0u; i < n; i++) {
        let diff = (no_fma(this_scale * f32(ga[i])) + this_min) - gx[i];
        mad += no_fma(gw[i] * no_fma(diff * diff));
      }
      if (mad < best_mad) {
        for (var i = 0u; i < n; i++) { gl[i] = ga[i]; }
        best_mad = mad;
        scale = this_scale;
        mn = this_min;
      }
    }
  }
  return vec2<f32>(scale, -mn);
}

// make_qp_quants(n, nmax, gx, gl, gw): non-negative levels (stored as the C's uint8_t, so a
// negative one wraps) for the super-block's scales or mins, refined by up to five passes of
// single-level moves; returns the scale.
fn make_qp_w(n: u32, nmax: i32) -> f32 {
  var mx = 0.0;
  for (var i = 0u; i < n; i++) { mx = max(mx, gx[i]); }
  if (mx < bitcast<f32>(GROUP_MAX_EPS_BITS)) {
    for (var i = 0u; i < n; i++) { gl[i] = 0; }
    return 0.0;
  }
  let fnmax = f32(nmax);
  var iscale = div_rn_fast(fnmax, mx);
  for (var i = 0u; i < n; i++) { gl[i] = nearest_int(iscale * gx[i]) & 0xff; }
  let scale = div_rn_fast(1.0, iscale);
  var best_mse = 0.0;
  for (var i = 0u; i < n; i++) {
    let diff = gx[i] - no_fma(scale * f32(gl[i]));
    best_mse += no_fma(no_fma(gw[i] * diff) * diff);
  }
  let tenth = bitcast<f32>(TENTH_BITS);
  for (var is = -4; is <= 4; is++) {
    if (is == 0) { continue; }
    let iscale_is = div_rn_fast(no_fma(tenth * f32(is)) + fnmax, mx);
    let scale_is = div_rn_fast(1.0, iscale_is);
    var mse = 0.0;
    for (var i = 0u; i < n; i++) {
      let l = min(nmax, nearest_int(iscale_is * gx[i]));
      let diff = gx[i] - no_fma(scale_is * f32(l));
      mse += no_fma(no_fma(gw[i] * diff) * diff);
    }
    if (mse < best_mse) {
      best_mse = mse;
      iscale = iscale_is;
    }
  }
  var sumlx = 0.0;
  var suml2 = 0.0;
  for (var i = 0u; i < n; i++) {
    let l = min(nmax, nearest_int(iscale * gx[i]));
    gl[i] = l & 0xff;
    let wi = gw[i];
    let fl = f32(l);
    sumlx += no_fma(no_fma(wi * gx[i]) * fl);
    suml2 += no_fma(no_fma(wi * fl) * fl);
  }
  for (var itry = 0; itry < 5; itry++) {
    var changed = 0;
    for (var i = 0u; i < n; i++) {
      let wi = gw[i];
      let li = f32(gl[i]);
      var slx = sumlx - no_fma(no_fma(wi * gx[i]) * li);
      var sl2 = suml2 - no_fma(no_fma(wi * li) * li);
      if (slx > 0.0 && sl2 > 0.0) {
        let new_l = min(nmax, nearest_int(div_rn_fast(gx[i] * sl2, slx)));
        if (new_l != gl[i]) {
          let fn_l = f32(new_l);
          slx += no_fma(no_fma(wi * gx[i]) * fn_l);
          sl2 += no_fma(no_fma(wi * fn_l) * fn_l);
          if (prod3_gt(slx, slx, suml2, sumlx, sumlx, sl2)) {
            gl[i] = new_l & 0xff;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed == 0) { break; }
  }
  if (suml2 > 0.0) { return div_rn_fast(sumlx, suml2); }
  return 0.0;
}

// quantize_row_q2_K_impl with quant_weights: make_qkx3_quants(16, 3) per group weighted by
// qw * sqrt(sigma2 + x^2) (sigma2 the block's mean square), scales and mins by make_qp_quants.
fn enc_q2_k_w(b: u32) {
  let live = b < params.n;
  let o = b * 256u;
  let sigma2 = block_sigma2(o, live, 1.0);
  var sw: array<f32, 16>;
  for (var j = 0u; j < 16u; j++) {
    load_group(o + 16u * j, 16u, live);
    sw[j] = group_weights_w(o + 16u * j, 16u, sigma2);
    let r = make_qkx3_w(16u, 3, 36);
    scales[j] = r.x;
    mins[j] = r.y;
    keep_levels(16u * j, 16u);
  }
  var sc: array<u32, 16>;
  for (var j = 0u; j < 16u; j++) { gx[j] = scales[j]; gw[j] = sw[j]; }
  let dh = f32_bits_to_f16(bitcast<u32>(make_qp_w(16u, 15)));
  for (var j = 0u; j < 16u; j++) { sc[j] = u32(gl[j]); }
  for (var j = 0u; j < 16u; j++) { gx[j] = mins[j]; gw[j] = sw[j]; }
  let mh = f32_bits_to_f16(bitcast<u32>(make_qp_w(16u, 15)));
  for (var j = 0u; j < 16u; j++) { sc[j] = (sc[j] | (u32(gl[j]) << 4u)) & 0xffu; }
  q2_finish(o, live, sc, dh, mh);
}

// quantize_row_q4_K_impl / q5_K_impl with quant_weights: make_qkx3_quants(32, nmax) per group
// weighted by qw * sqrt(sigma2 + x^2), the 6-bit scale and min codes by make_qp_quants(8, 63).
fn enc_q45_k_w(b: u32, nmax: i32) {
  let live = b < params.n;
  let o = b * 256u;
  let sigma2 = block_sigma2(o, live, 2.0);
  var sw: array<f32, 8>;
  for (var j = 0u; j < 8u; j++) {
    load_group(o + 32u * j, 32u, live);
    sw[j] = group_weights_w(o + 32u * j, 32u, sigma2);
    let r = make_qkx3_w(32u, nmax, 36);
    scales[j] = r.x;
    mins[j] = r.y;
    keep_levels(32u * j, 32u);
  }
  var ls: array<u32, 8>;
  for (var j = 0u; j < 8u; j++) { gx[j] = scales[j]; gw[j] = sw[j]; }
  let dh = f32_bits_to_f16(bitcast<u32>(make_qp_w(8u, 63)));
  for (var j = 0u; j < 8u; j++) { ls[j] = min(63u, u32(gl[j])); }
  for (var j = 0u; j < 8u; j++) { gx[j] = mins[j]; gw[j] = sw[j]; }
  let mh = f32_bits_to_f16(bitcast<u32>(make_qp_w(8u, 63)));
  for (var j = 0u; j < 8u; j++) {
    let lm = min(63u, u32(gl[j]));
    if (j < 4u) {
      sb[j] = ls[j];
      sb[j + 4u] = lm;
    } else {
      sb[j + 4u] = (ls[j] & 15u) | ((lm & 15u) << 4u);
      sb[j - 4u] |= (ls[j] >> 4u) << 6u;
      sb[j] |= (lm >> 4u) << 6u;
    }
  }
  q45_finish(o, live, nmax, dh, mh);
}

@compute @workgroup_size(WG)
fn encode_q2_k_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 84u);
  enc_q2_k_w(b);
}

@compute @workgroup_size(WG)
fn encode_q4_k_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 144u);
  enc_q45_k_w(b, 15);
}

@compute @workgroup_size(WG)
fn encode_q5_k_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 176u);
  enc_q45_k_w(b, 31);
}

// quantize_row_q3_K_impl with quant_weights: make_qx_quants(16, 4) per group weighted by
// qw * sqrt(sigma2 + x^2), then the 16 scales by make_qx_quants(16, 32) weighted by the groups'
// weight sums; the codes are the search's levels (no max-based rounding).
fn enc_q3_k_w(b: u32) {
  let live = b < params.n;
  let o = b * 256u;
  let sigma2 = block_sigma2(o, live, 2.0);
  var sw: array<f32, 16>;
  for (var j = 0u; j < 16u; j++) {
    load_group(o + 16u * j, 16u, live);
    sw[j] = group_weights_w(o + 16u * j, 16u, sigma2);
    scales[j] = make_qx_w(16u, 4);
    keep_levels(16u * j, 16u);
  }
  for (var j = 0u; j < 16u; j++) {
    gx[j] = scales[j];
    gw[j] = sw[j];
  }
  let d_block = make_qx_w(16u, 32);
  for (var k = 0u; k < 12u; k++) { sb[k] = 0u; }
  for (var j = 0u; j < 16u; j++) {
    let l = u32(gl[j]);
    if (j < 8u) { sb[j] = l & 15u; } else { sb[j - 8u] |= (l & 15u) << 4u; }
    sb[8u + (j & 3u)] |= (l >> 4u) << (2u * (j >> 2u));
  }
  q3_finish(o, live, f32_bits_to_f16(bitcast<u32>(d_block)));
}

@compute @workgroup_size(WG)
fn encode_q3_k_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 110u);
  enc_q3_k_w(b);
  enc_q3_k_w(b + 1u);
}

@compute @workgroup_size(WG)
fn encode_q6_k_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 210u);
  enc_q6_k_w(b);
  enc_q6_k_w(b + 1u);
}

@compute @workgroup_size(WG)
fn encode_q2_k(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 84u);
  enc_q2_k(b);
}

@compute @workgroup_size(WG)
fn encode_q3_k(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 110u);
  enc_q3_k(b);
  enc_q3_k(b + 1u);
}

@compute @workgroup_size(WG)
fn encode_q4_k(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 144u);
  enc_q45_k(b, 15, -1.0, 20);
}

@compute @workgroup_size(WG)
fn encode_q5_k(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 176u);
  enc_q45_k(b, 31, -0.5, 15);
}

@compute @workgroup_size(WG)
fn encode_q6_k(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 210u);
  enc_q6_k(b);
  enc_q6_k(b + 1u);
}

// --- Q4_0, Q4_1, Q5_0, Q5_1 with an importance matrix (quantize_row_q{4,5}_{0,1}_impl) ---
// Element weights qw * sqrtf(sigma2 + x^2) with sigma2 the whole row's mean square (each lane
// sums its block's row in order); Q*_0 scales by make_qx_quants, Q*_1 scale and min by
// make_qkx3_quants. CPU twins: src/codecs/legacy-encode-imatrix.ts.

fn row_sigma2(o: u32, live: bool) -> f32 {
  let row = params._p2;
  let start = (o / row) * row;
  var s = 0.0;
  for (var i = 0u; i < row; i++) {
    let v = x_at(start + i, live);
    s += no_fma(v * v);
  }
  return div_rn_fast(s, f32(row));
}

fn out_legacy_nibbles() {
  for (var j = 0u; j < 16u; j++) { out_byte((u32(gl[j]) & 15u) | ((u32(gl[j + 16u]) & 15u) << 4u)); }
}

fn out_legacy_high() {
  var qh = 0u;
  for (var j = 0u; j < 16u; j++) {
    qh |= ((u32(gl[j]) & 16u) >> 4u) << j;
    qh |= ((u32(gl[j + 16u]) & 16u) >> 4u) << (j + 16u);
  }
  out_byte(qh);
  out_byte(qh >> 8u);
  out_byte(qh >> 16u);
  out_byte(qh >> 24u);
}

fn enc_legacy_w(b: u32, nmax: i32, asym: bool, five: bool) {
  let live = b < params.n;
  let o = b * 32u;
  let sigma2 = row_sigma2(o, live);
  load_group(o, 32u, live);
  group_weights_w(o, 32u, sigma2);
  if (asym) {
    let r = make_qkx3_w(32u, nmax, 36);
    out_half(f32_bits_to_f16(bitcast<u32>(r.x)));
    out_half(f32_bits_to_f16(bitcast<u32>(-r.y)));
  } else {
    out_half(f32_bits_to_f16(bitcast<u32>(make_qx_w(32u, nmax))));
  }
  if (five) { out_legacy_high(); }
  out_legacy_nibbles();
}

@compute @workgroup_size(WG)
fn encode_q4_0_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 18u);
  enc_legacy_w(b, 8, false, false);
  enc_legacy_w(b + 1u, 8, false, false);
}

@compute @workgroup_size(WG)
fn encode_q4_1_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 20u);
  enc_legacy_w(b, 15, true, false);
}

@compute @workgroup_size(WG)
fn encode_q5_0_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 22u);
  enc_legacy_w(b, 16, false, true);
  enc_legacy_w(b + 1u, 16, false, true);
}

@compute @workgroup_size(WG)
fn encode_q5_1_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 24u);
  enc_legacy_w(b, 31, true, true);
}
