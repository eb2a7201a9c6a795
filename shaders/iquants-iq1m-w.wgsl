// IQ1_M with an importance matrix: quantize_row_iq1_m_impl given quant_weights (see shaders/iquants-iq1m.wgsl).
// The per-column weights sit at @binding(4), params._p2 the row length (the chunk is whole rows);
// a separate module so the unweighted entry point does not take the binding.
@group(0) @binding(4) var<storage, read> qw: array<f32>;
fn qw_at(i: u32) -> f32 { return qw[i]; }

//#include iquants_iq1m_body

@compute @workgroup_size(WG)
fn encode_iq1_m_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= params.n) { return; }
  use_qw = true;
  encode_block(b);
}
