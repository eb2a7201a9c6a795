import { FormatError, UnsupportedError } from '../errors';

/**
 * The BPE model of a tokenizer.json ("model": {"type": "BPE", ...}) as Hugging Face tokenizers
 * applies it to one pre-token (models/bpe/model.rs merge_word + word.rs merge_all): characters
 * looked up (prefix/suffix, byte fallback, unk), then the lowest-ranked merge applied first,
 * leftmost on ties, a queued merge skipped when its pair has changed since it was queued.
 */

const where = { format: 'hf' as const, file: 'tokenizer.json' };

interface Merge {
  readonly rank: number;
  readonly id: number;
}

/** A binary min-heap of (rank, pos) entries. */
class Heap {
  private readonly a: Array<{ rank: number; pos: number; id: number }> = [];
  get size(): number {
    return this.a.length;
  }
  private less(i: number, j: number): boolean {
    const x = this.a[i]!;
    const y = this.a[j]!;
    return x.rank < y.rank || (x.rank === y.rank && x.pos < y.pos);
  }
  push(e: { rank: number; pos: number; id: number }): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): { rank: number; pos: number; id: number } {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

export class BpeModel {
  readonly vocab: ReadonlyMap<string, number>;
  private readonly merges = new Map<string, Merge>();
  private readonly unkId: number | null;
  private readonly prefix: string | null;
  private readonly suffix: string | null;
  private readonly byteFallback: boolean;
  private readonly fuseUnk: boolean;
  readonly ignoreMerges: boolean;
  private readonly cache = new Map<string, number[]>();

  constructor(model: Record<string, unknown>) {
    const v = model['vocab'];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(where, 'model.vocab is not an object of token -> id');
    const vocab = new Map<string, number>();
    for (const [tok, id] of Object.entries(v as Record<string, unknown>)) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new FormatError(where, `model.vocab gives ${JSON.stringify(tok)} the id ${JSON.stringify(id)}`);
      vocab.set(tok, id);
    }
    this.vocab = vocab;
    const dropout = model['dropout'];
    if (typeof dropout === 'number' && dropout > 0) throw new UnsupportedError(where, `BPE dropout ${dropout} makes the encoding random; it is not supported`);
    const str = (k: string): string | null => (typeof model[k] === 'string' && model[k] !== '' ? (model[k] as string) : null);
    this.prefix = str('continuing_subword_prefix');
    this.suffix = str('end_of_word_suffix');
    this.byteFallback = model['byte_fallback'] === true;
    this.fuseUnk = model['fuse_unk'] === true;
    this.ignoreMerges = model['ignore_merges'] === true;
    const unk = str('unk_token');
    this.unkId = unk === null ? null : (vocab.get(unk) ?? null);
    if (unk !== null && this.unkId === null) throw new FormatError(where, `the unk_token ${JSON.stringify(unk)} is not in model.vocab`);
    const merges = model['merges'];
    if (merges !== undefined && !Array.isArray(merges)) throw new FormatError(where, 'model.merges is not a list');
    (merges as unknown[] | undefined)?.forEach((m, rank) => {
      const pair = mergePair(m);
      if (pair === null) throw new FormatError(where, `merge ${rank} (${JSON.stringify(m)}) is neither "a b" nor ["a", "b"]`);
      const [a, b] = pair;
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const joined = a + (this.prefix !== null && b.startsWith(this.prefix) ? b.slice(this.prefix.length) : b);
      const id = vocab.get(joined);
      if (ia === undefined || ib === undefined || id === undefined) throw new FormatError(where, `merge ${rank} (${JSON.stringify(m)}) uses or makes a token missing from model.vocab`);
      const key = `${ia},${ib}`;
      if (!this.merges.has(key)) this.merges.set(key, { rank, id });
    });
  }

  /** The ids of one pre-token. */
  encode(piece: string): number[] {
    if (piece.length === 0) return [];
    if (this.ignoreMerges) {
      const id = this.vocab.get(piece);
      if (id !== undefined) return [id];
    }
    const hit = this.cache.get(piece);
    if (hit !== undefined) return hit;
    const ids = this.mergeAll(this.initial(piece));
    if (this.cache.size < 100_000) this.cache.set(piece, ids);
    return ids;
  }

  private initial(piece: string): number[] {
    const out: number[] = [];
    const chars = [...piece];
    let unk: number | null = null; // a pending (possibly fused) unknown
    chars.forEach((ch, i) => {
      let s = ch;
      if (this.prefix !== null && i > 0) s = this.prefix + s;
      if (this.suffix !== null && i === chars.length - 1) s += this.suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        if (unk !== null) out.push(unk);
        unk = null;
        out.push(id);
        return;
      }
      if (this.byteFallback) {
        const bytes = [...new TextEncoder().encode(s)].map((b) => this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
        if (bytes.every((b) => b !== undefined)) {
          if (unk !== null) out.push(unk);
          unk = null;
          out.push(...(bytes as number[]));
          return;
        }
      }
      if (this.unkId !== null) {
        if (unk !== null && !this.fuseUnk) out.push(unk);
        unk = this.unkId;
      }
      // without an unk token the character is dropped, as the reference drops it
    });
    if (unk !== null) out.push(unk);
    return out;
  }

  private mergeAll(ids: number[]): number[] {
    const n = ids.length;
    const c = ids.slice();
    const prev = Array.from({ length: n }, (_, i) => i - 1);
    const next = Array.from({ length: n }, (_, i) => (i + 1 < n ? i + 1 : -1));
    const alive = new Array<boolean>(n).fill(true);
    const heap = new Heap();
    const queue = (pos: number) => {
      const nx = next[pos]!;
      if (nx < 0) return;
      const m = this.merges.get(`${c[pos]},${c[nx]}`);
      if (m !== undefined) heap.push({ rank: m.rank, pos, id: m.id });
    };
    for (let i = 0; i + 1 < n; i++) queue(i);
    while (heap.size > 0) {
      const top = heap.pop();
      if (!alive[top.pos]) continue;
      const nx = next[top.pos]!;
      if (nx < 0) continue;
      const m = this.merges.get(`${c[top.pos]},${c[nx]}`);
      if (m === undefined || m.id !== top.id) continue; // the pair changed since it was queued
      c[top.pos] = top.id;
      alive[nx] = false;
      const after = next[nx]!;
      next[top.pos] = after;
      if (after >= 0) prev[after] = top.pos;
      const p = prev[top.pos]!;
      if (p >= 0) queue(p);
      queue(top.pos);
    }
    const out: number[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]!) out.push(c[i]!);
    return out;
  }
}

/** A merge as tokenizer.json writes it: "a b" (split at the one space) or ["a", "b"]. */
export function mergePair(m: unknown): [string, string] | null {
  if (typeof m === 'string') {
    const parts = m.split(' ');
    return parts.length === 2 ? [parts[0]!, parts[1]!] : null;
  }
  if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return [m[0], m[1]];
  return null;
}
