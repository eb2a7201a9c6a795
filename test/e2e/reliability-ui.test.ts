import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebWorker } from 'puppeteer';
import { launch, type BrowserSession } from '../support/browser';
import { click, opfsPaths, progressValue, selectValue, testIdText, uploadFiles, waitForOutcome, waitForTestId } from '../support/app-driver';
import { main } from '../../src/cli/main';
import { writeLlamaGgufF16 } from '../../bench/support/gen-model';
import { sha256 } from '../support/tiny-llama';

/**
 * Issue 8's reliability cases through the page, on a llama-shaped F16 GGUF of about 150 MB (the
 * bench's stress test runs the 1 GB model ten times per engine): repeated runs on each engine
 * always finish with llama-quantize's bytes (the CLI's, which equal them), and a GPU device
 * destroyed mid-run ends in a finished, verified file with nothing partial left in OPFS.
 */
let s: BrowserSession;
let work: string;
let model: string;
const want = new Map<string, string>();

/** sha256 of the single file the last run left in OPFS, with the list of every file there. */
async function opfsOutput(): Promise<{ files: string[]; sha: string }> {
  const files = (await opfsPaths(s.page)).filter((f) => !f.endsWith('/')).map((f) => f.replace(/:\d+$/, ''));
  const sha = (await s.page.evaluate(`(async () => {
    const parts = ${JSON.stringify(files[0] ?? '')}.split('/');
    const name = parts.pop();
    let d = await navigator.storage.getDirectory();
    for (const part of parts) d = await d.getDirectoryHandle(part);
    const f = await (await d.getFileHandle(name)).getFile();
    const h = new Uint8Array(await crypto.subtle.digest('SHA-256', await f.arrayBuffer()));
    return [...h].map((b) => b.toString(16).padStart(2, '0')).join('');
  })()`)) as string;
  return { files, sha };
}

async function convert(engine: string, type: string): Promise<void> {
  await selectValue(s.page, 'engine-select', engine);
  await selectValue(s.page, 'target-format', 'gguf');
  await selectValue(s.page, 'target-type', type);
  await click(s.page, 'convert');
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-rel-'));
  model = join(work, 'llama-150m-F16.gguf');
  await writeLlamaGgufF16(model, { layers: 4, nEmbd: 1024, nFf: 2816, nVocab: 16000, nHead: 16, nHeadKv: 4 });
  for (const type of ['Q4_K_M', 'Q8_0']) {
    const out = join(work, `cli-${type}.gguf`);
    const code = await main(['convert', model, '-o', out, '--type', type, '--quiet'], { out: () => undefined, err: () => undefined });
    expect(code).toBe(0);
    want.set(type, sha256(readFileSync(out)));
    rmSync(out);
  }
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
  await uploadFiles(s.page, [model]);
  await waitForTestId(s.page, 'tensor-row');
}, 300_000);

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('conversions in the page always finish', () => {
  for (const [engine, type] of [['cpu', 'Q4_K_M'], ['gpu', 'Q8_0']] as const) {
    it(`${type} on the ${engine} engine, three times in a row, each byte-identical`, async () => {
      for (let i = 0; i < 3; i++) {
        await convert(engine, type);
        await new Promise((r) => setTimeout(r, 50));
        const out = await waitForOutcome(s.page, 120_000);
        expect(out.error, `run ${i + 1}`).toBeNull();
        const { files, sha } = await opfsOutput();
        expect(files).toHaveLength(1);
        expect(sha, `run ${i + 1}`).toBe(want.get(type));
      }
    }, 600_000);
  }

  it('a GPU device destroyed mid-run: the run finishes on the CPU with the same bytes, verified, nothing partial left', async () => {
    await convert('gpu', 'Q8_0');
    // destroy the device as soon as the first output bytes are written
    const worker = await pipelineWorker();
    const t0 = performance.now();
    for (;;) {
      const p = await progressValue(s.page);
      if (p !== null && p > 0) break;
      if (performance.now() - t0 > 60_000) throw new Error('the run never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await worker.evaluate('self.kilnTestHooks.destroyGpuDevice()')).toBe(true);
    const out = await waitForOutcome(s.page, 120_000);
    expect(out.error).toBeNull();
    expect(await testIdText(s.page, 'outputs')).toMatch(/device was lost.*then CPU/);
    const { files, sha } = await opfsOutput();
    expect(files).toHaveLength(1);
    expect(sha).toBe(want.get('Q8_0'));
    // the next run gets a new device and runs on the GPU again
    await convert('gpu', 'Q8_0');
    await new Promise((r) => setTimeout(r, 50));
    expect((await waitForOutcome(s.page, 120_000)).error).toBeNull();
    expect(await testIdText(s.page, 'outputs')).toMatch(/on GPU/);
    expect((await opfsOutput()).sha).toBe(want.get('Q8_0'));
  }, 600_000);
});

async function pipelineWorker(): Promise<WebWorker> {
  const w = s.page.workers().find((x) => /\/worker-[^/]*\.js$/.test(x.url()));
  if (!w) throw new Error(`no pipeline worker among ${s.page.workers().map((x) => x.url()).join(', ')}`);
  return w;
}
