// IQ1_S encoder: quantize_row_iq1_s_impl as quantize_iq1_s calls it from ggml_quantize_chunk,
// which has it only with an importance matrix (weight = qw * sqrt(sigma2 + x^2), sigma2 =
// 2 sum(x^2) / 256 over the super-block; the per-column weights at @binding(4), params._p2 the
// row length, the chunk whole rows).
//
// Per 32 elements (one lane walks the 8 groups of a block in order): the values are sorted
// (stably, as glibc's merge-sort qsort leaves equal values); prefix sums of w x and w over the
// sorted order score every split (i1, i2) into levels -1, 0, +1, shifted for the whole group by
// +0.125 and then by -0.125; a split wins when sumqx^2 > best * sumq2. The four 8-vectors of
// levels are looked up on the 2048-point grid, off-grid ones replaced by iq1_find_best_neighbour2
// and the scale refit. The block scale is max_scale / 15, stored as f16(d * 1.125f); each group
// gets 3 bits nearest_int((s / d - 1) / 2) and the shift sign in the top nibble of its qh word.
//
// Exactness: the split sums are ggml's expression on the prefix sums (products rounded before
// each addition: no_fma; the shifted levels opaque so (s * x) * x is not folded into s * x^2);
// divisions and sqrtf by div_rn and sqrt_rn; sumqx^2 > best * sumq2 on IEEE products (prod_gt);
// ties keep the first candidate. In a group whose sums may be subnormal (below 2^-20, or a weight
// below 2^-60) every product and sum takes the IEEE-exact path (fmul / fadd with exact = tiny). Where ggml aborts, the abort word (binding 5) says why: a group
// scale not >= 0 (NaN or Inf input; code 2), or no neighbour with a finite error (code 1).
// Grid map and neighbour lists: binding 3, the same table as IQ1_M (shaders/iquants_iq1_grid.wgsl).
// One lane encodes two blocks (2 x 50 bytes, whole words).
//
@group(0) @binding(4) var<storage, read> qw: array<f32>;
fn qw_at(i: u32) -> f32 { return qw[i]; }

//#include iquants_iq1_grid

const F_1EM12: f32 = bitcast<f32>(0x2b8cbcccu); // 1e-12f, GROUP_MAX_EPS_IQ1_S

// prefix sums over the sorted order: sumx[j] of w x, sumw[j] of w, for the first j values
var<private> sumx: array<f32, 33>;
var<private> sumw: array<f32, 33>;

// x_p or x_m's level l, opaque to the compiler (no folding of (s * x) * x into s * (x * x))
fn lv(l: u32, plus: bool) -> f32 {
  return no_fma(shifted(l, plus));
}

// ggml's sumqx and sumq2 of the split (i1, i2) with the levels shifted up (plus) or down:
// sumqx = (A x0 + B x1) + C x2 over the parts A, B, C of sumx (sumq2 likewise with x^2), as
// loops with one call of each (possibly exact) operation, so the shader stays small.
fn split_sums(i1: u32, i2: u32, plus: bool) -> vec2<f32> {
  let e = tiny;
  let ends = array<u32, 4>(0u, i1, i2, 32u);
  var sx = 0.0;
  var sq = 0.0;
  for (var part = 0u; part < rolled(3u); part++) {
    let l = lv(part, plus);
    let px = fmul(fadd(sumx[ends[part + 1u]], neg(sumx[ends[part]]), e), l, e);
    let pq = fmul(fmul(fadd(sumw[ends[part + 1u]], neg(sumw[ends[part]]), e), l, e), l, e);
    // the first part starts each sum (0 + a would turn -0 into +0)
    sx = select(fadd(sx, px, e), px, part == 0u);
    sq = select(fadd(sq, pq, e), pq, part == 0u);
  }
  return vec2<f32>(sx, sq);
}

var<private> best_score: f32;
var<private> best_scale: f32;
var<private> best_shift: i32;
var<private> best_i1: u32;
var<private> best_i2: u32;

fn try_split(s: vec2<f32>, shift: i32, i1: u32, i2: u32) {
  // a loop that runs once or never, not an `if`: see iquants_common on SwiftShader
  for (var once = u32(!(gt0(s.y) && prod_gt(s.x, s.x, best_score, s.y))); once < 1u; once++) {
    best_scale = div_rn(s.x, s.y);
    best_score = mul_exact(best_scale, s.x);
    best_shift = shift;
    best_i1 = i1;
    best_i2 = i2;
  }
}

// One group of 32: scale (0 for an empty group), shift (+1 / -1), qh word (index high bits),
// and the low index bytes packed in one word.
struct Group {
  scale: f32,
  shift: i32,
  qh: u32,
  qs: u32,
}

