// Shared body of shaders/iquants-iq1m.wgsl and shaders/iquants-iq1m-w.wgsl (everything but the entry points);
// qw_at(i), the importance weight of chunk element i, is defined by the module including it.
//
//#include iquants_iq1_grid

// With an importance matrix (encode_iq1_m_w): the per-column weights at @binding(4), params._p2
// the row length (the chunk is whole rows); weight = qw * sqrtf(sigma2 + x^2) instead of x^2.
var<private> use_qw: bool;
var<private> sigma2_w: f32;
// some group of the block took the exact paths (`tiny`): so does the block's scale refit
var<private> block_tiny: bool;

// Accumulators of the four shift patterns: sumqx in .x of each, sumq2 in .y.
struct Acc {
  s0: vec2<f32>,
  s1: vec2<f32>,
  s2: vec2<f32>,
  s3: vec2<f32>,
}

// Adds sorted position j at level lv to all four patterns, in ggml's per-pattern order.
fn acc_add(a: Acc, j: u32, lv: u32) -> Acc {
  let i = order[j];
  let w = ws[i];
  let x = xs[i];
  // opaque to the compiler: with a constant level it could fold (w * p) * p into w * (p * p)
  let p = no_fma(shifted(lv, true));
  let m = no_fma(shifted(lv, false));
  let wp = w * p;
  let wm = w * m;
  let tp = vec2<f32>(no_fma(wp * x), no_fma(wp * p));
  let tm = vec2<f32>(no_fma(wm * x), no_fma(wm * m));
  var r = a;
  r.s0 = r.s0 + tp;
  r.s3 = r.s3 + tm;
  if (i < 8u) {
    r.s1 = r.s1 + tp;
    r.s2 = r.s2 + tm;
  } else {
    r.s2 = r.s2 + tp;
    r.s1 = r.s1 + tm;
  }
  return r;
}

var<private> best_score: f32;
var<private> best_scale: f32;
var<private> best_k: i32;
var<private> best_i1: u32;
var<private> best_i2: u32;

fn try_pattern(s: vec2<f32>, k: i32, i1: u32, i2: u32) {
  // a loop that runs once or never, not an `if`: see iquants_common on SwiftShader
  for (var once = u32(!(gt0(s.y) && prod_gt(s.x, s.x, best_score, s.y))); once < 1u; once++) {
    best_scale = div_rn(s.x, s.y);
    best_score = mul_exact(best_scale, s.x);
    best_k = k;
    best_i1 = i1;
    best_i2 = i2;
  }
}

// Results of one group: scale (0 when empty), shift pattern, grid indices of the two halves.
struct Group {
  scale: f32,
  shift: u32,
  idx0: u32,
  idx1: u32,
}

// The split search in plain arithmetic: running sums over the sorted positions.
fn search_fast() {
  let zero = Acc(vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0), vec2<f32>(0.0));
  var a = zero; // positions < i1 at level 0
  for (var i1 = 0u; i1 <= rolled(16u); i1++) {
    if (i1 > 0u) { a = acc_add(a, i1 - 1u, 0u); }
    var b = a; // then positions i1 .. i2-1 at level 1
    for (var i2 = i1; i2 <= 16u; i2++) {
      if (i2 > i1) { b = acc_add(b, i2 - 1u, 1u); }
      var c = b; // then the rest at level 2
      for (var j = i2; j < 16u; j++) { c = acc_add(c, j, 2u); }
      try_pattern(c.s0, 0, i1, i2);
      try_pattern(c.s1, 1, i1, i2);
      try_pattern(c.s2, 2, i1, i2);
      try_pattern(c.s3, 3, i1, i2);
    }
  }
}

// Per sorted position j and level lv (index 3 j + lv): w x_p x, w x_p^2, w x_m x, w x_m^2.
var<private> terms: array<vec4<f32>, 48>;

