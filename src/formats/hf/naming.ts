/**
 * general.name, basename, finetune, version and size_label as gguf-py derives them for a model
 * folder (gguf-py metadata.py Metadata.get_model_id_components, id_to_title,
 * apply_metadata_heuristic; utility.py size_label / model_weight_count_rounded_notation, at
 * llama.cpp 34af94cd). Python's string and number semantics are reproduced where they decide a
 * byte of the output: str.title / str.islower, round() ties to even, '%.Nf' formatting.
 */

export interface NameParts {
  readonly name: string | null;
  readonly organization: string | null;
  readonly basename: string | null;
  readonly finetune: string | null;
  readonly version: string | null;
  readonly sizeLabel: string | null;
}

const isCased = (c: string): boolean => c.toLowerCase() !== c.toUpperCase();
const isDecimal = (c: string): boolean => /^\p{Nd}$/u.test(c);
const isAlpha = (c: string): boolean => /^\p{L}$/u.test(c);

/** Python str.islower: at least one cased character, and none upper or title case. */
export function pyIsLower(s: string): boolean {
  let cased = false;
  for (const c of s) {
    if (!isCased(c)) continue;
    if (c !== c.toLowerCase()) return false;
    cased = true;
  }
  return cased;
}

/** Python str.title: a cased character after an uncased one is uppercased, the rest lowercased. */
export function pyTitle(s: string): string {
  let out = '';
  let prevCased = false;
  for (const c of s) {
    out += prevCased ? c.toLowerCase() : c.toUpperCase();
    prevCased = isCased(c);
  }
  return out;
}

/** Metadata.id_to_title: "tiny-llama-v2" -> "Tiny Llama v2" (versions and numbers kept). */
export function idToTitle(id: string): string {
  return id
    .trim()
    .replaceAll('-', ' ')
    .split(/\s+/)
    .filter((w) => w.length > 0)
    .map((w) => (pyIsLower(w) && !/^(v\d+(?:\.\d+)*|\d.*)$/.test(w) ? pyTitle(w) : w))
    .join(' ');
}

type Tag = 'basename' | 'size_label' | 'finetune' | 'version' | 'type';

/**
 * Metadata.get_model_id_components: splits a model id ("org/Name-7B-Instruct-v0.2") into its
 * name components. `totalParams` decides whether a size-like part is a size label or a context
 * length ("32k").
 */
export function modelIdComponents(modelId: string | null, totalParams: number): NameParts {
  const none: NameParts = { name: null, organization: null, basename: null, finetune: null, version: null, sizeLabel: null };
  if (modelId === null) return none;
  if (modelId.includes(' ')) return { ...none, name: modelId };
  let org: string | null = null;
  let full = modelId;
  const slash = modelId.indexOf('/');
  if (slash >= 0) {
    org = modelId.slice(0, slash);
    full = modelId.slice(slash + 1);
  }
  if (org !== null && org.length > 0 && org[0] === '.') org = null;
  const parts = full.split('-').filter((p) => p.length > 0);
  const tags: Set<Tag>[] = parts.map(() => new Set<Tag>());
  parts.forEach((part0, i) => {
    let part = part0;
    const t = tags[i]!;
    if (/^(v|iter)?\d+([.]\d+)*$/i.test(part)) t.add('version');
    else if (/^(i?q\d(_\w)*|b?fp?(16|32))$/i.test(part)) {
      t.add('type');
      parts[i] = part.toUpperCase();
    } else if (i > 0 && /^(([A]|\d+[x])?\d+([._]\d+)?[KMBT][\d]?|small|mini|medium|large|x?xl)$/i.test(part)) {
      part = part.replaceAll('_', '.');
      // bloom-7b1 notation
      if (isDecimal(part[part.length - 1]!)) part = part.slice(0, -2) + '.' + part[part.length - 1] + part[part.length - 2];
      if (part.length > 1 && isDecimal(part[part.length - 2]!) && 'kmbt'.includes(part[part.length - 1]!)) {
        part = part.slice(0, -1) + part[part.length - 1]!.toUpperCase();
      }
      if (totalParams !== 0) {
        const scale = ' KMBT'.indexOf(part[part.length - 1]!);
        const num = pyFloat(part.slice(0, -1));
        if (num !== null) {
          const labelParams = num * 1000 ** scale;
          const tooSmallForLora = totalParams < 0 && labelParams < Math.floor(Math.abs(totalParams) / 8);
          const farFromSize = totalParams > 0 && Math.abs(labelParams - totalParams) > Math.floor((7 * totalParams) / 8);
          if (tooSmallForLora || farFromSize) {
            t.add('finetune'); // likely a context length
            part = part.slice(0, -1) + part[part.length - 1]!.toLowerCase();
          }
        }
      }
      if (t.size === 0) t.add('size_label');
      parts[i] = part;
    } else if (i > 0 && /^(chat|instruct|vision|lora)$/i.test(part)) {
      if (totalParams < 0 && part.toLowerCase() === 'lora') t.add('type');
      else t.add('finetune');
    }
  });
  // a word size label ("small") gives way to a numeric one
  if (parts.some((n, i) => tags[i]!.has('size_label') && [...n].some(isDecimal))) {
    parts.forEach((n, i) => {
      if (tags[i]!.has('size_label') && [...n].every(isAlpha)) tags[i]!.delete('size_label');
    });
  }
  let atStart = true;
  parts.forEach((part, i) => {
    const t = tags[i]!;
    if (atStart && ((t.size === 0 && isAlpha(part[0]!)) || t.has('version'))) t.add('basename');
    else {
      atStart = false;
      if (t.size === 0) t.add('finetune');
    }
  });
  for (let i = parts.length - 1; i >= 0; i--) {
    const t = tags[i]!;
    if (t.has('basename') && t.size > 1) t.delete('basename');
    else break;
  }
  const join = (tag: Tag, extra?: (t: Set<Tag>) => boolean): string | null =>
    parts.filter((_, i) => tags[i]!.has(tag) && (extra === undefined || extra(tags[i]!))).join('-') || null;
  let basename = join('basename');
  const sizeLabel = [...new Set(parts.filter((_, i) => tags[i]!.has('size_label')))].join('-') || null;
  const finetune = join('finetune');
  const version = join('version', (t) => !t.has('basename'));
  if (sizeLabel === null && finetune === null && version === null) basename = null;
  return { name: full, organization: org, basename, finetune, version, sizeLabel };
}

