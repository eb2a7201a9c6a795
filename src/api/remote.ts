import type { ModelView } from '../formats/model';
import { openModel } from '../formats/open';
import { HttpSource } from '../io/http-source';
import { DEFAULT_HUB_URL, openHubFiles, type HubModelFiles, type HubOptions } from '../io/hub';

export interface RemoteModel {
  readonly view: ModelView;
  /** One per file, weights first; their `requests` count what was fetched. */
  readonly sources: readonly HttpSource[];
  /** The repository, commit and files chosen, when the model came from the Hub. */
  readonly hub: HubModelFiles | null;
}

/** A Hub page URL (https://huggingface.co/owner/repo[/tree/rev]) names a repo; /blob/ links name a file. */
function hubPageRef(href: string, hubUrl: string): string | null {
  const u = new URL(href);
  if (u.origin !== new URL(hubUrl).origin) return null;
  const parts = u.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  if (parts.length < 2 || parts[0] === 'api' || parts[0] === 'datasets' || parts[0] === 'spaces') return null;
  const repo = `${parts[0]}/${parts[1]}`;
  if (parts.length === 2) return repo;
  if (parts[2] === 'tree' && parts.length >= 4) return `${repo}@${parts.slice(3).join('/')}`;
  if (parts[2] === 'blob' && parts.length >= 5) return `${repo}@${parts[3]}:${parts.slice(4).join('/')}`;
  return null;
}

/**
 * Opens a model that lives on a server, reading only what the readers ask for (headers first;
 * tensor data later, by range, as a conversion or a load needs it):
 * - `owner/repo[@revision][:file|:QUANT]`, or its page URL on the Hub: the repository's model
 *   files at one commit (see io/hub.ts for which files are picked);
 * - one URL, or the URLs of every part of one model (shards, split GGUF parts, an HF folder's
 *   files): each is opened as an HttpSource.
 * The token (opts.token) is sent to the Hub's origin only.
 */
export async function openRemoteModel(input: string | URL | readonly (string | URL)[], opts: HubOptions = {}): Promise<RemoteModel> {
  const hubUrl = opts.hubUrl ?? DEFAULT_HUB_URL;
  const list = typeof input === 'string' || input instanceof URL ? [input] : input;
  if (list.length === 0) throw new TypeError('openRemoteModel: no URL or repository given');
  const hrefs = list.map((x) => (x instanceof URL ? x.href : x.trim()));
  const single = hrefs.length === 1 ? hrefs[0]! : null;
  const spec = single === null ? null : /^https?:\/\//i.test(single) ? hubPageRef(single, hubUrl) : single;
  if (spec !== null) {
    const hub = await openHubFiles(spec, opts);
    const folder = hub.listing.repo.slice(hub.listing.repo.lastIndexOf('/') + 1);
    return { view: await openModel(hub.sources, { folder }), sources: hub.sources, hub };
  }
  const hubOrigin = new URL(hubUrl).origin;
  const sources = await Promise.all(
    hrefs.map((href) => {
      const headers = opts.token && new URL(href).origin === hubOrigin ? { Authorization: `Bearer ${opts.token}` } : undefined;
      return HttpSource.open(href, {
        ...opts.http,
        ...(headers ? { headers } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
      });
    }),
  );
  return { view: await openModel(sources), sources, hub: null };
}
