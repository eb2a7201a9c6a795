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

/** A URL or an explicit Hub reference (hf://owner/repo...): read over HTTP, never a local path. */
export function isRemoteInput(s: string): boolean {
  return /^(https?|hf):\/\//i.test(s);
}

/** huggingface_hub's own variables: HF_TOKEN for gated and private repos, HF_ENDPOINT for a mirror. */
export function hubOptionsFromEnv(signal?: AbortSignal): { token?: string; hubUrl?: string; signal?: AbortSignal } {
  const token = process.env.HF_TOKEN?.trim();
  const hubUrl = process.env.HF_ENDPOINT?.trim();
  return { ...(token ? { token } : {}), ...(hubUrl ? { hubUrl } : {}), ...(signal ? { signal } : {}) };
}
