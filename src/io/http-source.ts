import { checkRange, intoView, type ByteSource } from './byte-source';
import {
  ContentRangeError,
  displayUrl,
  HttpAbortedError,
  HttpNetworkError,
  HttpSourceError,
  HttpStatusError,
  RangeNotSupportedError,
  RemoteFileChangedError,
} from './http-errors';

export interface HttpSourceOptions {
  /** What messages call the file; default: the last part of the URL's path. */
  readonly name?: string;
  /** Sent with every request (an Authorization header, for one). Kept in memory only. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Stops every request of this source; reads then reject with an HttpAbortedError. */
  readonly signal?: AbortSignal;
  /** Reads longer than this are split into ranges fetched in parallel. */
  readonly partBytes?: number;
  /** Requests this source keeps open at once (browsers allow 6 per host over HTTP/1.1). */
  readonly maxConnections?: number;
  /** Retries of one range after a network error, a stall, a 5xx, 408 or 429. */
  readonly maxRetries?: number;
  /** First backoff delay; it doubles on each retry (with jitter) up to `maxDelayMs`. */
  readonly retryDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A request that receives no byte for this long is abandoned and retried. */
  readonly stallMs?: number;
  /** The size the caller already knows (from a Hub listing): a different size is an error. */
  readonly expectedSize?: number;
  /** Defaults to globalThis.fetch; injectable for tests and for Node agents. */
  readonly fetch?: typeof fetch;
}

const DEFAULTS = {
  partBytes: 8 << 20,
  maxConnections: 6,
  maxRetries: 5,
  retryDelayMs: 250,
  maxDelayMs: 8000,
  stallMs: 30_000,
};

/**
 * The first bytes are fetched when the source opens (that request also learns the size and the
 * validator) and kept: every reader starts by reading the header's first bytes, and format
 * detection reads 512, so this saves one round trip per file.
 */
const HEAD_BYTES = 64 << 10;

/** Content-Range: bytes FIRST-LAST/TOTAL, or bytes * /TOTAL on a 416 (RFC 9110 14.4). */
const CONTENT_RANGE_RE = /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/i;

interface Validator {
  /** Strong ETag (usable in If-Range), weak ETag (compared only), or Last-Modified. */
  readonly etag: string | null;
  readonly lastModified: string | null;
}

/** One try of a request: its own signal, and a hook that tells the stall timer bytes arrived. */
interface Attempt {
  readonly signal: AbortSignal;
  readonly touch: () => void;
}

/** Reads at a time per source: a semaphore so parallel ranges of concurrent reads share the limit. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** A failure worth another attempt; `retryAfterMs` is the server's own Retry-After, if it gave one. */
class Transient extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

function parseRetryAfter(v: string | null): number | null {
  if (v === null) return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - Date.now());
}

function validatorOf(res: Response): Validator {
  return { etag: res.headers.get('etag'), lastModified: res.headers.get('last-modified') };
}

/**
 * A file on an HTTP server read by byte ranges, so a model many times larger than memory streams
 * from the network: each read asks for exactly its range (split into parallel requests when it is
 * long), writes it into the caller's buffer, and keeps nothing else but the first 64 KiB.
 *
 * The file is pinned to the version seen when it opened: its validator (a strong ETag, else
 * Last-Modified) goes out as If-Range, and every response's validator and total size are compared
 * with it, so a file replaced mid-read fails with RemoteFileChangedError instead of mixing bytes
 * of two versions. (In a browser, a cross-origin server must expose ETag and Content-Range through
 * Access-Control-Expose-Headers for these checks; the Hub does.)
 */
export class HttpSource implements ByteSource {
  private readonly slots: Slots;
  private readonly o: typeof DEFAULTS;
  private readonly fetchFn: typeof fetch;
  /** Requests sent, for tests and for the request log the app shows. */
  requests = 0;

