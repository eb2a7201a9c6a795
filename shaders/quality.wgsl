// Quantization error of one chunk: sums from which the host derives RMSE, max abs error, cosine
// similarity and SNR (src/codecs/quality.ts).
//
// Both operands are f32 values already on the GPU: `ref` is the chunk's input as the decode
// kernel left it for the encoder (reused, not decoded again), `out` is the encoded chunk decoded
// once more by the target type's decode kernel. F16/BF16/quantized data never reach this shader
// as such: they travel as bits in u32 words through the decode kernels, and here every word is
// f32 bits. Each workgroup covers a tile of WG * ITEMS consecutive elements; each invocation takes
// every WG-th element of the tile (coalesced loads) and keeps f32 sums of e², ref², out², ref·out
// (e = out - ref) and the max of |e|, skipping pairs where either value is NaN or Inf (counted).
// A tree reduction in workgroup memory folds the WG invocations; one 8-word record per workgroup
// goes back and the host adds the records in float64.
//
// The CPU twin sums every element in float64, so the two differ by rounding order, not by
// algorithm. Each invocation's sums are Kahan-compensated, so its ITEMS terms (256: few workgroups,
// few barriers; a tree reduction per 16 elements cost 7x the conversion on a software adapter) add
// about 2u of error (u = 2^-24) instead of ITEMS·u; with one rounding for e, one per product and
// log2(WG) = 8 tree levels the sums of squares (non-negative terms) are within about
// (2 + 2 + 8)·u ≈ 7e-7 relative, so RMSE within ~4e-7; ref·out within the same bound relative to
// Σ|ref·out| <= sqrt(Σref²·Σout²), so the cosine moves by at most ~3·12·u ≈ 2e-6 and SNR by
// ~1e-5 dB. Max abs error differs only by the f32 rounding of e (relative u). An adapter that
// fuses a product into the compensated add (FMA) only rounds less. Sums overflow f32 only for
// |values| above ~1e17, which no f16/bf16 model holds; such a chunk shows as Inf, not as a wrong
// finite number.

override WG: u32 = 256u;
override ITEMS: u32 = 256u;

struct Params {
  n: u32,      // elements in this chunk
  _p1: u32,
  _p2: u32,
  _p3: u32,
}

@group(0) @binding(0) var<storage, read> ref_vals: array<u32>; // f32 bits
@group(0) @binding(1) var<storage, read> out_vals: array<u32>; // f32 bits
@group(0) @binding(2) var<storage, read_write> records: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> w_sse: array<f32, 256>;
var<workgroup> w_r2: array<f32, 256>;
var<workgroup> w_o2: array<f32, 256>;
var<workgroup> w_dot: array<f32, 256>;
var<workgroup> w_max: array<f32, 256>;
var<workgroup> w_n: array<u32, 256>;
var<workgroup> w_bad: array<u32, 256>;

fn finite_bits(b: u32) -> bool {
  return (b & 0x7f800000u) != 0x7f800000u;
}

@compute @workgroup_size(WG)
fn quality_reduce(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = wid.x + wid.y * nwg.x;
  let base = g * WG * ITEMS;
  // Kahan-compensated sums: ITEMS terms per invocation add about 2u, not ITEMS·u
  var sse = 0.0;
  var r2 = 0.0;
  var o2 = 0.0;
  var dot = 0.0;
  var c_sse = 0.0;
  var c_r2 = 0.0;
  var c_o2 = 0.0;
  var c_dot = 0.0;
  var mx = 0.0;
  var n = 0u;
  var bad = 0u;
  for (var k = 0u; k < ITEMS; k++) {
    let i = base + k * WG + t;
    if (i < params.n) {
      let rb = ref_vals[i];
      let ob = out_vals[i];
      if (finite_bits(rb) && finite_bits(ob)) {
        let r = bitcast<f32>(rb);
        let o = bitcast<f32>(ob);
        let e = o - r;
        let y0 = e * e - c_sse;
        let t0 = sse + y0;
        c_sse = (t0 - sse) - y0;
        sse = t0;
        let y1 = r * r - c_r2;
        let t1 = r2 + y1;
        c_r2 = (t1 - r2) - y1;
        r2 = t1;
        let y2 = o * o - c_o2;
        let t2 = o2 + y2;
        c_o2 = (t2 - o2) - y2;
        o2 = t2;
        let y3 = r * o - c_dot;
        let t3 = dot + y3;
        c_dot = (t3 - dot) - y3;
        dot = t3;
        mx = max(mx, abs(e));
        n += 1u;
      } else {
        bad += 1u;
      }
    }
  }
  w_sse[t] = sse;
  w_r2[t] = r2;
  w_o2[t] = o2;
  w_dot[t] = dot;
  w_max[t] = mx;
  w_n[t] = n;
  w_bad[t] = bad;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (t < s) {
      w_sse[t] = w_sse[t] + w_sse[t + s];
      w_r2[t] = w_r2[t] + w_r2[t + s];
      w_o2[t] = w_o2[t] + w_o2[t + s];
      w_dot[t] = w_dot[t] + w_dot[t + s];
      w_max[t] = max(w_max[t], w_max[t + s]);
      w_n[t] = w_n[t] + w_n[t + s];
      w_bad[t] = w_bad[t] + w_bad[t + s];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let o = g * 8u;
    records[o] = bitcast<u32>(w_sse[0]);
    records[o + 1u] = bitcast<u32>(w_r2[0]);
    records[o + 2u] = bitcast<u32>(w_o2[0]);
    records[o + 3u] = bitcast<u32>(w_dot[0]);
    records[o + 4u] = bitcast<u32>(w_max[0]);
    records[o + 5u] = w_n[0];
    records[o + 6u] = w_bad[0];
    records[o + 7u] = 0u;
  }
}
