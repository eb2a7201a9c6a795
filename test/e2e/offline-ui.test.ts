import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import { launch, type BrowserSession } from '../support/browser';
import { click, countTestId, selectValue, waitForOutcome, waitForTestId } from '../support/app-driver';
import { FIND } from '../support/ux';
import { serveStatic } from '../support/static-server';

/**
 * Offline after the first visit: the app is loaded once from a server of its own, the service
 * worker precaches it; then the network is cut twice over (puppeteer's offline mode, and the
 * server itself closed, so nothing could come from it even past the emulation), the page is
 * reloaded, and the sample model converts.
 */
let s: BrowserSession;
let server: Server;
let url: string;
const failed: string[] = [];

beforeAll(async () => {
  ({ url, server } = await serveStatic({ '/': 'dist' }));
  s = await launch();
  s.page.on('requestfailed', (r) => failed.push(r.url()));
});

afterAll(async () => {
  await s?.close();
  await new Promise((ok) => server?.close(ok));
});

describe('offline after the first visit', () => {
  it('loads once, goes offline, reloads from the service worker and converts the sample', { timeout: 300_000 }, async () => {
    await s.page.goto(`${url}/`);
    await waitForTestId(s.page, 'landing');
    // the worker installs (precaching every file of the build) and takes control of this page
    await s.page.waitForFunction(`navigator.serviceWorker.controller !== null`, { polling: 200, timeout: 60_000 });
    const cached = (await s.page.evaluate(`(async () => { let n = 0; for (const k of await caches.keys()) n += (await (await caches.open(k)).keys()).length; return n; })()`)) as number;
    expect(cached).toBeGreaterThanOrEqual(4);

    await s.page.setOfflineMode(true);
    await new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
    const fromSw: boolean[] = [];
    s.page.on('response', (r) => fromSw.push(r.fromServiceWorker()));
    const nav = await s.page.reload({ waitUntil: 'load' });
    expect(nav?.fromServiceWorker()).toBe(true);
    await waitForTestId(s.page, 'landing');
    expect(fromSw.length).toBeGreaterThan(0);
    expect(fromSw.every(Boolean)).toBe(true);

    await click(s.page, 'open-sample');
    await s.page.waitForFunction(`(() => { const e = ${FIND}(document, 'fact-quant'); return !!e && /all F32/.test(e.textContent); })()`, { polling: 200 });
    await selectValue(s.page, 'engine-select', 'cpu');
    await selectValue(s.page, 'target-type', 'Q8_0');
    await click(s.page, 'convert');
    const out = await waitForOutcome(s.page);
    expect(out.error).toBeNull();
    expect(await countTestId(s.page, 'download')).toBe(1);
    expect(await s.page.evaluate(`navigator.onLine`)).toBe(false);
    expect(failed).toEqual([]);
  });
});
