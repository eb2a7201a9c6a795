import { HttpSource, type HttpSourceOptions } from './http-source';
import { HttpAbortedError, HttpNetworkError, HttpSourceError } from './http-errors';

/**
 * Hugging Face Hub resolution: `owner/repo[@revision][:file-or-quant]` -> the repository's files
 * at one commit -> the files that make up the model -> one HttpSource per file.
 *
 * Endpoints (huggingface.js listFiles / huggingface_hub HfApi use the same):
 *   GET {hub}/api/models/{repo}/revision/{rev}          -> { sha, siblings: [{ rfilename }] }
 *   GET {hub}/api/models/{repo}/tree/{sha}?recursive=true -> [{ type, path, size, oid, lfs? }],
 *       paginated with a Link: <...>; rel="next" header
 *   GET {hub}/{repo}/resolve/{sha}/{path}                -> the file (a redirect to the CDN)
 * The revision is resolved to its commit first, so every file comes from that one commit even if
 * the branch moves while the model streams.
 */

export const DEFAULT_HUB_URL = 'https://huggingface.co';
/** A repo listing is JSON of ~200 bytes a file; 16 MiB is ~80k files, beyond any model repo. */
const MAX_API_RESPONSE_BYTES = 16 << 20;
/** Pages of the tree listing followed before giving up (the Hub sends 1000 entries a page). */
const MAX_TREE_PAGES = 100;
/** A safetensors / PyTorch shard index is a weight map of a few hundred KB at most. */
const MAX_INDEX_BYTES = 32 << 20;

export interface HubOptions {
  /** The Hub's origin (tests pass a loopback server); default https://huggingface.co. */
  readonly hubUrl?: string;
  /** A user access token (hf_...) for private and gated repos; sent to the Hub's origin only, never stored. */
  readonly token?: string;
  readonly signal?: AbortSignal;
  readonly fetch?: typeof fetch;
  /** Tuning of the file reads (parallel ranges, retries). */
  readonly http?: Omit<HttpSourceOptions, 'name' | 'headers' | 'signal' | 'fetch' | 'expectedSize'>;
}

export interface HubRef {
  readonly repo: string;
  readonly revision: string;
  /** A path in the repo, or a quantization tag (Q4_K_M) picking one GGUF among several. */
  readonly file: string | null;
}

export interface HubFile {
  readonly path: string;
  readonly size: number;
}

export interface HubListing {
  readonly repo: string;
  readonly revision: string;
  /** The commit the revision pointed at when listed; every URL below uses it. */
  readonly commit: string;
  readonly files: readonly HubFile[];
}

export type HubModelKind = 'safetensors' | 'gguf' | 'pytorch';

export interface HubSelection {
  readonly kind: HubModelKind;
  readonly weights: readonly HubFile[];
  /** config.json, tokenizer files: what the Hugging Face reader needs beside safetensors weights. */
  readonly companions: readonly HubFile[];
}

/** Something about the repository itself: not found, not allowed, no model Kiln reads, a choice to make. */
export class HubError extends HttpSourceError {
  override readonly name: string = 'HubError';
  constructor(
    url: string,
    readonly reason: 'not-found' | 'needs-token' | 'no-weights' | 'ambiguous' | 'bad-response',
    what: string,
  ) {
    super(url, what);
  }
}

const REPO_RE = /^[A-Za-z0-9][\w.-]*(?:\/[\w.-]+)?$/;

/** Parses `owner/repo`, `owner/repo@revision`, `owner/repo:Q4_K_M`, `owner/repo@rev:path/in/repo.gguf`. */
export function parseHubRef(spec: string): HubRef {
  let s = spec.trim().replace(/^hf:\/\//, '');
  let file: string | null = null;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    file = s.slice(colon + 1) || null;
    s = s.slice(0, colon);
  }
  const at = s.indexOf('@');
  const repo = at >= 0 ? s.slice(0, at) : s;
  const revision = at >= 0 ? s.slice(at + 1) : 'main';
  if (!REPO_RE.test(repo) || repo.includes('..') || revision === '') {
    throw new HubError(spec, 'not-found', `"${spec}" is not a Hub repository: write owner/name, optionally @revision and :file or :QUANT (e.g. TheBloke/Llama-2-7B-GGUF:Q4_K_M)`);
  }
  return { repo, revision, file };
}

