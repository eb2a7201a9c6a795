// MXFP4 and NVFP4: E2M1 elements (ggml keeps them doubled: kvalues_mxfp4) with a scale per
// group, E8M0 per 32 (MXFP4, block 17 bytes) or unsigned E4M3 per 16 (NVFP4, 64 per block of
// 36 bytes).
//
// Decoders (dequantize_row_mxfp4 / dequantize_row_nvfp4): 8 outputs per lane; kvalue * d is a
// small integer times a power of two or a 4-bit significand, so the product is exact; with an
// E8M0 exponent of 0 or 1 the scale and products are float32 subnormals, which a GPU may flush,
// so those blocks multiply on bits (fmul).
//
// Encoders (quantize_row_mxfp4_ref / quantize_row_nvfp4_ref): one lane per 4 MXFP4 blocks
// (68 bytes) or 1 NVFP4 block (36 bytes). amax with C's `if (amax < |v|)`; the MXFP4 exponent
// is floorf(log2f(amax)) - 2 + 127 cast to uint8_t, computed without log2 (mxfp4_exponent);
// NVFP4's scale is ggml_fp32_to_ue4m3(amax / 6) with div_rn. best_index_mxfp4 scans the 16
// levels in order and keeps the first smallest |kvalue * d - x|; kvalue * d is exact, so a
// fused multiply-add would not change it. amax compares |x| as bits (a subnormal is not zero);
// a block with a subnormal-range scale computes the errors on bits.
//
//#include iquants_common

override WG: u32 = 256u;

const MXFP4_SIZE: u32 = 17u;
const NVFP4_SIZE: u32 = 36u;

// kvalues_mxfp4 by 4-bit code: 0, 1, 2, 3, 4, 6, 8, 12 and their negatives (code 8 is -0 = 0).
fn kv_fp4(c: u32) -> f32 {
  let m = i32(c & 7u);
  let mag = select(select(m, 2 * m - 4, m >= 4), 4 * m - 16, m >= 6);
  return f32(select(mag, -mag, c >= 8u)); // integer negation: code 8 is +0, as the int8 0
}

// ggml_e8m0_to_fp32_half: 2^(e - 128); e = 0 and 1 are float32 subnormals.
fn e8m0_half(e: u32) -> f32 {
  return bitcast<f32>(select((e - 1u) << 23u, 0x00200000u << e, e < 2u));
}

// ggml_ue4m3_to_fp32 (which includes the factor 0.5 of the doubled levels); the top bit is
// ignored, 0 and 0x7F read as zero.
fn ue4m3_half(x: u32) -> f32 {
  if (x == 0u || x == 0x7fu) { return 0.0; }
  let e = (x >> 3u) & 0xfu;
  let m = x & 7u;
  if (e == 0u) {
    return f32(m) * bitcast<f32>(117u << 23u); // m * 2^-9 * 0.5
  }
  return f32(8u + m) * bitcast<f32>((e + 116u) << 23u); // (1 + m/8) * 2^(e-7) * 0.5 = (8 + m) 2^(e-11)
}

@compute @workgroup_size(WG)
fn decode_mxfp4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 4u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * MXFP4_SIZE;
  let e = src_byte(base);
  let d = e8m0_half(e);
  let sub = e < 2u; // d and the products are subnormal: IEEE products on bits
  // part p: elements 4p..4p+3 (low nibbles of qs[4p..]) and 16+4p.. (high nibbles)
  let q = src_u32_at(base + 1u + 4u * lane.part);
  let out = lane.block * 32u + 4u * lane.part;
  for (var k = 0u; k < 4u; k++) {
    let b = q >> (8u * k);
    put_f32(out + k, fmul(kv_fp4(b & 0xfu), d, sub));
    put_f32(out + 16u + k, fmul(kv_fp4((b >> 4u) & 0xfu), d, sub));
  }
}

@compute @workgroup_size(WG)
fn decode_nvfp4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 8u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * NVFP4_SIZE;
  // part p: sub-block s = p / 2, elements 4h..4h+3 and 8+4h.. of it, h = p % 2
  let s = lane.part / 2u;
  let h = lane.part % 2u;
  let d = ue4m3_half(src_byte(base + s));
  let q = src[(base + 4u + 8u * s + 4u * h) >> 2u]; // word aligned: 36 * block + 4 + 8s + 4h
  let out = lane.block * 64u + 16u * s + 4u * h;
  for (var k = 0u; k < 4u; k++) {
    let b = q >> (8u * k);
    put_f32(out + k, kv_fp4(b & 0xfu) * d);
    put_f32(out + 8u + k, kv_fp4((b >> 4u) & 0xfu) * d);
  }
}

// best_index_mxfp4: first index of the smallest |kvalue * e - x| (NaN errors never win). With
// `ex` (a scale near the subnormal range) the errors are IEEE results on bits (fmul, fadd, flt).
fn best_index_fp4(x: f32, e: f32, ex: bool) -> u32 {
  var best = 0u;
  var best_err = abs(fadd(fmul(kv_fp4(0u), e, ex), neg(x), ex));
  for (var i = 1u; i < 16u; i++) {
    let err = abs(fadd(fmul(kv_fp4(i), e, ex), neg(x), ex));
    if (flt(err, best_err, ex)) {
      best = i;
      best_err = err;
    }
  }
  return best;
}

