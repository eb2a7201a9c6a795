// Encoders for the legacy blocks and Q1_0 / Q2_0, as ggml_quantize_chunk runs them without an
// importance matrix (quantize_q4_0 etc. then call quantize_row_*_ref on the whole chunk).
//
// One invocation encodes one block, or two where the block is not a whole number of words
// (Q4_0, Q5_0, Q8_0, Q1_0, Q2_0: 18, 22, 34 bytes), so every store is a whole u32 word. A block
// is two passes over its 32 (64, 128) values, held in a small private array: find the scale
// (the signed value of largest magnitude, the min and max, the mean |x| or the largest |x|),
// then quantize each value with the reciprocal id = 1/d, exactly as the C does (it multiplies by
// id rather than dividing by d, so the results depend on that rounding too).
//
// Exactness: the C divisions (d = max / -8, 1.0f / d, sum / 128, ...) go through div_rn_fast
// (correctly rounded; WGSL's `/` is not); products feeding an add go through no_fma; float to
// int conversions truncate as C's casts do, and (int8_t) keeps the low byte; roundf rounds half
// away from zero (WGSL's round() does not). The loops keep the C's order and its strict / non-
// strict comparisons, which decide ties between equal magnitudes. NaN and Inf inputs are outside
// the contract: WGSL leaves their arithmetic indeterminate. A GPU may flush subnormal inputs
// (|x| < 2^-126) to zero, so a block made only of such values can differ from ggml there.
// CPU twins: src/codecs/legacy-encode.ts.
//
//#include legacy_io

var<private> xb: array<f32, 32>;

// Loads the 32 values of block b (zeros for a padding block past the end).
fn load_block(b: u32) {
  let live = b < params.n;
  for (var j = 0u; j < 32u; j++) { xb[j] = x_at(b * 32u + j, live); }
}

// The value of largest magnitude, first one on ties (strict <): q4_0 / q5_0's `max`.
fn signed_absmax32() -> f32 {
  var amax = 0.0;
  var mx = 0.0;
  for (var j = 0u; j < 32u; j++) {
    let v = xb[j];
    if (amax < abs(v)) {
      amax = abs(v);
      mx = v;
    }
  }
  return mx;
}

// 1/d, or 0 where d == 0 (C: `d ? 1.0f/d : 0.0f`).
fn recip_or_zero(d: f32) -> f32 {
  if (d != 0.0) { return div_rn_fast(1.0, d); }
  return 0.0;
}

// quantize_row_q4_0_ref (and q5_0 with nmax 16): d = max / -nmax; q = MIN(2 nmax - 1,
// (int8_t)(x * id + nmax + 0.5)). Writes d, then the codes (Q5_0: qh and the nibbles).
fn enc_x_0(b: u32, nmax: f32, five: bool) {
  load_block(b);
  let d = div_rn_fast(signed_absmax32(), -nmax);
  let id = recip_or_zero(d);
  out_f16(d);
  let top = select(15, 31, five);
  let off = nmax + 0.5;
  var qs: array<u32, 16>;
  var qh = 0u;
  for (var j = 0u; j < 16u; j++) {
    let q0 = u32(min(top, int8_trunc(no_fma(xb[j] * id) + off)) & 0xff);
    let q1 = u32(min(top, int8_trunc(no_fma(xb[j + 16u] * id) + off)) & 0xff);
    qs[j] = (q0 & 15u) | ((q1 & 15u) << 4u);
    qh |= ((q0 & 16u) >> 4u) << j;
    qh |= ((q1 & 16u) >> 4u) << (j + 16u);
  }
  if (five) { out_u32(qh); }
  for (var j = 0u; j < 16u; j++) { out_byte(qs[j]); }
}

