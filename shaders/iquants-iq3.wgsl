// IQ3_XXS and IQ3_S encoders: quantize_row_iq3_xxs_impl(256, ...) and quantize_row_iq3_s_impl
// as ggml_quantize_chunk calls them without an importance matrix (weight = x^2).
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
//#include iquants_common

override WG: u32 = 64u;

@group(0) @binding(3) var<storage, read> tbl: array<u32>;

// Table layout (buildSearchTable): codes[grid], map[4096], lists.
var<private> grid_n: u32; // 256 or 512
fn t_code(g: u32) -> u32 { return tbl[g]; }
fn t_map(u: u32) -> i32 { return bitcast<i32>(tbl[grid_n + u]); }
fn t_list(off: u32) -> u32 { return tbl[grid_n + 4096u + off]; }

var<private> xv: array<f32, 32>; // |x| (IQ3_XXS: one element may be negated back)
var<private> wt: array<f32, 32>; // x^2
var<private> wa: array<f32, 32>; // sqrt(x^2)
var<private> lc: array<u32, 8>;  // L: packed 3-bit levels per 4 elements
var<private> la: array<u32, 8>;  // Laux
var<private> signs: array<u32, 4>; // per 8 elements

fn level_q(code: u32, i: u32) -> f32 {
  return f32(2u * ((code >> (3u * i)) & 7u) + 1u);
}

// iq3_find_best_neighbour for the 4 values of group k at `scale`: the grid index.
fn best_neighbour(u: u32, k: u32, scale: f32, e: bool) -> u32 {
  let off = u32(-t_map(u) - 1);
  let cnt = t_list(off);
  var best_d2 = FLT_MAX;
  var best = 0u;
  var found = false;
  for (var j = 1u; j <= cnt; j++) {
    let g = t_list(off + j);
    let code = t_code(g);
    var d2 = 0.0;
    for (var i = 0u; i < rolled(4u); i++) {
      let diff = fadd(fmul(scale, level_q(code, i), e), neg(xv[4u * k + i]), e);
      d2 = fadd(d2, fmul(fmul(wa[4u * k + i], diff, e), diff, e), e);
    }
    if (flt(d2, best_d2, e)) {
      best_d2 = d2;
      best = g;
      found = true;
    }
  }
  if (!found) { report_abort(1u); }
  return best;
}

// The levels of group k at inverse scale id: nearest_int(0.5 * (id * x - 1)) clamped to [0, 7].
fn levels_at(k: u32, id: f32, e: bool) -> u32 {
  var u = 0u;
  for (var i = 0u; i < rolled(4u); i++) {
    let l = nearest_int(0.5 * (fmul(id, xv[4u * k + i], e) - 1.0));
    u |= u32(clamp(l, 0, 7)) << (3u * i);
  }
  return u;
}

// sumqx, sumq2 over the 32 values with levels from lc (aux = false) or la (aux = true).
fn sums(aux: bool, e: bool) -> vec2<f32> {
  var sumqx = 0.0;
  var sumq2 = 0.0;
  for (var j = 0u; j < rolled(32u); j++) {
    let code = select(lc[j / 4u], la[j / 4u], aux);
    let w = wt[j];
    let q = level_q(code, j % 4u);
    sumqx = fadd(sumqx, fmul(fmul(w, xv[j], e), q, e), e);
    sumq2 = fadd(sumq2, fmul(fmul(w, q, e), q, e), e);
  }
  return vec2<f32>(sumqx, sumq2);
}

