import { describe, expect, it } from 'vitest';
import { ALLOWED_REMOTE_HOSTS, allowedHostsFetch, assertAllowedRemoteUrl, isAllowedRemoteUrl, RemoteHostNotAllowedError } from '../../../src/io/allowed-hosts';

const SELF = 'http://127.0.0.1:4173';

describe('allowed remote hosts (the worker\'s own check behind the CSP)', () => {
  it('allows the Hub and its CDNs over https, and the page\'s own origin', () => {
    for (const u of ['https://huggingface.co/api/models/a/b', 'https://cdn-lfs.huggingface.co/x', 'https://cdn-lfs.hf.co/x', 'https://cas-bridge.xethub.hf.co/x', `${SELF}/fixtures/a.gguf`]) {
      expect(isAllowedRemoteUrl(u, SELF), u).toBe(true);
    }
  });

  it('refuses every other origin, http, other ports and look-alike hosts', () => {
    for (const u of ['http://huggingface.co/x', 'https://huggingface.co:8443/x', 'https://evilhuggingface.co/x', 'https://hf.co.evil.com/x', 'https://huggingface.co.evil.com/x', 'https://xhf.co/x', 'http://127.0.0.1:4174/x', 'ftp://huggingface.co/x', 'not a url']) {
      expect(isAllowedRemoteUrl(u, SELF), u).toBe(false);
    }
    expect(isAllowedRemoteUrl(`${SELF}/x`, null)).toBe(false);
  });

  it('refuses with a typed error that names the allowed hosts', () => {
    let err: unknown;
    try {
      assertAllowedRemoteUrl('https://example.com/model.gguf', SELF);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RemoteHostNotAllowedError);
    expect((err as RemoteHostNotAllowedError).name).toBe('RemoteHostNotAllowedError');
    expect((err as Error).message).toContain('huggingface.co, *.huggingface.co, *.hf.co');
    expect((err as RemoteHostNotAllowedError).allowed).toEqual(ALLOWED_REMOTE_HOSTS);
  });

  it('the guarded fetch makes no request to another host, and drops a response a redirect brought from one', async () => {
    const asked: string[] = [];
    const inner = (async (input: RequestInfo | URL) => {
      asked.push(String(input));
      const res = new Response('x');
      Object.defineProperty(res, 'url', { value: String(input).includes('redirect') ? 'https://elsewhere.example/x' : String(input) });
      return res;
    }) as typeof fetch;
    const f = allowedHostsFetch(inner, SELF);
    await expect(f('https://example.com/a')).rejects.toBeInstanceOf(RemoteHostNotAllowedError);
    expect(asked).toEqual([]);
    expect(await (await f('https://huggingface.co/a')).text()).toBe('x');
    await expect(f('https://huggingface.co/redirect')).rejects.toThrow(/elsewhere\.example/);
  });
});