function apiHeaders(token: string | undefined): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}`, Accept: 'application/json' } : { Accept: 'application/json' };
}

function accessError(url: string, status: number, repo: string, token: boolean): HubError {
  if (status === 401 || status === 403) {
    const what = token
      ? `the token given may not read ${repo} (HTTP ${status}): for a gated model, accept its terms on the model page with the token's account; for a private one, use a token of an account with access`
      : `${repo} is private or gated (HTTP ${status}): give a Hugging Face access token (hf_...) that may read it`;
    return new HubError(url, 'needs-token', what);
  }
  return new HubError(url, 'not-found', `no repository ${repo} at that revision on the Hub (HTTP 404)${token ? '' : '; a private repository also needs a token'}`);
}

/** GET JSON from the Hub API with a bounded size and a few retries on 5xx and network errors. */
async function getJson(url: string, repo: string, opts: HubOptions): Promise<{ json: unknown; next: string | null }> {
  const fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
  let last = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    if (opts.signal?.aborted) throw new HttpAbortedError(url, 'cancelled');
    if (attempt > 0) await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    let res: Response;
    try {
      res = await fetchFn(url, { headers: apiHeaders(opts.token), signal: opts.signal ?? null });
    } catch (e) {
      if (opts.signal?.aborted) throw new HttpAbortedError(url, 'cancelled');
      const cause = (e as { cause?: unknown }).cause;
      last = `${e instanceof Error ? e.message : String(e)}${cause instanceof Error ? `: ${cause.message}` : ''}`;
      continue;
    }
    if (res.status >= 500 || res.status === 429) {
      last = `HTTP ${res.status}`;
      await res.body?.cancel().catch(() => undefined);
      continue;
    }
    if (res.status === 401 || res.status === 403 || res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      throw accessError(url, res.status, repo, opts.token !== undefined);
    }
    if (!res.ok) throw new HubError(url, 'bad-response', `the Hub answered HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > MAX_API_RESPONSE_BYTES) throw new HubError(url, 'bad-response', `a ${declared}-byte listing is more than the ${MAX_API_RESPONSE_BYTES} bytes Kiln reads`);
    const text = await res.text();
    if (text.length > MAX_API_RESPONSE_BYTES) throw new HubError(url, 'bad-response', `a ${text.length}-byte listing is more than the ${MAX_API_RESPONSE_BYTES} bytes Kiln reads`);
    try {
      return { json: JSON.parse(text), next: nextLink(res.headers.get('link')) };
    } catch {
      throw new HubError(url, 'bad-response', 'the Hub API answered something that is not JSON');
    }
  }
  throw new HttpNetworkError(url, `the Hub API could not be reached (4 tries; last: ${last})`);
}

function nextLink(link: string | null): string | null {
  if (link === null) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1]!;
  }
  return null;
}

/** Lists every file of the repository at the revision's commit, with sizes. */
export async function listHubFiles(ref: HubRef, opts: HubOptions = {}): Promise<HubListing> {
  const hub = (opts.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const origin = new URL(hub).origin;
  const repoPath = ref.repo.split('/').map(encodeURIComponent).join('/');
  const revUrl = `${hub}/api/models/${repoPath}/revision/${encodeURIComponent(ref.revision)}`;
  const info = (await getJson(revUrl, ref.repo, opts)).json as { sha?: unknown };
  const commit = typeof info?.sha === 'string' && /^[0-9a-f]{40}$/.test(info.sha) ? info.sha : ref.revision;
  const files: HubFile[] = [];
  let url: string | null = `${hub}/api/models/${repoPath}/tree/${encodeURIComponent(commit)}?recursive=true`;
  for (let page = 0; url !== null; page++) {
    if (page >= MAX_TREE_PAGES) throw new HubError(url, 'bad-response', `the listing goes on past ${MAX_TREE_PAGES} pages`);
    // the token goes to the Hub only: a next link elsewhere is refused, not followed
    if (new URL(url, hub).origin !== origin) throw new HubError(url, 'bad-response', `the listing's next page points off the Hub (${new URL(url, hub).origin})`);
    const got: { json: unknown; next: string | null } = await getJson(new URL(url, hub).href, ref.repo, opts);
    if (!Array.isArray(got.json)) throw new HubError(url, 'bad-response', 'the tree listing is not a JSON array');
    for (const e of got.json as { type?: unknown; path?: unknown; size?: unknown; lfs?: { size?: unknown } }[]) {
      if (e?.type !== 'file' || typeof e.path !== 'string') continue;
      const size = typeof e.lfs?.size === 'number' ? e.lfs.size : e.size;
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new HubError(url, 'bad-response', `file ${e.path} has no valid size in the listing`);
      files.push({ path: e.path, size });
    }
    url = got.next;
  }
  return { repo: ref.repo, revision: ref.revision, commit, files };
}