// quantize_row_q4_1_ref / q5_1_ref: min and max from +-FLT_MAX, d = (max - min) / (2^bits - 1),
// q = (uint8_t)((x - min) * id + 0.5), Q4_1 clamped to 15. Writes d, m, (qh,) nibbles.
fn enc_x_1(b: u32, five: bool) {
  load_block(b);
  var mn = bitcast<f32>(0x7f7fffffu);
  var mx = -mn;
  for (var j = 0u; j < 32u; j++) {
    let v = xb[j];
    if (v < mn) { mn = v; }
    if (v > mx) { mx = v; }
  }
  let d = div_rn_fast(mx - mn, select(15.0, 31.0, five));
  let id = recip_or_zero(d);
  out_f16(d);
  out_f16(mn);
  // Q5_1's (uint8_t) cast has no clamp; a level above 255 cannot occur for finite input
  let top = select(15, 0x7fffffff, five);
  var qs: array<u32, 16>;
  var qh = 0u;
  for (var j = 0u; j < 16u; j++) {
    let u0 = u32(min(top, int8_trunc(no_fma((xb[j] - mn) * id) + 0.5)) & 0xff);
    let u1 = u32(min(top, int8_trunc(no_fma((xb[j + 16u] - mn) * id) + 0.5)) & 0xff);
    qs[j] = (u0 & 15u) | ((u1 & 15u) << 4u);
    qh |= ((u0 & 16u) >> 4u) << j;
    qh |= ((u1 & 16u) >> 4u) << (j + 16u);
  }
  if (five) { out_u32(qh); }
  for (var j = 0u; j < 16u; j++) { out_byte(qs[j]); }
}

// quantize_row_q8_0_ref: amax = MAX(amax, |x|), d = amax / 127, q = roundf(x * id).
fn enc_q8_0(b: u32) {
  load_block(b);
  var amax = 0.0;
  for (var j = 0u; j < 32u; j++) { amax = max(amax, abs(xb[j])); }
  let d = div_rn_fast(amax, 127.0);
  let id = recip_or_zero(d);
  out_f16(d);
  for (var j = 0u; j < 32u; j++) { out_byte(u32(roundf_i(no_fma(xb[j] * id)))); }
}

// quantize_row_q1_0_ref: d = (sum of |x|, in order) / 128; bit j set where x[j] >= 0.
// Q1_0 and Q2_0 read their larger blocks straight from src, twice.
fn enc_q1_0(b: u32) {
  let live = b < params.n;
  let o = b * 128u;
  var sum = 0.0;
  for (var j = 0u; j < 128u; j++) { sum += abs(x_at(o + j, live)); }
  out_f16(div_rn_fast(sum, 128.0));
  for (var k = 0u; k < 16u; k++) {
    var q = 0u;
    for (var t = 0u; t < 8u; t++) {
      if (x_at(o + 8u * k + t, live) >= 0.0) { q |= 1u << t; }
    }
    out_byte(q);
  }
}

// quantize_row_q2_0_ref: d = amax (strict >), id = 1/d, code = clamp(roundf(x * id) + 1, 0, 3).
fn enc_q2_0(b: u32) {
  let live = b < params.n;
  let o = b * 64u;
  var amax = 0.0;
  for (var j = 0u; j < 64u; j++) {
    let a = abs(x_at(o + j, live));
    if (a > amax) { amax = a; }
  }
  var id = 0.0;
  if (amax > 0.0) { id = div_rn_fast(1.0, amax); }
  out_f16(amax);
  for (var k = 0u; k < 16u; k++) {
    var q = 0u;
    for (var t = 0u; t < 4u; t++) {
      let c = clamp(roundf_i(no_fma(x_at(o + 4u * k + t, live) * id)) + 1, 0, 3);
      q |= u32(c) << (2u * t);
    }
    out_byte(q);
  }
}

@compute @workgroup_size(WG)
fn encode_q4_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 18u);
  enc_x_0(b, 8.0, false);
  enc_x_0(b + 1u, 8.0, false);
}

@compute @workgroup_size(WG)
fn encode_q4_1(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 20u);
  enc_x_1(b, false);
}

@compute @workgroup_size(WG)
fn encode_q5_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 22u);
  enc_x_0(b, 16.0, true);
  enc_x_0(b + 1u, 16.0, true);
}

@compute @workgroup_size(WG)
fn encode_q5_1(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 24u);
  enc_x_1(b, true);
}

@compute @workgroup_size(WG)
fn encode_q8_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 34u);
  enc_q8_0(b);
  enc_q8_0(b + 1u);
}

@compute @workgroup_size(WG)
fn encode_q1_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 18u);
  enc_q1_0(b);
  enc_q1_0(b + 1u);
}

@compute @workgroup_size(WG)
fn encode_q2_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = 2u * flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  out_begin(b * 18u);
  enc_q2_0(b);
  enc_q2_0(b + 1u);
}
