// Bindings and byte-level plumbing shared by the IQ and low-bit codec kernels (iquants-*.wgsl,
// lowbit-*.wgsl). The interface is src/gpu/kernel.ts's: src and dst are u32 words, bytes packed
// little-endian; params.zero is 0 at run time (fmath.wgsl's anti-FMA barrier).
//
// Decoders split a block across `parts` lanes: lane (block, part) writes a run of f32 words of its
// own block, so neighbouring lanes write neighbouring words. Encoders give one lane a group of
// whole blocks whose bytes end on a word boundary, and emit the bytes in order through out_byte,
// which stores each word once it is full (no read-modify-write, no atomics).
//
// Below the kernels' plumbing: IEEE float32 products and sums on bits (mul_bits_u from fmath.wgsl, add_bits_u)
// for the cases where a GPU's own arithmetic may differ from x86's, which ggml's reference runs
// on: subnormal operands or results (many GPUs, SwiftShader included, flush them to zero), and
// comparisons on bits so a subnormal is not taken for zero.
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

// kvalues_iq4nl, the 16 non-linear levels of IQ4_NL and IQ4_XS. A private variable, not a
// `const` array: indexing a constant array with a run-time index makes compilers copy it into a
// local array on every call.
var<private> KV_IQ4: array<f32, 16> = array<f32, 16>(-127.0, -104.0, -83.0, -65.0, -49.0, -35.0, -22.0, -10.0, 1.0, 13.0, 25.0, 38.0, 53.0, 69.0, 89.0, 113.0);

fn kv_iq4(c: u32) -> f32 {
  return KV_IQ4[c & 15u];
}

// ---- Products that may fall below the normal range ----
// The exact (bit-level) paths sit in loops that run once or not at all, not in `if` bodies:
// SwiftShader emits both sides of every branch under a lane mask, but skips a loop that no lane
// enters, so a path no lane needs costs nothing there (on hardware GPUs it is just a branch).
// ggml's searches compare products such as sumqx * sumqx > best * sumq2; for very small inputs
// (the golden rows of std 1e-8) those products are float32 subnormals, which a GPU may flush to
// zero. prod_gt compares the IEEE products, rounded as C rounds them, whatever the GPU does.

fn mul_bits(a: f32, b: f32) -> u32 {
  return mul_bits_u(bitcast<u32>(a), bitcast<u32>(b));
}

// a * b as C rounds it, kept exact (as bits in an f32) when the product is subnormal; such a
// value must only be compared or passed to prod_gt / mul_bits, which read its bits.
fn mul_exact(a: f32, b: f32) -> f32 {
  var p = a * b;
  for (var k = u32(abs(p) >= SAFE_NORMAL); k < 1u; k++) { p = bitcast<f32>(mul_bits(a, b)); }
  return p;
}

// Bits of the correctly rounded float32 sum of two float32 bit patterns, subnormals included.
fn add_bits_u(ua: u32, ub: u32) -> u32 {
  let aa = ua & 0x7fffffffu;
  let ab = ub & 0x7fffffffu;
  if (aa >= 0x7f800000u || ab >= 0x7f800000u) { return bitcast<u32>(bitcast<f32>(ua) + bitcast<f32>(ub)); }
  if (aa == 0u) { return select(ub, ua & ub, ab == 0u); } // (+0) + (-0) = +0
  if (ab == 0u) { return ua; }
  var x = ua; // the operand of larger magnitude
  var y = ub;
  if (ab > aa) {
    x = ub;
    y = ua;
  }
  let sign = x & 0x80000000u;
  var ex = i32((x >> 23u) & 0xffu);
  let ey = i32((y >> 23u) & 0xffu);
  // significands with 3 extra bits (guard, round, sticky); subnormals have exponent 1
  var mx = select((x & 0x7fffffu) | 0x800000u, x & 0x7fffffu, ex == 0) << 3u;
  var my = select((y & 0x7fffffu) | 0x800000u, y & 0x7fffffu, ey == 0) << 3u;
  ex = max(ex, 1);
  let d = u32(ex - max(ey, 1));
  if (d >= 27u) {
    my = select(0u, 1u, my != 0u);
  } else if (d > 0u) {
    my = (my >> d) | select(0u, 1u, (my & ((1u << d) - 1u)) != 0u);
  }
  var m = select(mx - my, mx + my, ((x ^ y) & 0x80000000u) == 0u);
  if (m == 0u) { return 0u; }
  var e = ex;
  if (m >= 0x8000000u) {
    m = (m >> 1u) | (m & 1u);
    e += 1;
  } else {
    // bring the leading bit to position 26, but not below exponent 1 (subnormal results)
    let sh = min(i32(countLeadingZeros(m)) - 5, e - 1);
    if (sh > 0) {
      m = m << u32(sh);
      e -= sh;
    }
  }
  let low = m & 7u;
  m = m >> 3u;
  if (low > 4u || (low == 4u && (m & 1u) == 1u)) { m += 1u; }
  if (m >= 0x1000000u) {
    m = m >> 1u;
    e += 1;
  }
  if (e >= 255) { return sign | 0x7f800000u; }
  let ef = select(u32(e), 0u, m < 0x800000u);
  return sign | (ef << 23u) | (m & 0x7fffffu);
}

fn is_subnormal(x: f32) -> bool {
  let u = bitcast<u32>(x);
  return (u & 0x7f800000u) == 0u && (u & 0x7fffffu) != 0u;
}

const MIN_NORMAL: f32 = bitcast<f32>(0x00800000u);

// a + b as IEEE rounds it, subnormal operands and results included.
fn add_exact(a: f32, b: f32) -> f32 {
  return fadd(a, b, true);
}