export function hubResolveUrl(hubUrl: string | undefined, repo: string, commit: string, path: string): string {
  const hub = (hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const enc = (p: string) => p.split('/').map(encodeURIComponent).join('/');
  return `${hub}/${enc(repo)}/resolve/${encodeURIComponent(commit)}/${enc(path)}`;
}

const COMPANIONS = ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'tokenizer.model', 'special_tokens_map.json', 'added_tokens.json'];
const GGUF_SPLIT_RE = /-(\d{5})-of-(\d{5})\.gguf$/i;

/** The split set a GGUF part belongs to (all parts), or just the file. */
function ggufSet(all: readonly HubFile[], f: HubFile): HubFile[] {
  const m = GGUF_SPLIT_RE.exec(f.path);
  if (m === null) return [f];
  const prefix = f.path.slice(0, m.index);
  return all.filter((g) => g.path.startsWith(prefix) && GGUF_SPLIT_RE.test(g.path) && g.path.length === f.path.length).sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** One entry per GGUF model (a split set counts once, by its first part). */
function ggufModels(ggufs: readonly HubFile[]): HubFile[][] {
  const seen = new Set<string>();
  const out: HubFile[][] = [];
  for (const f of ggufs) {
    const set = ggufSet(ggufs, f);
    if (seen.has(set[0]!.path)) continue;
    seen.add(set[0]!.path);
    out.push(set);
  }
  return out;
}

/**
 * Picks the files of the model: a GGUF (chosen with `:file` or `:QUANT` when there are several),
 * else safetensors (the shards the index names, or model.safetensors) with config and tokenizer
 * files, else PyTorch weights. Only the repository's top level holds transformers weights; GGUFs
 * may sit in folders. `readIndex` fetches a shard index (it is small JSON).
 */
export async function selectModelFiles(listing: HubListing, file: string | null, readIndex: (f: HubFile) => Promise<Uint8Array>): Promise<HubSelection> {
  const where = `${listing.repo}@${listing.revision}`;
  const all = listing.files;
  const top = all.filter((f) => !f.path.includes('/'));
  const byPath = new Map(all.map((f) => [f.path, f]));
  const ggufs = all.filter((f) => /\.gguf$/i.test(f.path));
  const companions = COMPANIONS.map((n) => byPath.get(n)).filter((f): f is HubFile => f !== undefined);
  const choices = () => ggufModels(ggufs).map((s) => s[0]!.path).join(', ');

  if (file !== null) {
    const exact = byPath.get(file);
    if (exact !== undefined) {
      if (/\.gguf$/i.test(exact.path)) return { kind: 'gguf', weights: ggufSet(all, exact), companions: [] };
      if (/\.safetensors$/i.test(exact.path)) return { kind: 'safetensors', weights: [exact], companions: [] };
      return { kind: 'pytorch', weights: [exact], companions: [] };
    }
    const tag = file.toLowerCase().replace(/[^a-z0-9_]/g, '');
    const hits = ggufModels(ggufs.filter((f) => new RegExp(`(^|[-_./])${tag}([-_.]|$)`, 'i').test(f.path.replace(GGUF_SPLIT_RE, '.gguf'))));
    if (hits.length === 1) return { kind: 'gguf', weights: hits[0]!, companions: [] };
    if (hits.length === 0) throw new HubError(where, 'not-found', `no file or GGUF quantization "${file}" in ${where}; ${ggufs.length > 0 ? `GGUFs there: ${choices()}` : 'it has no GGUF files'}`);
    throw new HubError(where, 'ambiguous', `"${file}" matches ${hits.length} GGUFs in ${where}: ${hits.map((s) => s[0]!.path).join(', ')}; give the file name`);
  }

  const st = top.filter((f) => /\.safetensors$/i.test(f.path));
  if (st.length > 0) {
    const index = byPath.get('model.safetensors.index.json');
    if (index !== undefined) return { kind: 'safetensors', weights: [...(await shardsOf(index, listing, readIndex)), index], companions };
    const single = byPath.get('model.safetensors');
    if (single !== undefined) return { kind: 'safetensors', weights: [single], companions };
    const parts = st.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f.path));
    if (parts.length > 0) return { kind: 'safetensors', weights: parts, companions };
    if (st.length === 1) return { kind: 'safetensors', weights: st, companions };
    throw new HubError(where, 'ambiguous', `${where} has ${st.length} safetensors files and no model.safetensors(.index.json): ${st.map((f) => f.path).join(', ')}; pick one with :file`);
  }
  const models = ggufModels(ggufs);
  if (models.length === 1) return { kind: 'gguf', weights: models[0]!, companions: [] };
  if (models.length > 1) {
    throw new HubError(where, 'ambiguous', `${where} holds ${models.length} GGUF models; choose one as ${listing.repo}:QUANT (e.g. :Q4_K_M) or :file.gguf: ${choices()}`);
  }
  const ptIndex = byPath.get('pytorch_model.bin.index.json');
  if (ptIndex !== undefined) return { kind: 'pytorch', weights: [...(await shardsOf(ptIndex, listing, readIndex)), ptIndex], companions: [] };
  const pt = byPath.get('pytorch_model.bin');
  if (pt !== undefined) return { kind: 'pytorch', weights: [pt], companions: [] };
  throw new HubError(where, 'no-weights', `${where} has no model weights Kiln reads (safetensors, GGUF or pytorch_model.bin) among its ${all.length} files`);
}

