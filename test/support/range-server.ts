import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One file the server holds; `version` changes when a test replaces the content. */
export interface ServedFile {
  bytes: Uint8Array;
  etag: string | null;
  lastModified: string | null;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly range: string | null;
  readonly ifRange: string | null;
  readonly authorization: string | null;
  status: number;
}

/** Misbehaviours a test switches on; all off means a correct HTTP/1.1 range server. */
export interface Faults {
  /** Answer 200 with the whole file to every request (a server without range support). */
  ignoreRange?: boolean;
  /** Statuses answered (in order, one per request) before serving normally: 503, 429... */
  statuses?: number[];
  /** Retry-After sent with those statuses. */
  retryAfter?: string;
  /** Cut the connection after this many body bytes, on the next `dropTimes` ranged responses. */
  dropAfterBytes?: number;
  dropTimes?: number;
  /** Send a Content-Range that starts this many bytes after the one asked for. */
  shiftContentRange?: number;
  /** Never send a byte of the body (the client's stall timer must fire). */
  hang?: boolean;
}

/**
 * A loopback HTTP server with real Range semantics (RFC 9110: single ranges, suffix ranges, 416,
 * If-Range against a strong ETag or Last-Modified), plus the faults a test asks for. It listens on
 * 127.0.0.1 only and logs every request, so tests can assert on exactly what was fetched.
 */
export class RangeServer {
  readonly files = new Map<string, ServedFile>();
  readonly log: LoggedRequest[] = [];
  faults: Faults = {};
  /** Answer as a CORS-enabled file host (what a page on another origin needs to read ranges and validators). */
  cors = false;
  /** Extra routes (the Hub API); return true when handled. */
  route: ((req: IncomingMessage, res: ServerResponse, url: URL) => boolean) | null = null;
  private server: Server | null = null;
  private port = 0;
  private tls = false;

  get origin(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** The port it listens on (a browser test maps a public host name onto it). */
  get listeningPort(): number {
    return this.port;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  put(path: string, bytes: Uint8Array, validators: { etag?: string | null; lastModified?: string | null } = {}): ServedFile {
    const f: ServedFile = {
      bytes,
      etag: validators.etag === undefined ? `"v1-${bytes.length}"` : validators.etag,
      lastModified: validators.lastModified === undefined ? new Date(Date.UTC(2026, 0, 1)).toUTCString() : validators.lastModified,
    };
    this.files.set(path, f);
    return f;
  }

  /** With `tls` (a PEM key and certificate) it serves HTTPS, as the Hub does. */
  async start(tls?: { key: string; cert: string }): Promise<this> {
    this.tls = tls !== undefined;
    const handler = (req: IncomingMessage, res: ServerResponse) => this.handle(req, res);
    this.server = tls ? createTlsServer(tls, handler) : createServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === null) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    this.server = null;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    const entry: LoggedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      range: req.headers.range ?? null,
      ifRange: (req.headers['if-range'] as string | undefined) ?? null,
      authorization: req.headers.authorization ?? null,
      status: 0,
    };
    this.log.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    res.on('close', () => (entry.status ||= res.statusCode));
    if (this.cors) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', 'ETag, Last-Modified, Content-Range, Content-Length, Accept-Ranges, Link');
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'Access-Control-Allow-Headers': 'Range, If-Range, Authorization, Accept', 'Access-Control-Allow-Methods': 'GET, HEAD' }).end();
        return;
      }
    }
    if (this.route?.(req, res, url)) return;
    const queued = this.faults.statuses?.shift();
    if (queued !== undefined) {
      const h: Record<string, string> = {};
      if (this.faults.retryAfter !== undefined) h['Retry-After'] = this.faults.retryAfter;
      res.writeHead(queued, h).end(`status ${queued}`);
      return;
    }
    const f = this.files.get(entry.path);
    if (f === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    this.serveFile(req, res, f);
  }

  serveFile(req: IncomingMessage, res: ServerResponse, f: ServedFile): void {
    const size = f.bytes.length;
    const base: Record<string, string> = { 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' };
    if (f.etag !== null) base.ETag = f.etag;
    if (f.lastModified !== null) base['Last-Modified'] = f.lastModified;
    const whole = (): void => void res.writeHead(200, { ...base, 'Content-Length': String(size) }).end(Buffer.from(f.bytes));
    const range = req.headers.range;
    if (range === undefined || this.faults.ignoreRange) return whole();
    const ifRange = req.headers['if-range'];
    if (typeof ifRange === 'string' && ifRange !== f.etag && ifRange !== f.lastModified) return whole();
    const m = /^bytes=(\d*)-(\d*)$/.exec(range);
    if (m === null || (m[1] === '' && m[2] === '')) return whole();
    let first: number;
    let last: number;
    if (m[1] === '') {
      first = Math.max(0, size - Number(m[2]));
      last = size - 1;
    } else {
      first = Number(m[1]);
      last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (first >= size || last < first) {
      res.writeHead(416, { ...base, 'Content-Range': `bytes */${size}` }).end();
      return;
    }
    const shift = this.faults.shiftContentRange ?? 0;
    const body = Buffer.from(f.bytes.subarray(first, last + 1));
    res.writeHead(206, { ...base, 'Content-Range': `bytes ${first + shift}-${last + shift}/${size}`, 'Content-Length': String(body.length) });
    if (this.faults.hang) {
      res.flushHeaders();
      return;
    }
    const drop = this.faults.dropAfterBytes;
    if (drop !== undefined && (this.faults.dropTimes ?? 0) > 0 && body.length > drop) {
      this.faults.dropTimes!--;
      res.write(body.subarray(0, drop), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  }
}

/** Deterministic bytes (a xorshift stream) so a misplaced range shows up as a mismatch. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