/** Python float() of a size label's number part, or null where Python raises ValueError. */
function pyFloat(s: string): number | null {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s.trim())) return null;
  return Number(s);
}

/** Python round(x) for x >= 0: half to even. */
function pyRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Python '%.{digits}f': the double's exact value rounded half to even (JS toFixed rounds half up). */
export function pyFixed(x: number, digits: number): string {
  const fixed = x.toFixed(digits);
  const exact = x.toFixed(Math.min(100, digits + 60));
  const rest = exact.slice(exact.indexOf('.') + 1 + digits);
  if (!/^50*$/.test(rest)) return fixed;
  // an exact tie: toFixed went away from zero; Python keeps the even neighbour
  const down = exact.slice(0, exact.indexOf('.') + 1 + digits).replace(/\.$/, '');
  const last = down[down.length - 1]!;
  return Number(last) % 2 === 0 ? down : fixed;
}

/** gguf-py model_weight_count_rounded_notation. */
export function roundedCount(count: number, minDigits = 2): string {
  let scaled: number;
  let suffix: string;
  if (count > 1e12) [scaled, suffix] = [count * 1e-12, 'T'];
  else if (count > 1e9) [scaled, suffix] = [count * 1e-9, 'B'];
  else if (count > 1e6) [scaled, suffix] = [count * 1e-6, 'M'];
  else [scaled, suffix] = [count * 1e-3, 'K'];
  const fix = Math.max(minDigits - String(pyRound(scaled)).replace(/^0+/, '').length, 0);
  return pyFixed(scaled, fix) + suffix;
}

/** gguf-py size_label: "1.4M", or "8x7.2B" for a mixture of experts. */
export function sizeLabel(totalParams: number, sharedParams: number, expertParams: number, expertCount: number): string {
  if (expertCount > 0) return `${expertCount}x${roundedCount(Math.abs(sharedParams) + Math.abs(expertParams))}`;
  return roundedCount(Math.abs(totalParams));
}

/**
 * The authorship names the converter writes, from config.json's `_name_or_path` (when it looks
 * like a Hub id) and then the folder name (Metadata.apply_metadata_heuristic; the model card
 * README.md is not read here). general.name falls back to the folder name itself.
 */
export function modelNames(nameOrPath: unknown, folder: string, totalParams: number): NameParts {
  let m: { -readonly [K in keyof NameParts]: NameParts[K] } = { name: null, organization: null, basename: null, finetune: null, version: null, sizeLabel: null };
  const fill = (c: NameParts) => {
    m = {
      name: m.name ?? (c.name !== null ? idToTitle(c.name) : null),
      organization: m.organization ?? (c.organization !== null ? idToTitle(c.organization) : null),
      basename: m.basename ?? c.basename,
      finetune: m.finetune ?? c.finetune,
      version: m.version ?? c.version,
      sizeLabel: m.sizeLabel ?? c.sizeLabel,
    };
  };
  if (typeof nameOrPath === 'string' && (nameOrPath.match(/\//g) ?? []).length <= 1) fill(modelIdComponents(nameOrPath, totalParams));
  fill(modelIdComponents(folder, totalParams));
  if (m.name === null) m.name = folder;
  return m;
}
