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
