import type { ByteSource } from '../../io/byte-source';
import { FormatError } from '../errors';
import type { MetaValue, ModelView, TensorInfo } from '../model';
import { GGUF_MAX_SPLIT_PARTS } from '../limits';
import { KEY_SPLIT_COUNT, KEY_SPLIT_NO, KEY_SPLIT_TENSORS_COUNT, SPLIT_NAME_RE, splitPartName } from './constants';
import { readGgufHeader, type GgufHeader } from './header';
import { ggufDetails, ggufTensors } from './tensors';

interface SplitKeys {
  readonly no: number;
  readonly count: number;
  readonly tensorsCount: number | null;
}

function intValue(v: MetaValue | undefined): number | null {
  if (v === undefined) return null;
  if (typeof v.value === 'number' && Number.isInteger(v.value) && v.type !== 'f32' && v.type !== 'f64') return v.value;
  if (typeof v.value === 'bigint') return Number(v.value);
  return null;
}

/** The split.* keys of one part, or null for a file that is not a part of a multi-file set. */
function splitKeys(h: GgufHeader): SplitKeys | null {
  const count = intValue(h.metadata.get(KEY_SPLIT_COUNT));
  if (count === null || count <= 1) return null;
  const fail = (what: string) => new FormatError({ format: 'gguf', file: h.file }, what);
  if (count > GGUF_MAX_SPLIT_PARTS) throw fail(`${KEY_SPLIT_COUNT} is ${count}, above the limit of ${GGUF_MAX_SPLIT_PARTS}`);
  const no = intValue(h.metadata.get(KEY_SPLIT_NO));
  if (no === null) throw fail(`${KEY_SPLIT_COUNT} is ${count} but ${KEY_SPLIT_NO} is missing or not an integer`);
  if (no < 0 || no >= count) throw fail(`${KEY_SPLIT_NO} is ${no}, outside 0..${count - 1}`);
  return { no, count, tensorsCount: intValue(h.metadata.get(KEY_SPLIT_TENSORS_COUNT)) };
}

function singleView(src: ByteSource, h: GgufHeader): ModelView {
  return { format: 'gguf', files: [src.name], metadata: h.metadata, tensors: ggufTensors(src, h), details: ggufDetails(h) };
}

/**
 * Opens one GGUF file, or every part of a gguf-split set as one model. Parts are matched by their
 * split.no / split.count keys (names are only used to suggest what is missing), as llama.cpp's
 * loader does: metadata comes from the first part, tensors from all parts in part order, and
 * split.tensors.count must equal the number of tensors found.
 */
export async function readGguf(files: readonly ByteSource[]): Promise<ModelView> {
  if (files.length === 0) throw new Error('internal error: readGguf needs at least one file');
  const headers: GgufHeader[] = [];
  for (const f of files) headers.push(await readGgufHeader(f));
  const keys = headers.map(splitKeys);
  if (files.length === 1 && keys[0] === null) return singleView(files[0]!, headers[0]!);

  const first = files[0]!.name;
  const fail = (what: string) => new FormatError({ format: 'gguf', file: first }, what);
  const loose = files.filter((_, i) => keys[i] === null).map((f) => f.name);
  if (loose.length > 0) {
    throw fail(`${files.length} GGUF files were given but ${loose.join(', ')} ${loose.length === 1 ? 'is' : 'are'} not part of a split set (no ${KEY_SPLIT_COUNT} above 1); open one model at a time`);
  }
  const count = keys[0]!.count;
  const counts = new Set(keys.map((k) => k!.count));
  if (counts.size > 1) {
    throw fail(`the files come from split sets of different sizes: ${files.map((f, i) => `${f.name} says ${keys[i]!.count}`).join(', ')}`);
  }
  const byNo = new Map<number, number[]>();
  keys.forEach((k, i) => byNo.set(k!.no, [...(byNo.get(k!.no) ?? []), i]));
  const dups = [...byNo.entries()].filter(([, idx]) => idx.length > 1).sort((a, b) => a[0] - b[0]);
  if (dups.length > 0) {
    throw fail(`duplicate split parts: ${dups.map(([no, idx]) => `part ${no + 1} of ${count} given ${idx.length} times (${idx.map((i) => files[i]!.name).join(', ')})`).join('; ')}`);
  }
  const missing: number[] = [];
  for (let no = 0; no < count; no++) if (!byNo.has(no)) missing.push(no);
  if (missing.length > 0) {
    const m = SPLIT_NAME_RE.exec(first);
    const shown = missing.slice(0, 10).map((no) => (m ? splitPartName(m[1]!, no, count) : `part ${no + 1}`));
    const more = missing.length > 10 ? ` and ${missing.length - 10} more` : '';
    throw fail(`split set is incomplete: ${missing.length} of ${count} parts missing: ${shown.join(', ')}${more} (given: ${files.map((f) => f.name).join(', ')})`);
  }

  const ordered = Array.from({ length: count }, (_, no) => byNo.get(no)![0]!);
  const tensors: TensorInfo[] = [];
  const seen = new Map<string, string>();
  for (const i of ordered) {
    for (const t of ggufTensors(files[i]!, headers[i]!)) {
      const prev = seen.get(t.name);
      if (prev !== undefined) throw fail(`tensor '${t.name}' appears in both ${prev} and ${t.file}`);
      seen.set(t.name, t.file);
      tensors.push(t);
    }
  }
  const head = headers[ordered[0]!]!;
  const declared = keys[ordered[0]!]!.tensorsCount;
  if (declared !== null && declared !== tensors.length) {
    throw fail(`${KEY_SPLIT_TENSORS_COUNT} in ${head.file} says ${declared} tensors but the ${count} parts hold ${tensors.length}`);
  }
  const details = ggufDetails(head);
  details.set('tensor count', String(tensors.length));
  details.set('split parts', String(count));
  const orders = new Set(ordered.map((i) => headers[i]!.littleEndian));
  if (orders.size > 1) details.set('byte order', 'mixed (per part)');
  return { format: 'gguf', files: ordered.map((i) => files[i]!.name), metadata: head.metadata, tensors, details };
}
