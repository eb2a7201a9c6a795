import type { TensorQuality } from '../codecs/quality';

export type QualityKey = 'name' | 'conversion' | 'rmse' | 'maxAbsError' | 'cosine' | 'snrDb';

/** Rows flagged as the worst: the lowest SNR, about one in ten, at least one and at most five. */
export const MAX_FLAGGED = 5;

/** The names of the tensors with the lowest SNR (ties: lower cosine first). */
export function worstTensors(rows: readonly TensorQuality[]): Set<string> {
  const exactOnly = rows.every((r) => r.snrDb === Infinity);
  if (rows.length === 0 || exactOnly) return new Set();
  const k = Math.min(MAX_FLAGGED, Math.max(1, Math.ceil(rows.length / 10)));
  const sorted = [...rows].filter((r) => r.snrDb !== Infinity).sort((a, b) => a.snrDb - b.snrDb || a.cosine - b.cosine);
  return new Set(sorted.slice(0, k).map((r) => r.name));
}

function keyOf(r: TensorQuality, key: QualityKey): number | string {
  switch (key) {
    case 'name':
      return r.name;
    case 'conversion':
      return `${r.from} ${r.to}`;
    default:
      return r[key];
  }
}

/** Sorted rows; numbers compare numerically (Infinity last ascending), names naturally. */
export function sortQuality(rows: readonly TensorQuality[], key: QualityKey, descending: boolean): TensorQuality[] {
  const coll = new Intl.Collator(undefined, { numeric: true });
  const out = [...rows].sort((a, b) => {
    const x = keyOf(a, key);
    const y = keyOf(b, key);
    const c = typeof x === 'string' ? coll.compare(x, y as string) : x === y ? 0 : x < (y as number) ? -1 : 1;
    return c || coll.compare(a.name, b.name);
  });
  return descending ? out.reverse() : out;
}

/** SNR as people read it: "∞" for an exact conversion. */
export function formatDb(db: number): string {
  if (db === Infinity) return '∞';
  if (db === -Infinity) return '−∞';
  return db.toFixed(1);
}

/** A metric in few characters: exponent form for small values. */
export function formatMetric(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a < 1e-3 || a >= 1e4 ? x.toExponential(2) : x.toPrecision(3);
}