// floorf(log2f(amax)) - 2 + 127 as uint8_t, for amax > 0. log2f(amax) is E + log2(m), m in
// [1, 2); rounded to float it reaches E + 1 when m = 2 - k 2^-23 is close enough to 2:
// log2 = E + 1 - eps with eps ~ k 2^-24 / ln 2, and fl() returns E + 1 when eps is below half
// the float spacing next to E + 1, which for a spacing of 2^(p - 23) means k <= floor(2^p ln 2).
// (glibc's log2f is correctly rounded there, which the golden vectors confirm.)
// Infinity gives (uint8_t)(inf) = 0 on x86-64 (cvttss2si's 0x80000000).
fn mxfp4_exponent(amax: f32) -> u32 {
  let u = bitcast<u32>(amax);
  if (u >= 0x7f800000u) { return 0u; }
  let p = unpack_f32(u); // m in [2^23, 2^24), amax = m * 2^(e - 23)
  var fl = p.e;
  let k = 0x1000000u - p.m;
  let kk = p.e + 1; // the integer that log2 approaches from below
  if (kk != 0) {
    let a = u32(abs(kk));
    var spacing_log = i32(firstLeadingBit(a)); // floor(log2 |kk|)
    if (kk > 0 && (a & (a - 1u)) == 0u) { spacing_log -= 1; } // below a power of two: half spacing
    if (spacing_log >= 0) {
      let limit = array<u32, 8>(0u, 1u, 2u, 5u, 11u, 22u, 44u, 88u)[min(spacing_log, 7)];
      if (k <= limit) { fl = kk; }
    }
  }
  return u32(fl - 2 + 127) & 0xffu;
}

fn encode_mxfp4_block(b: u32) {
  let x0 = b * 32u;
  var amax = 0u; // |x| bits: `if (amax < |v|)` with subnormals kept and NaN never taken
  for (var j = 0u; j < 32u; j++) {
    let a = abs_bits(src_f32(x0 + j));
    if (a <= 0x7f800000u && amax < a) { amax = a; }
  }
  let e = select(0u, mxfp4_exponent(bitcast<f32>(amax)), amax != 0u);
  let d = e8m0_half(e);
  out_byte(e);
  // errors in plain arithmetic, or for a scale near the subnormal range on bits: one of the two
  // loops runs (see iquants_common on SwiftShader)
  let tiny = d < TINY_GROUP;
  var q = array<u32, 4>(0u, 0u, 0u, 0u);
  for (var k = u32(tiny); k < 1u; k++) {
    for (var j = 0u; j < 16u; j++) {
      q[j / 4u] |= (best_index_fp4(src_f32(x0 + j), d, false) | (best_index_fp4(src_f32(x0 + 16u + j), d, false) << 4u)) << (8u * (j % 4u));
    }
  }
  for (var k = u32(!tiny); k < 1u; k++) {
    for (var j = 0u; j < 16u; j++) {
      q[j / 4u] |= (best_index_fp4(src_f32(x0 + j), d, true) | (best_index_fp4(src_f32(x0 + 16u + j), d, true) << 4u)) << (8u * (j % 4u));
    }
  }
  for (var w = 0u; w < 4u; w++) {
    out_byte(q[w]);
    out_byte(q[w] >> 8u);
    out_byte(q[w] >> 16u);
    out_byte(q[w] >> 24u);
  }
}

// ggml_fp32_to_ue4m3: clamp to 448, round the 3-bit mantissa half up, saturate at 0x7E.
fn f32_to_ue4m3(x_in: f32) -> u32 {
  if (!(x_in > 0.0)) { return 0u; }
  let x = min(x_in, 448.0);
  let bits = bitcast<u32>(x);
  var e = i32((bits >> 23u) & 0xffu) - 127 + 7;
  if (e <= 0) {
    let man = i32(no_fma(x * 512.0) + 0.5); // (int)(x * 512.0f + 0.5f), truncation
    if (man > 7) { return 7u; }
    if (man < 1) { return 0u; }
    return u32(man);
  }
  if (e >= 15) { return 0x7eu; }
  var man = ((bits >> 20u) & 7u) + ((bits >> 19u) & 1u);
  if (man > 7u) {
    man = 0u;
    e += 1;
    if (e >= 15) { return 0x7eu; }
  }
  return (u32(e) << 3u) | man;
}

@compute @workgroup_size(WG)
fn encode_mxfp4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (4u * g >= params.n) { return; }
  out_begin(g * MXFP4_SIZE);
  for (var i = 0u; i < 4u; i++) { encode_mxfp4_block(4u * g + i); }
}

@compute @workgroup_size(WG)
fn encode_nvfp4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  let x0 = b * 64u;
  out_begin(b * (NVFP4_SIZE / 4u));
  var ue: array<u32, 4>;
  for (var s = 0u; s < 4u; s++) {
    var amax = 0.0;
    for (var j = 0u; j < 16u; j++) {
      let a = abs(src_f32(x0 + 16u * s + j));
      if (amax < a) { amax = a; }
    }
    ue[s] = f32_to_ue4m3(div_rn(amax, 6.0));
    out_byte(ue[s]);
  }
  for (var s = 0u; s < 4u; s++) {
    let d = ue4m3_half(ue[s]);
    let xb = x0 + 16u * s;
    for (var j = 0u; j < 8u; j++) {
      out_byte(best_index_fp4(src_f32(xb + j), d, false) | (best_index_fp4(src_f32(xb + 8u + j), d, false) << 4u));
    }
  }
}
