// IQ3_XXS and IQ3_S encoders: quantize_row_iq3_xxs_impl(256, ...) and quantize_row_iq3_s_impl
// as ggml_quantize_chunk calls them without an importance matrix (weight = x^2), and with one
// (encode_iq3_*_w: weight = qw * sqrt(sigma2 + x^2), see below).
//
// Per 32 elements (one lane walks the 8 groups of a block in order): signs are split off
// (IQ3_XXS keeps an even count of minus signs by flipping the element of least x^4); then for
// 31 (IQ3_XXS) or 19 (IQ3_S) trial scales id = (15 + is * 0.2) / max every 4 values get levels
// l = nearest_int((id * |x| - 1) / 2) in [0, 7]; a 4-vector off the grid is replaced by its best
// neighbour (iq3_find_best_neighbour: the first smallest sum of sqrt(w) (scale q - x)^2 over the
// precomputed list); a trial is kept when sumqx^2 > best * sumq2. Off-grid vectors are then
// re-picked at the kept scale, which is refit. The block scale is max_scale / 31, stored as
// f16(d * 1.0125f) or f16(d * 1.033f), with 4-bit group scales nearest_int((s / d - 1) / 2).
//
// Exactness: C's order of operations throughout; every division and sqrtf through div_rn and
// sqrt_rn; every product that C rounds before an addition or subtraction goes through no_fma;
// the sumqx^2 > best * sumq2 test and the x^4 comparison are done on IEEE products even where
// they are subnormal (prod_gt, x4_bits); ties keep the first candidate, as ggml's loops do.
// The level vectors' grid map and neighbour lists come from a storage table (binding 3) that
// src/gpu/kernels-iquants.ts builds as iq3xs_init_impl does.
// One lane encodes two blocks: 2 x 98 bytes (IQ3_XXS) or 2 x 110 bytes (IQ3_S), whole words.
//
// The importance weights are read only by shaders/iquants-iq3-w.wgsl (qw_at here is never reached: use_qw stays false).
fn qw_at(i: u32) -> f32 { return 0.0; }

//#include iquants_iq3_body

@compute @workgroup_size(WG)
fn encode_iq3_xxs(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  grid_n = 256u;
  out_begin(g * 49u);
  for (var i = 0u; i < rolled(2u); i++) { encode_iq3_xxs_block(2u * g + i); }
}

@compute @workgroup_size(WG)
fn encode_iq3_s(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  grid_n = 512u;
  out_begin(g * 55u);
  for (var i = 0u; i < rolled(2u); i++) { encode_iq3_s_block(2u * g + i); }
}
