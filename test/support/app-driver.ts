import type { CDPSession, HTTPRequest, Page } from 'puppeteer';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserSession } from './browser';

/**
 * Drives the app through its stable data-testid hooks, as a script or a user would. Elements live
 * in shadow roots; lookups poll on a timer (PLATFORM.md: shadow-piercing waitForSelector stalls).
 */

/** Page-side: finds the first element with data-testid through open shadow roots. */
const FIND = `(function find(root, id) {
  const hit = root.querySelector('[data-testid="' + id + '"]');
  if (hit) return hit;
  for (const el of root.querySelectorAll('*')) {
    if (el.shadowRoot) { const r = find(el.shadowRoot, id); if (r) return r; }
  }
  return null;
})`;

export async function waitForTestId(page: Page, id: string, timeout = 120_000): Promise<void> {
  await page.waitForFunction(`!!${FIND}(document, ${JSON.stringify(id)})`, { polling: 200, timeout });
}

export async function testIdText(page: Page, id: string): Promise<string | null> {
  return page.evaluate(`(() => { const e = ${FIND}(document, ${JSON.stringify(id)}); return e ? e.textContent : null; })()`) as Promise<string | null>;
}

export async function countTestId(page: Page, id: string): Promise<number> {
  const js = `(function count(root) {
    let n = root.querySelectorAll('[data-testid="${id}"]').length;
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) n += count(el.shadowRoot);
    return n;
  })(document)`;
  return page.evaluate(js) as Promise<number>;
}

export async function uploadFiles(page: Page, paths: string[]): Promise<void> {
  await waitForTestId(page, 'open-files');
  const handle = await page.evaluateHandle(`${FIND}(document, 'open-files')`);
  await (handle as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(...paths);
}

/** The conversion progress bar's value (0 before any output byte is written), or null without one. */
export async function progressValue(page: Page): Promise<number | null> {
  return page.evaluate(`(() => { const p = ${FIND}(document, 'progress'); return p ? p.value : null; })()`) as Promise<number | null>;
}

/**
 * Every path in the origin private file system ("dir/" for folders, "dir/name:size" for files).
 * The app's worker may remove a stale run folder while this walks (it sweeps them at start): a
 * folder or file gone mid-walk is NotFoundError there, and is simply not listed.
 */
export async function opfsPaths(page: Page): Promise<string[]> {
  return page.evaluate(`(async () => {
    const out = [];
    const gone = (e) => e && e.name === 'NotFoundError';
    async function walk(dir, path) {
      try {
        for await (const [name, h] of dir.entries()) {
          if (h.kind === 'file') {
            try { out.push(path + name + ':' + (await h.getFile()).size); } catch (e) { if (!gone(e)) throw e; }
          } else { out.push(path + name + '/'); await walk(h, path + name + '/'); }
        }
      } catch (e) {
        if (!gone(e)) throw e;
      }
    }
    await walk(await navigator.storage.getDirectory(), '');
    return out;
  })()`) as Promise<string[]>;
}

/** Picks a whole folder with the folder input, as a user choosing a model directory. */
export async function uploadFolder(page: Page, dir: string): Promise<void> {
  await waitForTestId(page, 'open-folder');
  const handle = await page.evaluateHandle(`${FIND}(document, 'open-folder')`);
  await (handle as unknown as { uploadFile(...p: string[]): Promise<void> }).uploadFile(dir);
}

export async function selectValue(page: Page, id: string, value: string): Promise<void> {
  await waitForTestId(page, id);
  await page.waitForFunction(`(() => { const s = ${FIND}(document, ${JSON.stringify(id)}); return s && !s.disabled && [...s.options].some(o => o.value === ${JSON.stringify(value)}); })()`, { polling: 200 });
  await page.evaluate(`(() => { const s = ${FIND}(document, ${JSON.stringify(id)}); s.value = ${JSON.stringify(value)}; s.dispatchEvent(new Event('change', { bubbles: true, composed: true })); })()`);
}

export async function click(page: Page, id: string): Promise<void> {
  try {
    await page.waitForFunction(`(() => { const b = ${FIND}(document, ${JSON.stringify(id)}); return b && !b.disabled; })()`, { polling: 200 });
  } catch (e) {
    const err = await testIdText(page, 'error').catch(() => null);
    throw new Error(`${id} never became clickable (missing or disabled); error shown: ${err ?? '(none)'}`, { cause: e });
  }
  await page.evaluate(`${FIND}(document, ${JSON.stringify(id)}).click()`);
}

/** Waits until a conversion has finished (download links shown) or failed (error shown). */
export async function waitForOutcome(page: Page, timeout = 600_000): Promise<{ error: string | null; downloads: number }> {
  try {
    await page.waitForFunction(`!!(${FIND}(document, 'download') || ${FIND}(document, 'error'))`, { polling: 250, timeout });
  } catch (e) {
    // say where the run stood, so a stall is diagnosable from the CI log alone
    const progress = await testIdText(page, 'progress-text').catch(() => null);
    const plan = await testIdText(page, 'plan').catch(() => null);
    throw new Error(`no outcome after ${timeout} ms; progress: ${progress?.replace(/\s+/g, ' ').trim() ?? '(none)'}; plan: ${plan?.replace(/\s+/g, ' ').trim() ?? '(none)'}`, { cause: e });
  }
  return { error: await testIdText(page, 'error'), downloads: await countTestId(page, 'download') };
}

/** Lets the browser save downloads into `dir`; returns a waiter for a named file to complete. */
export async function enableDownloads(s: BrowserSession, dir: string): Promise<CDPSession> {
  const cdp = await s.browser.target().createCDPSession();
  await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir, eventsEnabled: true });
  return cdp;
}

