import type { MetaArray, MetaValue, ModelView } from '../formats/model';

/** Items of a metadata array shown in text mode; the rest is counted. --json shows everything. */
const TEXT_ARRAY_ITEMS = 8;
/** Characters of a string shown in text mode (chat templates run to several KB). */
const TEXT_STRING_CHARS = 120;

function quote(s: string): string {
  const q = JSON.stringify(s.length > TEXT_STRING_CHARS ? s.slice(0, TEXT_STRING_CHARS) : s);
  return s.length > TEXT_STRING_CHARS ? `${q}... (${s.length} chars)` : q;
}

/** The shortest decimal that reads back as the same float32 (String() would print the double). */
function f32Text(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  for (let p = 1; p < 9; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return String(Number(s));
  }
  return String(v);
}

function item(v: number | bigint | boolean | string | MetaArray, f32: boolean): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'object') return arrayText(v);
  if (typeof v === 'number' && f32) return f32Text(v);
  return String(v);
}

function arrayText(a: MetaArray): string {
  const shown = a.value.slice(0, TEXT_ARRAY_ITEMS).map((x) => item(x, a.itemType === 'f32'));
  const more = a.value.length > TEXT_ARRAY_ITEMS ? `, ... ${a.value.length - TEXT_ARRAY_ITEMS} more` : '';
  return `[${shown.join(', ')}${more}]`;
}

function typeText(v: MetaValue): string {
  return v.type === 'array' ? `${v.itemType}[${v.value.length}]` : v.type;
}

function valueText(v: MetaValue): string {
  if (v.type === 'array') return arrayText(v);
  if (v.type === 'string') return quote(v.value);
  return item(v.value, v.type === 'f32');
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
}

/** Human-readable listing: details, metadata (long arrays and strings abbreviated), tensors. */
export function renderText(m: ModelView): string {
  const lines: string[] = [];
  lines.push(`format: ${m.format}`);
  lines.push(`files: ${m.files.join(', ')}`);
  for (const [k, v] of m.details) lines.push(`${k}: ${v}`);
  lines.push('');
  lines.push(`metadata (${m.metadata.size} keys):`);
  const kw = Math.min(48, Math.max(0, ...[...m.metadata.keys()].map((k) => k.length)));
  const tw = Math.max(0, ...[...m.metadata.values()].map((v) => typeText(v).length));
  for (const [k, v] of m.metadata) lines.push(`  ${pad(k, kw)}  ${pad(typeText(v), tw)}  ${valueText(v)}`);
  lines.push('');
  const total = m.tensors.reduce((n, t) => n + t.nbytes, 0);
  lines.push(`tensors (${m.tensors.length}, ${total} bytes = ${mib(total)}); shape is row-major, outermost first${m.format === 'gguf' ? " (GGUF's ne is this reversed)" : ''}:`);
  const rows = m.tensors.map((t) => [t.name, t.typeLabel, `[${t.shape.join(', ')}]`, String(t.nbytes)]);
  const w = [0, 1, 2, 3].map((i) => Math.max(['name', 'type', 'shape', 'bytes'][i]!.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => `  ${pad(r[0]!, w[0]!)}  ${pad(r[1]!, w[1]!)}  ${pad(r[2]!, w[2]!)}  ${r[3]!.padStart(w[3]!)}`;
  lines.push(fmt(['name', 'type', 'shape', 'bytes']));
  for (const r of rows) lines.push(fmt(r));
  return lines.join('\n') + '\n';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** bigints become strings (exact); non-finite floats become "NaN" / "Infinity" / "-Infinity". */
function jsonScalar(v: number | bigint | boolean | string): Json {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return v;
}

function jsonArray(a: MetaArray): Json {
  return { type: 'array', itemType: a.itemType, value: a.value.map((x) => (typeof x === 'object' ? jsonArray(x) : jsonScalar(x))) };
}

function jsonValue(v: MetaValue): Json {
  return v.type === 'array' ? jsonArray(v) : { type: v.type, value: jsonScalar(v.value) };
}

/**
 * One JSON document with everything, arrays in full. u64/i64 metadata values are strings (exact);
 * every other number is a JSON number (tensor sizes and offsets are below 2^53 by construction).
 */
export function renderJson(m: ModelView): string {
  const metadata: { [k: string]: Json } = {};
  for (const [k, v] of m.metadata) Object.defineProperty(metadata, k, { value: jsonValue(v), enumerable: true, writable: true, configurable: true });
  const doc: Json = {
    format: m.format,
    files: [...m.files],
    details: Object.fromEntries(m.details),
    metadata,
    shapeOrder: 'row-major, outermost first',
    tensors: m.tensors.map((t) => ({
      name: t.name,
      type: t.type,
      typeLabel: t.typeLabel,
      shape: [...t.shape],
      nbytes: t.nbytes,
      file: t.file,
      fileOffset: t.fileOffset,
    })),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
