import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type BrowserSession } from '../support/browser';
import { click, downloadAll, enableDownloads, reveal, selectValue, setChecked, testIdText, uploadFiles, waitForOutcome, waitForTestId } from '../support/app-driver';
import { llamaCppSha256, sha256, tinyLlamaF32 } from '../support/tiny-llama';

/**
 * llama-quantize through the UI: upload the tiny llama's F32 GGUF, pick each preset (and --pure),
 * convert on WebGPU, download, and compare the file's sha256 with llama-quantize's output.
 */
const CASES: [string, boolean][] = [
  ['Q8_0', false], ['Q4_0', false], ['Q4_1', false], ['Q5_0', false], ['Q5_1', false], ['Q2_K', false], ['Q3_K_S', false], ['Q3_K_M', false],
  ['Q3_K_L', false], ['Q4_K_S', false], ['Q4_K_M', false], ['Q5_K_S', false], ['Q5_K_M', false], ['Q6_K', false], ['IQ4_NL', false], ['IQ4_XS', false],
  ['Q4_0', true], ['Q4_K_M', true],
];

let s: BrowserSession;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'kiln-e2e-q-'));
  writeFileSync(join(work, 'tiny-llama-F32.gguf'), await tinyLlamaF32());
  s = await launch();
  await s.page.goto(`${inject('baseUrl')}/`);
  await uploadFiles(s.page, [join(work, 'tiny-llama-F32.gguf')]);
  await waitForTestId(s.page, 'tensor-row');
  await reveal(s.page, 'opt-pure');
});

afterAll(async () => {
  await s?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('presets through the UI equal llama-quantize byte for byte', () => {
  // every wait below has its own limit; after a stall the remaining cases fail at once instead of
  // each waiting out its limit on a page in an unknown state
  let stalled: string | null = null;
  for (const [preset, pure] of CASES) {
    const name = `tiny-llama-${preset}${pure ? '-pure' : ''}.gguf`;
    it(`${preset}${pure ? ' --pure' : ''}`, async () => {
      if (stalled !== null) throw new Error(`not run: an earlier case stalled (${stalled})`);
      try {
        const dl = mkdtempSync(join(work, 'dl-'));
        const cdp = await enableDownloads(s, dl);
        await selectValue(s.page, 'engine-select', 'gpu');
        await selectValue(s.page, 'target-format', 'gguf');
        await selectValue(s.page, 'target-type', preset);
        await setChecked(s.page, 'opt-pure', pure);
        await click(s.page, 'convert');
        const out = await waitForOutcome(s.page, 150_000);
        expect(out.error).toBeNull();
        expect(await testIdText(s.page, 'outputs')).toMatch(/on GPU/);
        const files = await downloadAll(s.page, cdp, dl, 60_000);
        expect(files).toEqual([`tiny-llama-${preset}${pure ? '-pure' : ''}.gguf`]);
        expect(sha256(readFileSync(join(dl, files[0]!)))).toBe(llamaCppSha256().get(name));
      } catch (e) {
        if (e instanceof Error && /no outcome|never became clickable|did not complete|Waiting failed/.test(e.message)) stalled = `${preset}: ${e.message}`;
        throw e;
      }
    }, 400_000);
  }
});
