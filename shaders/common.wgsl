// Helpers shared by every kernel (included by the host's tiny preprocessor, `//#include common`).
//
// Kernels see quantized data as bytes packed little-endian in u32 words, because WGSL has no u8;
// f16 and bf16 travel as 16-bit halves of u32 words, because SwiftShader lacks shader-f16.
// The f16 conversions are integer-only, so they give the same bits on every GPU, NaN payloads
// included: they are the CPU twins in src/codecs/half.ts (ggml_compute_fp32_to_fp16 /
// ggml_compute_fp16_to_fp32 / ggml_compute_fp32_to_bf16).

// Flattens a 2-D dispatch (needed past 65535 workgroups per dimension) into one invocation index.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>, wg: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wg;
}

fn f32_bits_to_f16(w: u32) -> u32 {
  let sign = (w >> 16u) & 0x8000u;
  let a = w & 0x7fffffffu;
  if (a > 0x7f800000u) { return sign | 0x7e00u; }
  if (a >= 0x477ff000u) { return sign | 0x7c00u; }
  if (a >= 0x38800000u) {
    return sign | ((a - 0x38000000u + 0x0fffu + ((a >> 13u) & 1u)) >> 13u);
  }
  if (a <= 0x33000000u) { return sign; }
  let e = a >> 23u;
  let mant = (a & 0x7fffffu) | 0x800000u;
  let shift = 126u - e;
  let q = mant >> shift;
  let rem = mant - (q << shift);
  let half = 1u << (shift - 1u);
  var up = 0u;
  if (rem > half || (rem == half && (q & 1u) == 1u)) { up = 1u; }
  return sign | (q + up);
}

fn f16_bits_to_f32(h: u32) -> u32 {
  let sign = (h & 0x8000u) << 16u;
  let e = (h >> 10u) & 0x1fu;
  let m = h & 0x3ffu;
  if (e == 0x1fu) {
    if (m == 0u) { return sign | 0x7f800000u; }
    return sign | 0x7fc00000u | (m << 13u);
  }
  if (e != 0u) { return sign | ((e + 112u) << 23u) | (m << 13u); }
  if (m == 0u) { return sign; }
  let clz = countLeadingZeros(m);
  return sign | ((134u - clz) << 23u) | (((m << (clz - 21u)) & 0x3ffu) << 13u);
}

fn f32_bits_to_bf16(w: u32) -> u32 {
  if ((w & 0x7fffffffu) > 0x7f800000u) { return ((w >> 16u) | 0x40u) & 0xffffu; }
  return ((w + 0x7fffu + ((w >> 16u) & 1u)) >> 16u) & 0xffffu;
}

// f16 bits -> float value (for decoders that scale by an f16 `d`).
fn f16_to_f32(h: u32) -> f32 {
  return bitcast<f32>(f16_bits_to_f32(h));
}
