// Decoders from the plain (non-block) dtypes to f32: F64, F8_E4M3, F8_E5M2, the signed and
// unsigned integers of 8 to 64 bits, and BOOL, as safetensors / PyTorch store them. The CPU
// twins are src/codecs/plain.ts; F16 / BF16 live in cast.wgsl.
//
// Each invocation reads one u32 word of input (one 32-bit value, two 16-bit or four 8-bit
// values) or two words (one 64-bit value) and writes as many f32 words; `params.n` counts
// elements. Every conversion works on the bits with integer operations, so the result does not
// depend on how a GPU converts or rounds: integers and doubles round to the nearest f32, ties to
// even (as a JavaScript Float32Array store does), large magnitudes round to Inf only where the
// value exceeds f32's range (F64), subnormal results of F64 keep their precision. NaN inputs give
// a quiet NaN of the same sign. F8_E4M3 is the "fn" variant (no Inf; S.1111.111 is NaN), F8_E5M2
// the IEEE-like one; both are exact in f32. BOOL is 1 for any nonzero byte.
//
//#include legacy_io

// The unsigned 64-bit integer hi:lo rounded to the nearest f32 (ties to even), as bits.
fn u64_to_f32_bits(hi: u32, lo: u32) -> u32 {
  if (hi == 0u && lo == 0u) { return 0u; }
  var lz: u32;
  if (hi != 0u) { lz = countLeadingZeros(hi); } else { lz = 32u + countLeadingZeros(lo); }
  // normalise so the top bit is bit 63 of nh:nl
  var nh: u32;
  var nl: u32;
  if (lz >= 32u) {
    nh = lo << (lz - 32u);
    nl = 0u;
  } else if (lz == 0u) {
    nh = hi;
    nl = lo;
  } else {
    nh = (hi << lz) | (lo >> (32u - lz));
    nl = lo << lz;
  }
  var q = nh >> 8u;
  var e = 190u - lz; // biased exponent of 2^(63 - lz)
  let round_bit = ((nh >> 7u) & 1u) == 1u;
  let sticky = (nh & 0x7fu) != 0u || nl != 0u;
  if (round_bit && (sticky || (q & 1u) == 1u)) { q += 1u; }
  if (q == 0x1000000u) {
    q = 0x800000u;
    e += 1u;
  }
  return (e << 23u) | (q & 0x7fffffu);
}

// The signed 64-bit integer hi:lo (two's complement) rounded to the nearest f32, as bits.
fn i64_to_f32_bits(hi: u32, lo: u32) -> u32 {
  if ((hi >> 31u) == 0u) { return u64_to_f32_bits(hi, lo); }
  let nlo = ~lo + 1u;
  let nhi = ~hi + select(0u, 1u, lo == 0u);
  return 0x80000000u | u64_to_f32_bits(nhi, nlo);
}

// The IEEE double hi:lo rounded to the nearest f32 (ties to even, subnormals and overflow to Inf
// included), as bits.
fn f64_to_f32_bits(hi: u32, lo: u32) -> u32 {
  let sign = hi & 0x80000000u;
  let e = (hi >> 20u) & 0x7ffu;
  let mh = hi & 0xfffffu;
  if (e == 0x7ffu) {
    if (mh == 0u && lo == 0u) { return sign | 0x7f800000u; }
    return sign | 0x7fc00000u;
  }
  if (e == 0u) { return sign; } // zero, or a double subnormal: far below f32's range
  let q = 0x800000u | (mh << 3u) | (lo >> 29u);
  let round_bit = ((lo >> 28u) & 1u) == 1u;
  let sticky = (lo & 0x0fffffffu) != 0u;
  return pack_rounded(sign, q, i32(e) - 1023, round_bit, sticky);
}

