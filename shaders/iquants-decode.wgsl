// Decoders of the IQ types, matching ggml's dequantize_row_iq2_xxs, _iq2_xs, _iq2_s, _iq3_xxs,
// _iq3_s, _iq1_s, _iq1_m, _iq4_nl and _iq4_xs.
//
// Every IQ2/IQ3/IQ1 block of 256 is 32 groups of 8 elements that share one scale and one or two
// grid points, so a lane decodes one such group (32 lanes per block) and writes 8 neighbouring
// f32 words; IQ4_NL and IQ4_XS lanes take 4 bytes of nibbles (8 outputs). The arithmetic is
// ggml's, in its order, with each float operation rounded as C rounds it: the block scale as
// d * (0.5 + s) then * 0.25 (or * 0.5, or d * (2s + 1)), then scale * grid byte, then the sign
// (a multiplication by +-1, exact); IQ1 adds the delta to the grid value before the product.
// None of these feeds a product into an addition, so FMA contraction cannot change a result.
//
// The grids and ksigns_iq2xs live in one storage table at binding 3 (src/gpu/kernels-iquants.ts
// builds it from the CPU twin's copies of ggml-common.h), u64 grid points as two words.
//
//#include iquants_common

override WG: u32 = 256u;

@group(0) @binding(3) var<storage, read> tbl: array<u32>;

// word offsets in the table (must equal IQ_DECODE_TABLE's layout in kernels-iquants.ts)
const T_IQ2XXS: u32 = 0u;    // 256 x 2 words
const T_IQ2XS: u32 = 512u;   // 512 x 2
const T_IQ2S: u32 = 1536u;   // 1024 x 2
const T_IQ3XXS: u32 = 3584u; // 256 x 1
const T_IQ3S: u32 = 3840u;   // 512 x 1
const T_IQ1S: u32 = 4352u;   // 2048 x 2
const T_KSIGNS: u32 = 8448u; // 128 bytes

fn ksigns(i: u32) -> u32 {
  return (tbl[T_KSIGNS + (i >> 2u)] >> ((i & 3u) * 8u)) & 0xffu;
}

// Eight unsigned grid bytes (lo word = bytes 0-3) times db, negated where `signs` has bit j.
fn put_grid8(out: u32, lo: u32, hi: u32, db: f32, signs: u32) {
  for (var j = 0u; j < 8u; j++) {
    let g = (select(hi, lo, j < 4u) >> ((j & 3u) * 8u)) & 0xffu;
    let v = db * f32(g);
    put_f32(out + j, select(v, -v, ((signs >> j) & 1u) == 1u));
  }
}

// d * (0.5f + s) * 0.25f (IQ2) or * 0.5f (IQ3_XXS), rounded after each operation as in C.
fn half_scale(d: f32, s: u32, f: f32) -> f32 {
  return (d * (0.5 + f32(s))) * f;
}

@compute @workgroup_size(WG)
fn decode_iq2_xxs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 66u;
  let ib = lane.part / 4u;
  let l = lane.part % 4u;
  let d = src_f16(base);
  let a0 = src_u32_at(base + 2u + 8u * ib);
  let a1 = src_u32_at(base + 6u + 8u * ib);
  let db = half_scale(d, a1 >> 28u, 0.25);
  let g = T_IQ2XXS + 2u * ((a0 >> (8u * l)) & 0xffu);
  put_grid8(lane.block * 256u + 8u * lane.part, tbl[g], tbl[g + 1u], db, ksigns((a1 >> (7u * l)) & 127u));
}

@compute @workgroup_size(WG)
fn decode_iq2_xs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 74u;
  let ib = lane.part / 4u;
  let l = lane.part % 4u;
  let d = src_f16(base);
  let sc = src_byte(base + 66u + ib);
  let db = half_scale(d, (sc >> (4u * (l / 2u))) & 0xfu, 0.25);
  let q = src_u16(base + 2u + 2u * lane.part);
  let g = T_IQ2XS + 2u * (q & 511u);
  put_grid8(lane.block * 256u + 8u * lane.part, tbl[g], tbl[g + 1u], db, ksigns(q >> 9u));
}

@compute @workgroup_size(WG)
fn decode_iq2_s(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 82u;
  let ib = lane.part / 4u;
  let l = lane.part % 4u;
  let d = src_f16(base);
  let sc = src_byte(base + 74u + ib);
  let db = half_scale(d, (sc >> (4u * (l / 2u))) & 0xfu, 0.25);
  let qh = src_byte(base + 66u + ib);
  let idx = src_byte(base + 2u + lane.part) | ((qh << (8u - 2u * l)) & 0x300u);
  let signs = src_byte(base + 34u + lane.part);
  let g = T_IQ2S + 2u * idx;
  put_grid8(lane.block * 256u + 8u * lane.part, tbl[g], tbl[g + 1u], db, signs);
}

@compute @workgroup_size(WG)
fn decode_iq3_xxs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 98u;
  let ib = lane.part / 4u;
  let l = lane.part % 4u;
  let d = src_f16(base);
  let aux = src_u32_at(base + 66u + 4u * ib);
  let db = half_scale(d, aux >> 28u, 0.5);
  let q = src_u16(base + 2u + 8u * ib + 2u * l);
  let g1 = tbl[T_IQ3XXS + (q & 0xffu)];
  let g2 = tbl[T_IQ3XXS + (q >> 8u)];
  put_grid8(lane.block * 256u + 8u * lane.part, g1, g2, db, ksigns((aux >> (7u * l)) & 127u));
}