// One group of 32 at x0; returns its scale (0 for an empty group, then `empty` is set) and
// leaves the levels in lc and the signs in `signs`.
var<private> empty: bool;
fn group(x0: u32, xxs: bool) -> f32 {
  var amax = 0u;
  for (var i = 0u; i < 32u; i++) { amax = max(amax, abs_bits(src_f32(x0 + i))); }
  let tiny = amax < bitcast<u32>(TINY_GROUP); // sums and distances may be subnormal
  for (var i = 0u; i < rolled(32u); i++) {
    let x = src_f32(x0 + i);
    wt[i] = fmul(x, x, tiny);
    wa[i] = sqrt_rn(wt[i]);
    xv[i] = select(neg(x), x, ge0(x));
  }
  for (var k = 0u; k < 4u; k++) {
    var s = 0u;
    var nflip = 0u;
    for (var i = 0u; i < 8u; i++) {
      if (!ge0(src_f32(x0 + 8u * k + i))) {
        s |= 1u << i;
        nflip += 1u;
      }
    }
    if (xxs && (nflip & 1u) == 1u) {
      var imin = 0u;
      var vmin = x4_bits(src_f32(x0 + 8u * k));
      for (var i = 1u; i < rolled(8u); i++) {
        let v = x4_bits(src_f32(x0 + 8u * k + i));
        if (v < vmin) {
          vmin = v;
          imin = i;
        }
      }
      xv[8u * k + imin] = neg(xv[8u * k + imin]);
      s ^= 1u << imin;
    }
    signs[k] = select(s, s & 127u, xxs);
  }
  var mx = xv[0];
  for (var i = 1u; i < 32u; i++) { mx = select(xv[i], mx, fgt(mx, xv[i])); }
  for (var k = 0u; k < 8u; k++) { lc[k] = 0u; }
  empty = select(abs_bits(mx) == 0u, mx < F_1EM8, xxs);
  if (empty) { return 0.0; }
  // one of the two runs (loops run once or never: see iquants_common on SwiftShader)
  var scale = 0.0;
  for (var k = u32(tiny); k < 1u; k++) { scale = search(mx, xxs, false); }
  for (var k = u32(!tiny); k < 1u; k++) { scale = search(mx, xxs, true); }
  if (fgt(0.0, scale)) {
    scale = neg(scale);
    for (var k = 0u; k < 4u; k++) { signs[k] = select((~signs[k]) & 0xffu, (~signs[k]) & 127u, xxs); }
  }
  return scale;
}

// The trial scales and the re-pick of off-grid vectors for a non-empty group of maximum mx;
// `e`: IEEE arithmetic on bits (a group so small that sums and distances may be subnormal).
fn search(mx: f32, xxs: bool, e: bool) -> f32 {
  var best = 0.0;
  var scale = div_rn(mx, 15.0);
  var on_grid = select(0u, 0xffu, xxs); // bit k: group k on the grid
  let ntry = select(9, 15, xxs);
  for (var is = -ntry; is <= ntry + i32(params.zero); is++) {
    let id = div_rn(15.0 + no_fma(f32(is) * F_0_2), mx);
    let this_scale = div_rn(1.0, id);
    var on_aux = 0xffu;
    for (var k = 0u; k < rolled(8u); k++) {
      let u = levels_at(k, id, e);
      if (t_map(u) < 0) {
        on_aux &= ~(1u << k);
        la[k] = t_code(best_neighbour(u, k, this_scale, e));
      } else {
        la[k] = u;
      }
    }
    let s = sums(true, e);
    if ((s.y > 0.0 || (e && gt0(s.y))) && prod_gt(s.x, s.x, best, s.y)) {
      scale = div_rn(s.x, s.y);
      best = mul_exact(scale, s.x);
      for (var k = 0u; k < 8u; k++) { lc[k] = la[k]; }
      on_grid = on_aux;
    }
  }
  if (on_grid != 0xffu && fgt(scale, 0.0)) {
    let id = div_rn(1.0, scale);
    for (var k = 0u; k < rolled(8u); k++) {
      if (xxs && ((on_grid >> k) & 1u) == 1u) { continue; }
      let u = levels_at(k, id, e);
      if (t_map(u) < 0) {
        lc[k] = t_code(best_neighbour(u, k, scale, e));
      } else {
        lc[k] = u;
      }
    }
    let s = sums(false, e);
    if (s.y > 0.0 || (e && gt0(s.y))) { scale = div_rn(s.x, s.y); }
  }
  return scale;
}

