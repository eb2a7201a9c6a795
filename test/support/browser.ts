import puppeteer, { type Browser, type Page } from 'puppeteer';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The system Chromium (apt-get install chromium); override with PUPPETEER_EXECUTABLE_PATH. */
export const CHROMIUM = process.env.PUPPETEER_EXECUTABLE_PATH ?? '/usr/bin/chromium';

/**
 * Flags measured in PLATFORM.md: WebGPU on SwiftShader headless, and no background traffic to
 * Google hosts (this machine's network is closed; the privacy test also wants silence).
 */
export const CHROMIUM_FLAGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
  '--disable-features=Translate,OptimizationHints,MediaRouter',
  // keep GPU callbacks (mapAsync) and timers running at full rate in a headless tab
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export interface BrowserSession {
  browser: Browser;
  page: Page;
  profileDir: string;
  close(): Promise<void>;
}

export async function launch(extraArgs: readonly string[] = []): Promise<BrowserSession> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium, or set PUPPETEER_EXECUTABLE_PATH`);
  }
  const profileDir = mkdtempSync(join(tmpdir(), 'kiln-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs, `--user-data-dir=${profileDir}`],
    protocolTimeout: 600_000,
  });
  const page = await browser.newPage();
  page.setDefaultTimeout(120_000);
  return {
    browser,
    page,
    profileDir,
    async close() {
      await browser.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/** Opens the GPU harness page and waits until its functions are installed. */
export async function openHarness(baseUrl: string, extraArgs: readonly string[] = []): Promise<BrowserSession> {
  const s = await launch(extraArgs);
  const errors: string[] = [];
  s.page.on('pageerror', (e) => errors.push(String(e)));
  await s.page.goto(`${baseUrl}/t/test/harness/index.html`);
  await s.page.waitForFunction(() => window.harnessReady === true, { polling: 100 }).catch((e) => {
    throw new Error(`harness did not start: ${errors.join('; ') || e}`);
  });
  return s;
}