async function shardsOf(index: HubFile, listing: HubListing, readIndex: (f: HubFile) => Promise<Uint8Array>): Promise<HubFile[]> {
  const where = `${listing.repo}@${listing.revision}: ${index.path}`;
  if (index.size > MAX_INDEX_BYTES) throw new HubError(where, 'bad-response', `the index is ${index.size} bytes, more than the ${MAX_INDEX_BYTES} Kiln reads`);
  let map: unknown;
  try {
    map = (JSON.parse(new TextDecoder().decode(await readIndex(index))) as { weight_map?: unknown }).weight_map;
  } catch (e) {
    if (e instanceof HttpSourceError) throw e;
    throw new HubError(where, 'bad-response', 'the shard index is not JSON');
  }
  if (map === null || typeof map !== 'object') throw new HubError(where, 'bad-response', 'the shard index has no weight_map');
  const names = [...new Set(Object.values(map as Record<string, unknown>).map(String))].sort();
  const byPath = new Map(listing.files.map((f) => [f.path, f]));
  const missing = names.filter((n) => !byPath.has(n));
  if (missing.length > 0) throw new HubError(where, 'no-weights', `the index names shards the repository lacks: ${missing.join(', ')}`);
  return names.map((n) => byPath.get(n)!);
}

export interface HubModelFiles {
  readonly listing: HubListing;
  readonly selection: HubSelection;
  /** Weights first (in selection order), then companions; each named by its path in the repo. */
  readonly sources: readonly HttpSource[];
}

/** Resolves `owner/repo[@rev][:file]` to open HttpSources of the model's files at one commit. */
export async function openHubFiles(spec: string | HubRef, opts: HubOptions = {}): Promise<HubModelFiles> {
  const ref = typeof spec === 'string' ? parseHubRef(spec) : spec;
  const listing = await listHubFiles(ref, opts);
  const headers = opts.token ? { Authorization: `Bearer ${opts.token}` } : undefined;
  const open = (f: HubFile) =>
    HttpSource.open(hubResolveUrl(opts.hubUrl, listing.repo, listing.commit, f.path), {
      ...opts.http,
      name: f.path,
      expectedSize: f.size,
      ...(headers ? { headers } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    }).catch((e: unknown) => {
      throw e instanceof HttpSourceError && 'status' in e && (e.status === 401 || e.status === 403 || e.status === 404)
        ? accessError(e.url, e.status as number, listing.repo, opts.token !== undefined)
        : e;
    });
  const opened = new Map<string, HttpSource>();
  const selection = await selectModelFiles(listing, ref.file, async (f) => {
    const s = await open(f);
    opened.set(f.path, s);
    return s.read(0, s.size);
  });
  // one probe request per file, all at once: a sharded model opens in one round trip
  const sources = await Promise.all([...selection.weights, ...selection.companions].map((f) => opened.get(f.path) ?? open(f)));
  return { listing, selection, sources };
}

