import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, downloadAll, enableDownloads, selectValue, waitForOutcome, waitForTestId } from '../support/app-driver';
import { RangeServer } from '../support/range-server';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../support/tiny-llama';

/**
 * "Open from the Hub or a URL" in the page: a GGUF URL on a loopback file host (real Range
 * semantics, CORS) opens from its header and converts to Q8_0 with llama-quantize's bytes while
 * the input streams by ranges; nothing else is contacted. (The Hub listing itself is covered in
 * Node by test/unit/io/hub.test.ts; intercepting a worker's requests in puppeteer stalled here.)
 */
let s: BrowserSession;
let host: RangeServer;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-url-'));
  host = await new RangeServer().start();
  host.cors = true;
  host.put('/models/tiny-llama-F32.gguf', await tinyLlamaF32());
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
  await host?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Types into the form inside kiln-open-remote's shadow root and submits it. */
async function openRemote(source: string): Promise<void> {
  await waitForTestId(s.page, 'open-remote-source');
  await s.page.evaluate((src) => {
    const find = (root: Document | ShadowRoot, id: string): HTMLElement | null => {
      const hit = root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
      if (hit) return hit;
      for (const el of root.querySelectorAll('*')) {
        const inner = el.shadowRoot ? find(el.shadowRoot, id) : null;
        if (inner) return inner;
      }
      return null;
    };
    (find(document, 'open-remote-source') as HTMLInputElement).value = src;
    find(document, 'open-remote')!.click();
  }, source);
}

describe('Open from a URL in the page', () => {
  it('a GGUF URL opens from its header and converts to Q8_0 with llama-quantize\'s bytes, by ranges only', async () => {
    const origin = new URL(inject('baseUrl')).origin;
    const all: string[] = [];
    s.page.on('request', (r) => void all.push(r.url()));
    await openRemote(host.url('/models/tiny-llama-F32.gguf'));
    await waitForTestId(s.page, 'tensor-row', 60_000);
    const gets = () => host.log.filter((r) => r.method === 'GET' && r.path === '/models/tiny-llama-F32.gguf');
    const atOpen = gets().length;
    // the probe, the header window, and what the page shows first (the selected tensor)
    expect(atOpen).toBeLessThanOrEqual(4);

    const dl = mkdtempSync(join(work, 'dl-'));
    const cdp = await enableDownloads(s, dl);
    await selectValue(s.page, 'engine-select', 'cpu');
    await selectValue(s.page, 'target-format', 'gguf');
    await selectValue(s.page, 'target-type', 'Q8_0');
    await click(s.page, 'convert');
    expect((await waitForOutcome(s.page, 120_000)).error).toBeNull();
    const files = await downloadAll(s.page, cdp, dl, 60_000);
    expect(files).toHaveLength(1);
    expect(sha256(readFileSync(join(dl, files[0]!)))).toBe(llamaCppSha256().get('tiny-llama-Q8_0.gguf'));

    expect(gets().length).toBeGreaterThan(atOpen);
    // GETs only by range (If-Range makes the browser send a CORS preflight first)
    expect(host.log.filter((r) => r.method === 'GET' && (r.range === null || r.status !== 206)).map((r) => `${r.path} ${r.range} ${r.status}`)).toEqual([]);
    expect(all.filter((u) => !u.startsWith(origin) && !u.startsWith(host.origin) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual([]);
  }, 300_000);
});
