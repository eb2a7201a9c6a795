// Decoders for the 32-element legacy blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) and the 1- and 2-bit
// Q1_0 (128 elements) / Q2_0 (64 elements), matching ggml's dequantize_row_* in float32.
//
// Layout of the work: a workgroup owns WG consecutive blocks; its lanes walk them in parts of 4
// elements (item = round * WG + lane, block = item / parts, part = item % parts), so each store is
// 4 consecutive words and neighbouring lanes store neighbouring runs. Each lane reads the block's
// f16 scale and the 4 bytes (or bits) its part needs.
//
// Exactness: every value is (integer) * d or (integer) * d + m with d, m from f16. WGSL rounds *
// and + correctly; no_fma keeps the product of q * d + m rounded before the add, as the scalar C
// reference (built without FMA) does. The integers are exact in f32. The CPU twins are
// src/codecs/legacy-decode.ts.
//
//#include legacy_io

// Q4_0: d (f16), 16 bytes; element j < 16 is the low nibble of qs[j], j >= 16 the high nibble
// of qs[j - 16]; x = (q - 8) * d. Matches dequantize_row_q4_0.
@compute @workgroup_size(WG)
fn decode_q4_0(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 8u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 3u);
    if (b >= params.n) { break; }
    let p = item & 7u;
    let o = b * 18u;
    let d = half_f32_at(o);
    let q = word_at(o + 2u + 4u * (p & 3u)) >> (4u * (p >> 2u));
    put4(b * 32u + 4u * p,
      f32(i32(q & 15u) - 8) * d,
      f32(i32((q >> 8u) & 15u) - 8) * d,
      f32(i32((q >> 16u) & 15u) - 8) * d,
      f32(i32((q >> 24u) & 15u) - 8) * d);
  }
}

// Q4_1: d, m (f16), 16 bytes of nibbles as Q4_0; x = q * d + m. Matches dequantize_row_q4_1.
@compute @workgroup_size(WG)
fn decode_q4_1(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 8u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 3u);
    if (b >= params.n) { break; }
    let p = item & 7u;
    let o = b * 20u;
    let dm = src[o >> 2u];
    let d = f16_to_f32(dm & 0xffffu);
    let m = f16_to_f32(dm >> 16u);
    let q = src[(o >> 2u) + 1u + (p & 3u)] >> (4u * (p >> 2u));
    put4(b * 32u + 4u * p,
      no_fma(f32(q & 15u) * d) + m,
      no_fma(f32((q >> 8u) & 15u) * d) + m,
      no_fma(f32((q >> 16u) & 15u) * d) + m,
      no_fma(f32((q >> 24u) & 15u) * d) + m);
  }
}

// The 5-bit value of element e (0..31) of a Q5 block: nibble from the 4 bytes in q (already
// shifted to the right half), fifth bit e of qh.
fn q5_value(q: u32, k: u32, qh: u32, e: u32) -> u32 {
  return ((q >> (8u * k)) & 15u) | (((qh >> e) & 1u) << 4u);
}

// Q5_0: d (f16), qh (u32: the fifth bit of element e is bit e), 16 bytes of nibbles;
// x = (q - 16) * d. Matches dequantize_row_q5_0.
@compute @workgroup_size(WG)
fn decode_q5_0(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 8u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 3u);
    if (b >= params.n) { break; }
    let p = item & 7u;
    let o = b * 22u;
    let d = half_f32_at(o);
    let qh = word_at(o + 2u);
    let q = word_at(o + 6u + 4u * (p & 3u)) >> (4u * (p >> 2u));
    let e = 4u * p;
    put4(b * 32u + e,
      f32(i32(q5_value(q, 0u, qh, e)) - 16) * d,
      f32(i32(q5_value(q, 1u, qh, e + 1u)) - 16) * d,
      f32(i32(q5_value(q, 2u, qh, e + 2u)) - 16) * d,
      f32(i32(q5_value(q, 3u, qh, e + 3u)) - 16) * d);
  }
}

// Q5_1: d, m (f16), qh, 16 bytes of nibbles; x = q * d + m. Matches dequantize_row_q5_1.
@compute @workgroup_size(WG)
fn decode_q5_1(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 8u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 3u);
    if (b >= params.n) { break; }
    let p = item & 7u;
    let w = b * 6u; // 24-byte blocks are whole words
    let dm = src[w];
    let d = f16_to_f32(dm & 0xffffu);
    let m = f16_to_f32(dm >> 16u);
    let qh = src[w + 1u];
    let q = src[w + 2u + (p & 3u)] >> (4u * (p >> 2u));
    let e = 4u * p;
    put4(b * 32u + e,
      no_fma(f32(q5_value(q, 0u, qh, e)) * d) + m,
      no_fma(f32(q5_value(q, 1u, qh, e + 1u)) * d) + m,
      no_fma(f32(q5_value(q, 2u, qh, e + 2u)) * d) + m,
      no_fma(f32(q5_value(q, 3u, qh, e + 3u)) * d) + m);
  }
}

// Q8_0: d (f16), 32 signed bytes; x = q * d. Matches dequantize_row_q8_0.
@compute @workgroup_size(WG)
fn decode_q8_0(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 8u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 3u);
    if (b >= params.n) { break; }
    let p = item & 7u;
    let o = b * 34u;
    let d = half_f32_at(o);
    let q = word_at(o + 2u + 4u * p);
    put4(b * 32u + 4u * p, f32(sbyte(q, 0u)) * d, f32(sbyte(q, 1u)) * d, f32(sbyte(q, 2u)) * d, f32(sbyte(q, 3u)) * d);
  }
}

// Q1_0: d (f16), 128 sign bits (bit e of the 16 bytes: set = +d, clear = -d). 32 parts per block.
// Matches dequantize_row_q1_0.
@compute @workgroup_size(WG)
fn decode_q1_0(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 32u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 5u);
    if (b >= params.n) { break; }
    let p = item & 31u;
    let o = b * 18u;
    let d = half_f32_at(o);
    let bits = byte_at(o + 2u + (p >> 1u)) >> (4u * (p & 1u));
    put4(b * 128u + 4u * p,
      select(-d, d, (bits & 1u) != 0u),
      select(-d, d, (bits & 2u) != 0u),
      select(-d, d, (bits & 4u) != 0u),
      select(-d, d, (bits & 8u) != 0u));
  }
}

// Q2_0: d (f16), 64 two-bit codes c (4 per byte, low bits first); x = (c - 1) * d. 16 parts.
// Matches dequantize_row_q2_0.
@compute @workgroup_size(WG)
fn decode_q2_0(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 16u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 4u);
    if (b >= params.n) { break; }
    let p = item & 15u;
    let o = b * 18u;
    let d = half_f32_at(o);
    let q = byte_at(o + 2u + p);
    put4(b * 64u + 4u * p,
      f32(i32(q & 3u) - 1) * d,
      f32(i32((q >> 2u) & 3u) - 1) * d,
      f32(i32((q >> 4u) & 3u) - 1) * d,
      f32(i32((q >> 6u) & 3u) - 1) * d);
  }
}
