import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RangeServer } from './range-server';

export interface FakeRepo {
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** When set, API and resolve requests need `Authorization: Bearer <token>` (401 without, 403 with another). */
  readonly token?: string;
}

/**
 * The parts of the Hugging Face Hub Kiln talks to, on loopback: the revision and tree APIs (tree
 * paginated with a Link header as the Hub does), and /resolve/ answering with a 302 to a second
 * server standing for the CDN (another origin, so a token must not follow the redirect).
 */
export class FakeHub {
  readonly hub = new RangeServer();
  readonly cdn = new RangeServer();
  readonly repos = new Map<string, FakeRepo & { sha: string }>();
  /** Tree entries per page (the Hub sends 1000; tests use a few to exercise the Link header). */
  pageSize = 1000;
  /** The origin /resolve/ redirects name (a browser test maps a public-looking CDN origin onto `cdn`). */
  cdnOrigin: string | null = null;

  async start(tls?: { key: string; cert: string }): Promise<this> {
    await this.hub.start(tls);
    await this.cdn.start(tls);
    this.hub.route = (req, res, url) => this.handle(req, res, url);
    return this;
  }

  async stop(): Promise<void> {
    await this.hub.stop();
    await this.cdn.stop();
  }

  get url(): string {
    return this.hub.origin;
  }

  add(repo: string, r: FakeRepo): string {
    const sha = createHash('sha1').update(repo + [...r.files.keys()].join()).digest('hex');
    this.repos.set(repo, { ...r, sha });
    for (const [path, bytes] of r.files) this.cdn.put(`/cdn/${sha}/${path}`, bytes, { etag: `"${createHash('sha256').update(bytes).digest('hex')}"` });
    return sha;
  }

  private handle(req: IncomingMessage, res: ServerResponse, url: URL): boolean {
    const path = decodeURIComponent(url.pathname);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const repoName = api?.[1] ?? resolve?.[1];
    if (repoName === undefined) return false;
    const repo = this.repos.get(repoName);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      void res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(body));
    if (repo === undefined) return json(404, { error: 'Repository not found' }), true;
    if (repo.token !== undefined) {
      const auth = req.headers.authorization;
      if (auth === undefined) return json(401, { error: 'Access to model is restricted' }), true;
      if (auth !== `Bearer ${repo.token}`) return json(403, { error: 'Forbidden' }), true;
    }
    const rev = (api?.[3] ?? resolve?.[2])!;
    if (rev !== 'main' && rev !== repo.sha) return json(404, { error: 'Revision not found' }), true;
    if (resolve) {
      const file = resolve[3]!;
      if (!repo.files.has(file)) return json(404, { error: 'Entry not found' }), true;
      res.writeHead(302, { Location: `${this.cdnOrigin ?? this.cdn.origin}/cdn/${repo.sha}/${file}` }).end();
      return true;
    }
    if (api![2] === 'revision') {
      return json(200, { id: repoName, sha: repo.sha, siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })) }), true;
    }
    const entries = [...repo.files].map(([p, b]) => {
      const oid = createHash('sha1').update(b).digest('hex');
      const lfs = p.endsWith('.json') || p.endsWith('.md') ? undefined : { oid: createHash('sha256').update(b).digest('hex'), size: b.length, pointerSize: 134 };
      return { type: 'file', oid, size: lfs ? 134 : b.length, path: p, ...(lfs ? { lfs } : {}) };
    });
    const dirs = new Set([...repo.files.keys()].filter((p) => p.includes('/')).map((p) => p.slice(0, p.lastIndexOf('/'))));
    const all = [...[...dirs].map((d) => ({ type: 'directory', oid: '0'.repeat(40), size: 0, path: d })), ...entries];
    const cursor = Number(url.searchParams.get('cursor') ?? '0');
    const page = all.slice(cursor, cursor + this.pageSize);
    const headers: Record<string, string> = {};
    if (cursor + this.pageSize < all.length) {
      headers.Link = `<${this.hub.origin}/api/models/${repoName}/tree/${rev}?recursive=true&cursor=${cursor + this.pageSize}>; rel="next"`;
    }
    return json(200, page, headers), true;
  }
}