  private constructor(
    readonly url: string,
    readonly name: string,
    readonly size: number,
    private readonly validator: Validator,
    private readonly head: Uint8Array,
    private readonly opts: HttpSourceOptions,
  ) {
    const given = definedOnly(opts);
    this.o = {
      partBytes: given.partBytes ?? DEFAULTS.partBytes,
      maxConnections: given.maxConnections ?? DEFAULTS.maxConnections,
      maxRetries: given.maxRetries ?? DEFAULTS.maxRetries,
      retryDelayMs: given.retryDelayMs ?? DEFAULTS.retryDelayMs,
      maxDelayMs: given.maxDelayMs ?? DEFAULTS.maxDelayMs,
      stallMs: given.stallMs ?? DEFAULTS.stallMs,
    };
    this.fetchFn = opts.fetch ?? globalThis.fetch.bind(globalThis);
    this.slots = new Slots(this.o.maxConnections);
  }

  /** The validator the reads are pinned to (null fields when the server sent none). */
  get version(): { readonly etag: string | null; readonly lastModified: string | null } {
    return this.validator;
  }

  /**
   * Opens a URL: one ranged GET of the first bytes learns the size and the validator. A server
   * that ignores Range, answers an error status or drops the connection fails here, before any
   * reader runs.
   */
  static async open(url: string | URL, opts: HttpSourceOptions = {}): Promise<HttpSource> {
    const href = typeof url === 'string' ? url : url.href;
    const name = opts.name ?? nameFromUrl(href);
    const probe = new HttpSource(href, name, 0, { etag: null, lastModified: null }, new Uint8Array(0), opts);
    const first = await probe.probe();
    if (opts.expectedSize !== undefined && first.size !== opts.expectedSize) {
      throw new RemoteFileChangedError(href, `the server says ${first.size} bytes, the listing said ${opts.expectedSize}: the file changed after it was listed`);
    }
    const src = new HttpSource(href, name, first.size, first.validator, first.head, opts);
    src.requests = probe.requests;
    return src;
  }