@compute @workgroup_size(WG)
fn decode_iq3_s(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 110u;
  let ib = lane.part / 4u;
  let l = lane.part % 4u;
  let d = src_f16(base);
  let s = (src_byte(base + 106u + ib / 2u) >> (4u * (ib % 2u))) & 0xfu;
  let db = d * f32(1u + 2u * s);
  let qh = src_byte(base + 66u + ib);
  let q = src_u16(base + 2u + 8u * ib + 2u * l);
  let i1 = (q & 0xffu) | ((qh << (8u - 2u * l)) & 256u);
  let i2 = (q >> 8u) | ((qh << (7u - 2u * l)) & 256u);
  let signs = src_byte(base + 74u + lane.part);
  put_grid8(lane.block * 256u + 8u * lane.part, tbl[T_IQ3S + i1], tbl[T_IQ3S + i2], db, signs);
}

// Eight int8 grid values (-1, 0, 1) plus delta, times dl: dl * (grid + delta) as in C.
fn put_iq1(out: u32, g: u32, dl: f32, delta: f32) {
  let lo = tbl[T_IQ1S + 2u * g];
  let hi = tbl[T_IQ1S + 2u * g + 1u];
  for (var j = 0u; j < 8u; j++) {
    let b = (select(hi, lo, j < 4u) >> ((j & 3u) * 8u)) & 0xffu;
    let v = f32(i32(b << 24u) >> 24u);
    put_f32(out + j, dl * (v + delta));
  }
}

@compute @workgroup_size(WG)
fn decode_iq1_s(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 50u;
  let ib = lane.part / 4u;
  let l = lane.part % 4u;
  let d = src_f16(base);
  let qh = src_u16(base + 34u + 2u * ib);
  let dl = d * f32(2u * ((qh >> 12u) & 7u) + 1u);
  let delta = select(0.125, -0.125, (qh & 0x8000u) != 0u);
  let g = src_byte(base + 2u + lane.part) | (((qh >> (3u * l)) & 7u) << 8u);
  put_iq1(lane.block * 256u + 8u * lane.part, g, dl, delta);
}

@compute @workgroup_size(WG)
fn decode_iq1_m(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 56u;
  let ib = lane.part / 4u;
  let l = lane.part % 4u;
  let sc01 = src[(base + 48u) >> 2u]; // sc[0], sc[1]: 56 * block + 48 is word aligned
  let sc23 = src[(base + 52u) >> 2u];
  let f16 = ((sc01 & 0xffffu) >> 12u) | ((sc01 >> 24u) & 0x00f0u) | (((sc23 & 0xffffu) >> 4u) & 0x0f00u) | ((sc23 >> 16u) & 0xf000u);
  let d = f16_to_f32(f16);
  let sc = (select(sc23, sc01, ib < 4u) >> (16u * ((ib / 2u) % 2u))) & 0xffffu;
  let s = (sc >> (6u * (ib % 2u) + 3u * (l / 2u))) & 7u;
  let dl = d * f32(2u * s + 1u);
  let qh = src_byte(base + 32u + 2u * ib + l / 2u);
  let g = src_byte(base + 4u * ib + l) | ((qh << (8u - 4u * (l % 2u))) & 0x700u);
  let delta = select(0.125, -0.125, (qh & (0x08u << (4u * (l % 2u)))) != 0u);
  put_iq1(lane.block * 256u + 8u * lane.part, g, dl, delta);
}

// Four nibble bytes `q` of a 32-group starting at element `out`: low nibbles at +j, high at +16+j.
fn put_iq4(out: u32, q: u32, d: f32) {
  for (var k = 0u; k < 4u; k++) {
    let b = q >> (8u * k);
    put_f32(out + k, d * kv_iq4(b & 0xfu));
    put_f32(out + 16u + k, d * kv_iq4((b >> 4u) & 0xfu));
  }
}

@compute @workgroup_size(WG)
fn decode_iq4_nl(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 4u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 18u;
  let d = src_f16(base);
  put_iq4(lane.block * 32u + 4u * lane.part, src_u32_at(base + 2u + 4u * lane.part), d);
}

@compute @workgroup_size(WG)
fn decode_iq4_xs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let lane = lane_of(gid, nwg, WG, 32u);
  if (lane.block >= params.n) { return; }
  let base = lane.block * 136u; // word aligned
  let ib = lane.part / 4u;
  let k = lane.part % 4u;
  let w0 = src[base >> 2u]; // d, scales_h
  let d = f16_to_f32(w0 & 0xffffu);
  let lo = (src_byte(base + 4u + ib / 2u) >> (4u * (ib % 2u))) & 0xfu;
  let ls = lo | (((w0 >> (16u + 2u * ib)) & 3u) << 4u);
  let dl = d * f32(i32(ls) - 32);
  put_iq4(lane.block * 256u + 32u * ib + 4u * k, src[(base + 8u + 16u * ib + 4u * k) >> 2u], dl);
}
