// IQ4_NL and IQ4_XS encoders: quantize_row_iq4_nl_impl as quantize_iq4_nl / quantize_iq4_xs call
// it from ggml_quantize_chunk with no importance matrix (ntry = 7, weight = x^2).
//
// Per 32 elements: amax and the signed value `max` at the first largest |x|; d = -max / -127;
// levels by best_index_int8 at x / d; d = sumqx / sumq2; then 15 trial scales
// id = (itry - 127) / max, each kept when sumqx^2 > best * sumq2. IQ4_NL stores that d as f16 and
// re-picks the levels at x / d; IQ4_XS stores d = -max_scale / 32 and a 6-bit l per group
// (nearest_int, clamped to [-32, 31]) and re-picks the levels at x / (d * l).
//
// Exactness: every C division (scales, reciprocals) is div_rn; sums accumulate in C's order,
// sumqx += (w * q) * x with the product kept out of an FMA by no_fma; best_index_int8's bisection
// is replaced by counting levels <= x, which lands on the same bracket [val[mu-1], val[mu]) for
// ascending levels, and its tie rule (x - lo < hi - x, else the upper) is kept as is (a NaN
// goes to the top level, as the bisection does). sumqx^2 > best * sumq2 compares IEEE products
// (prod_gt); a group with max |x| below 2^-20 runs the search with IEEE products and sums on
// bits (its sums may be subnormal, which a GPU may flush). A NaN IQ4_NL scale is stored as
// x86's default NaN (sign set), as ggml's inf / inf produces.
// One lane: two IQ4_NL blocks (36 bytes) or one IQ4_XS block (136 bytes).
//
//#include iquants_common

override WG: u32 = 64u;

// best_index_int8(16, kvalues_iq4nl, x)
fn best_index_iq4(x: f32) -> u32 {
  if (abs_bits(x) > 0x7f800000u) { return 15u; } // NaN falls through ggml's bisection to the top
  if (x <= -127.0) { return 0u; }
  if (x >= 113.0) { return 15u; }
  // the number of levels <= x among levels 1..14, against literal levels (no table reads)
  var mu = 1u;
  mu += select(0u, 1u, x >= -104.0);
  mu += select(0u, 1u, x >= -83.0);
  mu += select(0u, 1u, x >= -65.0);
  mu += select(0u, 1u, x >= -49.0);
  mu += select(0u, 1u, x >= -35.0);
  mu += select(0u, 1u, x >= -22.0);
  mu += select(0u, 1u, x >= -10.0);
  mu += select(0u, 1u, x >= 1.0);
  mu += select(0u, 1u, x >= 13.0);
  mu += select(0u, 1u, x >= 25.0);
  mu += select(0u, 1u, x >= 38.0);
  mu += select(0u, 1u, x >= 53.0);
  mu += select(0u, 1u, x >= 69.0);
  mu += select(0u, 1u, x >= 89.0);
  return select(mu, mu - 1u, x - kv_iq4(mu - 1u) < kv_iq4(mu) - x);
}

var<private> xb: array<f32, 32>;
// With an importance matrix: the group's weights qw * sqrt(sigma2 + x^2), used instead of x^2.
var<private> wb: array<f32, 32>;
var<private> use_wb: bool;

fn load32(at: u32) {
  for (var j = 0u; j < 32u; j++) { xb[j] = src_f32(at + j); }
}

// sumqx, sumq2 of the 32 values in xb at levels best_index(id * x), weight x^2; `e`: IEEE
// arithmetic on bits (a group so small that the sums may be subnormal).
fn sums_at(id: f32, e: bool) -> vec2<f32> {
  var sumqx = 0.0;
  var sumq2 = 0.0;
  for (var j = 0u; j < 32u; j++) {
    let x = xb[j];
    let q = kv_iq4(best_index_iq4(no_fma(id * x)));
    let wq = fmul(select(fmul(x, x, e), wb[j], use_wb), q, e);
    sumqx = fadd(sumqx, fmul(wq, x, e), e);
    sumq2 = fadd(sumq2, fmul(wq, q, e), e);
  }
  return vec2<f32>(sumqx, sumq2);
}

// The scale search of quantize_row_iq4_nl_impl for xb, whose first largest |x| is mx.
fn group_search(mx: f32, e: bool) -> f32 {
  var d = div_rn(-mx, -127.0);
  var s = sums_at(div_rn(1.0, d), e);
  d = select(0.0, div_rn(s.x, s.y), s.y > 0.0 || (e && gt0(s.y)));
  var best = mul_exact(d, s.x);
  for (var itry = -7; itry <= 7 + i32(params.zero); itry++) {
    s = sums_at(div_rn(f32(itry - 127), mx), e);
    if ((s.y > 0.0 || (e && gt0(s.y))) && prod_gt(s.x, s.x, best, s.y)) {
      d = div_rn(s.x, s.y);
      best = mul_exact(d, s.x);
    }
  }
  return d;
}

// The first loop of quantize_row_iq4_nl_impl for the 32 values in xb: the group's scale.
fn group_scale() -> f32 {
  var amax = 0.0;
  var mx = 0.0;
  for (var j = 0u; j < 32u; j++) {
    let ax = abs(xb[j]);
    if (ax > amax) {
      amax = ax;
      mx = xb[j];
    }
  }
  if (amax < F_1EM15) { return 0.0; }
  // one of the two runs (loops run once or never: see iquants_common on SwiftShader)
  let tiny = amax < TINY_GROUP;
  var d = 0.0;
  for (var k = u32(tiny); k < 1u; k++) { d = group_search(mx, false); }
  for (var k = u32(!tiny); k < 1u; k++) { d = group_search(mx, true); }
  return d;
}