  async read(offset: number, length: number, into?: Uint8Array): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (offset + length <= this.head.length) return this.head.subarray(offset, offset + length);
    const out = intoView(into, length) ?? new Uint8Array(length);
    const part = this.o.partBytes;
    const jobs: Promise<void>[] = [];
    for (let at = 0; at < length; at += part) {
      const n = Math.min(part, length - at);
      jobs.push(this.fetchRange(offset + at, out.subarray(at, at + n)));
    }
    // every part settles before the read does, so no request still writes into `out` afterwards
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return out;
  }

  private async probe(): Promise<{ size: number; validator: Validator; head: Uint8Array }> {
    return this.withRetries(`the first ${HEAD_BYTES} bytes`, async (att) => {
      const res = await this.send(0, HEAD_BYTES - 1, att.signal, false);
      if (res.status === 416) {
        // an empty file has no byte 0; its Content-Range still carries the size
        const cr = parseContentRange(res.headers.get('content-range'));
        await discard(res);
        if (cr?.total === 0) return { size: 0, validator: validatorOf(res), head: new Uint8Array(0) };
        throw new ContentRangeError(this.url, `416 Range Not Satisfiable for bytes 0-${HEAD_BYTES - 1} of a file that is not empty`);
      }
      const whole = contentLength(res);
      if (res.status === 200 && whole !== null && whole <= HEAD_BYTES) {
        // the whole file fits the first request anyway: no later range is ever needed
        const head = new Uint8Array(whole);
        await this.receive(res, head, 0, att);
        return { size: whole, validator: validatorOf(res), head };
      }
      if (res.status === 200) {
        await discard(res);
        throw new RangeNotSupportedError(this.url, `the server ignores Range requests (it answered 200 with the whole file): Kiln reads models by parts and cannot use it; serve the file from a server that supports byte ranges (206 Partial Content)`);
      }
      this.checkStatus(res);
      const cr = this.contentRange(res);
      if (cr.first !== 0) throw new ContentRangeError(this.url, `asked for bytes from 0, got Content-Range ${res.headers.get('content-range')}`);
      const len = cr.last + 1;
      if (cr.last >= cr.total || len > HEAD_BYTES || (cr.total > len && len !== HEAD_BYTES)) {
        throw new ContentRangeError(this.url, `asked for bytes 0-${HEAD_BYTES - 1}, got Content-Range ${res.headers.get('content-range')}`);
      }
      const head = new Uint8Array(len);
      await this.receive(res, head, 0, att);
      return { size: cr.total, validator: validatorOf(res), head };
    });
  }

  /** Fills `dst` with the bytes at `start`, resuming after a dropped connection where it stopped. */
  private async fetchRange(start: number, dst: Uint8Array): Promise<void> {
    let filled = 0;
    await this.slots.acquire();
    try {
      await this.withRetries(`bytes ${start}-${start + dst.length - 1}`, async (att) => {
        const from = start + filled;
        const res = await this.send(from, start + dst.length - 1, att.signal, true);
        if (res.status === 200) {
          await discard(res);
          if (this.changed(res) || contentLength(res) !== this.size) throw this.changedError(res);
          throw new RangeNotSupportedError(this.url, `the server stopped honouring Range (200 with the whole file for bytes ${from}-${start + dst.length - 1})`);
        }
        this.checkStatus(res);
        if (this.changed(res)) throw this.changedError(res);
        const cr = this.contentRange(res);
        if (cr.total !== this.size) {
          await discard(res);
          throw new RemoteFileChangedError(this.url, `the file is now ${cr.total} bytes, it was ${this.size} when opened`);
        }
        if (cr.first !== from || cr.last !== start + dst.length - 1) {
          await discard(res);
          throw new ContentRangeError(this.url, `asked for bytes ${from}-${start + dst.length - 1}, got Content-Range ${res.headers.get('content-range')}`);
        }
        filled = await this.receive(res, dst, filled, att, (n) => (filled = n));
      });
    } finally {
      this.slots.release();
    }
  }

  private send(first: number, last: number, signal: AbortSignal, pinned: boolean): Promise<Response> {
    const headers: Record<string, string> = { ...this.opts.headers, Range: `bytes=${first}-${last}` };
    // If-Range takes a strong validator only (RFC 9110 13.1.5); a weak ETag is still compared
    if (pinned) {
      const { etag, lastModified } = this.validator;
      if (etag !== null && !etag.startsWith('W/')) headers['If-Range'] = etag;
      else if (lastModified !== null) headers['If-Range'] = lastModified;
    }
    this.requests++;
    return this.fetchFn(this.url, { headers, signal, redirect: 'follow' });
  }

  /** Streams a body into dst from `at`; returns the new fill level. Errors mid-body are retried from there. */
  private async receive(res: Response, dst: Uint8Array, at: number, att: Attempt, progress?: (n: number) => void): Promise<number> {
    if (res.body === null) throw new Transient('response without a body');
    const reader = res.body.getReader();
    let filled = at;
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          if (att.signal.aborted) throw e;
          throw new Transient(`connection lost after ${filled - at} bytes of the body (${errText(e)})`);
        }
        if (chunk.done) break;
        const v = chunk.value;
        if (filled + v.length > dst.length) {
          throw new ContentRangeError(this.url, `the server sent more bytes than the ${dst.length - at} asked for`);
        }
        dst.set(v, filled);
        filled += v.length;
        progress?.(filled);
        att.touch();
      }
    } finally {
      reader.releaseLock();
    }
    if (filled < dst.length) throw new Transient(`the body ended after ${filled - at} of ${dst.length - at} bytes`);
    return filled;
  }

  /**
   * Runs one request until it succeeds, with exponential backoff between attempts. Each attempt
   * gets its own AbortController: the caller's signal ends everything, a stall ends the attempt.
   */
  private async withRetries<T>(what: string, attempt: (att: Attempt) => Promise<T>): Promise<T> {
    const outer = this.opts.signal;
    let last = '';
    for (let n = 0; ; n++) {
      if (outer?.aborted) throw new HttpAbortedError(this.url, `cancelled while reading ${what}`);
      const ac = new AbortController();
      let stalled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stalled = true;
          ac.abort();
        }, this.o.stallMs);
      };
      const onOuter = () => ac.abort();
      outer?.addEventListener('abort', onOuter, { once: true });
      arm();
      let retryAfter: number | null = null;
      try {
        return await attempt({ signal: ac.signal, touch: arm });
      } catch (e) {
        if (outer?.aborted) throw new HttpAbortedError(this.url, `cancelled while reading ${what}`);
        if (stalled) last = `no data for ${this.o.stallMs / 1000} s`;
        else if (e instanceof Transient) {
          last = e.message;
          retryAfter = e.retryAfterMs;
        } else if (e instanceof HttpSourceError) throw e;
        else if (e instanceof TypeError || (e instanceof Error && e.name === 'AbortError')) last = `network error: ${errText(e)}`;
        else throw e;
      } finally {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onOuter);
      }
      if (n >= this.o.maxRetries) {
        throw new HttpNetworkError(this.url, `reading ${what} failed ${n + 1} times; last: ${last}`);
      }
      const backoff = Math.min(this.o.maxDelayMs, this.o.retryDelayMs * 2 ** n) * (0.5 + Math.random() / 2);
      await sleep(Math.min(this.o.maxDelayMs, Math.max(backoff, retryAfter ?? 0)), outer);
    }
  }

  private checkStatus(res: Response): void {
    const s = res.status;
    if (s === 206) return;
    void discard(res);
    if (s === 408 || s === 429 || s >= 500) {
      throw new Transient(`HTTP ${s} ${res.statusText}`.trim(), parseRetryAfter(res.headers.get('retry-after')));
    }
    const hint =
      s === 401 || s === 403
        ? 'access denied: the file is private or gated; give an access token that may read it'
        : s === 404
          ? 'not found: check the URL (or the repository, revision and file name)'
          : s === 416
            ? 'the server refused the range (416): the file is shorter than when it was opened'
            : `the server answered HTTP ${s} ${res.statusText}`.trim();
    throw s === 416 ? new RemoteFileChangedError(this.url, hint) : new HttpStatusError(this.url, s, hint);
  }

  private contentRange(res: Response): { first: number; last: number; total: number } {
    const raw = res.headers.get('content-range');
    const cr = parseContentRange(raw);
    if (cr === null || cr.first === null || cr.total === null) {
      void discard(res);
      throw new ContentRangeError(this.url, `206 without a usable Content-Range (${raw === null ? 'none; a browser hides it unless the server exposes it' : JSON.stringify(raw)})`);
    }
    return { first: cr.first, last: cr.last!, total: cr.total };
  }

  private changed(res: Response): boolean {
    const now = validatorOf(res);
    const was = this.validator;
    if (was.etag !== null && now.etag !== null && now.etag !== was.etag) return true;
    return was.lastModified !== null && now.lastModified !== null && now.lastModified !== was.lastModified;
  }

  private changedError(res: Response): RemoteFileChangedError {
    void discard(res);
    const now = validatorOf(res);
    const was = this.validator;
    const what = was.etag !== null ? `ETag ${was.etag} -> ${now.etag ?? 'none'}` : `Last-Modified ${was.lastModified} -> ${now.lastModified ?? 'none'}`;
    return new RemoteFileChangedError(this.url, `the file changed on the server while it was being read (${what}); start again to read the new version`);
  }
}

function parseContentRange(v: string | null): { first: number | null; last: number | null; total: number | null } | null {
  if (v === null) return null;
  const m = CONTENT_RANGE_RE.exec(v.trim());
  if (m === null) return null;
  const num = (s: string | undefined) => (s === undefined || s === '*' ? null : Number(s));
  const r = { first: num(m[1]), last: num(m[2]), total: num(m[3]) };
  for (const x of [r.first, r.last, r.total]) if (x !== null && !Number.isSafeInteger(x)) return null;
  if (r.first !== null && r.last !== null && r.last < r.first) return null;
  return r;
}

function contentLength(res: Response): number | null {
  const v = res.headers.get('content-length');
  return v === null ? null : Number(v);
}

async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // the body is being dropped; its errors say nothing about the file
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

function errText(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message;
}

function nameFromUrl(href: string): string {
  try {
    const path = new URL(href).pathname;
    const last = decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
    return last || displayUrl(href);
  } catch {
    return href;
  }
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
