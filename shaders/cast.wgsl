// F32 <-> F16 / BF16 casts, on raw bits.
//
// Each invocation produces one u32 word of output: two f16/bf16 values when narrowing, one f32
// when widening (it reads one word holding two halves and writes two words). The conversions are
// the integer-only functions in common.wgsl, bit-identical to ggml_fp32_to_fp16_row,
// ggml_fp32_to_bf16_row_ref and ggml's to_float for F16/BF16, for every input including NaN, Inf
// and subnormals (golden/fpconv and golden/dequant_only check all of them).
//
//#include common

override WG: u32 = 256u;

struct Params {
  n: u32, // elements in this chunk
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn narrow(i: u32, to_bf16: bool) {
  let e = 2u * i;
  if (e >= params.n) { return; }
  var lo: u32;
  var hi = 0u;
  if (to_bf16) {
    lo = f32_bits_to_bf16(src[e]);
    if (e + 1u < params.n) { hi = f32_bits_to_bf16(src[e + 1u]); }
  } else {
    lo = f32_bits_to_f16(src[e]);
    if (e + 1u < params.n) { hi = f32_bits_to_f16(src[e + 1u]); }
  }
  dst[i] = lo | (hi << 16u);
}

fn widen(i: u32, from_bf16: bool) {
  let e = 2u * i;
  if (e >= params.n) { return; }
  let w = src[i];
  if (from_bf16) {
    dst[e] = w << 16u;
    if (e + 1u < params.n) { dst[e + 1u] = w & 0xffff0000u; }
  } else {
    dst[e] = f16_bits_to_f32(w & 0xffffu);
    if (e + 1u < params.n) { dst[e + 1u] = f16_bits_to_f32(w >> 16u); }
  }
}

@compute @workgroup_size(WG)
fn encode_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  narrow(flat_index(gid, nwg, WG), false);
}

@compute @workgroup_size(WG)
fn encode_bf16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  narrow(flat_index(gid, nwg, WG), true);
}

@compute @workgroup_size(WG)
fn decode_f16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  widen(flat_index(gid, nwg, WG), false);
}

@compute @workgroup_size(WG)
fn decode_bf16(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  widen(flat_index(gid, nwg, WG), true);
}
