// Decoders for the 256-element K-quant super-blocks (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K),
// matching ggml's dequantize_row_* in float32.
//
// Layout of the work: as in legacy-decode.wgsl, a workgroup owns WG consecutive blocks and its
// lanes walk them in 64 parts of 4 elements, so stores are coalesced. Four consecutive elements
// always share one group scale, and their quant bytes are 4 consecutive bytes of the block.
//
// Exactness: each value is computed in the reference's order with one rounding per C operation:
// the group scale first (d * sc, dmin * m), then times the quant, then minus the min; no_fma
// keeps both products feeding the subtraction rounded (ggml's scalar reference has no FMA).
// Q6_K multiplies d * sc, then that by q, as the C's left-to-right `d * sc[is] * q`.
// CPU twins: src/codecs/kquants-decode.ts.
//
//#include legacy_io

// The 4 two-bit fields at `shift` of the 4 bytes in w.
fn crumbs(w: u32, shift: u32) -> vec4<u32> {
  let v = w >> shift;
  return vec4<u32>(v & 3u, (v >> 8u) & 3u, (v >> 16u) & 3u, (v >> 24u) & 3u);
}

fn nibbles(w: u32, shift: u32) -> vec4<u32> {
  let v = w >> shift;
  return vec4<u32>(v & 15u, (v >> 8u) & 15u, (v >> 16u) & 15u, (v >> 24u) & 15u);
}

// Four values dl * q - ml (Q2_K, Q4_K, Q5_K), with dl = d * sc and ml = dmin * m already rounded;
// each product is rounded before the subtraction, as the C stores it.
fn put4_scaled_min(o: u32, dl: f32, ml: f32, q: vec4<u32>) {
  put4(o,
    no_fma(dl * f32(q.x)) - ml,
    no_fma(dl * f32(q.y)) - ml,
    no_fma(dl * f32(q.z)) - ml,
    no_fma(dl * f32(q.w)) - ml);
}

// Q2_K: scales[16] (low nibble scale, high nibble min), qs[64], d, dmin (84 bytes, whole words).
// Element e: n = e / 128, j = (e / 32) % 4 (the 2-bit field), h = (e / 16) % 2, l = e % 16;
// group 8n + 2j + h, byte qs[32n + 16h + l]. x = (d * sc) * q - (dmin * m).
// Matches dequantize_row_q2_K.
@compute @workgroup_size(WG)
fn decode_q2_k(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 64u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 6u);
    if (b >= params.n) { break; }
    let e = (item & 63u) * 4u;
    let w = b * 21u;
    let n = e >> 7u;
    let j = (e >> 5u) & 3u;
    let h = (e >> 4u) & 1u;
    let l = e & 15u;
    let g = 8u * n + 2u * j + h;
    let sc = (src[w + (g >> 2u)] >> (8u * (g & 3u))) & 0xffu;
    let dd = src[w + 20u];
    let dl = f16_to_f32(dd & 0xffffu) * f32(sc & 15u);
    let ml = no_fma(f16_to_f32(dd >> 16u) * f32(sc >> 4u));
    put4_scaled_min(b * 256u + e, dl, ml, crumbs(src[w + 4u + ((32u * n + 16u * h + l) >> 2u)], 2u * j));
  }
}

// The 16 six-bit Q3_K group scales, packed in 12 bytes at byte s, re-centred at 0.
fn q3_scale(s: u32, j: u32) -> i32 {
  var lo: u32;
  if (j < 8u) { lo = byte_at(s + j) & 15u; } else { lo = byte_at(s + j - 8u) >> 4u; }
  let hi = (byte_at(s + 8u + (j & 3u)) >> (2u * (j >> 2u))) & 3u;
  return i32(lo | (hi << 4u)) - 32;
}

// Q3_K: hmask[32], qs[64], scales[12], d (110 bytes). Element e as Q2_K for the 2-bit field and
// group; the third bit is bit (4n + j) of hmask[16h + l], and a clear bit means minus 4.
// x = (d * scale) * q. Matches dequantize_row_q3_K.
@compute @workgroup_size(WG)
fn decode_q3_k(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 64u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 6u);
    if (b >= params.n) { break; }
    let e = (item & 63u) * 4u;
    let o = b * 110u;
    let n = e >> 7u;
    let j = (e >> 5u) & 3u;
    let h = (e >> 4u) & 1u;
    let l = e & 15u;
    let dl = half_f32_at(o + 108u) * f32(q3_scale(o + 96u, 8u * n + 2u * j + h));
    let q = crumbs(word_at(o + 32u + 32u * n + 16u * h + l), 2u * j);
    // hmask bits of the 4 bytes, moved to bit 0 of each byte; clear means subtract 4
    let hb = (word_at(o + 16u * h + l) >> (4u * n + j)) & 0x01010101u;
    let m = (~hb & 0x01010101u) * 4u;
    put4(b * 256u + e,
      dl * f32(i32(q.x) - i32(m & 0xffu)),
      dl * f32(i32(q.y) - i32((m >> 8u) & 0xffu)),
      dl * f32(i32(q.z) - i32((m >> 16u) & 0xffu)),
      dl * f32(i32(q.w) - i32(m >> 24u)));
  }
}

