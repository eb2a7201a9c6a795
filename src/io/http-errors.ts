/**
 * What can go wrong reading a file over HTTP, one class per thing the user can act on. Every
 * message names the URL (without its query, which may hold a signature) and the numbers.
 */
export class HttpSourceError extends Error {
  override readonly name: string = 'HttpSourceError';
  constructor(
    readonly url: string,
    what: string,
  ) {
    super(`${displayUrl(url)}: ${what}`);
  }
}

/** The server answered with an error status that retrying does not fix (or retries ran out). */
export class HttpStatusError extends HttpSourceError {
  override readonly name: string = 'HttpStatusError';
  constructor(
    url: string,
    readonly status: number,
    what: string,
  ) {
    super(url, what);
  }
}

/** The server sent the whole file (200) for a range request: it cannot be read by parts. */
export class RangeNotSupportedError extends HttpSourceError {
  override readonly name: string = 'RangeNotSupportedError';
}

/** The file on the server changed between two reads: bytes already read no longer belong with the next ones. */
export class RemoteFileChangedError extends HttpSourceError {
  override readonly name: string = 'RemoteFileChangedError';
}

/** A 206 whose Content-Range or length is not the range asked for. */
export class ContentRangeError extends HttpSourceError {
  override readonly name: string = 'ContentRangeError';
}

/** The connection failed (or stalled) on every attempt. */
export class HttpNetworkError extends HttpSourceError {
  override readonly name: string = 'HttpNetworkError';
}

/** The caller's AbortSignal fired. */
export class HttpAbortedError extends HttpSourceError {
  override readonly name: string = 'AbortError';
}

/** The query string of signed URLs is a credential; messages show everything else. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.search === '' ? u.href : `${u.origin}${u.pathname}?…`;
  } catch {
    return url;
  }
}
