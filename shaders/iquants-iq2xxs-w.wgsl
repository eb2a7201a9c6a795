// IQ2_XXS and IQ2_XS encoders, which ggml has only with an importance matrix:
// quantize_row_iq2_xxs_impl and quantize_row_iq2_xs_impl given quant_weights (ggml-quants.c,
// llama.cpp 34af94cd); CPU twin src/codecs/iq-encode-iq2xxs.ts.
//
// Per 8 elements one point of the 256-point (XXS) or 512-point (XS) grid of levels 1, 3, 5 times
// the group's scale, with 7 sign bits: the eighth is implied by an even count of minus signs, so
// an odd count flips back the element with the smallest weight * x^2. Weights are
// qw * sqrt(sigma2 + x^2), sigma2 the super-block's mean square. IQ2_XXS (groups of 32) seeds the
// scale with make_qp_quants(32, 4), tries 13 scales (5 + is * 0.1) / (3 * scale) and re-picks
// every sub-vector at the kept scale; IQ2_XS (groups of 16) tries 19 scales (5 + is * 0.1) / max
// and re-picks the sub-vectors that were off the grid. An off-grid vector becomes its best
// neighbour (iq2_find_best_neighbour over the 2 nearest distance shells); a trial is kept when
// sumqx^2 > best * sumq2. The block scale is max_scale / 31 (f16), group scales 4 bits,
// nearest_int((s / d - 1) / 2).
//
// Exactness as in shaders/iquants-iq2s.wgsl: C's order, div_rn / sqrt_rn, no_fma before adds,
// the trial and make_qp_quants comparisons on IEEE products down to the subnormals, and tiny
// groups searched with IEEE arithmetic on bits (iquants_iq2xxs_group.wgsl). NaN-aware
// comparisons on bits where ggml's NaN behaviour decides bytes (a NaN makes every weight of its
// super-block NaN: IQ2_XXS then skips the groups, IQ2_XS finds no neighbour). Where ggml aborts
// (no neighbour with a finite error, a scale not >= 0, levels off the grid) the abort word says
// so (codes 1, 2, 3) with the block. One lane encodes two blocks (whole words).

//#include iquants_iq2xxs_group

fn sigma2_of(x0: u32) -> f32 {
  var sumx2 = 0.0;
  for (var i = 0u; i < 256u; i++) {
    let x = src_f32(x0 + i);
    sumx2 = fadd(sumx2, fmul(x, x, true), true);
  }
  return div_rn(sumx2, 256.0);
}

// The block after d: IQ2_XXS 16 words (per group: 4 grid bytes; 4 x 7 sign bits | scale << 28),
// IQ2_XS 18 words (32 u16 grid index | signs << 9, then 8 bytes of scale nibbles).
var<private> body: array<u32, 18>;

fn emit(d_bits: u32, words: u32) {
  out_u16(d_bits);
  for (var w = 0u; w < words; w++) {
    let v = body[w];
    out_byte(v);
    out_byte(v >> 8u);
    out_byte(v >> 16u);
    out_byte(v >> 24u);
  }
}

// The 4-bit code of group scale s under block scale d (id = 1 / d).
fn scale_code(id: f32, s: f32) -> u32 {
  return u32(clamp(nearest_int(0.5 * (no_fma(id * s) - 1.0)), 0, 15));
}

fn encode_xxs(b: u32) {
  cur_block = b;
  for (var w = 0u; w < 16u; w++) { body[w] = 0u; }
  let x0 = b * 256u;
  let sigma2 = sigma2_of(x0);
  var scales: array<f32, 8>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < rolled(8u); ib++) {
    let s = group_xxs(x0 + 32u * ib, sigma2);
    scales[ib] = s;
    if (skipped) { continue; }
    for (var k = 0u; k < 4u; k++) {
      let g = grid_index(k);
      if (g < 0) { report_abort(3u); }
      body[2u * ib] |= (u32(g) & 255u) << (8u * k);
      body[2u * ib + 1u] |= signs[k] << (7u * k);
    }
    if (!scale_ok(s)) { report_abort(2u); }
    max_scale = select(s, max_scale, fgt(max_scale, s));
  }
  var d_bits = 0u;
  if ((bitcast<u32>(max_scale) & 0x7fffffffu) == 0u) {
    for (var w = 0u; w < 16u; w++) { body[w] = 0u; }
  } else {
    let d = div_rn(max_scale, 31.0);
    d_bits = f32_bits_to_f16(bitcast<u32>(d));
    let id = div_rn(1.0, d);
    for (var ib = 0u; ib < 8u; ib++) { body[2u * ib + 1u] |= scale_code(id, scales[ib]) << 28u; }
  }
  emit(d_bits, 16u);
}

fn encode_xs(b: u32) {
  cur_block = b;
  for (var w = 0u; w < 18u; w++) { body[w] = 0u; }
  let x0 = b * 256u;
  let sigma2 = sigma2_of(x0);
  var scales: array<f32, 16>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < rolled(16u); ib++) {
    let s = group_xs(x0 + 16u * ib, sigma2);
    scales[ib] = s;
    if (skipped) { continue; }
    for (var k = 0u; k < 2u; k++) {
      let g = grid_index(k);
      if (g < 0) { report_abort(3u); }
      body[ib] |= ((u32(g) & 511u) | (signs[k] << 9u)) << (16u * k);
    }
    if (!scale_ok(s)) { report_abort(2u); }
    max_scale = select(s, max_scale, fgt(max_scale, s));
  }
  var d_bits = 0u;
  if ((bitcast<u32>(max_scale) & 0x7fffffffu) == 0u) {
    for (var w = 0u; w < 18u; w++) { body[w] = 0u; }
  } else {
    let d = div_rn(max_scale, 31.0);
    d_bits = f32_bits_to_f16(bitcast<u32>(d));
    let id = div_rn(1.0, d);
    for (var ib = 0u; ib < 16u; ib++) { body[16u + ib / 8u] |= scale_code(id, scales[ib]) << (4u * (ib % 8u)); }
  }
  emit(d_bits, 18u);
}

@compute @workgroup_size(WG)
fn encode_iq2_xxs_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  grid_n = 256u;
  out_begin(g * 33u);
  for (var i = 0u; i < rolled(2u); i++) { encode_xxs(2u * g + i); }
}

@compute @workgroup_size(WG)
fn encode_iq2_xs_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  grid_n = 512u;
  out_begin(g * 37u);
  for (var i = 0u; i < rolled(2u); i++) { encode_xs(2u * g + i); }
}