// 16 bytes of nibbles for xb at scale 1/id: byte j holds elements j (low) and j + 16 (high).
fn out_nibbles(id: f32) {
  for (var j = 0u; j < 16u; j++) {
    out_byte(best_index_iq4(no_fma(id * xb[j])) | (best_index_iq4(no_fma(id * xb[j + 16u])) << 4u));
  }
}

fn inv_or_zero(d: f32) -> f32 {
  return select(div_rn(1.0, d), 0.0, d == 0.0);
}

@compute @workgroup_size(WG)
fn encode_iq4_nl(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  out_begin(g * 9u);
  for (var i = 0u; i < 2u; i++) {
    load32((2u * g + i) * 32u);
    let d = group_scale();
    // a NaN scale (sums overflowed: inf / inf) is x86's default NaN, which has the sign bit set
    if (abs_bits(d) > 0x7f800000u) {
      out_u16(0xfe00u); // f16 of 0xffc00000
    } else {
      out_f16(d);
    }
    out_nibbles(inv_or_zero(d));
  }
}

@compute @workgroup_size(WG)
fn encode_iq4_xs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  let x0 = b * 256u;
  var scales: array<f32, 8>;
  var max_scale = 0.0;
  var amax_scale = 0.0;
  for (var ib = 0u; ib < 8u; ib++) {
    load32(x0 + 32u * ib);
    let s = group_scale();
    scales[ib] = s;
    if (abs(s) > amax_scale) {
      amax_scale = abs(s);
      max_scale = s;
    }
  }
  xs_finish(b, scales, max_scale);
}

// IQ4_XS once the 8 group scales are known: d, the 6-bit group codes, the re-picked levels.
fn xs_finish(b: u32, scales: array<f32, 8>, max_scale: f32) {
  let x0 = b * 256u;
  let d = div_rn(-max_scale, 32.0);
  let id = inv_or_zero(d);
  var ls: array<i32, 8>;
  var sh = 0u;
  for (var ib = 0u; ib < 8u; ib++) {
    ls[ib] = clamp(nearest_int(id * scales[ib]), -32, 31);
    sh |= (u32(ls[ib] + 32) >> 4u) << (2u * ib);
  }
  out_begin(b * 34u);
  out_f16(d);
  out_u16(sh);
  for (var k = 0u; k < 4u; k++) {
    out_byte((u32(ls[2u * k] + 32) & 0xfu) | ((u32(ls[2u * k + 1u] + 32) & 0xfu) << 4u));
  }
  for (var ib = 0u; ib < 8u; ib++) {
    load32(x0 + 32u * ib);
    out_nibbles(inv_or_zero(d * f32(ls[ib])));
  }
}

// --- with an importance matrix (quantize_iq4_nl / quantize_iq4_xs given quant_weights) ---
// The per-column weights sit at @binding(4), params._p2 the row length (the chunk is whole rows);
// element weights are qw * sqrtf(sigma2 + x^2), sigma2 = sum x^2 * (2 / n) over the super-block
// (32 values for IQ4_NL, 256 for IQ4_XS). Only these entry points read the binding.
@group(0) @binding(4) var<storage, read> qw: array<f32>;

fn sigma2_of(at: u32, n: u32) -> f32 {
  var s = 0.0;
  for (var j = 0u; j < n; j++) {
    let x = src_f32(at + j);
    s += no_fma(x * x);
  }
  return s * (2.0 / f32(n));
}

// wb for the 32 values in xb (elements at..at+31 of the chunk).
fn fill_weights(at: u32, sigma2: f32) {
  let row = params._p2;
  for (var j = 0u; j < 32u; j++) {
    let x = xb[j];
    wb[j] = qw[(at + j) % row] * sqrt_rn(sigma2 + no_fma(x * x));
  }
}

@compute @workgroup_size(WG)
fn encode_iq4_nl_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  use_wb = true;
  out_begin(g * 9u);
  for (var i = 0u; i < 2u; i++) {
    let at = (2u * g + i) * 32u;
    load32(at);
    fill_weights(at, sigma2_of(at, 32u));
    let d = group_scale();
    if (abs_bits(d) > 0x7f800000u) {
      out_u16(0xfe00u);
    } else {
      out_f16(d);
    }
    out_nibbles(inv_or_zero(d));
  }
}

@compute @workgroup_size(WG)
fn encode_iq4_xs_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  use_wb = true;
  let x0 = b * 256u;
  let sigma2 = sigma2_of(x0, 256u);
  var scales: array<f32, 8>;
  var max_scale = 0.0;
  var amax_scale = 0.0;
  for (var ib = 0u; ib < 8u; ib++) {
    load32(x0 + 32u * ib);
    fill_weights(x0 + 32u * ib, sigma2);
    let s = group_scale();
    scales[ib] = s;
    if (abs(s) > amax_scale) {
      amax_scale = abs(s);
      max_scale = s;
    }
  }
  xs_finish(b, scales, max_scale);
}
