// Bindings and byte access shared by the block-codec kernels (legacy-*, kquants-*, plain), included with
// `//#include legacy_io`. The interface is src/gpu/kernel.ts's: src and dst are u32 words, params
// holds the block count `n` and the run-time zero that fmath.wgsl's no_fma needs.
//
// Quantized blocks are bytes packed little-endian in words and most block sizes are not a multiple
// of 4, so reads go through byte_at / word_at (any byte offset) and writes through a small
// streaming writer that assembles bytes in a register and stores each u32 word once, whole.
// An encoder invocation owns a run of blocks that starts and ends on a word boundary (Q4_0's
// 18-byte blocks go in pairs), so no two invocations ever store the same word.
//
//#include common
//#include fmath

override WG: u32 = 256u;

struct Params {
  n: u32, // blocks (or elements, for the plain dtypes) in this chunk
  zero: u32, // 0 at run time: fmath.wgsl's anti-FMA barrier
  _p2: u32,
  _p3: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

// params.zero, copied once per invocation by begin_zero (group_base and out_begin call it, and
// every entry point starts with one of them): a private copy is far cheaper to read in the hot
// loops than the uniform (3x faster K-quant encoders on SwiftShader), and just as opaque to the
// compiler. An entry point that skipped it would read a constant 0, and no_fma would no longer
// stop FMA contraction.
var<private> zero_word: u32;

fn begin_zero() {
  zero_word = params.zero;
}

fn fmath_zero() -> u32 {
  return zero_word;
}

fn byte_at(i: u32) -> u32 {
  return (src[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// Four bytes starting at any byte offset, as one little-endian word.
fn word_at(i: u32) -> u32 {
  let s = (i & 3u) * 8u;
  let w0 = src[i >> 2u];
  if (s == 0u) { return w0; }
  return (w0 >> s) | (src[(i >> 2u) + 1u] << (32u - s));
}

fn half_at(i: u32) -> u32 {
  let s = (i & 3u) * 8u;
  if (s <= 16u) { return (src[i >> 2u] >> s) & 0xffffu; }
  return byte_at(i) | (byte_at(i + 1u) << 8u);
}

// An f16 field at byte i, as the f32 value GGML_FP16_TO_FP32 gives.
fn half_f32_at(i: u32) -> f32 {
  return f16_to_f32(half_at(i));
}

// The byte i of word w, sign-extended as C's (int8_t) does.
fn sbyte(w: u32, i: u32) -> i32 {
  return (bitcast<i32>(w << (24u - 8u * i))) >> 24u;
}

// Four decoded floats to dst[o .. o + 4).
fn put4(o: u32, a: f32, b: f32, c: f32, d: f32) {
  dst[o] = bitcast<u32>(a);
  dst[o + 1u] = bitcast<u32>(b);
  dst[o + 2u] = bitcast<u32>(c);
  dst[o + 3u] = bitcast<u32>(d);
}

// First block of this workgroup: decoders give each workgroup WG consecutive blocks and let its
// lanes walk them in 4-float parts, so neighbouring lanes write neighbouring 16-byte runs.
fn group_base(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  begin_zero();
  return (wid.x + wid.y * nwg.x) * WG;
}

// a / b correctly rounded, as div_rn (fmath.wgsl) gives it, for every input (subnormals, zeros,
// Inf and NaN included), without div_rn's 24-step loop: the GPU divides the two 24-bit
// significands (both normal floats, so WGSL bounds the error by 2.5 ulp), which puts the
// quotient's significand Q within 3 of the true one; the exact remainder R = ma * 2^k - Q * mb
// is then below 2^27 in magnitude, so it is exact in the low 32 bits of the integer products,
// and one integer floor(R / mb) corrects Q. R / mb also gives the rounding (pack_rounded, which
// places subnormal results). No loops: each helper call is inlined, and SwiftShader's compile
// time grows fast with loops in inlined code.
fn div_rn_fast(a: f32, b: f32) -> f32 {
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  let sign = (ua ^ ub) & 0x80000000u;
  let aa = ua & 0x7fffffffu;
  let ab = ub & 0x7fffffffu;
  var special = 0xffffffffu;
  if (aa > 0x7f800000u || ab > 0x7f800000u || (aa == ab && (aa == 0u || aa == 0x7f800000u))) {
    special = 0x7fc00000u; // NaN, 0 / 0, Inf / Inf
  } else if (aa == 0x7f800000u || ab == 0u) {
    special = sign | 0x7f800000u;
  } else if (ab == 0x7f800000u || aa == 0u) {
    special = sign;
  }
  if (special != 0xffffffffu) { return bitcast<f32>(special | fmath_zero()); }
  let x = unpack_f32(aa);
  let y = unpack_f32(ab);
  return bitcast<f32>(div_significands(sign, x, y, bitcast<u32>(f32(x.m) / f32(y.m))));
}

// The bits of sign * (x.m / y.m) * 2^(x.e - y.e), correctly rounded, from the bits uq of an
// approximation of x.m / y.m within 3 ulp (tests feed it deliberately wrong ones).
fn div_significands(sign: u32, x: Unpacked, y: Unpacked, uq: u32) -> u32 {
  var e = i32(uq >> 23u) - 127; // -1, 0 or 1: x.m / y.m lies in (1/2, 2)
  var q = (uq & 0x7fffffu) | 0x800000u;
  let m = i32(y.m);
  // x.m / y.m = (x.m * 2^(23 - e) / y.m) * 2^(e - 23); low 32 bits of the exact remainder
  var r = bitcast<i32>((x.m << u32(23 - e)) - q * y.m);
  let steps = select(r / m, -((m - 1 - r) / m), r < 0); // floor(r / m)
  q = u32(i32(q) + steps);
  r -= steps * m;
  if (q >= 0x1000000u) { // the quotient reached the next binade: halve, the dropped bit rounds
    let odd = (q & 1u) == 1u;
    q >>= 1u;
    e += 1;
    return pack_rounded(sign, q, x.e - y.e + e, odd, r != 0);
  }
  if (q < 0x800000u) { // one bit short: take the next quotient bit from the remainder
    let bit = select(0u, 1u, 2 * r >= m);
    q = 2u * q + bit;
    r = 2 * r - i32(bit) * m;
    e -= 1;
  }
  return pack_rounded(sign, q, x.e - y.e + e, 2 * r >= m, r != 0 && 2 * r != m);
}

// --- streaming byte writer (encoders) ---
var<private> out_pos: u32; // next byte offset in dst
var<private> out_word: u32; // bytes of the word being assembled

fn out_begin(byte_offset: u32) {
  begin_zero();
  out_pos = byte_offset;
  out_word = 0u;
}

fn out_byte(b: u32) {
  out_word |= (b & 0xffu) << ((out_pos & 3u) * 8u);
  out_pos += 1u;
  if ((out_pos & 3u) == 0u) {
    dst[(out_pos >> 2u) - 1u] = out_word;
    out_word = 0u;
  }
}

fn out_half(h: u32) {
  out_byte(h);
  out_byte(h >> 8u);
}

// GGML_FP32_TO_FP16(x) stored; returns the value the block now holds (GGML_FP16_TO_FP32 of it).
fn out_f16(x: f32) -> f32 {
  let h = f32_bits_to_f16(bitcast<u32>(x));
  out_half(h);
  return f16_to_f32(h);
}

fn out_u32(w: u32) {
  out_byte(w);
  out_byte(w >> 8u);
  out_byte(w >> 16u);
  out_byte(w >> 24u);
}

// The f32 input element i of an encoder, or 0 for a block past the chunk's end (the partner of
// the last block in a pair): padding is encoded from zeros, never from stale buffer contents.
fn x_at(i: u32, live: bool) -> f32 {
  if (!live) { return 0.0; }
  return bitcast<f32>(src[i]);
}

// C's (int)roundf(v): half away from zero. v - trunc(v) is exact for every float.
fn roundf_i(v: f32) -> i32 {
  let t = trunc(v);
  var r = i32(t);
  if (abs(v - t) >= 0.5) {
    if (v < 0.0) { r -= 1; } else { r += 1; }
  }
  return r;
}

// C's (int8_t)(v) for a float v as x86-64 does it: truncate to int, keep the low byte.
fn int8_trunc(v: f32) -> i32 {
  return (i32(v) << 24u) >> 24u;
}
