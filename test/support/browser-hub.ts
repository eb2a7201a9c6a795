import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeHub } from './fake-hub';

/** The CDN host the fake Hub's /resolve/ redirects name (the Hub's real LFS CDN is cdn-lfs.hf.co). */
export const FAKE_CDN_HOST = 'cdn-lfs.hf.co';

export interface BrowserHub {
  readonly hub: FakeHub;
  /** Chromium flags that send huggingface.co and the CDN host to the loopback servers. */
  readonly chromiumArgs: readonly string[];
  stop(): Promise<void>;
}

/** A throwaway self-signed certificate for the Hub's names (Debian's openssl). */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=huggingface.co', '-addext', 'subjectAltName=DNS:huggingface.co,DNS:*.huggingface.co,DNS:*.hf.co',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Hub as the page and its workers see it, without the network: FakeHub over HTTPS on loopback,
 * and Chromium's resolver mapping https://huggingface.co and https://cdn-lfs.hf.co onto it. Every
 * request from the page, the pipeline worker and the codec workers reaches these servers by the
 * real host names (so the CSP's connect-src is what is tested), with real Range semantics and CORS.
 * (Intercepting in puppeteer instead stalled on the worker's requests.)
 */
export async function startBrowserHub(): Promise<BrowserHub> {
  const hub = await new FakeHub().start(selfSigned());
  hub.hub.cors = true;
  hub.cdn.cors = true;
  hub.cdnOrigin = `https://${FAKE_CDN_HOST}`;
  const rules = [`MAP huggingface.co 127.0.0.1:${hub.hub.listeningPort}`, `MAP ${FAKE_CDN_HOST} 127.0.0.1:${hub.cdn.listeningPort}`].join(',');
  return {
    hub,
    chromiumArgs: [`--host-resolver-rules=${rules}`, '--ignore-certificate-errors'],
    stop: () => hub.stop(),
  };
}
