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

type Scalar = number | bigint | boolean | string;

/** bigints become strings (exact); non-finite floats become "NaN" / "Infinity" / "-Infinity". */
function scalarText(v: Scalar): string {
  if (typeof v === 'bigint') return `"${v}"`;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : `"${v}"`;
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Text is handed to the output in pieces of about this size: never one giant string. */
const PIECE_CHARS = 64 * 1024;

/**
 * A metadata array's items on one line, in pieces: a GGUF may hold three arrays of 16M items
 * within the reader's limits, and one JSON string of them (or one line per item) would not fit
 * in a JS string.
 */
function* scalarList(items: readonly Scalar[]): Generator<string> {
  if (items.length === 0) {
    yield '[]';
    return;
  }
  // pieces of a fixed item count, joined from an array (a string built with += is a rope of as
  // many nodes as pieces until flattened, several times the size of its text)
  const per = typeof items[0] === 'string' ? 1024 : 4096; // at most ~24 chars a number, ~100 KB
  for (let i = 0; i < items.length; i += per) {
    const chunk = items.slice(i, i + per);
    // finite numbers print the same by join as by JSON.stringify, and an order of magnitude faster
    const plain = chunk.every((v) => typeof v === 'number' && Number.isFinite(v));
    const text = plain ? chunk.join(',') : chunk.map(scalarText).join(',');
    yield (i === 0 ? '[' : ',') + text + (i + per >= items.length ? ']' : '');
  }
}

/** An object's members, pretty-printed like JSON.stringify(v, null, 2); values come as text pieces. */
function* object(members: Iterable<[string, () => Iterable<string>]>, indent: string): Generator<string> {
  const inner = indent + '  ';
  let first = true;
  for (const [k, v] of members) {
    yield `${first ? '{' : ','}\n${inner}${JSON.stringify(k)}: `;
    first = false;
    yield* v();
  }
  yield first ? '{}' : `\n${indent}}`;
}

function* list(items: readonly (() => Iterable<string>)[], indent: string): Generator<string> {
  const inner = indent + '  ';
  if (items.length === 0) {
    yield '[]';
    return;
  }
  for (let i = 0; i < items.length; i++) {
    yield `${i === 0 ? '[' : ','}\n${inner}`;
    yield* items[i]!();
  }
  yield `\n${indent}]`;
}

const text = (v: Scalar) => () => [scalarText(v)];

function arrayMembers(a: MetaArray, indent: string): Iterable<[string, () => Iterable<string>]> {
  const value =
    a.itemType === 'array'
      ? () => list((a.value as readonly MetaArray[]).map((x) => () => object(arrayMembers(x, indent + '    '), indent + '    ')), indent + '  ')
      : () => scalarList(a.value as readonly Scalar[]);
  return [
    ['type', text('array')],
    ['itemType', text(a.itemType)],
    ['value', value],
  ];
}

function valueMembers(v: MetaValue, indent: string): Iterable<[string, () => Iterable<string>]> {
  if (v.type === 'array') return arrayMembers(v, indent);
  return [
    ['type', text(v.type)],
    ['value', text(v.value)],
  ];
}

function* documentPieces(m: ModelView): Generator<string> {
  const metadata = function* (): Generator<[string, () => Iterable<string>]> {
    for (const [k, v] of m.metadata) yield [k, () => object(valueMembers(v, '    '), '    ')];
  };
  const tensor = (t: ModelView['tensors'][number]) => () =>
    object(
      [
        ['name', text(t.name)],
        ['type', () => [t.type === null ? 'null' : scalarText(t.type)]],
        ['typeLabel', text(t.typeLabel)],
        ['shape', () => scalarList(t.shape)],
        ['nbytes', text(t.nbytes)],
        ['file', text(t.file)],
        ['fileOffset', text(t.fileOffset)],
      ],
      '    ',
    );
  yield* object(
    [
      ['format', text(m.format)],
      ['files', () => list(m.files.map((f) => text(f)), '  ')],
      ['details', () => object([...m.details].map(([k, v]) => [k, text(v)]), '  ')],
      ['metadata', () => object(metadata(), '  ')],
      ['shapeOrder', text('row-major, outermost first')],
      ['tensors', () => list(m.tensors.map(tensor), '  ')],
    ],
    '',
  );
  yield '\n';
}

/**
 * One JSON document with everything, arrays in full, as text pieces of bounded size to be written
 * one after another. u64/i64 metadata values are strings (exact); every other number is a JSON
 * number (tensor sizes and offsets are below 2^53 by construction). Arrays of plain values are on
 * one line.
 */
export function* renderJsonPieces(m: ModelView): Generator<string> {
  let buf: string[] = [];
  let chars = 0;
  for (const p of documentPieces(m)) {
    buf.push(p);
    chars += p.length;
    if (chars >= PIECE_CHARS) {
      yield buf.join('');
      buf = [];
      chars = 0;
    }
  }
  if (buf.length > 0) yield buf.join('');
}
