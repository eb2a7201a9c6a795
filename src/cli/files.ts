import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A directory argument stands for its files (not recursive, dot files skipped), in name order. */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const st = await stat(p);
    if (!st.isDirectory()) {
      out.push(p);
      continue;
    }
    const names = (await readdir(p)).filter((n) => !n.startsWith('.')).sort();
    for (const n of names) if ((await stat(join(p, n))).isFile()) out.push(join(p, n));
  }
  return out;
}
