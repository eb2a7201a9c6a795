import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, downloadAll, enableDownloads, recordRequests, selectValue, waitForOutcome, waitForTestId } from '../support/app-driver';
import { startBrowserHub, FAKE_CDN_HOST, type BrowserHub } from '../support/browser-hub';
import { RangeServer } from '../support/range-server';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../support/tiny-llama';
import { hfFiles, writeHfFolder } from '../unit/formats/hf-support';
import { main } from '../../src/cli/main';

/**
 * "Open from the Hub or a URL" in the page, without the network: Chromium resolves huggingface.co
 * and cdn-lfs.hf.co to a fake Hub over HTTPS on loopback (test/support/browser-hub.ts), so the
 * page and its workers make the real requests to the real host names, under the app's CSP:
 * - owner/repo (the tiny llama's HF files) converts to Q4_K_M equal to the CLI's file of the same
 *   folder, and a GGUF resolve URL converts to Q8_0 with llama-quantize's bytes, each reading
 *   only ranges of the files it needs, from the Hub's hosts only;
 * - a URL on any other origin is refused by the worker before a request leaves.
 */
const REPO = 'kiln-test/tiny-llama-hf';
const GGUF_REPO = 'kiln-test/tiny-llama-gguf';
let s: BrowserSession;
let bh: BrowserHub;
let other: RangeServer;
let work: string;
let folder: string;
let requests: string[];
let origin: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-hub-'));
  const files = hfFiles('bf16');
  // the local folder has the repo's name: general.name comes from it, as from the repo's name
  folder = writeHfFolder(work, REPO.split('/')[1]!, files);
  bh = await startBrowserHub();
  bh.hub.add(REPO, { files });
  bh.hub.add(GGUF_REPO, { files: new Map([['tiny-llama-F32.gguf', await tinyLlamaF32()]]) });
  other = await new RangeServer().start();
  other.cors = true;
  other.put('/tiny-llama-F32.gguf', await tinyLlamaF32());
  s = await launch(bh.chromiumArgs);
  requests = recordRequests(s.page);
  origin = new URL(inject('baseUrl')).origin;
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
  await bh?.stop();
  await other?.stop();
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

/** Waits until the page's text (through shadow roots) matches. */
async function waitForText(re: RegExp, timeout = 60_000): Promise<string> {
  const js = `(function text(root) {
    let t = '';
    for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) t += ' ' + text(el.shadowRoot); }
    return (root.body ? root.body.innerText : root.textContent) + ' ' + t;
  })(document)`;
  await s.page.waitForFunction(`new RegExp(${JSON.stringify(re.source)}, ${JSON.stringify(re.flags)}).test(${js})`, { polling: 250, timeout });
  return (await s.page.evaluate(js)) as string;
}

async function convertInPage(type: string): Promise<Uint8Array> {
  const dl = mkdtempSync(join(work, 'dl-'));
  const cdp = await enableDownloads(s, dl);
  await selectValue(s.page, 'engine-select', 'cpu');
  await selectValue(s.page, 'target-format', 'gguf');
  await selectValue(s.page, 'target-type', type);
  await click(s.page, 'convert');
  await new Promise((r) => setTimeout(r, 50));
  expect((await waitForOutcome(s.page, 180_000)).error).toBeNull();
  const files = await downloadAll(s.page, cdp, dl, 60_000);
  expect(files).toHaveLength(1);
  return readFileSync(join(dl, files[0]!));
}

/** Every request of the page and its workers went to its own origin or to the Hub's hosts. */
function foreignRequests(): string[] {
  const ok = [origin + '/', 'https://huggingface.co/', `https://${FAKE_CDN_HOST}/`, 'blob:', 'data:'];
  return requests.filter((u) => !ok.some((p) => u.startsWith(p)));
}

describe('Open from the Hub or a URL in the page', () => {
  it('owner/repo (an HF folder on the Hub) converts to Q4_K_M equal to the CLI on the same folder, reading ranges of the needed files only', async () => {
    await openRemote(REPO);
    await waitForTestId(s.page, 'tensor-row', 60_000);
    const out = join(work, 'cli-Q4_K_M.gguf');
    expect(await main(['convert', folder, '-o', out, '--type', 'Q4_K_M', '--quiet'], { out: () => undefined, err: () => undefined })).toBe(0);
    expect(sha256(await convertInPage('Q4_K_M'))).toBe(sha256(readFileSync(out)));

    const cdnGets = bh.hub.cdn.log.filter((r) => r.method === 'GET');
    // file bytes come by range only, and only from the files the HF reader needs
    expect(cdnGets.filter((r) => r.range === null || r.status !== 206).map((r) => `${r.path} ${r.range} ${r.status}`)).toEqual([]);
    const read = new Set(cdnGets.map((r) => r.path.split('/').slice(3).join('/')));
    expect([...read].sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.model', 'tokenizer_config.json'].filter((f) => hfFiles('bf16').has(f)).sort());
    // the Hub's API and resolve endpoints of this repo, nothing else
    expect(bh.hub.hub.log.filter((r) => r.method === 'GET' && !r.path.includes(REPO))).toEqual([]);
    // the page's request log sees the worker's requests, by their real host names
    expect(requests.some((u) => u.startsWith(`https://huggingface.co/api/models/${REPO}/`))).toBe(true);
    expect(requests.some((u) => u.startsWith(`https://${FAKE_CDN_HOST}/`))).toBe(true);
    expect(foreignRequests()).toEqual([]);
  }, 400_000);

  it('a GGUF resolve URL on the Hub converts to Q8_0 with llama-quantize\'s bytes, by ranges only', async () => {
    const path = `/cdn/${bh.hub.repos.get(GGUF_REPO)!.sha}/tiny-llama-F32.gguf`;
    const gets = () => bh.hub.cdn.log.filter((r) => r.method === 'GET' && r.path === path);
    await openRemote(`https://huggingface.co/${GGUF_REPO}/resolve/main/tiny-llama-F32.gguf`);
    await waitForText(/tiny-llama-F32/);
    const atOpen = gets().length;
    expect(atOpen).toBeGreaterThan(0);
    expect(atOpen).toBeLessThanOrEqual(4);
    const bytes = await convertInPage('Q8_0');
    expect(sha256(bytes)).toBe(llamaCppSha256().get('tiny-llama-Q8_0.gguf'));
    expect(gets().length).toBeGreaterThan(atOpen);
    expect(gets().filter((r) => r.range === null || r.status !== 206).map((r) => `${r.range} ${r.status}`)).toEqual([]);
    expect(foreignRequests()).toEqual([]);
  }, 400_000);

  it('a URL on another origin is refused by the worker, naming the allowed hosts, before any request', async () => {
    const before = requests.length;
    await openRemote(other.url('/tiny-llama-F32.gguf'));
    const text = await waitForText(/not allowed/);
    expect(text).toMatch(/huggingface\.co, \*\.huggingface\.co, \*\.hf\.co/);
    expect(other.log).toEqual([]);
    expect(requests.slice(before).filter((u) => u.startsWith(other.origin))).toEqual([]);
  }, 120_000);
});
