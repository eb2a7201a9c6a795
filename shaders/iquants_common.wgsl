// Bindings and byte-level plumbing shared by the IQ and low-bit codec kernels (iquants-*.wgsl,
// lowbit-*.wgsl). The interface is src/gpu/kernel.ts's: src and dst are u32 words, bytes packed
// little-endian; params.zero is 0 at run time (fmath.wgsl's anti-FMA barrier).
//
// Decoders split a block across `parts` lanes: lane (block, part) writes a run of f32 words of its
// own block, so neighbouring lanes write neighbouring words. Encoders give one lane a group of
// whole blocks whose bytes end on a word boundary, and emit the bytes in order through out_byte,
// which stores each word once it is full (no read-modify-write, no atomics).
//
//#include common
//#include fmath

struct Params {
  n: u32, // blocks in this chunk
  zero: u32,
  _p2: u32,
  _p3: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn fmath_zero() -> u32 {
  return params.zero;
}

fn src_byte(i: u32) -> u32 {
  return (src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// Four bytes starting at any byte offset, lowest first.
fn src_u32_at(i: u32) -> u32 {
  let w = i >> 2u;
  let sh = (i & 3u) * 8u;
  let lo = src[w];
  if (sh == 0u) {
    return lo;
  }
  return (lo >> sh) | (src[w + 1u] << (32u - sh));
}

fn src_u16(i: u32) -> u32 {
  return src_u32_at(i) & 0xffffu;
}

fn src_f16(i: u32) -> f32 {
  return f16_to_f32(src_u16(i));
}

fn src_f32(i: u32) -> f32 {
  return bitcast<f32>(src[i]);
}

fn put_f32(i: u32, v: f32) {
  dst[i] = bitcast<u32>(v);
}

// C's roundf (half away from zero) as an integer, for |x| < 2^31.
fn roundf_i(x: f32) -> i32 {
  let a = abs(x);
  let f = floor(a);
  var r = i32(f);
  if (a - f >= 0.5) { r += 1; }
  return select(r, -r, x < 0.0);
}

// Lane plumbing: which block and part a decoder lane owns (block >= params.n: nothing to do).
struct Lane {
  block: u32,
  part: u32,
}

fn lane_of(gid: vec3<u32>, nwg: vec3<u32>, wg: u32, parts: u32) -> Lane {
  let i = flat_index(gid, nwg, wg);
  return Lane(i / parts, i % parts);
}

// Byte writer for encoders: out_begin(word index), then out_byte in order.
var<private> out_word: u32;
var<private> out_fill: u32;
var<private> out_at: u32;

fn out_begin(word: u32) {
  out_word = 0u;
  out_fill = 0u;
  out_at = word;
}

fn out_byte(b: u32) {
  out_word |= (b & 0xffu) << (out_fill * 8u);
  out_fill += 1u;
  if (out_fill == 4u) {
    dst[out_at] = out_word;
    out_at += 1u;
    out_word = 0u;
    out_fill = 0u;
  }
}

fn out_u16(h: u32) {
  out_byte(h);
  out_byte(h >> 8u);
}

// GGML_FP32_TO_FP16 of a value, stored as two bytes.
fn out_f16(x: f32) {
  out_u16(f32_bits_to_f16(bitcast<u32>(x)));
}

// kvalues_iq4nl, the 16 non-linear levels of IQ4_NL and IQ4_XS.
fn kv_iq4(c: u32) -> f32 {
  return f32(array<i32, 16>(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113)[c]);
}

// ---- Products that may fall below the normal range ----
// ggml's searches compare products such as sumqx * sumqx > best * sumq2; for very small inputs
// (the golden rows of std 1e-8) those products are float32 subnormals, which a GPU may flush to
// zero. prod_gt compares the IEEE products, rounded as C rounds them, whatever the GPU does.

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

fn mul_bits(a: f32, b: f32) -> u32 {
  return mul_bits_u(bitcast<u32>(a), bitcast<u32>(b));
}

const NORMAL2: f32 = 2.3509887e-38; // 2^-125: a GPU product at least this large is the IEEE one

// Total order key of non-NaN float bits (-0 and +0 are told apart; callers treat both as 0).
fn order_key(u: u32) -> u32 {
  return select(u | 0x80000000u, ~u, (u & 0x80000000u) != 0u);
}

// (a * b > c * d) with both products rounded to float32 as IEEE does, subnormals included.
fn prod_gt(a: f32, b: f32, c: f32, d: f32) -> bool {
  let p = a * b;
  let q = c * d;
  if (abs(p) >= NORMAL2 || abs(q) >= NORMAL2) { return p > q; }
  let pb = mul_bits(a, b);
  let qb = mul_bits(c, d);
  if (((pb | qb) & 0x7fffffffu) == 0u) { return false; }
  return order_key(pb) > order_key(qb);
}

// Bits of ((x * x) * x) * x as C rounds each product (ggml's weight * x * x with weight = x^2);
// non-negative, so the bits order like the values.
fn x4_bits(x: f32) -> u32 {
  let hw = ((x * x) * x) * x;
  if (abs(hw) >= NORMAL2) { return bitcast<u32>(hw); }
  let u = bitcast<u32>(x);
  return mul_bits_u(mul_bits_u(mul_bits_u(u, u), u), u) & 0x7fffffffu;
}

// ggml's float literals, bit for bit (C rounds 0.2f and friends to nearest; spelled as bits so
// no WGSL compiler's literal conversion can differ).
const F_1EM15: f32 = bitcast<f32>(0x26901d7du); // 1e-15f, GROUP_MAX_EPS
const F_1EM8: f32 = bitcast<f32>(0x322bcc77u); // 1e-8f, GROUP_MAX_EPS_IQ3_XXS / _IQ2_S
const F_1EM7: f32 = bitcast<f32>(0x33d6bf95u); // 1e-7f, GROUP_MAX_EPS_IQ1_M
const F_0_1: f32 = bitcast<f32>(0x3dcccccdu);
const F_0_2: f32 = bitcast<f32>(0x3e4ccccdu);
const F_0_9875: f32 = bitcast<f32>(0x3f7ccccdu);
const F_1_0125: f32 = bitcast<f32>(0x3f81999au);
const F_1_033: f32 = bitcast<f32>(0x3f843958u);
const F_1_05: f32 = bitcast<f32>(0x3f866666u);
const F_1_1125: f32 = bitcast<f32>(0x3f8e6666u);
const FLT_MAX: f32 = bitcast<f32>(0x7f7fffffu);