// The block's bytes after d, assembled in words: IQ3_XXS qs[64] + scales_and_signs[8 x u32]
// (24 words); IQ3_S qs[64] + qh[8] + signs[32] + scales[4] (27 words).
var<private> body: array<u32, 27>;

fn body_byte(i: u32, b: u32) {
  body[i >> 2u] |= (b & 0xffu) << ((i & 3u) * 8u);
}

fn emit_block(d_bits: u32, nwords: u32) {
  out_u16(d_bits);
  for (var w = 0u; w < nwords; w++) {
    let v = body[w];
    out_byte(v);
    out_byte(v >> 8u);
    out_byte(v >> 16u);
    out_byte(v >> 24u);
  }
}

fn scale_code(id: f32, s: f32, top: i32) -> u32 {
  return u32(clamp(nearest_int(0.5 * (no_fma(mul_exact(id, s)) - 1.0)), 0, top));
}

fn encode_iq3_xxs_block(b: u32) {
  cur_block = b;
  for (var w = 0u; w < 27u; w++) { body[w] = 0u; }
  var scales: array<f32, 8>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < 8u; ib++) {
    let s = group(b * 256u + 32u * ib, true);
    scales[ib] = s;
    if (empty) { continue; }
    if (!scale_ok(s)) { report_abort(2u); }
    for (var k = 0u; k < 8u; k++) { body_byte(8u * ib + k, u32(t_map(lc[k]))); }
    body[16u + ib] = signs[0] | (signs[1] << 7u) | (signs[2] << 14u) | (signs[3] << 21u);
    max_scale = select(s, max_scale, fgt(max_scale, s));
  }
  if (abs_bits(max_scale) == 0u) {
    for (var w = 0u; w < 27u; w++) { body[w] = 0u; }
    emit_block(0u, 24u);
    return;
  }
  let d = div_rn(max_scale, 31.0);
  let id = div_rn(1.0, d);
  for (var ib = 0u; ib < 8u; ib++) { body[16u + ib] |= scale_code(id, scales[ib], 15) << 28u; }
  emit_block(f32_bits_to_f16(bitcast<u32>(mul_exact(d, F_1_0125))), 24u);
}

fn encode_iq3_s_block(b: u32) {
  cur_block = b;
  for (var w = 0u; w < 27u; w++) { body[w] = 0u; }
  var scales: array<f32, 8>;
  var max_scale = 0.0;
  var qs_at = 0u; // ggml advances qs and signs only past non-empty groups
  for (var ib = 0u; ib < 8u; ib++) {
    let s = group(b * 256u + 32u * ib, false);
    scales[ib] = s;
    if (empty) { continue; }
    if (!scale_ok(s)) { report_abort(2u); }
    for (var k = 0u; k < 8u; k++) {
      let g = u32(t_map(lc[k]));
      body_byte(qs_at + k, g & 255u);
      body_byte(64u + ib, (g >> 8u) << k);
    }
    for (var k = 0u; k < 4u; k++) { body_byte(72u + qs_at / 2u + k, signs[k]); }
    qs_at += 8u;
    max_scale = select(s, max_scale, fgt(max_scale, s));
  }
  if (abs_bits(max_scale) == 0u) {
    emit_block(0u, 27u);
    return;
  }
  let d = div_rn(max_scale, 31.0);
  let id = div_rn(1.0, d);
  for (var ib = 0u; ib < 8u; ib += 2u) {
    body_byte(104u + ib / 2u, scale_code(id, scales[ib], 15) | (scale_code(id, scales[ib + 1u], 15) << 4u));
  }
  emit_block(f32_bits_to_f16(bitcast<u32>(mul_exact(d, F_1_033))), 27u);
}

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
