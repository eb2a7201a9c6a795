import { HttpSourceError } from './http-errors';

/**
 * The hosts the app may read a model from, beyond its own origin: the Hugging Face Hub and its
 * file CDNs (cdn-lfs.hf.co, cas-bridge.xethub.hf.co, ...). The page's Content-Security-Policy
 * names the same hosts in connect-src; this list is the worker's own check, for when the app is
 * served without the policy's HTTP header (a dedicated worker takes its policy from its script's
 * response headers, not from the page's meta tag).
 */
export const ALLOWED_REMOTE_HOSTS: readonly string[] = ['huggingface.co', '*.huggingface.co', '*.hf.co'];

/** A remote URL outside the allowed hosts: refused before a request is made. */
export class RemoteHostNotAllowedError extends HttpSourceError {
  override readonly name: string = 'RemoteHostNotAllowedError';
  constructor(url: string, readonly allowed: readonly string[]) {
    super(url, `Kiln reads models only from ${allowed.join(', ')} (over https) or from this page's own origin; this host is not allowed`);
  }
}

function hostMatches(host: string, pattern: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1 : host === pattern;
}

/** True when `url` is https on an allowed host, or on `selfOrigin` (the page's own origin). */
export function isAllowedRemoteUrl(url: string | URL, selfOrigin: string | null, allowed: readonly string[] = ALLOWED_REMOTE_HOSTS): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (selfOrigin !== null && u.origin === selfOrigin) return true;
  return u.protocol === 'https:' && u.port === '' && allowed.some((p) => hostMatches(u.hostname.toLowerCase(), p));
}

/** Throws RemoteHostNotAllowedError unless the URL is allowed. */
export function assertAllowedRemoteUrl(url: string | URL, selfOrigin: string | null, allowed: readonly string[] = ALLOWED_REMOTE_HOSTS): void {
  if (!isAllowedRemoteUrl(url, selfOrigin, allowed)) throw new RemoteHostNotAllowedError(String(url), allowed);
}

/**
 * A fetch that asks only allowed hosts: each URL is checked before the request, and a response
 * that a redirect brought from elsewhere is refused too (a browser follows redirects itself; the
 * CSP header is what stops the redirected request from leaving, this stops its bytes being used).
 */
export function allowedHostsFetch(inner: typeof fetch, selfOrigin: string | null, allowed: readonly string[] = ALLOWED_REMOTE_HOSTS): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    assertAllowedRemoteUrl(url, selfOrigin, allowed);
    const res = await inner(input, init);
    if (res.url !== '' && !isAllowedRemoteUrl(res.url, selfOrigin, allowed)) {
      void res.body?.cancel().catch(() => undefined);
      throw new RemoteHostNotAllowedError(res.url, allowed);
    }
    return res;
  };
}
