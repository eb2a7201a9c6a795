// TQ1_0 and TQ2_0: ternary weights (-1, 0, +1) times one f16 scale per 256 elements.
//
// Decoders (dequantize_row_tq1_0 / dequantize_row_tq2_0): 32 lanes per block, 8 outputs each.
// TQ1_0 reads a trit back as ((byte * 3^n mod 256) * 3) >> 8, exactly as ggml; the value is
// (float)(trit - 1) * d, a product by -1, 0 or 1, so exact.
//
// Encoders (quantize_row_tq1_0_ref / quantize_row_tq2_0_ref, which ggml_quantize_chunk calls):
// one lane per two blocks (TQ1_0: 2 x 54 bytes, TQ2_0: 2 x 66 bytes, whole words). d = amax
// with C's MAX macro on |x| bits (a NaN resets the running maximum, as in C; subnormals are not
// zero), id = 1/d by div_rn,
// lroundf(x * id) + 1 as the code (x * id is one rounded product; a NaN or infinite product
// gives LONG_MIN in C, whose low bits make code 1), base-3 packing in uint8 arithmetic and
// the ceiling division by 243, all integer. A block whose amax is below 2^-20 takes x * id on
// bits, since x may be subnormal while id is huge.
//
//#include iquants_common

override WG: u32 = 256u;

const TQ1_SIZE: u32 = 54u;
const TQ2_SIZE: u32 = 66u;

fn pow3(n: u32) -> u32 {
  return select(select(select(select(select(243u, 81u, n == 4u), 27u, n == 3u), 9u, n == 2u), 3u, n == 1u), 1u, n == 0u);
}

@compute @workgroup_size(WG)
fn decode_tq1_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * TQ1_SIZE;
  let d = src_f16(base + 52u);
  let e0 = lane.part * 8u;
  let out = lane.block * 256u + e0;
  for (var k = 0u; k < 8u; k++) {
    let e = e0 + k;
    var byte_at: u32;
    var n: u32;
    if (e < 160u) {
      n = e / 32u;
      byte_at = e % 32u;
    } else if (e < 240u) {
      n = (e - 160u) / 16u;
      byte_at = 32u + (e - 160u) % 16u;
    } else {
      n = (e - 240u) / 4u;
      byte_at = 48u + (e - 240u) % 4u;
    }
    let q = (src_byte(base + byte_at) * pow3(n)) & 0xffu;
    let xi = i32((q * 3u) >> 8u);
    put_f32(out + k, f32(xi - 1) * d);
  }
}

@compute @workgroup_size(WG)
fn decode_tq2_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * TQ2_SIZE;
  let d = src_f16(base + 64u);
  let e0 = lane.part * 8u;
  // elements e0..e0+7 share j (which 32-byte half) and l (which 2-bit field)
  let j = e0 / 128u;
  let l = (e0 % 128u) / 32u;
  let m0 = e0 % 32u;
  let lo = src_u32_at(base + 32u * j + m0);
  let hi = src_u32_at(base + 32u * j + m0 + 4u);
  let out = lane.block * 256u + e0;
  for (var k = 0u; k < 8u; k++) {
    let w = select(hi, lo, k < 4u);
    let q = (w >> ((k % 4u) * 8u + 2u * l)) & 3u;
    put_f32(out + k, f32(i32(q) - 1) * d);
  }
}

// Running max as C's MAX(amax, fabsf(v)) = amax > a ? amax : a, compared on bits (a NaN on
// either side takes a; subnormals are not zero).
fn tq_amax(x0: u32) -> f32 {
  var amax = 0u;
  for (var j = 0u; j < 256u; j++) {
    let a = abs_bits(src_f32(x0 + j));
    amax = select(a, amax, amax <= 0x7f800000u && a <= 0x7f800000u && amax > a);
  }
  return bitcast<f32>(amax);
}

fn tq_inv(d: f32) -> f32 {
  return select(div_rn(1.0, d), 0.0, abs_bits(d) == 0u);
}

// lroundf(x * id) + 1, as the C int: 0, 1 or 2 for finite products, 1 for NaN and +-Inf.
// `exact`: the block's amax is so small that x may be subnormal and id huge (IEEE product).
fn tq_code(x: f32, id: f32, exact: bool) -> u32 {
  let t = fmul(x, id, exact);
  if (!(abs(t) < 2147483648.0)) { return 1u; }
  return u32(roundf_i(t) + 1);
}

fn encode_tq1_block(x0: u32, d: f32, id: f32, e: bool) {
  // 32 bytes of 5 trits strided by 32, 16 bytes strided by 16, then 4 bytes of 4 trits
  for (var m = 0u; m < 32u; m++) {
    var q = 0u;
    for (var n = 0u; n < 5u; n++) { q = (q * 3u + tq_code(src_f32(x0 + m + 32u * n), id, e)) & 0xffu; }
    out_byte((q * 256u + 242u) / 243u);
  }
  for (var m = 0u; m < 16u; m++) {
    var q = 0u;
    for (var n = 0u; n < 5u; n++) { q = (q * 3u + tq_code(src_f32(x0 + 160u + m + 16u * n), id, e)) & 0xffu; }
    out_byte((q * 256u + 242u) / 243u);
  }
  for (var j = 0u; j < 4u; j++) {
    var q = 0u;
    for (var m = 0u; m < 4u; m++) { q = (q * 3u + tq_code(src_f32(x0 + 240u + j + 4u * m), id, e)) & 0xffu; }
    q = (q * 3u) & 0xffu;
    out_byte((q * 256u + 242u) / 243u);
  }
  out_f16(d);
}

fn encode_tq2_block(x0: u32, d: f32, id: f32, e: bool) {
  for (var j = 0u; j < 2u; j++) {
    for (var m = 0u; m < 32u; m++) {
      var q = 0u;
      for (var n = 0u; n < 4u; n++) { q += (tq_code(src_f32(x0 + 128u * j + m + 32u * n), id, e) & 3u) << (2u * n); }
      out_byte(q);
    }
  }
  out_f16(d);
}

@compute @workgroup_size(WG)
fn encode_tq1_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  out_begin(g * (2u * TQ1_SIZE / 4u));
  for (var i = 0u; i < 2u; i++) {
    let x0 = (2u * g + i) * 256u;
    let d = tq_amax(x0);
    let id = tq_inv(d);
    // one of the two runs (see iquants_common on SwiftShader)
    for (var k = u32(d < TINY_GROUP); k < 1u; k++) { encode_tq1_block(x0, d, id, false); }
    for (var k = u32(!(d < TINY_GROUP)); k < 1u; k++) { encode_tq1_block(x0, d, id, true); }
  }
}

@compute @workgroup_size(WG)
fn encode_tq2_0(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  out_begin(g * (2u * TQ2_SIZE / 4u));
  for (var i = 0u; i < 2u; i++) {
    let x0 = (2u * g + i) * 256u;
    let d = tq_amax(x0);
    let id = tq_inv(d);
    for (var k = u32(d < TINY_GROUP); k < 1u; k++) { encode_tq2_block(x0, d, id, false); }
    for (var k = u32(!(d < TINY_GROUP)); k < 1u; k++) { encode_tq2_block(x0, d, id, true); }
  }
}
