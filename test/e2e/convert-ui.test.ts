import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, countTestId, downloadAll, enableDownloads, recordRequests, selectValue, testIdText, uploadFiles, waitForOutcome, waitForTestId } from '../support/app-driver';

/**
 * The app as a user drives it: upload a safetensors file through the file input, convert it to
 * GGUF F16 and to safetensors BF16, download both, and check every tensor with an independent
 * Python parser (test/support/independent). The page must make no request beyond its own origin.
 */
const PY = join(import.meta.dirname, '..', 'support', 'independent');
let s: BrowserSession;
let work: string;
let requests: string[];
const consoleErrors: string[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-'));
  execFileSync('python3', [join(PY, 'make_input.py'), join(work, 'input.safetensors')]);
  s = await launch();
  requests = recordRequests(s.page);
  s.page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  s.page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await s.page.goto(`${inject('baseUrl')}/`);
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

async function convertAndCheck(format: string, type: string): Promise<void> {
  const dl = mkdtempSync(join(work, `dl-${format}-`));
  const cdp = await enableDownloads(s, dl);
  await selectValue(s.page, 'engine-select', 'gpu');
  await selectValue(s.page, 'target-format', format);
  await selectValue(s.page, 'target-type', type);
  await click(s.page, 'convert');
  const outcome = await waitForOutcome(s.page);
  expect(outcome.error).toBeNull();
  expect(outcome.downloads).toBe(1);
  expect(await testIdText(s.page, 'outputs')).toMatch(/on GPU .*verified/);
  const files = await downloadAll(s.page, cdp, dl);
  expect(files).toHaveLength(1);
  const report = JSON.parse(execFileSync('python3', [join(PY, 'check_output.py'), join(work, 'input.safetensors'), join(dl, files[0]!), format, type]).toString()) as {
    ok: boolean;
    tensors: number;
    types: Record<string, string>;
    problems: string[];
  };
  expect(report.problems).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.tensors).toBe(5);
}

describe('end to end through the UI', () => {
  it('opens a safetensors file and lists its tensors', async () => {
    await uploadFiles(s.page, [join(work, 'input.safetensors')]);
    await waitForTestId(s.page, 'tensor-row');
    expect(await countTestId(s.page, 'tensor-row')).toBe(5);
    expect(await testIdText(s.page, 'model-facts')).toContain('safetensors');
  });

  it('shows a tensor histogram and statistics', async () => {
    await s.page.evaluate(`(function find(root) {
      const r = root.querySelector('[data-testid="tensor-row"]');
      if (r) return r.click();
      for (const el of root.querySelectorAll('*')) if (el.shadowRoot) find(el.shadowRoot);
    })(document)`);
    await waitForTestId(s.page, 'stats');
    const stats = await testIdText(s.page, 'stats');
    expect(stats).toMatch(/elements\s*[\d,]+/);
    expect(await countTestId(s.page, 'histogram')).toBe(1);
  });

  it('converts to GGUF F16; the download matches an independent parser', async () => {
    await convertAndCheck('gguf', 'F16');
    expect(await testIdText(s.page, 'progress-text')).toMatch(/tensors/);
  });

  it('converts to safetensors BF16; the download matches an independent parser', async () => {
    await convertAndCheck('safetensors', 'BF16');
  });

  it('ran on WebGPU and made no request beyond its own origin', async () => {
    expect(await testIdText(s.page, 'engine')).toMatch(/GPU/);
    const origin = new URL(inject('baseUrl')).origin;
    const foreign = requests.filter((u) => !u.startsWith(origin + '/') && !u.startsWith('blob:' + origin) && !u.startsWith('data:'));
    expect(foreign).toEqual([]);
    // the worker's own script load is seen, so requests from the worker are recorded too
    expect(requests.some((u) => /\/assets\/worker-.*\.js$/.test(u))).toBe(true);
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
  });

  it('carries a Content-Security-Policy that allows no other origin but the Hub\'s, for reading models', async () => {
    const csp = (await s.page.evaluate(`document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? ''`)) as string;
    expect(csp).toMatch(/default-src 'none'/);
    // the page's own response carries it as a header too
    expect((await fetch(`${inject('baseUrl')}/`)).headers.get('content-security-policy')).toBe(csp);
    const HUB = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co'];
    for (const d of csp.split(';').map((x) => x.trim()).filter(Boolean)) {
      const [name, ...sources] = d.split(/\s+/);
      // 'wasm-unsafe-eval' names no origin: it lets this origin's scripts compile WebAssembly;
      // only connect-src names other hosts: the Hub's, for "Open from the Hub or a URL"
      const allowed = ["'self'", "'none'", 'blob:', 'data:', "'wasm-unsafe-eval'", ...(name === 'connect-src' ? HUB : [])];
      expect(sources.every((src) => allowed.includes(src)), d).toBe(true);
    }
    // and the browser enforces it: a fetch to another origin is refused by the policy before it leaves
    const violated = await s.page.evaluate(`new Promise((ok) => {
      document.addEventListener('securitypolicyviolation', (e) => ok(e.effectiveDirective + ' ' + e.blockedURI), { once: true });
      fetch('http://198.51.100.7/x').catch(() => undefined);
      setTimeout(() => ok('no violation'), 5000);
    })`);
    expect(violated).toBe('connect-src http://198.51.100.7/x');
  });

  it('holds the same policy in its workers (a worker takes it from its script\'s headers) and blocks another origin there', async () => {
    const meta = (await s.page.evaluate(`document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.content ?? ''`)) as string;
    const workers = s.page.workers();
    const pipeline = workers.find((w) => /\/assets\/worker-.*\.js$/.test(w.url()));
    expect(pipeline, workers.map((w) => w.url()).join(', ')).toBeDefined();
    for (const w of workers.filter((w) => w.url().startsWith(new URL(inject('baseUrl')).origin))) {
      const res = await fetch(w.url());
      expect(res.headers.get('content-security-policy'), w.url()).toBe(meta);
      const violated = await w.evaluate(`new Promise((ok) => {
        self.addEventListener('securitypolicyviolation', (e) => ok(e.effectiveDirective + ' ' + e.blockedURI), { once: true });
        fetch('http://198.51.100.7/x').then(() => ok('fetched'), () => undefined);
        setTimeout(() => ok('no violation'), 5000);
      })`);
      expect(violated, w.url()).toBe('connect-src http://198.51.100.7/x');
    }
  });
});
