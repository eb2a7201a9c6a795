import type { MetaValue } from '../formats/model';

/** Text for people: sizes in decimal units, shapes in brackets, metadata values abbreviated. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[u]}`;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(4) : x.toPrecision(6);
}

export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '—';
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

const ARRAY_PREVIEW = 6;

export function formatMeta(v: MetaValue): string {
  if (v.type === 'array') {
    const items = v.value.slice(0, ARRAY_PREVIEW).map((x) => (typeof x === 'object' ? `[${x.value.length} items]` : typeof x === 'string' ? JSON.stringify(x) : String(x)));
    const more = v.value.length > ARRAY_PREVIEW ? `, … (${formatCount(v.value.length)} items)` : '';
    return `[${items.join(', ')}${more}]`;
  }
  if (v.type === 'string') return v.value.length > 200 ? JSON.stringify(v.value.slice(0, 200)) + '…' : JSON.stringify(v.value);
  if (v.type === 'f32') return shortestF32(v.value);
  return String(v.value);
}

export function metaTypeLabel(v: MetaValue): string {
  return v.type === 'array' ? `array<${v.itemType}>` : v.type;
}

/** The shortest decimal that reads back as the same float32 (1e-5, not 0.0000099999997). */
export function shortestF32(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  for (let p = 1; p <= 9; p++) {
    const t = x.toPrecision(p);
    if (Math.fround(Number(t)) === x) return String(Number(t));
  }
  return String(x);
}
