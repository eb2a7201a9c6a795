// IQ2_S encoder: quantize_row_iq2_s_impl as quantize_iq2_s calls it from ggml_quantize_chunk
// without an importance matrix (weight = sigma2 / 4 + x^2, sigma2 = 2 sum(x^2) / 256), and with
// one (encode_iq2_s_w: weight = qw * sqrt(sigma2 + x^2)).
//
// Per 16 elements (one lane walks the 16 groups of a block in order): signs are split off;
// for 19 trial scales id = (5 + is * 0.1) / max every 8 values get levels
// l = nearest_int((id * |x| - 1) / 2) in [0, 2]; an 8-vector off the 1024-point grid becomes
// its best neighbour (iq2_find_best_neighbour: first smallest sum of sqrt(w) (scale q - x)^2 over
// the precomputed list); a trial is kept when sumqx^2 > best * sumq2. Off-grid vectors are then
// re-picked at the kept scale, which is refit. The block scale is max_scale / 31, stored as
// f16(d * 0.9875f), with 4-bit group scales nearest_int((s / d - 1) / 2).
//
// Exactness: C's order of operations; divisions and sqrtf by div_rn and sqrt_rn; products that
// C rounds before an addition or subtraction through no_fma (sum(x^2), the weights, the sums,
// scale * q - x); sumqx^2 > best * sumq2 on IEEE products down to the subnormals (prod_gt);
// ties keep the first candidate. Grid map and neighbour lists: storage table at binding 3,
// built by src/gpu/kernels-iquants.ts as iq2xs_init_impl(IQ2_S) does.
// One lane encodes two blocks (2 x 82 bytes, whole words).
//
// The importance weights are read only by shaders/iquants-iq2s-w.wgsl (qw_at here is never reached: use_qw stays false).
fn qw_at(i: u32) -> f32 { return 0.0; }

//#include iquants_iq2s_body

@compute @workgroup_size(WG)
fn encode_iq2_s(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  out_begin(g * 41u);
  for (var i = 0u; i < rolled(2u); i++) { encode_block(2u * g + i); }
}
