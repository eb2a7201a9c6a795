import type { TensorSummary } from '../pipeline/protocol';
import { blockOf, elementsOf } from './model-facts';

/** Sorting, filtering and grouping of the tensor list, kept out of the element so it can be tested. */

export type SortKey = 'index' | 'name' | 'type' | 'shape' | 'params' | 'size';
export interface TableQuery {
  readonly text: string;
  /** typeLabel, or '' for every type */
  readonly type: string;
  readonly sort: SortKey;
  readonly descending: boolean;
  readonly group: boolean;
}

export type TableItem =
  | { readonly kind: 'row'; readonly index: number; readonly t: TensorSummary; readonly params: number }
  | { readonly kind: 'group'; readonly block: string; readonly count: number; readonly params: number; readonly bytes: number };

/** A filter as typed: a glob when it holds * or ?, else a case-insensitive substring. */
export function nameMatcher(text: string): (name: string) => boolean {
  const q = text.trim().toLowerCase();
  if (!q) return () => true;
  if (/[*?]/.test(q)) {
    const re = new RegExp('^' + q.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
    return (n) => re.test(n.toLowerCase());
  }
  return (n) => n.toLowerCase().includes(q);
}

const collator = new Intl.Collator('en', { numeric: true });

export function tableItems(tensors: readonly TensorSummary[], q: TableQuery): TableItem[] {
  const match = nameMatcher(q.text);
  const rows: Extract<TableItem, { kind: 'row' }>[] = [];
  tensors.forEach((t, index) => {
    if ((q.type === '' || t.typeLabel === q.type) && match(t.name)) rows.push({ kind: 'row', index, t, params: elementsOf(t) });
  });
  const dir = q.descending ? -1 : 1;
  const cmp = (a: (typeof rows)[number], b: (typeof rows)[number]): number => {
    switch (q.sort) {
      case 'index': return a.index - b.index;
      case 'name': return collator.compare(a.t.name, b.t.name);
      case 'type': return collator.compare(a.t.typeLabel, b.t.typeLabel);
      case 'shape': return a.t.shape.length - b.t.shape.length || a.params - b.params;
      case 'params': return a.params - b.params;
      case 'size': return a.t.nbytes - b.t.nbytes;
    }
  };
  rows.sort((a, b) => dir * cmp(a, b) || a.index - b.index);
  if (!q.group) return rows;
  // one header per block, blocks in numeric order, tensors outside blocks first
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const b = blockOf(r.t.name) ?? '';
    const g = groups.get(b);
    if (g) g.push(r);
    else groups.set(b, [r]);
  }
  const out: TableItem[] = [];
  for (const b of [...groups.keys()].sort(collator.compare)) {
    const g = groups.get(b)!;
    out.push({ kind: 'group', block: b || 'outside blocks', count: g.length, params: g.reduce((a, r) => a + r.params, 0), bytes: g.reduce((a, r) => a + Math.max(0, r.t.nbytes), 0) });
    out.push(...g);
  }
  return out;
}

export function typesIn(tensors: readonly TensorSummary[]): string[] {
  return [...new Set(tensors.map((t) => t.typeLabel))].sort(collator.compare);
}
