// IEEE float32 arithmetic that WGSL does not promise, for kernels that must reproduce ggml's C.
//
// WGSL rounds +, -, * correctly, but division may be off by 2.5 ULP and sqrt by more, and a
// compiler may contract a*b+c into one fused multiply-add (one rounding instead of two). ggml's
// reference quantizers (ggml-base, compiled without FMA) round after every operation. So:
//   div_rn(a, b)  correctly rounded a / b, by integer long division of the significands;
//   sqrt_rn(x)    correctly rounded sqrt(x), by digit-by-digit integer square root;
//   no_fma(p)     returns p unchanged, but through a bitcast XOR with a uniform that is 0 at run
//                 time, so no compiler can fuse the product p into a following add;
//   no_regroup(v) the same barrier around a sum, so no optimizer can regroup it with constants;
//   nearest_int(x) ggml's nearest_int: round half to even via the 1.5 * 2^23 trick, on bits;
//   mul_bits_u(a, b) the correctly rounded product of two float bit patterns, on integers, for
//                 products in the subnormal range, where a GPU may flush to zero.
// The kernel must declare `fmath_zero()` returning a run-time 0 (the codec Params' `zero` word).
// Subnormal operands and results are handled exactly in div_rn and sqrt_rn; a GPU that flushes
// subnormals in plain +, -, * can still differ from ggml there (|x| < 2^-126).
// CPU counterparts: Math.fround(a / b) and Math.fround(Math.sqrt(x)) (exact: a double has more
// than 2 * 24 + 2 bits, so the double rounding is innocuous), tested in test/gpu/fmath.test.ts.

fn no_fma(p: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(p) ^ fmath_zero());
}

// v unchanged, through no_fma's barrier: the SPIR-V optimizer that SwiftShader (and other
// drivers) run folds float chains holding two compile-time constants, e.g. (c1 + x) + c2 into
// x + (c1 + c2), one rounding fewer, and a kernel may see a constant where its source had a
// parameter, once inlined. no_regroup() on the inner result leaves nothing to regroup.
fn no_regroup(v: f32) -> f32 {
  return no_fma(v);
}

fn nearest_int(x: f32) -> i32 {
  let v = no_fma(x) + 12582912.0;
  return (bitcast<i32>(v) & 0x007fffff) - 0x00400000;
}

// Significand with the implicit bit, normalised to [2^23, 2^24), and the unbiased exponent, for a
// finite nonzero value.
struct Unpacked {
  m: u32,
  e: i32,
}

fn unpack_f32(u: u32) -> Unpacked {
  let be = i32((u >> 23u) & 0xffu);
  var m = u & 0x7fffffu;
  if (be != 0) {
    return Unpacked(m | 0x800000u, be - 127);
  }
  let shift = countLeadingZeros(m) - 8u; // bring the top bit to position 23
  m = m << shift;
  return Unpacked(m, -126 - i32(shift));
}

// Packs sign * (q + f) * 2^(e - 23), q in [2^23, 2^24), where f in [0, 1) is described by
// round_bit (f >= 1/2) and sticky (f is not exactly 0 or 1/2), rounding to nearest even; handles
// overflow to Inf and the subnormal range, where the rounding point moves up.
fn pack_rounded(sign: u32, q_in: u32, e_in: i32, round_bit: bool, sticky: bool) -> u32 {
  var q = q_in;
  var e = e_in;
  if (e + 127 >= 1) {
    if (round_bit && (sticky || (q & 1u) == 1u)) { q += 1u; }
    if (q == 0x1000000u) { q = 0x800000u; e += 1; }
    if (e + 127 >= 255) { return sign | 0x7f800000u; }
    return sign | (u32(e + 127) << 23u) | (q & 0x7fffffu);
  }
  // subnormal: in units of 2^-149 the value is (q + f) / 2^shift, f in [0, 1) the part below q
  // that round_bit/sticky describe; keep q >> shift and round on the dropped bits plus f
  let shift = u32(1 - (e + 127));
  if (shift > 25u) { return sign; }
  var kept = q >> shift;
  let dropped = q & ((1u << shift) - 1u);
  let halfway = 1u << (shift - 1u);
  let frac = round_bit || sticky;
  if (dropped > halfway || (dropped == halfway && (frac || (kept & 1u) == 1u))) { kept += 1u; }
  return sign | kept; // kept == 2^23 becomes the smallest normal through the exponent field
}

// The 48-bit product of two 24-bit significands as (high 16 bits, low 32 bits).
fn mul24(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xffffu;
  let ah = a >> 16u;
  let bl = b & 0xffffu;
  let bh = b >> 16u;
  let ll = al * bl;
  let mid = ah * bl + al * bh; // < 2^25
  let lo = ll + (mid << 16u);
  let carry = select(0u, 1u, lo < ll);
  let hi = ah * bh + (mid >> 16u) + carry;
  return vec2<u32>(hi, lo);
}