// Float operations for a search that may run on values so small that intermediate results are
// subnormal (`exact`): then IEEE results on bits where the GPU's could differ, else plain GPU
// arithmetic. Products come out through no_fma, since callers add them.
fn fmul(a: f32, b: f32, exact: bool) -> f32 {
  var p = a * b;
  for (var k = u32(!exact || abs(p) >= SAFE_NORMAL); k < 1u; k++) { p = bitcast<f32>(mul_bits(a, b)); }
  return no_fma(p);
}

fn fadd(a: f32, b: f32, exact: bool) -> f32 {
  var s = a + b;
  let fast = !exact || (!is_subnormal(a) && !is_subnormal(b) && abs(s) >= MIN_NORMAL);
  for (var k = u32(fast); k < 1u; k++) { s = bitcast<f32>(add_bits_u(bitcast<u32>(a), bitcast<u32>(b))); }
  return s;
}

// C's a < b, subnormals compared by their bits (false when either is NaN).
fn flt(a: f32, b: f32, exact: bool) -> bool {
  if (!exact || (!is_subnormal(a) && !is_subnormal(b))) { return a < b; }
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  if (((ua | ub) & 0x7fffffffu) == 0u || (ua & 0x7fffffffu) > 0x7f800000u || (ub & 0x7fffffffu) > 0x7f800000u) { return false; }
  return order_key(ua) < order_key(ub);
}

// C's x > 0 on bits: subnormals included, false for NaN.
fn gt0(x: f32) -> bool {
  let u = bitcast<u32>(x);
  return u != 0u && u <= 0x7f800000u;
}

// C's `x >= 0` on bits (true for +-0, false for NaN), so a GPU that treats subnormal inputs
// as zero still sees a negative subnormal as negative; and |x| (or -x) as a sign-bit change.
fn ge0(x: f32) -> bool {
  let u = bitcast<u32>(x);
  return (u & 0x7fffffffu) <= 0x7f800000u && ((u >> 31u) == 0u || u == 0x80000000u);
}

fn neg(x: f32) -> f32 {
  return bitcast<f32>(bitcast<u32>(x) ^ 0x80000000u);
}

// |a| > |b| for non-NaN magnitudes, on bits (subnormals are not zero here).
fn abs_bits(x: f32) -> u32 {
  return bitcast<u32>(x) & 0x7fffffffu;
}

// C's a > b on bits: subnormals are not zero, +0 > -0 is false, NaN compares false.
fn fgt(a: f32, b: f32) -> bool {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  if (((ua | ub) & 0x7fffffffu) == 0u || (ua & 0x7fffffffu) > 0x7f800000u || (ub & 0x7fffffffu) > 0x7f800000u) { return false; }
  return order_key(ua) > order_key(ub);
}

// A loop bound the compiler cannot see through, so loops whose bodies hold the exact (bit-level)
// paths are not unrolled into many copies of them (compile time, code size).
fn rolled(n: u32) -> u32 {
  return n + params.zero;
}

// Below this group maximum the encoders' sums may hold subnormal terms that matter.
const TINY_GROUP: f32 = bitcast<f32>(0x35800000u); // 2^-20

// (a * b > c * d) with both products rounded to float32 as IEEE does, subnormals included.
fn prod_gt(a: f32, b: f32, c: f32, d: f32) -> bool {
  let p = a * b;
  let q = c * d;
  var r = p > q;
  for (var k = u32(abs(p) >= SAFE_NORMAL || abs(q) >= SAFE_NORMAL); k < 1u; k++) {
    let pb = mul_bits(a, b);
    let qb = mul_bits(c, d);
    let nan = (pb & 0x7fffffffu) > 0x7f800000u || (qb & 0x7fffffffu) > 0x7f800000u;
    r = !nan && ((pb | qb) & 0x7fffffffu) != 0u && order_key(pb) > order_key(qb);
  }
  return r;
}

// Bits of ((x * x) * x) * x as C rounds each product (ggml's weight * x * x with weight = x^2);
// non-negative, so the bits order like the values.
fn x4_bits(x: f32) -> u32 {
  let hw = ((x * x) * x) * x;
  var r = bitcast<u32>(hw);
  for (var k = u32(abs(hw) >= SAFE_NORMAL); k < 1u; k++) {
    let u = bitcast<u32>(x);
    r = mul_bits_u(mul_bits_u(mul_bits_u(u, u), u), u) & 0x7fffffffu;
  }
  return r;
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

// --- abort reports (the grid-search encoders) ---
// Where ggml's quantizer aborts (a group scale that is not >= 0, from NaN or Inf input; no grid
// neighbour with a finite error, from magnitudes near 1e10; IQ2_XXS / IQ2_XS levels off the grid),
// the encoder records why in this word pair instead of writing bytes the CPU would refuse:
// abort_word[0] the largest reason code seen (1 no finite neighbour, 2 scale not >= 0, 3 levels
// not on the grid), abort_word[1] the lowest block that aborted.
// The host clears it to (0, 0xffffffff) before the dispatch and refuses the chunk when [0] != 0.
// Only the entry points that call report_abort have the binding in their layout.
@group(0) @binding(5) var<storage, read_write> abort_word: array<atomic<u32>, 2>;
var<private> cur_block: u32;

fn report_abort(code: u32) {
  atomicMax(&abort_word[0], code);
  atomicMin(&abort_word[1], cur_block);
}

// GGML_ASSERT(scale >= 0) on bits (a compiler may assume floats are not NaN): +0, -0, positive
// values and +Inf pass; NaN and negative values fail.
fn scale_ok(s: f32) -> bool {
  let b = bitcast<u32>(s);
  return (b & 0x7fffffffu) == 0u || b <= 0x7f800000u;
}