// The split search for a `tiny` group, where terms and sums may be subnormal: IEEE-exact, each
// split summed from scratch as ggml does (same values as the running sums), written as loops
// with one call of each exact operation, so the shader stays small.
fn search_exact() {
  for (var t = 0u; t < rolled(48u); t++) {
    let i = order[t / 3u];
    var v = vec4<f32>(0.0);
    for (var c = 0u; c < rolled(4u); c++) {
      let l = no_fma(shifted(t % 3u, c < 2u));
      let wl = fmul(ws[i], l, true);
      v[c] = fmul(wl, select(l, xs[i], c % 2u == 0u), true);
    }
    terms[t] = v;
  }
  for (var i1 = 0u; i1 <= rolled(16u); i1++) {
    for (var i2 = i1; i2 <= 16u; i2++) {
      var acc = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0); // sumqx[4], sumq2[4]
      for (var j = 0u; j < 16u; j++) {
        let t = terms[3u * j + select(select(2u, 1u, j < i2), 0u, j < i1)];
        let first = order[j] < 8u;
        for (var n = 0u; n < rolled(8u); n++) {
          let k = n % 4u;
          let up = select(k % 2u == 0u, k < 2u, first); // pattern k shifts this half up
          acc[n] = fadd(acc[n], t[select(0u, 2u, !up) + n / 4u], true);
        }
      }
      for (var k = 0u; k < rolled(4u); k++) { try_pattern(vec2<f32>(acc[k], acc[4u + k]), i32(k), i1, i2); }
    }
  }
}

fn group(x0: u32) -> Group {
  var mx = 0.0;
  for (var i = 0u; i < 16u; i++) {
    let x = src_f32(x0 + i);
    xs[i] = x;
    mx = select(abs(x), mx, i > 0u && mx > abs(x));
  }
  weigh(x0, 16u, mx, use_qw, sigma2_w);
  block_tiny = block_tiny || tiny;
  if (mx < F_1EM7) { return Group(0.0, 0u, 0u, 0u); }
  sort_group(16u);
  best_score = -FLT_MAX;
  best_scale = mx;
  best_k = -1;
  // loops that run once or never, not an if / else: see iquants_common on SwiftShader
  for (var once = u32(tiny); once < 1u; once++) { search_fast(); }
  for (var once = u32(!tiny); once < 1u; once++) { search_exact(); }
  if (best_k < 0) { return Group(0.0, 0u, 0u, 0u); }
  var scale = best_scale;
  var k = u32(best_k);
  var code = array<u32, 2>(0u, 0u);
  for (var j = 0u; j < 16u; j++) {
    let l = select(select(2u, 1u, j < best_i2), 0u, j < best_i1);
    let i = order[j];
    code[i / 8u] |= l << (2u * (i % 8u));
  }
  if (scale < 0.0) {
    code[0] = 0xaaaau - code[0]; // 2 - L for every element (no borrows: each field <= 2)
    code[1] = 0xaaaau - code[1];
    scale = -scale;
    k = 3u - k;
  }
  let plus0 = k < 2u;
  let plus1 = k % 2u == 0u;
  var idx = array<u32, 2>(0u, 0u);
  var all_on_grid = true;
  for (var h = 0u; h < rolled(2u); h++) {
    let m = t_map(code[h]);
    if (m < 0) {
      all_on_grid = false;
      idx[h] = best_neighbour(code[h], h, scale, select(plus1, plus0, h == 0u));
    } else {
      idx[h] = u32(m);
    }
  }
  if (!all_on_grid) {
    var sumqx = 0.0;
    var sumq2 = 0.0;
    for (var h = 0u; h < 2u; h++) {
      let c = tbl[idx[h]];
      let plus = select(plus1, plus0, h == 0u);
      for (var i = 0u; i < 8u; i++) {
        let q = shifted((c >> (2u * i)) & 3u, plus);
        let wq = fmul(ws[8u * h + i], q, tiny);
        sumqx = fadd(sumqx, fmul(wq, xs[8u * h + i], tiny), tiny);
        sumq2 = fadd(sumq2, fmul(wq, q, tiny), tiny);
      }
    }
    if (gt0(sumqx) && gt0(sumq2)) { scale = div_rn(sumqx, sumq2); }
  }
  if (!scale_ok(scale)) { report_abort(2u); }
  return Group(scale, k, idx[0], idx[1]);
}