// get_scale_min_k4: scale (x) and min (y) of group j, from the 12 bytes at byte s.
fn scale_min_k4(s: u32, j: u32) -> vec2<u32> {
  if (j < 4u) {
    return vec2<u32>(byte_at(s + j) & 63u, byte_at(s + j + 4u) & 63u);
  }
  let a = byte_at(s + j + 4u);
  return vec2<u32>((a & 15u) | ((byte_at(s + j - 4u) >> 6u) << 4u), (a >> 4u) | ((byte_at(s + j) >> 6u) << 4u));
}

// Q4_K / Q5_K group g of the block at word w (d, dmin, scales[12] first): (d * sc, dmin * m),
// the second rounded before the subtraction it feeds.
fn k4_scale_min(w: u32, g: u32) -> vec2<f32> {
  let dd = src[w];
  let sm = scale_min_k4(4u * w + 4u, g);
  return vec2<f32>(f16_to_f32(dd & 0xffffu) * f32(sm.x), no_fma(f16_to_f32(dd >> 16u) * f32(sm.y)));
}

// Q4_K: d, dmin, scales[12], qs[128] (144 bytes, whole words). Element e: c = e / 64; the first
// 32 are the low nibbles of qs[32c + l], the next 32 the high ones; group e / 32.
// x = (d * sc) * q - (dmin * m). Matches dequantize_row_q4_K.
@compute @workgroup_size(WG)
fn decode_q4_k(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 64u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 6u);
    if (b >= params.n) { break; }
    let e = (item & 63u) * 4u;
    let w = b * 36u;
    let g = e >> 5u;
    let dm = k4_scale_min(w, g);
    let c = e >> 6u;
    put4_scaled_min(b * 256u + e, dm.x, dm.y, nibbles(src[w + 4u + 8u * c + ((e & 31u) >> 2u)], 4u * (g & 1u)));
  }
}

// Q5_K: d, dmin, scales[12], qh[32], qs[128] (176 bytes, whole words). As Q4_K, plus the fifth
// bit: bit g of qh[l] for element e = 32g + l. Matches dequantize_row_q5_K.
@compute @workgroup_size(WG)
fn decode_q5_k(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 64u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 6u);
    if (b >= params.n) { break; }
    let e = (item & 63u) * 4u;
    let w = b * 44u;
    let g = e >> 5u;
    let l = e & 31u;
    let dm = k4_scale_min(w, g);
    let c = e >> 6u;
    let q = nibbles(src[w + 12u + 8u * c + (l >> 2u)], 4u * (g & 1u));
    // the fifth bits of the 4 bytes, moved to bit 4 of each level
    let hb = (src[w + 4u + (l >> 2u)] >> g) & 0x01010101u;
    let q5 = q | ((vec4<u32>(hb, hb >> 8u, hb >> 16u, hb >> 24u) & vec4<u32>(1u)) << vec4<u32>(4u));
    put4_scaled_min(b * 256u + e, dm.x, dm.y, q5);
  }
}

// Q6_K: ql[128], qh[64], scales[16] (int8), d (210 bytes). Element e: n = e / 128, quarter
// k = (e / 32) % 4, l = e % 32: low 4 bits from ql[64n + l + 32 (k & 1)] (high nibble when k >= 2),
// top 2 bits at 2k of qh[32n + l]; group 8n + 2k + l / 16. x = (d * sc) * (q - 32).
// Matches dequantize_row_q6_K.
@compute @workgroup_size(WG)
fn decode_q6_k(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 64u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 6u);
    if (b >= params.n) { break; }
    let e = (item & 63u) * 4u;
    let o = b * 210u;
    let n = e >> 7u;
    let k = (e >> 5u) & 3u;
    let l = e & 31u;
    let g = 8u * n + 2u * k + (l >> 4u);
    let dl = half_f32_at(o + 208u) * f32(sbyte(byte_at(o + 192u + g), 0u));
    let lo = nibbles(word_at(o + 64u * n + l + 32u * (k & 1u)), 4u * (k >> 1u));
    let hi = crumbs(word_at(o + 128u + 32u * n + l), 2u * k);
    put4(b * 256u + e,
      dl * f32(i32(lo.x | (hi.x << 4u)) - 32),
      dl * f32(i32(lo.y | (hi.y << 4u)) - 32),
      dl * f32(i32(lo.z | (hi.z << 4u)) - 32),
      dl * f32(i32(lo.w | (hi.w << 4u)) - 32));
  }
}

// Q8_K: d (f32), qs[256] (int8), bsums[16] (not needed) (292 bytes, whole words); x = d * q.
// Matches dequantize_row_q8_K.
@compute @workgroup_size(WG)
fn decode_q8_k(
  @builtin(local_invocation_index) lane: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let base = group_base(wid, nwg);
  for (var r = 0u; r < 64u; r++) {
    let item = r * WG + lane;
    let b = base + (item >> 6u);
    if (b >= params.n) { break; }
    let p = item & 63u;
    let w = b * 73u;
    let d = bitcast<f32>(src[w]);
    let q = src[w + 1u + p];
    put4(b * 256u + 4u * p, d * f32(sbyte(q, 0u)), d * f32(sbyte(q, 1u)), d * f32(sbyte(q, 2u)), d * f32(sbyte(q, 3u)));
  }
}