// Bits of the correctly rounded float32 product of two float32 bit patterns, subnormal operands
// and results included (worked on bits, so a GPU that flushes subnormals cannot touch them).
fn mul_bits_u(ua: u32, ub: u32) -> u32 {
  let sign = (ua ^ ub) & 0x80000000u;
  let aa = ua & 0x7fffffffu;
  let ab = ub & 0x7fffffffu;
  if (aa >= 0x7f800000u || ab >= 0x7f800000u) { return bitcast<u32>(bitcast<f32>(ua) * bitcast<f32>(ub)); }
  if (aa == 0u || ab == 0u) { return sign; }
  let x = unpack_f32(aa);
  let y = unpack_f32(ab);
  let p = mul24(x.m, y.m); // in [2^46, 2^48)
  if (p.x >= 0x8000u) {
    let q = (p.x << 8u) | (p.y >> 24u);
    let rem = p.y & 0xffffffu;
    return pack_rounded(sign, q, x.e + y.e + 1, (rem >> 23u) == 1u, (rem & 0x7fffffu) != 0u);
  }
  let q = (p.x << 9u) | (p.y >> 23u);
  let rem = p.y & 0x7fffffu;
  return pack_rounded(sign, q, x.e + y.e, (rem >> 22u) == 1u, (rem & 0x3fffffu) != 0u);
}

// 2^-125: a GPU product at least this large is the IEEE one, whatever the GPU does with
// subnormals; below it, kernels that must match ggml take mul_bits_u.
const SAFE_NORMAL: f32 = 2.3509887e-38;

// Total order key of non-NaN float bits (-0 and +0 are told apart; callers treat both as 0).
fn order_key(u: u32) -> u32 {
  return select(u | 0x80000000u, ~u, (u & 0x80000000u) != 0u);
}

fn div_rn(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let sign = (ua ^ ub) & 0x80000000u;
  let aa = ua & 0x7fffffffu;
  let ab = ub & 0x7fffffffu;
  if (aa > 0x7f800000u || ab > 0x7f800000u) { return bitcast<f32>(0x7fc00000u | fmath_zero()); }
  if (aa == 0x7f800000u) {
    if (ab == 0x7f800000u) { return bitcast<f32>(0x7fc00000u | fmath_zero()); }
    return bitcast<f32>(sign | 0x7f800000u);
  }
  if (ab == 0x7f800000u) { return bitcast<f32>(sign); }
  if (ab == 0u) {
    if (aa == 0u) { return bitcast<f32>(0x7fc00000u | fmath_zero()); }
    return bitcast<f32>(sign | 0x7f800000u);
  }
  if (aa == 0u) { return bitcast<f32>(sign); }
  let x = unpack_f32(aa);
  let y = unpack_f32(ab);
  var r = x.m;
  var e = x.e - y.e;
  if (r < y.m) { r = r << 1u; e -= 1; }
  // r / y.m in [1, 2): 24 quotient bits by restoring division, then one more for rounding
  var q = 0u;
  for (var i = 0u; i < 24u; i++) {
    q = q << 1u;
    if (r >= y.m) { r -= y.m; q |= 1u; }
    r = r << 1u;
  }
  let round_bit = r >= y.m;
  if (round_bit) { r -= y.m; }
  return bitcast<f32>(pack_rounded(sign, q, e, round_bit, r != 0u));
}

fn sqrt_rn(x: f32) -> f32 {
  let u = bitcast<u32>(x);
  if (u == 0u || u == 0x80000000u) { return x; }
  if (u > 0x7f800000u || (u >> 31u) == 1u) { return bitcast<f32>(0x7fc00000u | fmath_zero()); }
  if (u == 0x7f800000u) { return x; }
  let p = unpack_f32(u);
  var m = p.m;
  var e = p.e;
  if ((e & 1) != 0) { m = m << 1u; e -= 1; }
  // value = (2m) * 2^(e - 24) with e even; R = floor(sqrt(2m * 2^26)) has 26 bits
  let m2 = m << 1u;
  var res = 0u;
  var rem = 0u;
  for (var i = 0; i < 26; i++) {
    // two bits of N = m2 << 26, from the top (bit 51) down
    let pos = 51 - 2 * i;
    var two = 0u;
    if (pos - 1 >= 26) { two = (m2 >> u32(pos - 1 - 26)) & 3u; }
    rem = (rem << 2u) | two;
    let trial = (res << 2u) | 1u;
    if (rem >= trial) { rem -= trial; res = (res << 1u) | 1u; } else { res = res << 1u; }
  }
  let q = res >> 2u;
  let low = res & 3u;
  return bitcast<f32>(pack_rounded(0u, q, e / 2, low >= 2u, low == 3u || rem != 0u));
}