fn group(x0: u32, sigma2: f32) -> Group {
  var mx = 0.0;
  for (var i = 0u; i < 32u; i++) {
    let x = src_f32(x0 + i);
    xs[i] = x;
    mx = select(abs(x), mx, i > 0u && mx > abs(x));
  }
  if (mx < F_1EM12) { return Group(0.0, 1, 0u, 0u); }
  weigh(x0, 32u, mx, true, sigma2);
  sort_group(32u);
  sumx[0] = 0.0;
  sumw[0] = 0.0;
  for (var j = 0u; j < rolled(32u); j++) {
    let i = order[j];
    sumx[j + 1u] = fadd(sumx[j], fmul(ws[i], xs[i], tiny), tiny);
    sumw[j + 1u] = fadd(sumw[j], ws[i], tiny);
  }
  best_score = -FLT_MAX;
  best_scale = mx;
  best_shift = 0;
  for (var i1 = 0u; i1 <= rolled(32u); i1++) {
    for (var i2 = i1; i2 <= 32u; i2++) {
      for (var sh = 0u; sh < rolled(2u); sh++) { try_split(split_sums(i1, i2, sh == 0u), 1 - 2 * i32(sh), i1, i2); }
    }
  }
  if (best_shift == 0) { return Group(0.0, 1, 0u, 0u); }
  var scale = best_scale;
  var shift = best_shift;
  var code = array<u32, 4>(0u, 0u, 0u, 0u);
  for (var j = 0u; j < 32u; j++) {
    let l = select(select(2u, 1u, j < best_i2), 0u, j < best_i1);
    let i = order[j];
    code[i / 8u] |= l << (2u * (i % 8u));
  }
  if (scale < 0.0) {
    for (var k = 0u; k < 4u; k++) { code[k] = 0xaaaau - code[k]; } // 2 - L per element, no borrows
    scale = -scale;
    shift = -shift;
  }
  let plus = shift == 1;
  var idx = array<u32, 4>(0u, 0u, 0u, 0u);
  var all_on_grid = true;
  for (var k = 0u; k < rolled(4u); k++) {
    let m = t_map(code[k]);
    if (m < 0) {
      all_on_grid = false;
      idx[k] = best_neighbour(code[k], k, scale, plus);
    } else {
      idx[k] = u32(m);
    }
  }
  if (!all_on_grid) {
    var sumqx = 0.0;
    var sumq2 = 0.0;
    for (var k = 0u; k < 4u; k++) {
      let c = tbl[idx[k]];
      for (var i = 0u; i < 8u; i++) {
        let q = shifted((c >> (2u * i)) & 3u, plus);
        let wq = fmul(ws[8u * k + i], q, tiny);
        sumqx = fadd(sumqx, fmul(wq, xs[8u * k + i], tiny), tiny);
        sumq2 = fadd(sumq2, fmul(wq, q, tiny), tiny);
      }
    }
    if (gt0(sumqx) && gt0(sumq2)) { scale = div_rn(sumqx, sumq2); }
  }
  if (!scale_ok(scale)) { report_abort(2u); }
  var h = 0u;
  var qs = 0u;
  for (var k = 0u; k < 4u; k++) {
    qs |= (idx[k] & 255u) << (8u * k);
    h |= (idx[k] >> 8u) << (3u * k);
  }
  return Group(scale, shift, h, qs);
}

fn encode_block(b: u32) {
  cur_block = b;
  let x0 = b * 256u;
  let sigma2 = super_sigma2(x0);
  var qs: array<u32, 8>; // 32 bytes: low 8 bits of the grid indices
  var qh: array<u32, 8>; // 8 x u16: high 3 bits per 8, then the group scale and shift sign
  var scales: array<f32, 8>;
  var shifts: array<i32, 8>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < 8u; ib++) {
    let g = group(x0 + 32u * ib, sigma2);
    scales[ib] = g.scale;
    shifts[ib] = g.shift;
    qs[ib] = g.qs;
    qh[ib] = g.qh;
    max_scale = select(g.scale, max_scale, max_scale > g.scale);
  }
  var d_bits = 0u;
  if (max_scale != 0.0) {
    let d = div_rn(max_scale, 15.0);
    d_bits = f32_bits_to_f16(bitcast<u32>(d * 1.125));
    let id = div_rn(1.0, d);
    for (var ib = 0u; ib < 8u; ib++) {
      var l = u32(clamp(nearest_int(0.5 * (no_fma(id * scales[ib]) - 1.0)), 0, 7));
      if (shifts[ib] == -1) { l |= 8u; }
      qh[ib] |= l << 12u;
    }
  }
  out_u16(d_bits);
  for (var w = 0u; w < 8u; w++) {
    let v = qs[w];
    out_byte(v);
    out_byte(v >> 8u);
    out_byte(v >> 16u);
    out_byte(v >> 24u);
  }
  for (var ib = 0u; ib < 8u; ib++) { out_u16(qh[ib]); }
}

@compute @workgroup_size(WG)
fn encode_iq1_s_w(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = flat_index(gid, nwg, WG);
  if (2u * g >= params.n) { return; }
  out_begin(g * 25u);
  for (var i = 0u; i < rolled(2u); i++) { encode_block(2u * g + i); }
}
