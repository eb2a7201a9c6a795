/**
 * Histogram presentation: the worker bins every tensor into 256 equal bins over [min, max]; the
 * page merges neighbours so the bin count suits the element count (about sqrt(n), as a small
 * tensor spread over 256 bins is only spikes), and places axis ticks at round values.
 */

const BIN_CHOICES = [8, 16, 32, 64, 128, 256];

/** Bins for `count` elements: the power of two nearest sqrt(count), 8..available. */
export function binCountFor(count: number, available: number): number {
  const want = Math.sqrt(Math.max(1, count));
  let best = BIN_CHOICES[0]!;
  for (const b of BIN_CHOICES) if (b <= available && Math.abs(Math.log2(b / want)) < Math.abs(Math.log2(best / want))) best = b;
  return Math.min(best, available);
}

/** Merges adjacent bins: `bins.length` must be a multiple of `k`. */
export function rebin(bins: ArrayLike<number>, k: number): number[] {
  const n = bins.length;
  if (k >= n || n % k !== 0) return Array.from(bins);
  const step = n / k;
  const out = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) out[Math.floor(i / step)]! += bins[i]!;
  return out;
}

/** Round tick values covering [lo, hi], about `target` of them. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const span = hi - lo;
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= target) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

export function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(3)));
}
