import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../test/support/browser';
import { downloadAll, enableDownloads, uploadFiles, waitForTestId } from '../test/support/app-driver';
import { startBrowserHub, type BrowserHub } from '../test/support/browser-hub';
import { main } from '../src/cli/main';
import { llamaShape, writeLlamaGgufF16 } from './support/gen-model';
import { timeUiConversion } from './support/ui-run';
import { fmt, mb, report } from './support/report';

/**
 * Issue 12's measurement: the ~1 GB llama-like F16 bench GGUF served by the fake Hub over local
 * HTTPS (real Range semantics; Chromium maps huggingface.co and cdn-lfs.hf.co onto it, so the page
 * and its workers make the real requests under the app's CSP), opened in the page by its resolve
 * URL ("Open from the Hub or a URL") and converted to Q8_0 and Q4_K_M (engine auto), next to the
 * same conversions of the same file opened as a local File, in the same browser session,
 * alternating source by source, KILN_REMOTE_BENCH_ROUNDS rounds (2). Each row: time from the click
 * to the finished run (includes the output's re-read and verification), input MB/s, peak PSS of all
 * Chromium processes, the 1-minute load average when it started; every output's sha256 must equal
 * the CLI's conversion of the local file.
 */
const DIR = '/tmp/kiln-bench/remote';
const REPO = 'kiln-bench/llama-8L-gguf';
const REMOTE_NAME = 'bench-remote-llama-F16.gguf';
const LOCAL_NAME = 'bench-local-llama-F16.gguf';
const PRESETS = (process.env.KILN_BENCH_PRESETS ?? 'Q8_0,Q4_K_M').split(',');
const ROUNDS = Number(process.env.KILN_REMOTE_BENCH_ROUNDS ?? 2);
let s: BrowserSession;
let bh: BrowserHub;
let file: string;
let bytes: number;
const cliSha = new Map<string, string>();

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  file = join(DIR, LOCAL_NAME);
  bytes = await writeLlamaGgufF16(file, llamaShape(Number(process.env.KILN_REMOTE_BENCH_LAYERS ?? 8)));
  for (const preset of PRESETS) {
    const out = join(DIR, `cli-${preset}.gguf`);
    expect(await main(['convert', file, '-o', out, '--type', preset, '--quiet'], { out: () => undefined, err: (t) => void process.stderr.write(t) })).toBe(0);
    cliSha.set(preset, sha256(readFileSync(out)));
    rmSync(out, { force: true });
  }
  bh = await startBrowserHub();
  bh.hub.add(REPO, { files: new Map([[REMOTE_NAME, readFileSync(file)]]) });
  s = await launch(bh.chromiumArgs);
  await s.page.goto(`${inject('baseUrl')}/`);
}, 3_600_000);

afterAll(async () => {
  await s?.close();
  await bh?.stop();
  rmSync(DIR, { recursive: true, force: true });
});

/** The page's text through shadow roots. */
const PAGE_TEXT = `(function text(root) {
  let t = '';
  for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) t += ' ' + text(el.shadowRoot); }
  return (root.body ? root.body.innerText : root.textContent) + ' ' + t;
})(document)`;

async function waitForModel(name: string): Promise<void> {
  await s.page.waitForFunction(`${PAGE_TEXT}.includes(${JSON.stringify(name)})`, { polling: 250, timeout: 120_000 });
  await waitForTestId(s.page, 'tensor-row', 120_000);
}

/** Types the source into kiln-open-remote's form (inside shadow roots) and submits it. */
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

/** Downloads the finished run's single output (not timed) and returns its sha256. */
async function outputSha(): Promise<string> {
  const dl = mkdtempSync(join(DIR, 'dl-'));
  const cdp = await enableDownloads(s, dl);
  try {
    const files = await downloadAll(s.page, cdp, dl, 600_000);
    expect(files).toHaveLength(1);
    return sha256(readFileSync(join(dl, files[0]!)));
  } finally {
    await cdp.detach();
    rmSync(dl, { recursive: true, force: true });
  }
}

it('1 GB F16 GGUF -> Q8_0 / Q4_K_M through the page: from the Hub by URL (HTTPS ranges) vs a local File', async () => {
  const rows: Record<string, string | number>[] = [];
  const mismatches: string[] = [];
  const url = `https://huggingface.co/${REPO}/resolve/main/${REMOTE_NAME}`;
  const sources: [string, () => Promise<void>][] = [
    ['Hub resolve URL (HTTPS ranges)', async () => (await openRemote(url), await waitForModel(REMOTE_NAME))],
    ['local File', async () => (await uploadFiles(s.page, [file]), await waitForModel(LOCAL_NAME))],
  ];
  for (let round = 0; round < ROUNDS; round++) {
    // alternate the order too, so neither source always runs first after a reopen
    const order = round % 2 === 0 ? sources : [...sources].reverse();
    for (const preset of PRESETS) {
      for (const [label, open] of order) {
        await open();
        const load = loadavg()[0]!;
        const cdnBefore = bh.hub.cdn.log.length;
        const r = await timeUiConversion(s, 'auto', 'gguf', preset, 200);
        const ranged = bh.hub.cdn.log.slice(cdnBefore).filter((q) => q.method === 'GET');
        const sha = await outputSha();
        const same = sha === cliSha.get(preset);
        if (!same) mismatches.push(`round ${round + 1} ${label} ${preset}: ${sha} != CLI ${cliSha.get(preset)}`);
        if (label.startsWith('Hub')) {
          // the input streams by ranges only
          expect(ranged.filter((q) => q.range === null || q.status !== 206).map((q) => `${q.range} ${q.status}`)).toEqual([]);
        }
        rows.push({
          round: round + 1,
          source: label,
          target: preset,
          load: fmt(load, 1),
          'input MB': fmt(mb(bytes), 0),
          seconds: fmt(r.seconds, 1),
          'MB/s (input)': fmt(mb(bytes) / r.seconds),
          'peak Chromium PSS MB': fmt(mb(r.peak), 0),
          'range GETs': label.startsWith('Hub') ? ranged.length : '-',
          'sha256 = CLI': same ? 'yes' : 'NO',
        });
      }
    }
  }
  report('remote', `${fmt(mb(bytes), 0)} MB llama F16 GGUF through the page (engine auto): fake Hub over local HTTPS vs local File (times include re-reading and verifying the output)`, rows);
  expect(mismatches).toEqual([]);
});
