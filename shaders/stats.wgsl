// Tensor statistics: min, max, mean, standard deviation, NaN/Inf counts and a 256-bin histogram.
//
// Two passes over f32 values (the output of a decode kernel), each workgroup covering a tile of
// WG * ITEMS consecutive elements, each invocation taking every WG-th element of the tile so
// loads are coalesced:
//   1. stats_reduce: per invocation count of finite values, NaN, +Inf, -Inf, min, max and an f32
//      sum; then a tree reduction in workgroup memory; one 8-word record per workgroup.
//      The host adds the records in float64 and derives the mean.
//   2. stats_histogram: with lo/hi/mean from pass 1, per invocation the sum of squared deviations
//      (the two-pass variance, stable where a one-pass sum of squares is not) and a workgroup
//      histogram; bin = u32(clamp((x - lo) * scale, 0, 255)), scale = 256 / (hi - lo) computed
//      on the host. Workgroup-memory atomics build the tile's histogram (there is no global atomic per
//      element); each workgroup writes its 256 counts and its squared-deviation sum to its own slot,
//      and stats_hist_sum folds the slots in one workgroup, so a few KB come back.
// Only +, -, * are used (correctly rounded in WGSL). A product that feeds an add passes through
// `bitcast(bitcast(p) ^ params.zero)`, params.zero being 0 at run time, so no compiler can fuse
// the two into an FMA: the result is the CPU twin's (src/codecs/stats.ts) bit for bit, on any
// GPU that keeps subnormals (one that flushes them differs only for |x| < 2^-126).

override WG: u32 = 256u;
override ITEMS: u32 = 16u;

struct Params {
  n: u32,      // elements in this chunk
  zero: u32,   // always 0: defeats mul+add contraction
  lo: f32,
  scale: f32,
  mean: f32,
  n_groups: u32, // stats_hist_sum: workgroup slots to fold
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>; // f32 bits
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> r_count: array<u32, 256>;
var<workgroup> r_nan: array<u32, 256>;
var<workgroup> r_pinf: array<u32, 256>;
var<workgroup> r_ninf: array<u32, 256>;
var<workgroup> r_min: array<f32, 256>;
var<workgroup> r_max: array<f32, 256>;
var<workgroup> r_sum: array<f32, 256>;
var<workgroup> bins: array<atomic<u32>, 256>;

fn is_finite_bits(b: u32) -> bool {
  return (b & 0x7f800000u) != 0x7f800000u;
}

fn group_index(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}

@compute @workgroup_size(WG)
fn stats_reduce(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = group_index(wid, nwg);
  let base = g * WG * ITEMS;
  var count = 0u;
  var nan = 0u;
  var pinf = 0u;
  var ninf = 0u;
  var mn = bitcast<f32>(0x7f800000u | params.zero); // +Inf, built at run time (a constant Inf is not valid WGSL)
  var mx = bitcast<f32>(0xff800000u | params.zero);
  var sum = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG + t;
    if (i < params.n) {
      let b = src[i];
      let x = bitcast<f32>(b);
      if (is_finite_bits(b)) {
        count += 1u;
        mn = min(mn, x);
        mx = max(mx, x);
        sum = sum + x;
      } else if ((b & 0x7fffffu) != 0u) {
        nan += 1u;
      } else if ((b >> 31u) == 0u) {
        pinf += 1u;
      } else {
        ninf += 1u;
      }
    }
  }
  r_count[t] = count;
  r_nan[t] = nan;
  r_pinf[t] = pinf;
  r_ninf[t] = ninf;
  r_min[t] = mn;
  r_max[t] = mx;
  r_sum[t] = sum;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      r_count[t] += r_count[t + s];
      r_nan[t] += r_nan[t + s];
      r_pinf[t] += r_pinf[t + s];
      r_ninf[t] += r_ninf[t + s];
      r_min[t] = min(r_min[t], r_min[t + s]);
      r_max[t] = max(r_max[t], r_max[t + s]);
      r_sum[t] = r_sum[t] + r_sum[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let o = g * 8u;
    dst[o] = r_count[0];
    dst[o + 1u] = r_nan[0];
    dst[o + 2u] = r_pinf[0];
    dst[o + 3u] = r_ninf[0];
    dst[o + 4u] = bitcast<u32>(r_min[0]);
    dst[o + 5u] = bitcast<u32>(r_max[0]);
    dst[o + 6u] = bitcast<u32>(r_sum[0]);
    dst[o + 7u] = 0u;
  }
}

@compute @workgroup_size(WG)
fn stats_histogram(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = group_index(wid, nwg);
  let base = g * WG * ITEMS;
  for (var b = t; b < 256u; b += WG) {
    atomicStore(&bins[b], 0u);
  }
  workgroupBarrier();
  var ssd = 0.0;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG + t;
    if (i < params.n) {
      let x = bitcast<f32>(src[i]);
      if (is_finite_bits(src[i])) {
        let d = x - params.mean;
        let d2 = bitcast<f32>(bitcast<u32>(d * d) ^ params.zero);
        ssd = ssd + d2;
        let pos = bitcast<f32>(bitcast<u32>((x - params.lo) * params.scale) ^ params.zero);
        atomicAdd(&bins[u32(min(max(pos, 0.0), 255.0))], 1u);
      }
    }
  }
  r_sum[t] = ssd;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (t < s) {
      r_sum[t] = r_sum[t] + r_sum[t + s];
    }
    workgroupBarrier();
  }
  // slot layout: 256 bin counts, then the squared-deviation sum's bits, padded to 260 words
  let o = g * 260u;
  for (var b = t; b < 256u; b += WG) {
    dst[o + b] = atomicLoad(&bins[b]);
  }
  if (t == 0u) {
    dst[o + 256u] = bitcast<u32>(r_sum[0]);
  }
}

// Folds params.n_groups histogram slots (stats_histogram's output, bound as `src`): the 256 bin
// counts summed into dst[0..256), and each slot's squared-deviation sum copied to dst[256 + g],
// so the host adds those in float64 in slot order, as the CPU twin does.
@compute @workgroup_size(256)
fn stats_hist_sum(@builtin(local_invocation_index) t: u32) {
  var c = 0u;
  for (var g = 0u; g < params.n_groups; g++) {
    c += src[g * 260u + t];
  }
  dst[t] = c;
  for (var g = t; g < params.n_groups; g += 256u) {
    dst[256u + g] = src[g * 260u + 256u];
  }
}
