// IQ2_S with an importance matrix: quantize_row_iq2_s_impl given quant_weights (see shaders/iquants-iq2s.wgsl).
// The per-column weights sit at @binding(4), params._p2 the row length (the chunk is whole rows);
// a separate module so the unweighted entry points do not take the binding.
@group(0) @binding(4) var<storage, read> qw: array<f32>;
fn qw_at(i: u32) -> f32 { return qw[i]; }

//#include iquants_iq2s_body

@compute @workgroup_size(WG)
fn encode_iq2_s_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  use_qw = true;
  out_begin(g * 41u);
  for (var i = 0u; i < rolled(2u); i++) { encode_block(2u * g + i); }
}