/** Clicks every download link and waits until all files are in `dir` (no .crdownload left). */
export async function downloadAll(page: Page, cdp: CDPSession, dir: string, timeout = 300_000): Promise<string[]> {
  const n = await countTestId(page, 'download');
  let completed = 0;
  const done = new Promise<void>((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`downloads did not complete in ${timeout} ms`)), timeout);
    cdp.on('Browser.downloadProgress', (e: { state: string }) => {
      if (e.state === 'completed' && ++completed === n) {
        clearTimeout(t);
        ok();
      }
      if (e.state === 'canceled') fail(new Error('a download was cancelled'));
    });
  });
  const js = `(function all(root, out) {
    for (const a of root.querySelectorAll('[data-testid="download"]')) out.push(a);
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) all(el.shadowRoot, out);
    return out;
  })(document, []).forEach((a) => a.click())`;
  await page.evaluate(js);
  await done;
  return readdirSync(dir).filter((f) => !f.endsWith('.crdownload') && statSync(join(dir, f)).isFile());
}

/** Records the URL of every request the page and its workers make. */
export function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r: HTTPRequest) => urls.push(r.url()));
  return urls;
}

export async function setChecked(page: Page, id: string, checked: boolean): Promise<void> {
  await waitForTestId(page, id);
  await page.evaluate(`(() => { const c = ${FIND}(document, ${JSON.stringify(id)}); if (c.checked !== ${checked}) { c.checked = ${checked}; c.dispatchEvent(new Event('change', { bubbles: true, composed: true })); } })()`);
}

/** Opens the (closed) details element that holds a test id, as a user expanding it would. */
export async function reveal(page: Page, id: string): Promise<void> {
  await waitForTestId(page, id);
  await page.evaluate(`(() => { let e = ${FIND}(document, ${JSON.stringify(id)}); while (e) { if (e.tagName === 'DETAILS') e.open = true; e = e.parentNode instanceof ShadowRoot ? e.parentNode.host : e.parentNode; } })()`);
}

/** Types into a text field (or textarea) and commits it, as a user leaving the field would. */
export async function setText(page: Page, id: string, value: string): Promise<void> {
  await waitForTestId(page, id);
  await page.evaluate(`(() => { const e = ${FIND}(document, ${JSON.stringify(id)}); if (e.value !== ${JSON.stringify(value)}) { e.value = ${JSON.stringify(value)}; e.dispatchEvent(new Event('change', { bubbles: true, composed: true })); } })()`);
}
