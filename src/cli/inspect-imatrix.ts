/**
 * `inspect` of an importance matrix (llama-imatrix's GGUF or legacy .dat): what it was computed
 * on and every entry, so a user can tell whether a published imatrix belongs to their model
 * before quantizing with it.
 */
import { readImatrix } from '../formats/imatrix/reader';
import type { Imatrix } from '../formats/imatrix/imatrix';
import type { ModelView } from '../formats/model';
import { NodeFileSource } from '../io/node/file-source';
import { describeImatrixFacts, imatrixFacts } from '../pipeline/imatrix-summary';

/** A .dat file is only ever an imatrix here (no model format uses the extension). */
export function looksLikeDatImatrix(path: string): boolean {
  return /\.dat$/i.test(path);
}

/** A GGUF that llama-imatrix wrote says so in general.type. */
export function isImatrixGguf(model: ModelView): boolean {
  const t = model.metadata.get('general.type');
  return t?.type === 'string' && t.value === 'imatrix';
}

export async function readImatrixFile(path: string): Promise<Imatrix> {
  const src = await NodeFileSource.open(path);
  try {
    return await readImatrix(src);
  } finally {
    await src.close().catch(() => undefined);
  }
}

export function renderImatrixText(im: Imatrix): string {
  const lines = [`importance matrix: ${im.file}`, describeImatrixFacts(imatrixFacts(im)), '', `entries (${im.entries.length}):`];
  const nw = Math.min(48, Math.max(0, ...im.entries.map((e) => e.name.length)));
  for (const e of im.entries) {
    const experts = e.counts.length > 1 ? `${e.counts.length} experts x ${e.sums.length / e.counts.length}` : `${e.sums.length} columns`;
    const counts = im.format === 'gguf' ? `tokens ${[...new Set(e.counts)].join('/')}` : `calls ${e.counts[0] ?? 0}`;
    lines.push(`  ${e.name.padEnd(nw)}  ${experts}, ${counts}`);
  }
  return lines.join('\n') + '\n';
}

export function renderImatrixJson(im: Imatrix): string {
  const doc = {
    imatrix: {
      file: im.file,
      ...imatrixFacts(im),
      entries: im.entries.map((e) => ({ name: e.name, values: e.sums.length, experts: e.counts.length, counts: e.counts })),
    },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
