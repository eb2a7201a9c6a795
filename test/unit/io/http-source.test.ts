import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpSource, type HttpSourceOptions } from '../../../src/io/http-source';
import {
  ContentRangeError,
  HttpAbortedError,
  HttpNetworkError,
  HttpStatusError,
  RangeNotSupportedError,
  RemoteFileChangedError,
} from '../../../src/io/http-errors';
import { patternBytes, RangeServer } from '../../support/range-server';

/**
 * HttpSource against a loopback server with real Range semantics, and against the servers that
 * break them: dropped connections, Range ignored, a file replaced mid-read, wrong Content-Range,
 * error statuses, a stalled body. Every request goes to 127.0.0.1; delays are milliseconds.
 */
/** toEqual walks typed arrays element by element with diffs: seconds per MiB. */
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
const FAST: HttpSourceOptions = { retryDelayMs: 2, maxDelayMs: 20, stallMs: 2000 };
const BIG = patternBytes(3 << 20, 7); // 3 MiB: several parts at partBytes 1 MiB

let srv: RangeServer;
beforeAll(async () => {
  srv = await new RangeServer().start();
});
afterAll(() => srv.stop());
afterEach(() => {
  srv.faults = {};
  srv.log.length = 0;
  srv.files.clear();
});

describe('HttpSource', () => {
  it('learns size and validator from one request and serves the header from it', async () => {
    srv.put('/m.bin', BIG);
    const src = await HttpSource.open(srv.url('/m.bin'), FAST);
    expect(src.size).toBe(BIG.length);
    expect(src.name).toBe('m.bin');
    expect(src.version.etag).toBe(`"v1-${BIG.length}"`);
    expect(same(await src.read(100, 412), BIG.subarray(100, 512))).toBe(true);
    expect(srv.log.map((r) => r.range)).toEqual(['bytes=0-65535']);
  });

  it('reads any range byte for byte, splitting long reads into parallel ranges sent with If-Range', async () => {
    srv.put('/m.bin', BIG);
    const src = await HttpSource.open(srv.url('/m.bin'), { ...FAST, partBytes: 1 << 20, maxConnections: 2 });
    for (const [o, n] of [[0, BIG.length], [65_536, 1], [BIG.length - 1, 1], [12_345, (2 << 20) + 77], [BIG.length, 0]] as const) {
      expect(same(await src.read(o, n), BIG.subarray(o, o + n))).toBe(true);
    }
    const into = new Uint8Array(1 << 20);
    const got = await src.read(100_000, 5000, into);
    expect(got.buffer === into.buffer).toBe(true);
    expect(same(got, BIG.subarray(100_000, 105_000))).toBe(true);
    const ranged = srv.log.slice(1);
    expect(ranged.every((r) => r.ifRange === `"v1-${BIG.length}"`)).toBe(true);
    // the whole-file read went out as 3 ranges of at most 1 MiB
    expect(ranged.slice(0, 3).map((r) => r.range)).toEqual(['bytes=0-1048575', 'bytes=1048576-2097151', 'bytes=2097152-3145727']);
    await expect(src.read(BIG.length - 1, 2)).rejects.toThrow(RangeError);
  });

  it('resumes a dropped connection where the body stopped', async () => {
    srv.put('/m.bin', BIG);
    const src = await HttpSource.open(srv.url('/m.bin'), { ...FAST, partBytes: 4 << 20 });
    srv.faults = { dropAfterBytes: 100_000, dropTimes: 2 };
    expect(same(await src.read(70_000, 1_000_000), BIG.subarray(70_000, 1_070_000))).toBe(true);
    const ranges = srv.log.slice(1).map((r) => r.range);
    expect(ranges).toEqual(['bytes=70000-1069999', 'bytes=170000-1069999', 'bytes=270000-1069999']);
  });

  it('retries 5xx and 429 with backoff, honouring Retry-After, then gives up with the count', async () => {
    srv.put('/m.bin', BIG);
    srv.faults = { statuses: [503, 429, 502], retryAfter: '0' };
    const src = await HttpSource.open(srv.url('/m.bin'), FAST);
    expect(src.size).toBe(BIG.length);
    expect(srv.log.map((r) => r.status)).toEqual([503, 429, 502, 206]);
    const bounded = await HttpSource.open(srv.url('/m.bin'), { ...FAST, maxRetries: 2 });
    srv.faults = { statuses: [500, 500, 500, 500] };
    const err = await bounded.read(100_000, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpNetworkError);
    expect(String(err)).toMatch(/failed 3 times; last: HTTP 500/);
    expect(srv.faults.statuses).toEqual([500]);
  });

  it('says so when the server ignores Range, at open and mid-read', async () => {
    srv.put('/m.bin', BIG);
    srv.faults = { ignoreRange: true };
    const err = await HttpSource.open(srv.url('/m.bin'), FAST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeNotSupportedError);
    expect(String(err)).toMatch(/ignores Range requests .*200 with the whole file/);
    srv.faults = {};
    const src = await HttpSource.open(srv.url('/m.bin'), FAST);
    srv.faults = { ignoreRange: true };
    await expect(src.read(100_000, 10)).rejects.toThrow(RangeNotSupportedError);
  });

  it('accepts a 200 for a file small enough to come whole with the first request', async () => {
    const small = patternBytes(300, 3);
    srv.put('/config.json', small);
    srv.faults = { ignoreRange: true };
    const src = await HttpSource.open(srv.url('/config.json'), FAST);
    expect(src.size).toBe(300);
    expect(await src.read(0, 300)).toEqual(small);
  });

  it('fails a read of a file replaced mid-read (ETag, Last-Modified only, or size), never mixing versions', async () => {
    srv.put('/m.bin', BIG);
    const src = await HttpSource.open(srv.url('/m.bin'), FAST);
    srv.put('/m.bin', patternBytes(BIG.length, 8), { etag: '"v2"' });
    const err = await src.read(100_000, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteFileChangedError);
    expect(String(err)).toMatch(/changed on the server .*ETag "v1-3145728" -> "v2"/);

    // no ETag: Last-Modified is the validator, sent as If-Range
    srv.put('/lm.bin', BIG, { etag: null, lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT' });
    const lm = await HttpSource.open(srv.url('/lm.bin'), FAST);
    srv.put('/lm.bin', patternBytes(BIG.length, 9), { etag: null, lastModified: 'Fri, 02 Jan 2026 00:00:00 GMT' });
    await expect(lm.read(100_000, 10)).rejects.toThrow(RemoteFileChangedError);
    expect(srv.log.at(-1)!.ifRange).toBe('Thu, 01 Jan 2026 00:00:00 GMT');

    // no validator at all: a new size still shows
    srv.put('/nv.bin', BIG, { etag: null, lastModified: null });
    const nv = await HttpSource.open(srv.url('/nv.bin'), FAST);
    srv.put('/nv.bin', patternBytes(BIG.length + 10, 9), { etag: null, lastModified: null });
    await expect(nv.read(100_000, 10)).rejects.toThrow(/now 3145738 bytes, it was 3145728/);

    // the server ignores If-Range but sends its new weak ETag: compared anyway
    srv.put('/w.bin', BIG, { etag: 'W/"a"', lastModified: null });
    const w = await HttpSource.open(srv.url('/w.bin'), FAST);
    srv.put('/w.bin', BIG.slice(), { etag: 'W/"b"', lastModified: null });
    await expect(w.read(100_000, 10)).rejects.toThrow(RemoteFileChangedError);
    expect(srv.log.at(-1)!.ifRange).toBeNull();
  });

  it('rejects a Content-Range that is not the range asked for', async () => {
    srv.put('/m.bin', BIG);
    const src = await HttpSource.open(srv.url('/m.bin'), FAST);
    srv.faults = { shiftContentRange: 1 };
    const err = await src.read(100_000, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContentRangeError);
    expect(String(err)).toMatch(/asked for bytes 100000-100009, got Content-Range bytes 100001-100010\/3145728/);
  });

  it('names 401/403/404 without retrying them', async () => {
    srv.put('/m.bin', BIG);
    srv.faults = { statuses: [401] };
    await expect(HttpSource.open(srv.url('/m.bin'), FAST)).rejects.toThrow(/private or gated; give an access token/);
    srv.faults = { statuses: [403] };
    await expect(HttpSource.open(srv.url('/m.bin'), FAST)).rejects.toThrow(HttpStatusError);
    const e404 = await HttpSource.open(srv.url('/nothing.bin'), FAST).catch((e: unknown) => e);
    expect(e404).toBeInstanceOf(HttpStatusError);
    expect((e404 as HttpStatusError).status).toBe(404);
    expect(srv.log).toHaveLength(3);
  });

  it('opens an empty file', async () => {
    srv.put('/empty.bin', new Uint8Array(0));
    const src = await HttpSource.open(srv.url('/empty.bin'), FAST);
    expect(src.size).toBe(0);
    expect(await src.read(0, 0)).toEqual(new Uint8Array(0));
  });

  it('abandons a stalled body after stallMs and retries within its bound', async () => {
    srv.put('/m.bin', BIG);
    const src = await HttpSource.open(srv.url('/m.bin'), { ...FAST, stallMs: 100, maxRetries: 1 });
    srv.faults = { hang: true };
    const t0 = Date.now();
    await expect(src.read(100_000, 10)).rejects.toThrow(/failed 2 times; last: no data for 0.1 s/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('stops at once when the caller aborts, even while hung', async () => {
    srv.put('/m.bin', BIG);
    const ac = new AbortController();
    const src = await HttpSource.open(srv.url('/m.bin'), { ...FAST, signal: ac.signal, stallMs: 60_000 });
    srv.faults = { hang: true };
    const p = src.read(100_000, 10);
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toThrow(HttpAbortedError);
    await expect(src.read(200_000, 10)).rejects.toThrow(/cancelled/);
  });

  it('hides a signed URL\'s query in messages', async () => {
    const e = await HttpSource.open(srv.url('/nothing.bin?X-Amz-Signature=secret'), FAST).catch((x: unknown) => String(x));
    expect(e).not.toMatch(/secret/);
    expect(e).toMatch(/nothing\.bin\?…/);
  });
});
