import { createServer, type Server } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wgsl': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** The Content-Security-Policy an HTML file carries in its meta tag, or null. */
export function cspOfHtml(html: string): string | null {
  return /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1] ?? null;
}

export interface StaticOptions {
  /**
   * Sent as the Content-Security-Policy header with the HTML and scripts under these mount
   * prefixes (as a host that sends the app's policy does): a worker's policy comes only from its
   * script's headers, the page's meta tag does not reach it.
   */
  readonly csp?: { readonly policy: string; readonly mounts: readonly string[] };
}

/**
 * A static file server bound to 127.0.0.1 (a secure context, so WebGPU is exposed). Each mount
 * maps a URL prefix to a folder. Single byte ranges are served (the example loader reads models by
 * range from its own origin).
 */
export async function serveStatic(mounts: Record<string, string>, port = 0, opts: StaticOptions = {}): Promise<{ url: string; server: Server }> {
  const roots = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix, resolve(dir)] as const)
    .sort((a, b) => b[0].length - a[0].length);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const mount = roots.find(([prefix]) => path.startsWith(prefix));
    if (!mount) {
      res.writeHead(404).end();
      return;
    }
    let file = normalize(join(mount[1], path.slice(mount[0].length)));
    if (!file.startsWith(mount[1])) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const st = statSync(file);
      const ext = extname(file);
      const headers: Record<string, string | number> = {
        'content-type': MIME[ext] ?? 'application/octet-stream',
        'content-length': st.size,
        'cache-control': 'no-store',
      };
      if (opts.csp && opts.csp.mounts.includes(mount[0]) && (ext === '.html' || ext === '.js' || ext === '.mjs')) {
        headers['content-security-policy'] = opts.csp.policy;
      }
      // one byte range (what a model read by HttpSource asks for), validated by ETag
      headers['accept-ranges'] = 'bytes';
      headers.etag = `"${st.size}-${Math.floor(st.mtimeMs)}"`;
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
      const ifRange = req.headers['if-range'];
      if (range && (range[1] !== '' || range[2] !== '') && (ifRange === undefined || ifRange === headers.etag)) {
        const first = range[1] === '' ? Math.max(0, st.size - Number(range[2])) : Number(range[1]);
        const last = range[1] === '' || range[2] === '' ? st.size - 1 : Math.min(Number(range[2]), st.size - 1);
        if (first >= st.size || last < first) {
          res.writeHead(416, { 'content-range': `bytes */${st.size}` }).end();
          return;
        }
        res.writeHead(206, { ...headers, 'content-length': last - first + 1, 'content-range': `bytes ${first}-${last}/${st.size}` });
        createReadStream(file, { start: first, end: last }).pipe(res);
        return;
      }
      res.writeHead(200, headers);
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('server has no port');
  return { url: `http://127.0.0.1:${addr.port}`, server };
}