// Block b: 56 bytes, written as 14 whole words.
fn encode_block(b: u32) {
  cur_block = b;
  let x0 = b * 256u;
  if (use_qw) { sigma2_w = super_sigma2(x0); }
  block_tiny = false;
  var qs: array<u32, 8>;  // 32 bytes: low 8 bits of the grid indices
  var qh: array<u32, 4>;  // 16 bytes: high 3 bits per half, then the shift bits
  var sc: array<u32, 2>;  // scales as 4 x u16
  var scales: array<f32, 16>;
  var shifts: array<u32, 16>;
  var max_scale = 0.0;
  for (var ib = 0u; ib < 16u; ib++) {
    let g = group(x0 + 16u * ib);
    scales[ib] = g.scale;
    shifts[ib] = g.shift;
    qs[ib / 2u] |= ((g.idx0 & 255u) | ((g.idx1 & 255u) << 8u)) << (16u * (ib % 2u));
    qh[ib / 4u] |= ((g.idx0 >> 8u) | ((g.idx1 >> 8u) << 4u)) << (8u * (ib % 4u));
    max_scale = select(g.scale, max_scale, max_scale > g.scale);
  }
  if (max_scale != 0.0) {
    let d = div_rn(max_scale, 15.0);
    let id = div_rn(1.0, d);
    var sumqx = 0.0;
    var sumq2 = 0.0;
    for (var ib = 0u; ib < 16u; ib++) {
      let l = u32(clamp(nearest_int(0.5 * (no_fma(id * scales[ib]) - 1.0)), 0, 7));
      sc[ib / 8u] |= l << (3u * (ib % 4u) + 16u * ((ib / 4u) % 2u));
      let mask = array<u32, 4>(0x00u, 0x80u, 0x08u, 0x88u)[shifts[ib]];
      qh[ib / 4u] |= mask << (8u * (ib % 4u));
      let qhb = (qh[ib / 4u] >> (8u * (ib % 4u))) & 0xffu;
      let q8 = (qs[ib / 2u] >> (16u * (ib % 2u))) & 0xffffu;
      for (var h = 0u; h < 2u; h++) {
        let plus = select(shifts[ib] % 2u == 0u, shifts[ib] < 2u, h == 0u);
        let gidx = ((q8 >> (8u * h)) & 0xffu) + ((qhb << (8u - 4u * h)) & 0x700u);
        let c = tbl[gidx];
        for (var i = 0u; i < 8u; i++) {
          let at = x0 + 16u * ib + 8u * h + i;
          let x = src_f32(at);
          var w = fmul(x, x, block_tiny);
          for (var k = u32(!use_qw); k < 1u; k++) { w = qw_weight(qw_at(at % params._p2), x, sigma2_w); }
          let q = shifted((c >> (2u * i)) & 3u, plus) * f32(2u * l + 1u);
          let wq = fmul(w, q, block_tiny);
          sumqx = fadd(sumqx, fmul(wq, x, block_tiny), block_tiny);
          sumq2 = fadd(sumq2, fmul(wq, q, block_tiny), block_tiny);
        }
      }
    }
    var d2 = d;
    if (gt0(sumq2)) { d2 = div_rn(sumqx, sumq2); }
    let s = f32_bits_to_f16(bitcast<u32>(d2 * F_1_1125));
    sc[0] |= ((s & 0x000fu) << 12u) | (((s & 0x00f0u) << 8u) << 16u);
    sc[1] |= ((s & 0x0f00u) << 4u) | ((s & 0xf000u) << 16u);
  }
  let o = b * 14u;
  for (var w = 0u; w < 8u; w++) { dst[o + w] = qs[w]; }
  for (var w = 0u; w < 4u; w++) { dst[o + 8u + w] = qh[w]; }
  dst[o + 12u] = sc[0];
  dst[o + 13u] = sc[1];
}
