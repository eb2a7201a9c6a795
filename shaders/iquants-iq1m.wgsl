// IQ1_M encoder: quantize_row_iq1_m_impl as quantize_iq1_m calls it from ggml_quantize_chunk
// without an importance matrix (weight = x^2), and with one (encode_iq1_m_w in
// shaders/iquants-iq1m-w.wgsl: weight = qw * sqrt(sigma2 + x^2), sigma2 = 2 sum(x^2) / 256).
//
// Per 16 elements (one lane walks the 16 groups of a block in order): the values are sorted
// (stably, as glibc's merge-sort qsort leaves equal values), and every split (i1, i2) of the
// sorted order into levels -1, 0, +1 is scored for the four shift patterns (each half of 8 takes
// levels shifted by +0.125 or -0.125); a pattern wins when sumqx^2 > best * sumq2. The two
// 8-vectors of levels are looked up on the 2048-point grid, off-grid ones replaced by
// iq1_find_best_neighbour2 (first smallest sum of w (scale q - x)^2 over the precomputed list)
// and the scale refit. Group scales get 3 bits of max_scale / 15; the block scale is refit over
// all 256 values and stored as f16(d * 1.1125f), spread over the top nibbles of the scales.
//
// Exactness: the split sums add the same terms in the same order as ggml (sorted position 0..15,
// the running sums of the first two levels reused, which changes no float result); divisions by
// div_rn; products that C rounds before an addition or subtraction through no_fma;
// sumqx^2 > best * sumq2 on IEEE products (prod_gt); ties keep the first candidate. A group whose
// sums may be subnormal (below 2^-20, or a weight below 2^-60) is searched with IEEE-exact
// products and sums (search_exact), each split summed from scratch as ggml writes it.
// Where ggml aborts, the abort word (binding 5) says why instead: a group scale not >= 0 (NaN
// or Inf input; code 2), or no neighbour with a finite error (|x| near 1e19, whose squares
// overflow; code 1), where ggml's fallback scan over the whole grid reads past its 8 values.
// Grid map and neighbour lists: storage table at binding 3 (iq2xs_init_impl(IQ1_M)), with the
// shared helpers in shaders/iquants_iq1_grid.wgsl.
// One lane encodes one block (56 bytes, whole words).
//
// The importance weights are read only by shaders/iquants-iq1m-w.wgsl (qw_at here is never reached: use_qw stays false).
fn qw_at(i: u32) -> f32 { return 0.0; }

//#include iquants_iq1m_body

@compute @workgroup_size(WG)
fn encode_iq1_m(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  encode_block(b);
}