// An OCP 8-bit float with `mb` mantissa bits and exponent bias `bias` (exact in f32).
fn f8_to_f32_bits(b: u32, mb: u32, bias: u32, fn_variant: bool) -> u32 {
  let sign = (b & 0x80u) << 24u;
  let emax = (0x7fu >> mb);
  let e = (b >> mb) & emax;
  let m = b & ((1u << mb) - 1u);
  if (fn_variant) {
    if (e == emax && m == (1u << mb) - 1u) { return sign | 0x7fc00000u; }
  } else if (e == emax) {
    if (m == 0u) { return sign | 0x7f800000u; }
    return sign | 0x7fc00000u;
  }
  if (e == 0u) {
    if (m == 0u) { return sign; }
    // m * 2^(1 - bias - mb): normalise the top bit of m
    let p = 31u - countLeadingZeros(m);
    return sign | ((p + 128u - bias - mb) << 23u) | ((m << (23u - p)) & 0x7fffffu);
  }
  return sign | ((e + 127u - bias) << 23u) | (m << (23u - mb));
}

fn put(e: u32, bits: u32) {
  if (e < params.n) { dst[e] = bits; }
}

// Byte-sized types: kind 0 I8, 1 U8, 2 BOOL, 3 F8_E4M3, 4 F8_E5M2.
fn bytes4(i: u32, kind: u32) {
  let e = 4u * i;
  if (e >= params.n) { return; }
  let w = src[i];
  for (var k = 0u; k < 4u; k++) {
    let b = (w >> (8u * k)) & 0xffu;
    var bits: u32;
    switch kind {
      case 0u: { bits = bitcast<u32>(f32((bitcast<i32>(b << 24u)) >> 24u)); }
      case 1u: { bits = bitcast<u32>(f32(b)); }
      case 2u: { bits = select(0u, 0x3f800000u, b != 0u); }
      case 3u: { bits = f8_to_f32_bits(b, 3u, 7u, true); }
      default: { bits = f8_to_f32_bits(b, 2u, 15u, false); }
    }
    put(e + k, bits);
  }
}

@compute @workgroup_size(WG)
fn decode_i8(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  bytes4(flat_index(gid, nwg, WG), 0u);
}

@compute @workgroup_size(WG)
fn decode_u8(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  bytes4(flat_index(gid, nwg, WG), 1u);
}

@compute @workgroup_size(WG)
fn decode_bool(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  bytes4(flat_index(gid, nwg, WG), 2u);
}

@compute @workgroup_size(WG)
fn decode_f8_e4m3(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  bytes4(flat_index(gid, nwg, WG), 3u);
}

@compute @workgroup_size(WG)
fn decode_f8_e5m2(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  bytes4(flat_index(gid, nwg, WG), 4u);
}

// 16-bit integers are exact in f32.
fn halves2(i: u32, signed: bool) {
  let e = 2u * i;
  if (e >= params.n) { return; }
  let w = src[i];
  if (signed) {
    put(e, bitcast<u32>(f32(bitcast<i32>(w << 16u) >> 16u)));
    put(e + 1u, bitcast<u32>(f32(bitcast<i32>(w) >> 16u)));
  } else {
    put(e, bitcast<u32>(f32(w & 0xffffu)));
    put(e + 1u, bitcast<u32>(f32(w >> 16u)));
  }
}

@compute @workgroup_size(WG)
fn decode_i16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  halves2(flat_index(gid, nwg, WG), true);
}

@compute @workgroup_size(WG)
fn decode_u16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  halves2(flat_index(gid, nwg, WG), false);
}

@compute @workgroup_size(WG)
fn decode_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= params.n) { return; }
  let w = src[i];
  dst[i] = i64_to_f32_bits(select(0u, 0xffffffffu, (w >> 31u) == 1u), w);
}

@compute @workgroup_size(WG)
fn decode_u32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= params.n) { return; }
  dst[i] = u64_to_f32_bits(0u, src[i]);
}

@compute @workgroup_size(WG)
fn decode_i64(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= params.n) { return; }
  dst[i] = i64_to_f32_bits(src[2u * i + 1u], src[2u * i]);
}

@compute @workgroup_size(WG)
fn decode_u64(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= params.n) { return; }
  dst[i] = u64_to_f32_bits(src[2u * i + 1u], src[2u * i]);
}

@compute @workgroup_size(WG)
fn decode_f64(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= params.n) { return; }
  dst[i] = f64_to_f32_bits(src[2u * i + 1u], src[2u * i]);
}
